"""Calibrate the familiarity signal (zoo.familiarity) of image classifiers and captioners.

For each weight or run directory given:

1. in-domain pictures: MNIST digits for the classifiers (the training run's own split: the
   held-out validation digits set the threshold, the 10,000 test digits measure the false-alarm
   rate), MNIST caption canvases for a captioner trained on them (training canvases fit the
   Gaussian of the image features, validation canvases set the threshold, test canvases measure
   the false-alarm rate), emoji for a captioner trained on the emoji set (``fetch_data.py
   emoji``, in ``DATA/emoji``; the run's own split as the captioner reads it: the training
   pictures of the two training styles fit the Gaussian, the validation pictures, emoji held
   out of training by base emoji, set the threshold, and ``test_emoji``, the held-out emoji in
   the training styles, measures the false-alarm rate). The held-out drawing style (OpenMoji,
   the captioners' test split) is neither in- nor out-of-domain, a new style of pictures the
   model knows: its flagged share is reported (``informative``) and sets nothing;
2. out-of-domain pictures, never used to fit or set anything: the Tux Paint stamp pictures
   (``fetch_data.py tuxpaint_captions``, in ``DATA/captions``), the 28 photos with 15 random
   square crops of each (``fetch_data.py photos``), and letters and symbols (A-Z, a-z and 14 signs) drawn with the
   faces of ``fonts-liberation2`` and ``fonts-dejavu-core`` in both polarities; for an emoji
   captioner also the MNIST test digits and 2,000 MNIST caption canvases of them (``DATA/mnist``),
   in both polarities;
3. the threshold flags ``--false-alarm-rate`` (5%) of the held-out in-domain scores; the
   detection rate is the share of each out-of-domain set above it. Classifiers also get the
   figures of the maximum softmax probability and of a class-conditional Mahalanobis distance on
   the penultimate features (shared covariance, fitted on 20,000 training digits), for
   comparison; the signal kept is ``--method`` (default: energy for classifiers, Mahalanobis
   on the pooled image features for captioners, the ones that separated best when measured);
4. the same figures on the small sets under ``tests/data`` (``fixture``; ``emoji_small`` for an
   emoji captioner), which the tests measure again.

Writes ``familiarity.json`` (and ``familiarity.npz``) beside the weights; with ``--record``
(a weight bundled in ``zoo/pretrained``) the weight's record gains the files (SHA-256, size)
and the figures.

Usage:
    python scripts/fetch_data.py mnist tuxpaint_captions photos --out DATA
    python scripts/calibrate_familiarity.py mnist_convnet.mnist show_attend_tell.mnist_captions \\
        --data-dir DATA --record
    python scripts/fetch_data.py emoji --out DATA  # for the emoji captioners
    python scripts/calibrate_familiarity.py show_attend_tell.emoji_en show_attend_tell.emoji_es \\
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
from zoo.data import captions as capdata, load_dataset  # noqa: E402
from zoo.data.idx import find_mnist_files, read_idx  # noqa: E402
from zoo.data.mnist_captions import load_mnist_captions, make_canvases  # noqa: E402
from zoo.data.sources import emoji as emoji_source, font_digits, packages  # noqa: E402
from zoo.weights import PRETRAINED_DIR, RECORDS_FILE  # noqa: E402

LETTER_FONTS = ("fonts-liberation2=2.1.5-1", "fonts-dejavu-core=2.37-6")
CHARACTERS = [chr(c) for c in range(65, 91)] + [chr(c) for c in range(97, 123)] + \
    list("+-=?!@#&%*$<>/")
CROPS_PER_PHOTO = 15
MNIST_CANVASES = 2_000  # out-of-domain canvases for an emoji captioner (as many as MNIST's test)
FIXTURE_CANVASES = 20
FIXTURE = {"in_domain": "tests/data/mnist_small (test split)",
           "out_of_domain": ["tests/data/tuxpaint_captions/images", "tests/data/photos"],
           "font_digits": "tests/data/font_digits_small/font_digits.npz",
           "mnist": "tests/data/mnist_small", "emoji": "tests/data/emoji_small"}


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


def captioner_features(task, size=250):
    """``f(pictures) -> (n, d)``: a captioner's image features averaged over the grid (what
    its familiarity is measured on), read in batches of ``size`` (paths, arrays, or model
    inputs already)."""
    inference = task.inference()

    def features(pictures):
        return np.concatenate([
            np.asarray(inference.initial_state_and_features(
                task.preprocessor(pictures[i:i + size]))[1])
            for i in range(0, len(pictures), size)])
    return features


def calibrate_features(features, in_domain, ood, far, method):
    """The Mahalanobis signal of a captioner's image features: ``in_domain`` holds the
    pictures of ``train`` (fit), ``validation`` (threshold) and ``test`` (false alarms), and
    may hold more, scored too. Returns the signal, the figures, and ``score(name)``."""
    if (method or "mahalanobis") != "mahalanobis":
        sys.exit("a captioner's familiarity is measured on its image features: --method "
                 "mahalanobis")
    feats = {name: features(pictures) for name, pictures in {**in_domain, **ood}.items()}
    gauss = fam.fit_gaussian(feats["train"])
    score = lambda k: fam.mahalanobis(feats[k], gauss["means"], gauss["whitener"])  # noqa: E731
    compared = {"mahalanobis": summary(score("validation"), score("test"),
                                       {k: score(k) for k in ood}, far)[1]}
    signal = fam.Familiarity.calibrate("mahalanobis", score("validation"), false_alarm_rate=far,
                                       arrays=gauss)
    return signal, compared, score


def calibrate_captioner(task, data_dir, ood, far, method):
    recipe = task.config.get("train") or {}
    data = task.config.get("data") or {}
    canvases = load_mnist_captions(
        data_dir=str(data_dir), num_canvases=int(recipe.get("num_canvases", 10_000)),
        num_test_canvases=int(recipe.get("num_test_canvases", 2_000)),
        validation_fraction=data.get("validation_fraction") or 0.1, seed=data.get("seed") or 0)

    def rescale(images):
        images = np.asarray(images)
        return np.asarray(task.preprocessor.rescale(images[..., None] if images.ndim == 3
                                                    else images))

    features = captioner_features(task)
    counts = {name: len(canvases[name].images) for name in ("train", "validation", "test")}
    signal, compared, _ = calibrate_features(
        features, {name: rescale(canvases[name].images) for name in counts}, ood, far, method)
    splits_used = {
        "fit": f"the {counts['train']:,} training canvases (MNIST training digits)",
        "threshold": f"the {counts['validation']:,} validation canvases (held-out training "
                     "digits)",
        "false_alarm": f"the {counts['test']:,} test canvases (MNIST test digits)"}
    return signal, compared, splits_used, lambda x: signal.score(features=features(x))


def emoji_pictures(task, data_dir):
    """The pictures of an emoji captioner's data: ``train`` and ``validation`` as its training
    read them (``zoo.data.captions.emoji_records``: the run's caption column, validation
    share and seed), ``test`` the held-out emoji of the training styles (``test_emoji.tsv``),
    ``held_out_style`` the held-out drawing style (``test_style.tsv``): paths."""
    data = task.config.get("data") or {}
    column = (task.config.get("train") or {}).get("caption_column") or "caption_en"
    records, _ = capdata.emoji_records(
        data_dir, column=column, validation_fraction=data.get("validation_fraction") or 0.1,
        seed=data.get("seed") or 0)
    folder = capdata.emoji_folder(data_dir)
    read = lambda split: capdata.read_caption_tsv(  # noqa: E731
        folder / emoji_source.SPLIT_FILES[split], column=column).images
    return {"train": records["train"].images, "validation": records["validation"].images,
            "test": read("test_emoji"), "held_out_style": read("test_style")}


def mnist_pictures(data_dir, *, canvases=MNIST_CANVASES):
    """Out-of-domain pictures for an emoji captioner, from the MNIST test digits in
    ``data_dir`` (``DIR/mnist/`` or ``DIR/``): ``mnist_digits`` (every test digit) and
    ``mnist_canvases`` (``canvases`` caption canvases of them, seed 0), each light on dark as
    MNIST has them and dark on light as drawn on paper."""
    _, paths = find_mnist_files(data_dir)
    if not {"test_images", "test_labels"} <= set(paths):
        sys.exit(f"no MNIST test digits in {data_dir} (fetch_data.py mnist)")
    digits, labels = read_idx(paths["test_images"]), read_idx(paths["test_labels"])
    made = make_canvases(digits, labels, count=canvases, seed=0, source="test").images
    both = lambda images: [*images, *(255 - np.asarray(images))]  # noqa: E731
    return {"mnist_digits": both(digits), "mnist_canvases": both(made)}


def calibrate_emoji_captioner(task, data_dir, ood, far, method):
    pictures = emoji_pictures(task, data_dir)
    features = captioner_features(task)
    signal, compared, score = calibrate_features(features, pictures, ood, far, method)
    held_out_style = float(np.mean(~signal.familiar(score("held_out_style"))))
    signal.calibration["informative"] = {"held_out_style": {
        "pictures": len(pictures["held_out_style"]), "flagged": held_out_style,
        "source": "every OpenMoji picture (test_style.tsv): the captioners' test split, a "
                  "drawing style never trained on, of emoji mostly trained on in other styles; "
                  "neither in- nor out-of-domain, it neither sets nor measures the signal: "
                  "the share flagged is for information"}}
    counts = {name: len(p) for name, p in pictures.items()}
    splits_used = {
        "fit": f"the {counts['train']:,} training pictures (Google and Twitter styles)",
        "threshold": f"the {counts['validation']:,} validation pictures (emoji held out of "
                     "training by base emoji, both training styles)",
        "false_alarm": f"the {counts['test']:,} test_emoji pictures (held-out emoji in the "
                       "training styles)"}
    return signal, compared, splits_used, lambda x: signal.score(features=features(x))


def is_emoji_captioner(task):
    """Whether a captioner was trained on the emoji set (its dataset, as its run recorded)."""
    dataset = task.config.get("dataset") or {}
    return dataset.get("name") == "emoji" and str(dataset.get("source", "")).startswith("emoji:")


def fixture_figures(task, score):
    """The flagged shares on the small sets under tests/data (the tests measure them again)."""
    extra = {}
    if task.task == "captioning" and is_emoji_captioner(task):
        files = fixture_emoji_files()
        inside = [str(ROOT / p) for p in files["in_domain"]]
        in_name = ("the pictures of the training styles in tests/data/emoji_small (its "
                   "train.tsv and test_emoji.tsv)")
        style = ~task.familiarity.familiar(score([str(ROOT / p)
                                                  for p in files["held_out_style"]]))
        mnist = mnist_pictures(ROOT / FIXTURE["mnist"], canvases=FIXTURE_CANVASES)
        mnist = mnist["mnist_digits"] + mnist["mnist_canvases"]
        extra = {"in_domain_files": files["in_domain"],
                 "held_out_style_files": files["held_out_style"],
                 "held_out_style_flagged": int(style.sum()),
                 "held_out_style_pictures": len(style),
                 "mnist": f"the {FIXTURE['mnist']} test digits and {FIXTURE_CANVASES} canvases "
                          "of them (seed 0), light on dark and dark on light",
                 "mnist_flagged": int(np.sum(~task.familiarity.familiar(score(mnist)))),
                 "mnist_pictures": len(mnist)}
    elif task.task == "captioning":
        canvases = load_mnist_captions(data_dir=str(ROOT / "tests/data/mnist_small"),
                                       num_canvases=20, num_test_canvases=100, seed=0)["test"]
        images = np.asarray(canvases.images)
        inside = np.asarray(task.preprocessor.rescale(images[..., None]))
        in_name = "100 canvases of tests/data/mnist_small's test digits (seed 0)"
    else:
        inside = read_idx(ROOT / "tests/data/mnist_small/t10k-images-idx3-ubyte.gz")
        inside = inside.astype(np.float32)[..., None] / 255.0
        in_name = "the 200 test digits of tests/data/mnist_small"
    figures = {"in_domain": in_name,
               "in_domain_flagged": int(np.sum(~task.familiarity.familiar(score(inside)))),
               "in_domain_pictures": int(len(inside))}
    pictures = fixture_pictures()
    flagged = ~task.familiarity.familiar(score(task.preprocessor(pictures)))
    figures.update(out_of_domain=[str(pathlib.Path(p).relative_to(ROOT)) for p in pictures],
                   out_of_domain_flagged=int(flagged.sum()),
                   out_of_domain_pictures=len(pictures), **extra)
    if task.task == "image_classification":
        with np.load(ROOT / FIXTURE["font_digits"], allow_pickle=False) as store:
            fonts = store["images"].astype(np.float32)[..., None] / 255.0
        figures.update(font_digits=FIXTURE["font_digits"],
                       font_digits_flagged=int(np.sum(~task.familiarity.familiar(
                           score(fonts)))), font_digits_pictures=int(len(fonts)))
    return figures


def fixture_emoji_files():
    """``tests/data/emoji_small``'s pictures by role (paths from the project's root):
    ``in_domain`` (train.tsv and test_emoji.tsv, the training styles) and ``held_out_style``
    (test_style.tsv)."""
    folder = ROOT / FIXTURE["emoji"] / emoji_source.FOLDER

    def rows(*splits):
        names = []
        for split in splits:
            records = capdata.read_caption_tsv(folder / emoji_source.SPLIT_FILES[split])
            names += [pathlib.Path(p).relative_to(ROOT).as_posix() for p in records.images]
        return names
    return {"in_domain": rows("train", "test_emoji"), "held_out_style": rows("test_style")}


def calibrate(name, data_dir, ood, *, far, method=None, command=""):
    """Calibrate one weight or run directory on the data under ``data_dir`` (holding
    ``mnist/``, and ``emoji/`` for an emoji captioner); ``ood``: :func:`out_of_domain`."""
    directory = zoo.tasks.resolve(name)
    task = zoo.load(directory)
    kind = task.task
    dataset = (task.config.get("dataset") or {}).get("name")
    if kind == "image_classification":
        signal, compared, used, score = calibrate_classifier(task, data_dir, ood, far, method)
    elif kind == "captioning" and is_emoji_captioner(task):
        ood = {**ood, **mnist_pictures(data_dir)}
        signal, compared, used, score = calibrate_emoji_captioner(task, data_dir, ood, far,
                                                                  method)
    elif kind == "captioning" and dataset == "mnist_captions":
        signal, compared, used, score = calibrate_captioner(task, data_dir, ood, far, method)
    elif kind == "captioning":
        sys.exit(f"{name}: a captioner trained on {dataset!r}; only the MNIST-canvas and the "
                 "emoji captioners are calibrated (their in-domain pictures are known)")
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
        **{k: v for k, v in signal.calibration.items() if k == "informative"},
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
                       "48 px, dark on light and light on dark",
    "mnist_digits": "every MNIST test digit (fetch_data.py mnist), as MNIST has them "
                    "(light on dark) and dark on light",
    "mnist_canvases": f"{MNIST_CANVASES:,} MNIST caption canvases of the test digits "
                      "(zoo.data.mnist_captions, seed 0), light on dark and dark on light"}


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
                             "tuxpaint_captions photos --out DIR), and emoji/ for an emoji "
                             "captioner (fetch_data.py emoji)")
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
        directory, signal = calibrate(name, args.data_dir, ood,
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
