"""Digits as people draw them: the rendered-font test set (zoo.data.sources.font_digits), the
stroke augmentation of training (zoo.data.augment), and the bundled MNIST weights' figures on
the font digits (the records' ``test_font_digits_*``, measured again on a 1,200-digit sample)."""

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import ImageFont

from zoo import tasks, training, weights
from zoo.data import augment
from zoo.data.images import dataset_preprocessor
from zoo.data.sources import font_digits, packages
from zoo.errors import ConfigError, DataError
from zoo.tasks.base import DataRequest

from _helpers import write_deb

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "data" / "font_digits_small"
PRE = dataset_preprocessor("mnist")


@pytest.fixture(scope="module")
def font():
    """The bytes of Pillow's own built-in font (Aileron Regular), a real OpenType face."""
    return ImageFont.load_default(20).path.getvalue()


def _ink(picture, dark_on_light=True):
    return int((picture < 128).sum() if dark_on_light else (picture > 127).sum())


# -- rendering and the package files -------------------------------------------------------------

def test_every_digit_is_drawn_inside_its_canvas_heavier_with_each_weight(font):
    for digit in range(10):
        inks = []
        for weight in font_digits.WEIGHTS:
            picture = font_digits.render_digit(font, digit, size=40, weight=weight)
            assert picture.dtype == np.uint8 and picture.shape == (64, 80)
            edges = np.concatenate([picture[0], picture[-1], picture[:, 0], picture[:, -1]])
            assert np.all(edges == 255)
            inks.append(_ink(picture))
        assert inks[0] > 20 and inks[0] < inks[1] < inks[2], (digit, inks)
    light = font_digits.render_digit(font, 3, size=40, weight="outline", dark_on_light=False)
    dark = font_digits.render_digit(font, 3, size=40, weight="outline")
    assert np.array_equal(light, 255 - dark)


def _font_deb(path, font):
    return write_deb(path, {"usr/share/fonts/opentype/aileron/Aileron-Regular.otf": font,
                            "usr/share/fonts/opentype/aileron/D050000L.otf": font,
                            "usr/share/doc/aileron/copyright": b"OFL"})


def test_extract_renders_every_variant_through_the_preprocessor(tmp_path, font):
    deb = _font_deb(tmp_path / "aileron.deb", font)
    table = {"fonts-aileron=1.0": (packages.sha256_bytes(deb.read_bytes()), "SIL OFL 1.1")}
    assert list(font_digits.font_faces(deb)) == ["Aileron-Regular"]  # the symbol face left out
    dest = font_digits.extract_font_digits({"fonts-aileron=1.0": deb}, tmp_path / "out", PRE,
                                           table=table)
    arrays = font_digits.read_font_digits(dest)
    per_digit = len(font_digits.WEIGHTS) * len(font_digits.SIZES) * len(font_digits.PLACES) * 2
    assert arrays["images"].shape == (10 * per_digit, 28, 28)
    assert np.bincount(arrays["labels"]).tolist() == [per_digit] * 10
    assert set(arrays["faces"]) == {"Aileron-Regular"}
    # the stored pixels are the MNIST preprocessor's, light on dark, whatever the polarity
    one = (arrays["labels"] == 7) & (arrays["weights"] == "bold outline") & (arrays["sizes"] == 80)
    first = np.flatnonzero(one & (arrays["places"] == 0) & arrays["dark_on_light"])[0]
    picture = font_digits.render_digit(font, 7, size=80, weight="bold outline")
    assert np.array_equal(arrays["images"][first], PRE.pixels(picture)[..., 0])
    for row in np.flatnonzero(one):
        assert np.abs(arrays["images"][row].astype(int)
                      - arrays["images"][first].astype(int)).mean() < 8
    assert "Aileron-Regular\tfonts-aileron 1.0\tSIL OFL 1.1" in (dest / "faces.tsv").read_text()
    assert "train nothing on it" in (dest / "README.txt").read_text()


def test_a_package_that_is_not_the_pinned_file_is_refused_and_nothing_written(tmp_path, font):
    deb = _font_deb(tmp_path / "aileron.deb", font)
    table = {"fonts-aileron=1.0": ("0" * 64, "SIL OFL 1.1")}
    with pytest.raises(DataError, match="not the expected 0000.*another version"):
        font_digits.extract_font_digits({"fonts-aileron=1.0": deb}, tmp_path / "out", PRE,
                                        table=table)
    assert not (tmp_path / "out").exists()
    with pytest.raises(DataError, match="fetch_data.py font_digits"):
        font_digits.read_font_digits(tmp_path / "out")


def test_fetch_downloads_each_pinned_package_then_skips(tmp_path, monkeypatch, font):
    asked = []

    def apt_download(package, workdir):
        asked.append(package)
        return _font_deb(Path(workdir) / "f.deb", font)

    table = {"fonts-aileron=1.0": (packages.sha256_bytes(
        _font_deb(tmp_path / "ref.deb", font).read_bytes()), "SIL OFL 1.1")}
    monkeypatch.setattr(packages, "apt_download", apt_download)
    dest = font_digits.fetch_font_digits(tmp_path / "data", preprocessor=PRE, table=table)
    assert dest == tmp_path / "data" / "font_digits" and asked == ["fonts-aileron=1.0"]
    font_digits.fetch_font_digits(tmp_path / "data", preprocessor=PRE, table=table)
    assert asked == ["fonts-aileron=1.0"]  # already there: nothing fetched


def test_real_table_and_registration():
    assert len(font_digits.FONT_PACKAGES) == 6 and len(font_digits.PRINTED_PACKAGES) == 18
    for table in (font_digits.FONT_PACKAGES, font_digits.PRINTED_PACKAGES):
        assert all(len(sha) == 64 and licence for sha, licence in table.values())
    # the training packages are never test packages
    test_names = {p.split("=")[0] for p in font_digits.FONT_PACKAGES}
    assert not test_names & {p.split("=")[0] for p in font_digits.PRINTED_PACKAGES}
    spec = importlib.util.spec_from_file_location("fetch_data", ROOT / "scripts/fetch_data.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.FETCHERS["font_digits"] is font_digits.fetch_font_digits
    assert script.FETCHERS["printed_digits"] is font_digits.fetch_printed_digits


def test_the_printed_training_set_has_its_own_folder_weights_and_readme(tmp_path, monkeypatch,
                                                                         font):
    monkeypatch.setattr(packages, "apt_download",
                        lambda package, workdir: _font_deb(Path(workdir) / "f.deb", font))
    table = {"fonts-aileron=1.0": (packages.sha256_bytes(
        _font_deb(tmp_path / "ref.deb", font).read_bytes()), "SIL OFL 1.1")}
    dest = font_digits.fetch_printed_digits(tmp_path / "data", preprocessor=PRE, table=table)
    assert dest == tmp_path / "data" / "printed_digits"
    arrays = font_digits.read_font_digits(dest)
    assert sorted(set(arrays["weights"])) == sorted(font_digits.PRINTED_WEIGHTS)
    per_digit = len(font_digits.PRINTED_WEIGHTS) * len(font_digits.SIZES) \
        * len(font_digits.PLACES) * 2
    assert np.bincount(arrays["labels"]).tolist() == [per_digit] * 10
    # heavier strokes, more ink (same digit, size, place and polarity)
    pick = (arrays["labels"] == 0) & (arrays["sizes"] == 80) & (arrays["places"] == 0) \
        & arrays["dark_on_light"]
    inks = [int(arrays["images"][pick & (arrays["weights"] == w)].astype(int).sum())
            for w in font_digits.PRINTED_WEIGHTS]
    assert inks == sorted(inks) and inks[0] < inks[-1], inks
    readme = (dest / "README.txt").read_text()
    assert "A training set" in readme and "train nothing" not in readme


def _prepared(mnist_small_dir, recipe, model="perceptron"):
    return tasks.task_class("image_classification").prepare(
        model, {"input_shape": (28, 28, 1), "num_classes": 10},
        DataRequest(dataset="mnist", data_dir=str(mnist_small_dir), batch_size=64,
                    recipe=recipe))


def test_printed_digits_are_mixed_into_the_training_split_only(mnist_small_dir):
    plain = _prepared(mnist_small_dir, {})
    mixed = _prepared(mnist_small_dir, {"printed_digits": str(SMALL), "printed_fraction": 0.5})
    for split in ("validation", "test"):
        assert np.array_equal(next(iter(getattr(plain, split)))[0],
                              next(iter(getattr(mixed, split)))[0])
    printed = font_digits.read_font_digits(SMALL)
    known = {printed["images"][i].tobytes(): int(printed["labels"][i])
             for i in range(len(printed["labels"]))}
    seen, from_fonts, batches = 0, 0, 0
    for x, y in mixed.train:
        assert x.dtype == tf.float32 and x.shape[1:] == (28, 28, 1) and y.dtype == tf.int32
        assert batches > 0 or x.shape[0] == 64
        pixels = np.rint(x.numpy()[..., 0] * 255).astype(np.uint8)
        for image, label in zip(pixels, y.numpy()):
            seen += 1
            if image.tobytes() in known:  # a printed digit, with its own label
                from_fonts += 1
                assert known[image.tobytes()] == label
        batches += 1
    plain_count = sum(int(x.shape[0]) for x, _ in plain.train)
    # MNIST's training images all come once; about as many printed ones join them
    assert seen - from_fonts == plain_count
    assert 0.35 < from_fonts / seen < 0.65, (from_fonts, seen)


def test_printed_digits_settings_are_checked(mnist_small_dir, tmp_path):
    with pytest.raises(ConfigError, match="printed_fraction needs printed_digits"):
        _prepared(mnist_small_dir, {"printed_fraction": 0.2})
    with pytest.raises(DataError, match="fetch_data.py printed_digits"):
        _prepared(mnist_small_dir, {"printed_digits": str(tmp_path / "nowhere")})


# -- the augmentation ----------------------------------------------------------------------------

def _bar_batch():
    digits = np.zeros((8, 28, 28, 1), np.float32)
    digits[:, 4:24, 12:15] = 1.0  # a "1", three pixels wide
    return tf.data.Dataset.from_tensor_slices((digits, np.arange(8))).batch(8)


def test_augmentation_is_seeded_new_each_epoch_and_re_centred():
    first = next(iter(augment.augment_strokes(_bar_batch(), PRE, seed=3)))[0].numpy()
    again = augment.augment_strokes(_bar_batch(), PRE, seed=3)
    epoch1, epoch2 = (next(iter(again))[0].numpy() for _ in range(2))
    other = next(iter(augment.augment_strokes(_bar_batch(), PRE, seed=4)))[0].numpy()
    assert np.array_equal(first, epoch1)
    assert not np.array_equal(epoch1, epoch2) and not np.array_equal(first, other)
    assert first.dtype == np.float32 and 0 <= first.min() and first.max() <= 1
    for image in first[..., 0]:  # as the preprocessor puts a digit: 20 pixels high, centred
        rows = np.flatnonzero(image.max(axis=1) > 0.1)
        assert 18 <= rows[-1] - rows[0] + 1 <= 21
        centre = (image.sum(axis=1) * np.arange(28)).sum() / image.sum()
        assert abs(centre - 14) < 1.5


def test_a_fraction_of_the_images_is_left_as_it_is():
    x = next(iter(_bar_batch()))[0].numpy()
    out = next(iter(augment.augment_strokes(_bar_batch(), PRE, seed=0, fraction=0.5)))[0]
    same = [np.array_equal(a, b) for a, b in zip(out.numpy(), x)]
    assert 0 < sum(same) < len(same)


def test_stroke_weight_thins_and_thickens():
    bar = np.zeros((5, 56, 56), np.float32)
    bar[:, 10:46, 25:31] = 255.0
    out = augment._stroke_weights(tf.constant(bar[..., None]), tf.constant([-1, 0, 1, 2, 5]),
                                  5).numpy()
    widths = [(image[28, :, 0] > 127).sum() for image in out]
    assert widths == [4, 6, 8, 10, 16]


def test_an_unknown_augmentation_is_refused_before_any_data_is_read(tmp_path):
    with pytest.raises(ConfigError, match="augment takes 'strokes'"):
        training.train("perceptron", dataset="mnist", data_dir=str(tmp_path / "nowhere"),
                       out_dir=tmp_path / "run", recipe={"augment": "blur"}, verbose=0)
    assert not (tmp_path / "run").exists()


def test_only_the_training_split_is_augmented(mnist_small_dir):
    def prepared(recipe):
        return tasks.task_class("image_classification").prepare(
            "perceptron", {"input_shape": (28, 28, 1), "num_classes": 10},
            DataRequest(dataset="mnist", data_dir=str(mnist_small_dir), batch_size=64,
                        recipe=recipe))

    plain, strokes = prepared({}), prepared({"augment": "strokes"})
    for split in ("validation", "test"):
        assert np.array_equal(next(iter(getattr(plain, split)))[0],
                              next(iter(getattr(strokes, split)))[0])
    x_plain, y_plain = next(iter(plain.train))
    x_aug, y_aug = next(iter(strokes.train))
    assert np.array_equal(y_plain, y_aug) and not np.allclose(x_plain, x_aug)


# -- the bundled weights on the font digits ------------------------------------------------------

@pytest.mark.parametrize("name", ["mnist_convnet.mnist", "deep_mlp.mnist"])
def test_bundled_font_digit_figures_hold_on_a_sample(name):
    record = weights.records()[name]
    recorded = {w: record["metrics"][f"test_font_digits_{w.replace(' ', '_')}_accuracy"]
                for w in font_digits.WEIGHTS}
    sample = font_digits.read_font_digits(SMALL)
    measured = font_digits.font_digit_accuracy(tasks.load(ROOT / "zoo" / "pretrained" / name),
                                               sample)
    for weight, value in recorded.items():  # 400 digits a weight: within 3 points
        assert abs(measured[weight] - value) < 0.03, (weight, measured[weight], value)


def test_publishing_measures_a_digit_classifier_on_the_font_digits(tiny_perceptron_run,
                                                                  tmp_path):
    spec = importlib.util.spec_from_file_location("train_pretrained",
                                                  ROOT / "scripts/train_pretrained.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    run = shutil.copytree(tiny_perceptron_run, tmp_path / "run")
    shutil.copytree(SMALL, tmp_path / "data" / "font_digits")
    figures = script.record_font_digits(run, tmp_path / "data")
    assert set(figures) == {"test_font_digits_accuracy", "test_font_digits_regular_accuracy",
                            "test_font_digits_outline_accuracy",
                            "test_font_digits_bold_outline_accuracy"}
    config = json.loads((run / "zoo.json").read_text())
    assert {k: config["metrics"][k] for k in figures} == figures
    assert json.loads((run / "metrics.json").read_text())["test_accuracy"] \
        == config["metrics"]["test_accuracy"]
    assert all(0 <= v <= 1 for v in figures.values())


def test_a_model_trained_with_printed_digits_is_measured_without_them(tiny_perceptron_run,
                                                                    tmp_path, mnist_small_dir):
    """Publishing and `zoo evaluate` rebuild the held-out splits only: a run whose recipe names
    a printed_digits folder that is gone (another machine, a published weight) is measured all
    the same, with the same figures; the recipe's augmentation is left out too."""
    run = shutil.copytree(tiny_perceptron_run, tmp_path / "run")
    config = json.loads((run / "zoo.json").read_text())
    config["train"] = dict(config["train"], printed_digits=str(tmp_path / "gone"),
                           printed_fraction=0.25, augment="strokes", augment_fraction=0.5)
    (run / "zoo.json").write_text(json.dumps(config))
    task = tasks.load(run)
    prepared = task.prepare_saved(data_dir=str(mnist_small_dir))
    measured = task.measure(prepared, splits=("test",))
    plain = tasks.load(tiny_perceptron_run)
    assert measured == plain.measure(plain.prepare_saved(data_dir=str(mnist_small_dir)),
                                     splits=("test",))
    assert measured["test_accuracy"] == pytest.approx(config["metrics"]["test_accuracy"])
    # asked for explicitly, a training-only setting is still read (and checked)
    with pytest.raises(DataError, match="fetch_data.py printed_digits"):
        task.prepare_saved(data_dir=str(mnist_small_dir),
                           recipe={"printed_digits": str(tmp_path / "gone")})
