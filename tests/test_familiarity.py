"""The familiarity signal (zoo.familiarity): the calibrations shipped with the bundled image
weights load, are checked and are true on the small real pictures under tests/data; answers say
when a picture is unlike the training data; weights without a calibration still load."""

import json
import pathlib
import shutil

import keras
import numpy as np
import pytest
from PIL import Image

import zoo
from zoo import familiarity as fam, publish, saving, weights
from zoo.cli import main
from zoo.data import read_idx
from zoo.data import captions as capdata
from zoo.data.mnist_captions import load_mnist_captions, make_canvases
from zoo.errors import DataError

from conftest import emoji_data_dir, load_script

DATA = pathlib.Path(__file__).resolve().parent / "data"
ROOT = DATA.parents[1]
CALIBRATED = sorted(n for n, r in weights.records().items() if r.get("familiarity"))
IMAGE_WEIGHTS = ("mnist_convnet.mnist", "lenet5.mnist", "deep_mlp.mnist", "shallow_mlp.mnist",
                 "perceptron.mnist", "deep_sigmoid_mlp.mnist", "show_attend_tell.mnist_captions")
# calibrated when published (scripts/train_pretrained.py --publish)
IMAGE_WEIGHTS += tuple(n for n in ("show_attend_tell.emoji_en", "show_attend_tell.emoji_es")
                       if n in weights.records())
PHOTOS = sorted(str(p) for p in (DATA / "photos").glob("*.jpg"))
STAMPS = sorted(str(p) for p in (DATA / "tuxpaint_captions" / "images").rglob("*.png"))


def _test_digits():
    return read_idx(DATA / "mnist_small" / "t10k-images-idx3-ubyte.gz").astype(
        np.float32)[..., None] / 255.0


@pytest.fixture(scope="module")
def convnet():
    return zoo.load("mnist_convnet.mnist")


def test_every_bundled_image_weight_is_calibrated():
    assert set(IMAGE_WEIGHTS) <= set(CALIBRATED)
    assert fam.WEIGHTS_FILE == saving.WEIGHTS_FILE


@pytest.mark.parametrize("name", CALIBRATED)
def test_stored_calibration_loads_matches_its_record_and_is_hashed(name):
    record = weights.get_weight(name)
    folder = weights.PRETRAINED_DIR / name
    signal = fam.Familiarity.load(folder)
    figures = record["familiarity"]
    assert signal is not None and signal.method == figures["method"]
    assert signal.threshold == figures["threshold"]
    assert signal.record_figures() == figures
    names = {f["name"] for f in record["files"]}
    assert fam.FILE in names and (fam.ARRAYS_FILE in names) == (signal.method == "mahalanobis")
    # the threshold flags the stated share of the held-out in-domain pictures it was set on
    assert signal.familiarity(np.array([signal.threshold]))[0] == pytest.approx(
        figures["false_alarm_rate"], abs=0.006)
    assert figures["false_alarm_rate"] == 0.05
    assert 0 <= figures["false_alarm_rate_test"] <= 0.1
    expected = {"tuxpaint_stamps", "photos", "letters_symbols"}
    if record["dataset"]["name"] == "emoji":  # digits are out of its domain too
        expected |= {"mnist_digits", "mnist_canvases"}
        assert 0 <= figures["informative"]["held_out_style"]["flagged"] <= 1
    assert set(figures["detection_rate"]) == expected


def check_fixture_figures(task, fixture):
    """A calibration's flagged counts on tests/data's pictures, measured again through the
    task's own answers."""
    def flagged(answers):
        return sum(not a.familiar for a in answers)

    pictures = [str(ROOT / p) for p in fixture["out_of_domain"]]
    assert pictures and all(pathlib.Path(p).is_file() for p in pictures)
    if task.task == "captioning" and "in_domain_files" in fixture:  # an emoji captioner
        inside = task.caption([str(ROOT / p) for p in fixture["in_domain_files"]])
        style = task.caption([str(ROOT / p) for p in fixture["held_out_style_files"]])
        assert len(style) == fixture["held_out_style_pictures"]
        assert abs(flagged(style) - fixture["held_out_style_flagged"]) <= 1
        digits = read_idx(DATA / "mnist_small" / "t10k-images-idx3-ubyte.gz")
        labels = read_idx(DATA / "mnist_small" / "t10k-labels-idx1-ubyte.gz")
        canvases = make_canvases(digits, labels, count=20, seed=0, source="test").images
        mnist = [*digits, *canvases]
        mnist = task.caption(mnist + [255 - m for m in mnist])
        assert len(mnist) == fixture["mnist_pictures"] == 440
        assert abs(flagged(mnist) - fixture["mnist_flagged"]) <= 2
        outside = task.caption(pictures)
    elif task.task == "captioning":
        canvases = load_mnist_captions(data_dir=str(DATA / "mnist_small"), num_canvases=20,
                                       num_test_canvases=100, seed=0)["test"].images
        inside = task.caption(np.asarray(task.preprocessor.rescale(canvases[..., None])))
        outside = task.caption(pictures)
    else:
        inside = task.predict(_test_digits())
        outside = task.predict(pictures)
        with np.load(ROOT / fixture["font_digits"], allow_pickle=False) as store:
            fonts = task.predict(store["images"].astype(np.float32)[..., None] / 255.0)
        assert len(fonts) == fixture["font_digits_pictures"]
        assert abs(flagged(fonts) - fixture["font_digits_flagged"]) <= 1, flagged(fonts)
    assert len(inside) == fixture["in_domain_pictures"]
    assert abs(flagged(inside) - fixture["in_domain_flagged"]) <= 1
    assert flagged(outside) == fixture["out_of_domain_flagged"]
    assert all(0.0 <= a.familiarity <= 1.0 for a in inside + outside)


@pytest.mark.parametrize("name", CALIBRATED)
def test_recorded_fixture_figures_are_measured_again(name):
    """The flagged counts on tests/data's pictures, through the task's own answers."""
    check_fixture_figures(zoo.load(name), weights.get_weight(name)["familiarity"]["fixture"])


# -- calibrating an emoji captioner (scripts/calibrate_familiarity.py) ----------------------------

def test_an_emoji_captioner_is_calibrated_on_its_own_splits(tiny_emoji_captioner_run):
    """The Gaussian is fitted on the training pictures, the threshold set on the validation
    pictures (both as the captioner's training split them), the false alarms counted on the
    held-out emoji; the held-out style is reported apart; the fixture figures hold."""
    run = tiny_emoji_captioner_run
    task = zoo.load(run)
    signal = task.familiarity
    cal = signal.calibration
    assert signal.method == "mahalanobis" and cal["false_alarm_rate"] == 0.05
    records, _ = capdata.emoji_records(DATA / "emoji_small", validation_fraction=0.1, seed=0)
    folder = DATA / "emoji_small" / "emoji"
    test_emoji = capdata.read_caption_tsv(folder / "test_emoji.tsv").images
    openmoji = capdata.read_caption_tsv(folder / "test_style.tsv").images
    assert (len(records["train"]), len(records["validation"]), len(test_emoji)) == (16, 2, 4)

    def features(paths):
        return np.asarray(task.inference().initial_state_and_features(
            task.preprocess(paths))[1], np.float64)

    train = features(records["train"].images)
    np.testing.assert_allclose(signal.arrays["means"][0], train.mean(axis=0), rtol=1e-4,
                               atol=1e-5)
    held = fam.mahalanobis(features(records["validation"].images), **signal.arrays)
    assert signal.threshold == pytest.approx(np.quantile(held, 0.95), rel=1e-4)
    test = fam.mahalanobis(features(test_emoji), **signal.arrays)
    assert cal["false_alarm_rate_test"] == np.mean(test > signal.threshold)
    assert cal["in_domain"]["fit"].startswith("the 16 training pictures")
    assert cal["in_domain"]["threshold"].startswith("the 2 validation pictures")
    assert cal["in_domain"]["false_alarm"].startswith("the 4 test_emoji pictures")
    # out of domain: the stamps, the photos and the MNIST digits and canvases, both polarities
    assert set(cal["detection_rate"]) == {"tuxpaint_stamps", "photos", "mnist_digits",
                                          "mnist_canvases"}
    sizes = {k: v["pictures"] for k, v in cal["out_of_domain"].items()}
    assert sizes == {"tuxpaint_stamps": len(STAMPS), "photos": 16 * len(PHOTOS),
                     "mnist_digits": 400, "mnist_canvases": 4000}
    # OpenMoji: neither in- nor out-of-domain, reported apart and nowhere else
    style = cal["informative"]["held_out_style"]
    assert style["pictures"] == len(openmoji) == 11
    assert "neither in- nor out-of-domain" in style["source"]
    scores = fam.mahalanobis(features(openmoji), **signal.arrays)
    assert style["flagged"] == pytest.approx(np.mean(scores > signal.threshold))
    assert "held_out_style" not in cal["detection_rate"]
    # the figures on tests/data, measured again through the captions' own answers
    fixture = cal["fixture"]
    assert fixture["in_domain_pictures"] == 22 and len(fixture["held_out_style_files"]) == 11
    check_fixture_figures(task, fixture)


def test_only_captioners_of_known_pictures_are_calibrated(tiny_emoji_captioner_run, tmp_path):
    """A captioner trained on other pictures has no known in-domain split: a clear refusal."""
    run = shutil.copytree(tiny_emoji_captioner_run, tmp_path / "run")
    config = json.loads((run / "zoo.json").read_text())
    config["dataset"].update(name="stamps", source="captions.tsv:stamps")
    (run / "zoo.json").write_text(json.dumps(config))
    script = load_script("calibrate_familiarity")
    with pytest.raises(SystemExit, match="a captioner trained on 'stamps'; only the "
                                         "MNIST-canvas and the emoji captioners"):
        script.calibrate(str(run), emoji_data_dir(tmp_path / "data"), {}, far=0.05)


def test_publishing_an_emoji_captioner_calibrates_it(monkeypatch, tmp_path):
    """scripts/train_pretrained.py's publish step runs the calibration on an emoji run, after
    fetching what it reads (the emoji, MNIST, the stamps and the photos) when missing."""
    script = load_script("train_pretrained")
    calls = []
    monkeypatch.setattr(script.subprocess, "run", lambda cmd, check: calls.append(cmd))
    monkeypatch.setattr(script, "_present", lambda name, data_dir: name != "tuxpaint_captions")
    script.calibrate_familiarity(tmp_path / "run", tmp_path / "data", "emoji_es")
    fetch, calibrate = calls
    assert fetch[1:] == [str(ROOT / "scripts" / "fetch_data.py"), "tuxpaint_captions",
                         "--out", str(tmp_path / "data")]
    assert calibrate[1:] == [str(ROOT / "scripts" / "calibrate_familiarity.py"),
                             str(tmp_path / "run"), "--data-dir", str(tmp_path / "data")]
    assert script.CALIBRATION_DATA["emoji_en"] == ["emoji", "mnist"]
    calls.clear()
    monkeypatch.setattr(script, "_present", lambda name, data_dir: name == "photos")
    script.calibrate_familiarity(tmp_path / "run", tmp_path / "data", "emoji_en")
    assert calls[0][2:-2] == ["emoji", "mnist", "tuxpaint_captions"]


def test_a_test_digit_is_familiar_and_photos_are_flagged(convnet):
    digit, = convnet.predict(_test_digits()[:1])
    assert digit.familiar is True and digit.note is None and digit.familiarity > 0.05
    answers = convnet.predict(PHOTOS)
    assert [a.familiar for a in answers] == [False] * len(PHOTOS)
    # the note is the familiarity's, or the ink check's (zoo.images.input_note): both say so
    assert all("guess" in a.note and a.familiarity <= 0.05 for a in answers)
    json_form = convnet.answer_json(answers[0])
    assert json_form["familiar"] is False and json_form["familiarity"] <= 0.05


def test_the_score_comes_from_the_same_pass_as_the_answer(convnet):
    """The two-output model's probabilities are the model's, and its energy is the logits'."""
    batch = _test_digits()[:8]
    probabilities, familiar, share = convnet._answer(batch)
    np.testing.assert_allclose(probabilities, convnet.predict_proba(batch), atol=1e-6)
    logits = keras.Model(convnet.model.inputs, convnet.model.get_layer("logits").output)
    scores = fam.energy(np.asarray(logits.predict_on_batch(batch)))
    assert familiar == list(convnet.familiarity.familiar(scores))
    np.testing.assert_allclose(share, convnet.familiarity.familiarity(scores))


def test_one_image_on_the_calling_thread_gives_the_same_numbers(convnet):
    """A batch of one runs its traced function on the calling thread (the quick one-image
    path): the same probabilities and familiarity, bit for bit, as the default executor, and
    plain Python values in the answers."""
    from zoo.tasks import image_classifier
    digit = _test_digits()[3:4]
    assert image_classifier.function_executor_type is not None  # the path is taken here
    probabilities, familiar, share = convnet._answer(digit)
    _, function = convnet._forward()
    want, logits = (t.numpy() for t in function(digit))  # the default executor
    np.testing.assert_array_equal(probabilities, want)
    scores = fam.energy(logits)
    assert familiar == convnet.familiarity.familiar(scores).tolist() == [True]
    assert share == convnet.familiarity.familiarity(scores).tolist()
    assert type(familiar[0]) is bool and type(share[0]) is float
    answer, = convnet.predict(digit)
    assert answer.label == convnet.class_names[int(want[0].argmax())]
    assert answer.probability == float(want[0].max())


def test_a_stamp_caption_is_a_guess_and_a_canvas_caption_is_not():
    captioner = zoo.load("show_attend_tell.mnist_captions")
    canvas = load_mnist_captions(data_dir=str(DATA / "mnist_small"), num_canvases=20,
                                 num_test_canvases=4, seed=0)["test"].images
    known = captioner.caption(np.asarray(captioner.preprocessor.rescale(canvas[..., None])))
    assert sum(c.familiar for c in known) >= 3
    stamps = captioner.caption(STAMPS[:4] + PHOTOS[:1], method="beam")
    assert [c.familiar for c in stamps] == [False] * 5
    assert all(c.note == fam.GUESS_NOTE for c in stamps)
    assert captioner.answer_json(stamps[0])["familiar"] is False
    assert captioner.answer_json(stamps[0])["note"] == fam.GUESS_NOTE


def test_the_cli_says_a_photo_answer_is_a_guess(capsys):
    # the landscape: ordinary ink shares (zoo.images.input_note says nothing), flagged by energy
    assert main(["predict", PHOTOS[2], "--model", "mnist_convnet.mnist"]) == 0
    out = capsys.readouterr().out
    assert "this picture looks unlike the training data; the answer is a guess" in out
    assert main(["predict", PHOTOS[0], "--model", "mnist_convnet.mnist", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["familiar"] is False and 0 <= row["familiarity"] <= 0.05
    assert main(["caption", "show_attend_tell.mnist_captions", STAMPS[0]]) == 0
    assert "the answer is a guess" in capsys.readouterr().out


def test_caption_json_notes_a_guess_for_a_stamp_and_nothing_for_a_canvas(tmp_path, capsys):
    """``zoo caption --json``'s ``note``: the guess note for a picture unlike the training data
    (a Tux Paint stamp), null for a familiar one (a shipped caption canvas)."""
    canvas, captions = zoo.samples.caption_canvas(11)
    path = tmp_path / "canvas11.png"
    Image.fromarray(canvas).save(path)
    stamp = str(zoo.samples.stamps()["A frog. (frog)"])
    assert main(["caption", "show_attend_tell.mnist_captions", str(path), stamp, "--json"]) == 0
    known, guess = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert known["image"] == str(path) and known["caption"] == captions[0]
    assert known["familiar"] is True and known["familiarity"] > 0.5
    assert "note" in known and known["note"] is None
    assert guess["image"] == stamp and guess["familiar"] is False
    assert guess["familiarity"] <= 0.05
    assert guess["note"] == fam.GUESS_NOTE == ("this picture looks unlike the training data; "
                                               "the answer is a guess")
    # the text form prints the note under the stamp's caption only
    assert main(["caption", "show_attend_tell.mnist_captions", str(path), stamp]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{path}: {captions[0]}" and lines[2] == f"  [{fam.GUESS_NOTE}]"
    assert len(lines) == 3 and lines[1].startswith(f"{stamp}: ")


def test_batch_answers_carry_familiarity(convnet, tmp_path):
    out = tmp_path / "answers.jsonl"
    zoo.batch.predict_files(convnet, PHOTOS[:2], out, progress=False)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["familiar"] for r in rows] == [False, False]


@pytest.fixture()
def copy_of(tmp_path):
    def make(name):
        dest = tmp_path / name
        shutil.copytree(weights.PRETRAINED_DIR / name, dest)
        return dest
    return make


def test_a_weight_without_calibration_loads_and_says_nothing(copy_of):
    folder = copy_of("mnist_convnet.mnist")
    (folder / fam.FILE).unlink()
    classifier = zoo.load(folder)
    assert classifier.familiarity is None
    answer, = classifier.predict(PHOTOS[:1])
    assert answer.familiar is None and answer.familiarity is None
    assert classifier.answer_json(answer)["familiar"] is None


def test_damaged_or_altered_calibrations_are_refused(copy_of):
    folder = copy_of("show_attend_tell.mnist_captions")
    arrays = folder / fam.ARRAYS_FILE
    arrays.write_bytes(arrays.read_bytes()[:-7] + b"tamper!")
    with pytest.raises(DataError, match="SHA-256 differs"):
        zoo.load(folder)
    folder = copy_of("mnist_convnet.mnist")
    data = json.loads((folder / fam.FILE).read_text())
    for key, value in (("threshold", "high"), ("method", "guess"),
                       ("quantiles", [3.0, 1.0])):
        (folder / fam.FILE).write_text(json.dumps(dict(data, **{key: value})))
        with pytest.raises(DataError, match=f"damaged familiarity calibration: '{key}'"):
            zoo.load(folder)


def test_a_calibration_of_other_weights_is_not_used(copy_of):
    folder = copy_of("perceptron.mnist")
    shutil.copy(weights.PRETRAINED_DIR / "mnist_convnet.mnist" / fam.FILE, folder / fam.FILE)
    with pytest.warns(UserWarning, match="calibrated on other weights"):
        classifier = zoo.load(folder)
    assert classifier.familiarity is None


@pytest.mark.parametrize("name", ["mnist_convnet.mnist", "show_attend_tell.mnist_captions"])
def test_saving_a_loaded_model_keeps_its_calibration(name, tmp_path):
    """Task.save writes the calibration beside the weights, bound to the file it wrote; saving a
    model without one over that folder removes it."""
    task = zoo.load(name)
    task.save(tmp_path)
    again = zoo.load(tmp_path)
    assert again.familiarity is not None and again.familiarity.method == task.familiarity.method
    assert again.familiarity.threshold == task.familiarity.threshold
    np.testing.assert_array_equal(again.familiarity.quantiles, task.familiarity.quantiles)
    for key, array in task.familiarity.arrays.items():
        np.testing.assert_array_equal(again.familiarity.arrays[key], array)
    saved = json.loads((tmp_path / fam.FILE).read_text())
    assert saved["weights_sha256"] == weights.sha256_file(tmp_path / saving.WEIGHTS_FILE)
    again.familiarity = None
    again.save(tmp_path)
    assert not (tmp_path / fam.FILE).exists() and not (tmp_path / fam.ARRAYS_FILE).exists()
    assert zoo.load(tmp_path).familiarity is None


def test_publishing_a_calibrated_run_carries_its_calibration(copy_of, tmp_path):
    """zoo.publish copies a run's calibration into the weight and its record, bound to the
    published weights file; a later run without one leaves no stale calibration behind."""
    run = copy_of("perceptron.mnist")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    kwargs = dict(name="perceptron.copy", data_source="MNIST", data_license="CC BY-SA 3.0",
                  command="zoo train perceptron --dataset mnist", bundled=False)
    record = publish.publish(run, mirror, **kwargs)
    dest = mirror / "perceptron.copy"
    signal = fam.Familiarity.load(dest)
    assert signal is not None and record["familiarity"] == signal.record_figures()
    entry = next(f for f in record["files"] if f["name"] == fam.FILE)
    assert entry["sha256"] == weights.sha256_file(dest / fam.FILE)
    saved = json.loads((dest / fam.FILE).read_text())
    assert saved["weights_sha256"] == weights.sha256_file(dest / saving.WEIGHTS_FILE)
    (run / fam.FILE).unlink()
    record = publish.publish(run, mirror, **kwargs)
    assert "familiarity" not in record and not (dest / fam.FILE).exists()
    assert zoo.load(dest).familiarity is None
