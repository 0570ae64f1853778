"""Calibrate the familiarity signal (zoo.familiarity) of image classifiers and captioners.

For each weight or run directory given:

1. in-domain pictures: MNIST digits for the classifiers (the training run's own split: the
   held-out validation digits set the threshold, the 10,000 test digits measure the false-alarm
   rate), MNIST caption canvases for a captioner trained on them (training canvases fit the
   Gaussian of the image features, validation canvases set the threshold, test canvases measure
   the false-alarm rate);
2. out-of-domain pictures, never used to fit or set anything: the Tux Paint stamp pictures
   (``fetch_data.py tuxpaint_captions``, in ``DATA/captions``), the 28 photos with 15 random
   square crops of each (``fetch_data.py photos``), and letters and symbols (A-Z, a-z and 14 signs) drawn with the
   faces of ``fonts-liberation2`` and ``fonts-dejavu-core`` in both polarities;
3. the threshold flags ``--false-alarm-rate`` (5%) of the held-out in-domain scores; the
   detection rate is the share of each out-of-domain set above it. Classifiers also get the
   figures of the maximum softmax probability and of a class-conditional Mahalanobis distance on
   the penultimate features (shared covariance, fitted on 20,000 training digits), for
   comparison; the signal kept is ``--method`` (default: energy for classifiers, Mahalanobis
   on the pooled image features for captioners, the ones that separated best when measured);
4. the same figures on the small sets under ``tests/data`` (``fixture``), which the tests
   measure again.

Writes ``familiarity.json`` (and ``familiarity.npz``) beside the weights; with ``--record``
(a weight bundled in ``zoo/pretrained``) the weight's record gains the files (SHA-256, size)
and the figures.

Usage:
    python scripts/fetch_data.py mnist tuxpaint_captions photos --out DATA
    python scripts/calibrate_familiarity.py mnist_convnet.mnist show_attend_tell.mnist_captions \\
        --data-dir DATA --record
"""

import argparse
import glob
import io
import json
import pathlib
import sys
import tempfile

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import keras  # noqa: E402

import zoo  # noqa: E402
from zoo import familiarity as fam, saving  # noqa: E402
from zoo._hashing import sha256_file  # noqa: E402
from zoo.data import load_dataset  # noqa: E402
from zoo.data.idx import read_idx  # noqa: E402
from zoo.data.mnist_captions import load_mnist_captions  # noqa: E402
from zoo.data.sources import font_digits, packages  # noqa: E402
from zoo.weights import PRETRAINED_DIR, RECORDS_FILE  # noqa: E402

LETTER_FONTS = ("fonts-liberation2=2.1.5-1", "fonts-dejavu-core=2.37-6")
CHARACTERS = [chr(c) for c in range(65, 91)] + [chr(c) for c in range(97, 123)] + \
    list("+-=?!@#&%*$<>/")
CROPS_PER_PHOTO = 15
FIXTURE = {"in_domain": "tests/data/mnist_small (test split)",
           "out_of_domain": ["tests/data/tuxpaint_captions/images", "tests/data/photos"],
           "font_digits": "tests/data/font_digits_small/font_digits.npz"}


# -- the pictures --------------------------------------------------------------------------------

def stamp_pictures(folder):
    paths = sorted(glob.glob(str(pathlib.Path(folder) / "images" / "**" / "*.png"),
                             recursive=True))
    if not paths:
        sys.exit(f"no Tux Paint stamps under {folder}/images (fetch_data.py tuxpaint_captions)")
    return paths


def photo_pictures(folder, seed=1):
    """Every photo, and ``CROPS_PER_PHOTO`` square crops of 10% to 60% of its shorter side."""
    rng = np.random.default_rng(seed)
    out = []
    for path in sorted(pathlib.Path(folder).glob("*.jpg")):
        photo = Image.open(path).convert("RGB")
        out.append(np.asarray(photo))
        width, height = photo.size
        for _ in range(CROPS_PER_PHOTO):
            side = int(min(width, height) * rng.uniform(0.1, 0.6))
            left, top = rng.integers(0, width - side), rng.integers(0, height - side)
            out.append(np.asarray(photo.crop((left, top, left + side, top + side))))
    if not out:
        sys.exit(f"no photos in {folder} (fetch_data.py photos)")
    return out


def letter_pictures():
    """Letters and symbols in every face of :data:`LETTER_FONTS`, dark on light and light on
    dark (the packages fetched with apt-get download, their SHA-256 checked)."""
    out = []
    with tempfile.TemporaryDirectory(prefix="zoo-letters-") as workdir:
        for package in LETTER_FONTS:
            deb = packages.apt_download(package, packages.work_subdir(workdir,
                                                                      package.split("=")[0]))
            font_digits.check_package(deb, package)
            for font in font_digits.font_faces(deb).values():
                face = ImageFont.truetype(io.BytesIO(font), 48)
                for char in CHARACTERS:
                    for dark in (True, False):
                        picture = Image.new("L", (96, 80), 255 if dark else 0)
                        ImageDraw.Draw(picture).text((48, 40), char, font=face,
                                                     fill=0 if dark else 255, anchor="mm")
                        out.append(np.asarray(picture))
    return out


def out_of_domain(data_dir):
    data_dir = pathlib.Path(data_dir)
    return {"tuxpaint_stamps": stamp_pictures(data_dir / "captions"),
            "photos": photo_pictures(data_dir / "photos"),
            "letters_symbols": letter_pictures()}


def fixture_pictures():
    return sorted(glob.glob(str(ROOT / "tests/data/tuxpaint_captions/images/**/*.png"),
                            recursive=True)) + \
        sorted(glob.glob(str(ROOT / "tests/data/photos/*.jpg")))


# -- scores --------------------------------------------------------------------------------------

def _batches(fn, x, size=500):
    outs = [fn(x[i:i + size]) for i in range(0, len(x), size)]
    return tuple(np.concatenate(parts) for parts in zip(*outs))


def classifier_outputs(task):
    """``f(batch) -> (logits, penultimate features)``: one pass of a two-output model."""
    model = task.model
    layer = model.get_layer("logits")
    both = keras.Model(model.inputs, [layer.output, layer.input])
    return lambda x: tuple(np.asarray(keras.ops.convert_to_numpy(o)).reshape(len(x), -1)
                           for o in both.predict_on_batch(np.asarray(x, np.float32)))


def mnist_splits(task, data_dir):
    config = task.config
    data = config.get("data") or {}
    splits = load_dataset("mnist", data_dir=str(data_dir), batch_size=1000, shuffle_buffer=0,
                          validation_fraction=data.get("validation_fraction") or 0.1,
                          seed=data.get("seed") or 0)
    out = {}
    for name in ("train", "validation", "test"):
        xs, ys = zip(*[(np.asarray(x), np.asarray(y)) for x, y in getattr(splits, name)])
        out[name] = (np.concatenate(xs), np.concatenate(ys))
    return out


def rates(scores, threshold):
    return {name: {"pictures": int(len(s)), "flagged": float(np.mean(s > threshold))}
            for name, s in scores.items()}


def summary(held, test, ood, far):
    """Threshold from ``held``; the false-alarm rate on ``test``, the detection rates on
    ``ood`` (per set and over all its pictures)."""
    threshold = float(np.quantile(held, 1.0 - far))
    pooled = np.concatenate(list(ood.values()))
    return threshold, {
        "false_alarm_rate_test": float(np.mean(test > threshold)),
        "detection_rate": {name: float(np.mean(s > threshold)) for name, s in ood.items()},
        "detection_rate_all": float(np.mean(pooled > threshold))}


def calibrate_classifier(task, data_dir, ood, far, method):
    splits = mnist_splits(task, data_dir)
    outputs = classifier_outputs(task)
    logits, feats = {}, {}
    rng = np.random.default_rng(0)
    train_x, train_y = splits["train"]
    pick = rng.choice(len(train_x), min(20_000, len(train_x)), replace=False)
    for name, x in (("fit", train_x[pick]), ("validation", splits["validation"][0]),
                    ("test", splits["test"][0])):
        logits[name], feats[name] = _batches(outputs, x)
    for name, pictures in ood.items():
        logits[name], feats[name] = _batches(outputs, task.preprocessor(pictures))
    gauss = fam.fit_gaussian(feats["fit"], train_y[pick])
    scorers = {
        "max_softmax": lambda k: fam.max_softmax(logits[k]),
        "energy": lambda k: fam.energy(logits[k]),
        "mahalanobis": lambda k: fam.mahalanobis(feats[k], gauss["means"], gauss["whitener"])}
    compared = {}
    for name, score in scorers.items():
        compared[name] = summary(score("validation"), score("test"),
                                 {k: score(k) for k in ood}, far)[1]
    method = method or "energy"
    signal = fam.Familiarity.calibrate(
        method, scorers[method]("validation"), false_alarm_rate=far,
        arrays=gauss if method == "mahalanobis" else None)
    splits_used = {
        "fit": None if method == "energy" else "20,000 of the run's MNIST training digits",
        "threshold": f"the run's {len(splits['validation'][0]):,} MNIST validation digits "
                     "(held out of training)",
        "false_alarm": f"the {len(splits['test'][0]):,} MNIST test digits"}
    return signal, compared, splits_used, lambda x: signal.score(
        **{signal.needs(): outputs(x)[0 if signal.needs() == "logits" else 1]})


def calibrate_captioner(task, data_dir, ood, far, method):
    recipe = task.config.get("train") or {}
    data = task.config.get("data") or {}
    canvases = load_mnist_captions(
        data_dir=str(data_dir), num_canvases=int(recipe.get("num_canvases", 10_000)),
        num_test_canvases=int(recipe.get("num_test_canvases", 2_000)),
        validation_fraction=data.get("validation_fraction") or 0.1, seed=data.get("seed") or 0)
    inference = task.inference()

    def pooled(x):
        return (inference.initial_state_and_features(np.asarray(x, np.float32))[1],)

    def rescale(images):
        images = np.asarray(images)
        return np.asarray(task.preprocessor.rescale(images[..., None] if images.ndim == 3
                                                    else images))

    feats = {name: _batches(pooled, rescale(canvases[name].images), 250)[0]
             for name in ("train", "validation", "test")}
    for name, pictures in ood.items():
        feats[name] = _batches(pooled, task.preprocessor(pictures), 250)[0]
    gauss = fam.fit_gaussian(feats["train"])
    score = lambda k: fam.mahalanobis(feats[k], gauss["means"], gauss["whitener"])  # noqa: E731
    method = method or "mahalanobis"
    if method != "mahalanobis":
        sys.exit("a captioner's familiarity is measured on its image features: --method "
                 "mahalanobis")
    compared = {"mahalanobis": summary(score("validation"), score("test"),
                                       {k: score(k) for k in ood}, far)[1]}
    signal = fam.Familiarity.calibrate(method, score("validation"), false_alarm_rate=far,
                                       arrays=gauss)
    splits_used = {
        "fit": f"the {len(feats['train']):,} training canvases (MNIST training digits)",
        "threshold": f"the {len(feats['validation']):,} validation canvases (held-out training "
                     "digits)",
        "false_alarm": f"the {len(feats['test']):,} test canvases (MNIST test digits)"}
    return signal, compared, splits_used, lambda x: signal.score(features=pooled(x)[0])


def fixture_figures(task, score):
    """The flagged shares on the small sets under tests/data (the tests measure them again)."""
    if task.task == "captioning":
        canvases = load_mnist_captions(data_dir=str(ROOT / "tests/data/mnist_small"),
                                       num_canvases=20, num_test_canvases=100, seed=0)["test"]
        images = np.asarray(canvases.images)
        digits = np.asarray(task.preprocessor.rescale(images[..., None]))
        in_name = "100 canvases of tests/data/mnist_small's test digits (seed 0)"
    else:
        digits = read_idx(ROOT / "tests/data/mnist_small/t10k-images-idx3-ubyte.gz")
        digits = digits.astype(np.float32)[..., None] / 255.0
        in_name = "the 200 test digits of tests/data/mnist_small"
    figures = {"in_domain": in_name,
               "in_domain_flagged": int(np.sum(~task.familiarity.familiar(score(digits)))),
               "in_domain_pictures": int(len(digits))}
    pictures = fixture_pictures()
    flagged = ~task.familiarity.familiar(score(task.preprocessor(pictures)))
    figures.update(out_of_domain=[str(pathlib.Path(p).relative_to(ROOT)) for p in pictures],
                   out_of_domain_flagged=int(flagged.sum()),
                   out_of_domain_pictures=len(pictures))
    if task.task == "image_classification":
        with np.load(ROOT / FIXTURE["font_digits"], allow_pickle=False) as store:
            fonts = store["images"].astype(np.float32)[..., None] / 255.0
        figures.update(font_digits=FIXTURE["font_digits"],
                       font_digits_flagged=int(np.sum(~task.familiarity.familiar(
                           score(fonts)))), font_digits_pictures=int(len(fonts)))
    return figures


def calibrate(name, data_dir, ood, *, far, method=None, command=""):
    directory = zoo.tasks.resolve(name)
    task = zoo.load(directory)
    kind = task.task
    if kind == "image_classification":
        signal, compared, used, score = calibrate_classifier(task, data_dir, ood, far, method)
    elif kind == "captioning":
        signal, compared, used, score = calibrate_captioner(task, data_dir, ood, far, method)
    else:
        sys.exit(f"{name}: a {kind} model; only image classifiers and captioners are calibrated")
    chosen = compared[signal.method]
    signal.calibration = {
        "method": signal.method, "false_alarm_rate": far,
        "false_alarm_rate_test": chosen["false_alarm_rate_test"],
        "detection_rate": chosen["detection_rate"],
        "detection_rate_all": chosen["detection_rate_all"],
        "in_domain": used,
        "out_of_domain": {k: {"pictures": len(v), "source": SOURCES[k]} for k, v in ood.items()},
        "methods_compared": compared, "command": command}
    task.familiarity = signal
    signal.calibration["fixture"] = fixture_figures(task, score)
    return directory, signal


SOURCES = {
    "tuxpaint_stamps": "every Tux Paint stamp picture (fetch_data.py tuxpaint_captions; Debian "
                       "tuxpaint-stamps-default 2022.06.04-1, GPL-2)",
    "photos": f"the 28 photos (fetch_data.py photos) and {CROPS_PER_PHOTO} random square crops "
              "of each (10-60% of the shorter side, seed 1)",
    "letters_symbols": f"{len(CHARACTERS)} letters and signs (A-Z, a-z, +-=?!@#&%*$<>/) in "
                       "every face of fonts-liberation2 2.1.5-1 and fonts-dejavu-core 2.37-6, "
                       "48 px, dark on light and light on dark"}


def update_record(name, directory, signal):
    """Add the files and the figures to a bundled weight's record in weights.json."""
    path = PRETRAINED_DIR / RECORDS_FILE
    table = json.loads(path.read_text())
    record = next(r for r in table if r["name"] == name)
    kept = [f for f in record["files"] if f["name"] not in (fam.FILE, fam.ARRAYS_FILE)]
    written = [fam.FILE] + ([fam.ARRAYS_FILE] if signal.arrays else [])
    record["files"] = kept + [{"name": f, "sha256": sha256_file(directory / f),
                               "size": (directory / f).stat().st_size} for f in written]
    record["familiarity"] = signal.record_figures()
    saving.write_json(path, table)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("weights", nargs="+", help="published weight names or run directories")
    parser.add_argument("--data-dir", required=True, type=pathlib.Path,
                        help="holds mnist/, captions/ and photos/ (fetch_data.py mnist "
                             "tuxpaint_captions photos --out DIR)")
    parser.add_argument("--false-alarm-rate", type=float, default=fam.FALSE_ALARM_RATE)
    parser.add_argument("--method", choices=fam.METHODS,
                        help="the signal kept (default: energy for classifiers, mahalanobis "
                             "for captioners)")
    parser.add_argument("--record", action="store_true",
                        help="also update the bundled weight's record in zoo/pretrained")
    args = parser.parse_args(argv)
    ood = out_of_domain(args.data_dir)
    command = "python scripts/calibrate_familiarity.py " + " ".join(
        [*(pathlib.Path(w).name for w in args.weights), "--data-dir", "DATA"]
        + (["--method", args.method] if args.method else []))
    for name in args.weights:
        directory, signal = calibrate(name, args.data_dir / "mnist", ood,
                                      far=args.false_alarm_rate, method=args.method,
                                      command=command)
        signal.save(directory)
        if args.record:
            update_record(name, directory, signal)
        cal = signal.calibration
        print(json.dumps({"weight": name, "method": signal.method,
                          "false_alarm_rate_test": round(cal["false_alarm_rate_test"], 4),
                          "detection_rate": {k: round(v, 4)
                                             for k, v in cal["detection_rate"].items()},
                          "compared": {m: {k: round(v, 4) for k, v in c["detection_rate"].items()}
                                       for m, c in cal["methods_compared"].items()},
                          "fixture": {k: v for k, v in cal["fixture"].items()
                                      if k.endswith(("flagged", "pictures"))}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
