"""The autoencoder family, its unlabeled data, its task and the analysis tools, on real data.

Digits come from the 600 + 200 real MNIST digits in tests/data/mnist_small, photos from the three
small real photos in tests/data/photos (see tests/data/README.md).
"""

import json
import zlib
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

import zoo
from zoo import analysis, images
from zoo.cli import main
from zoo.data import load_dataset
from zoo.data.unlabeled import PatchOptions, load_unlabeled, read_image_folder
from zoo.preprocessing import PatchPreprocessor
from zoo.errors import ConfigError, DataError
from zoo.models.autoencoder import (MaskingNoise, build_conv_autoencoder,
                                    build_dense_autoencoder, decoder_of, encoder_of)
from zoo.tasks.autoencoder import Autoencoder
from zoo.training import DataRequest

DATA_DIR = Path(__file__).resolve().parent / "data"
PHOTOS = DATA_DIR / "photos"
MODELS = zoo.list_models(task="autoencoder")
DIGITS_PREPROCESSING = {"color_mode": "L", "size": [28, 28], "scale": 1 / 255,
                        "invert_light_background": True, "center_glyph": True}


@pytest.fixture(scope="module")
def digits():
    """(train images, train labels, test images, test labels) of the real fixture digits."""
    splits = load_dataset("mnist", data_dir=DATA_DIR / "mnist_small", batch_size=600,
                          shuffle_buffer=0)
    x_train, y_train = [np.concatenate(a) for a in zip(*[(x.numpy(), y.numpy())
                                                         for x, y in splits.train])]
    x_test, y_test = [np.concatenate(a) for a in zip(*[(x.numpy(), y.numpy())
                                                       for x, y in splits.test])]
    return x_train, y_train, x_test, y_test


def _inputs_for(model, digits, n=32):
    """Real inputs of the model's shape: digits, or crops of digits for patch models."""
    height, width, channels = model.input_shape[1:]
    top, left = (28 - height) // 2, (28 - width) // 2
    x = digits[0][:n, top:top + height, left:left + width]
    return np.repeat(x, channels, axis=-1).astype("float32")


# -- the family -----------------------------------------------------------------------------------

def test_registered_variants():
    assert {"dense_autoencoder", "denoising_autoencoder", "sparse_autoencoder",
            "conv_autoencoder", "patch_autoencoder"} <= set(MODELS)
    for name in MODELS:
        info = zoo.describe(name)
        assert info["family"] == "autoencoder" and info["task"] == "autoencoder"
    assert zoo.list_models(family="autoencoder") == MODELS
    assert zoo.describe("denoising_autoencoder")["options"]["noise"] > 0
    assert zoo.describe("sparse_autoencoder")["options"]["sparsity"] > 0
    assert zoo.describe("patch_autoencoder")["train"]["patch_size"] == 12


@pytest.mark.parametrize("name", MODELS)
def test_the_code_layer_splits_encoder_and_decoder(name, digits):
    """(Building, training and saving every variant: the shared harness, test_models.py.)"""
    model = zoo.build(name)
    x = _inputs_for(model, digits)
    expected = keras.ops.convert_to_numpy(model(x, training=False))
    assert 0.0 <= expected.min() and expected.max() <= 1.0
    codes = keras.ops.convert_to_numpy(encoder_of(model)(x, training=False))
    assert codes.shape == (len(x), zoo.describe(name)["options"]["code_size"])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(decoder_of(model)(codes)), expected,
                               rtol=1e-5, atol=1e-6)


def test_noise_is_added_in_training_only(digits):
    x = digits[0][:64]
    model = zoo.build("denoising_autoencoder")
    corrupt = keras.Model(model.input, model.get_layer("corruption").output)
    clean = np.asarray(corrupt(x, training=False))
    np.testing.assert_array_equal(clean, x)
    np.testing.assert_array_equal(model.predict_on_batch(x), model.predict_on_batch(x))
    noisy = np.asarray(corrupt(x, training=True))
    ink = x > 0
    zeroed = (noisy[ink] == 0).mean()
    assert 0.25 < zeroed < 0.35  # masking noise 0.3 ...
    kept = noisy[ink] != 0
    np.testing.assert_array_equal(noisy[ink][kept], x[ink][kept])  # ... kept values unscaled

    gaussian = build_dense_autoencoder(noise=0.2, noise_type="gaussian", hidden_units=(16,),
                                       code_size=4)
    layer = gaussian.get_layer("corruption")
    assert np.array_equal(np.asarray(layer(x, training=False)), x)
    assert 0.15 < float(np.std(np.asarray(layer(x, training=True)) - x)) < 0.25
    assert not any(l.name == "corruption" for l in zoo.build("dense_autoencoder").layers)
    with pytest.raises(ValueError, match="rate"):
        MaskingNoise(1.0)
    with pytest.raises(zoo.ConfigError, match="noise_type"):
        zoo.build("dense_autoencoder", noise=0.1, noise_type="salt")


def test_sparse_code_is_sparser_than_the_plain_one(digits):
    x = digits[0][:256]
    means = {}
    for sparsity in (0.0, 1e-3):
        keras.utils.set_random_seed(1)
        model = build_dense_autoencoder(hidden_units=(), code_size=64, sparsity=sparsity)
        model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse")
        model.fit(x, x, batch_size=64, epochs=6, verbose=0, shuffle=False)
        means[sparsity] = float(encoder_of(model).predict_on_batch(x).mean())
        if sparsity:
            model(x[:8])
            assert len(model.losses) == 1 and float(model.losses[0]) > 0
    assert means[1e-3] < 0.5 * means[0.0]
    assert zoo.build("sparse_autoencoder").get_layer("code").activity_regularizer is not None


def test_builder_options_and_errors():
    model = build_conv_autoencoder(input_shape=(16, 16, 3), filters=(8, 16, 32), code_size=10,
                                   batch_norm=True)
    assert model.output_shape == (None, 16, 16, 3)
    assert encoder_of(model).output_shape == (None, 10)
    decayed = zoo.build("dense_autoencoder", weight_decay=1e-4)
    kernels = [l for l in decayed.layers if isinstance(l, keras.layers.Dense)]
    assert len(kernels) == 4 and all(l.kernel_regularizer is not None for l in kernels)
    decayed(np.zeros((2, 28, 28, 1), "float32"))
    assert len(decayed.losses) == 4
    assert zoo.build("sparse_autoencoder").get_layer("code").kernel_regularizer is not None
    with pytest.raises(zoo.ConfigError, match="weight_decay"):
        zoo.build("conv_autoencoder", weight_decay=-1.0)
    with pytest.raises(ValueError, match="divisible by 4"):
        build_conv_autoencoder(input_shape=(30, 30, 1))
    with pytest.raises(zoo.ConfigError, match="code_size"):
        zoo.build("dense_autoencoder", code_size=0)
    with pytest.raises(zoo.ConfigError, match="no 'code' layer"):
        encoder_of(zoo.build("perceptron"))


# -- unlabeled data -------------------------------------------------------------------------------

def test_mnist_without_labels(digits):
    splits = load_unlabeled("mnist", data_dir=DATA_DIR / "mnist_small", input_shape=(28, 28, 1),
                            batch_size=100)
    x, target = next(iter(splits.test))
    np.testing.assert_array_equal(x.numpy(), target.numpy())
    np.testing.assert_allclose(x.numpy(), digits[2][:100])
    assert splits.info["num_examples"] == {"train": 540, "validation": 60, "test": 200}
    assert "class_names" not in splits.info and splits.info["kind"] == "dataset"
    with pytest.raises(ConfigError, match="input_shape=28,28,1"):
        load_unlabeled("mnist", data_dir=DATA_DIR / "mnist_small", input_shape=(32, 32, 1))
    with pytest.raises(ConfigError, match="folder of photos"):
        load_unlabeled("mnist", data_dir=DATA_DIR / "mnist_small", input_shape=(12, 12, 1),
                       patches=PatchOptions(size=12))
    with pytest.raises(DataError, match="Did you mean 'mnist'"):
        load_unlabeled("mnsit", input_shape=(28, 28, 1))


def test_patches_are_split_by_photo():
    raw = PatchOptions(size=12, per_image=30, normalize=False, image_size=None)
    splits = load_unlabeled(PHOTOS, input_shape=(12, 12, 1), patches=raw, seed=3,
                            validation_fraction=0.3, test_fraction=0.3)
    files = splits.info["files"]
    assert sorted(sum(files.values(), [])) == sorted(p.name for p in PHOTOS.glob("*.jpg"))
    assert all(len(names) == 1 for names in files.values())  # one photo per split, disjoint
    assert splits.info["num_examples"] == {"train": 30, "validation": 30, "test": 30}

    # Every test patch is cut from the test photo, and from no training photo.
    test_patches = np.concatenate([x.numpy() for x, _ in splits.test])
    for split, names in files.items():
        reader = PatchPreprocessor([12, 12], color_mode="L", image_size=None)
        photo = reader.read_photo(PHOTOS / names[0]).astype(np.float32) / 255
        windows = np.lib.stride_tricks.sliding_window_view(photo, (12, 12, 1))
        windows = windows.reshape(-1, 12, 12, 1)
        found = [np.abs(windows - patch).reshape(len(windows), -1).max(axis=1).min() < 1e-6
                 for patch in test_patches]
        assert all(found) if split == "test" else not any(found)

    # Seeded: the same seed cuts the same patches, another seed others.
    again = load_unlabeled(PHOTOS, input_shape=(12, 12, 1), patches=raw, seed=3,
                           validation_fraction=0.3, test_fraction=0.3)
    np.testing.assert_array_equal(np.concatenate([x.numpy() for x, _ in again.test]),
                                  test_patches)

    normalized = load_unlabeled(PHOTOS, input_shape=(8, 8, 3), seed=3, validation_fraction=0.3,
                                test_fraction=0.3, patches=PatchOptions(size=8, per_image=50))
    x = np.concatenate([b.numpy() for b, _ in normalized.train])
    assert x.shape == (50, 8, 8, 3) and 0.1 - 1e-6 <= x.min() and x.max() <= 0.9 + 1e-6
    np.testing.assert_allclose(x.mean(axis=(1, 2, 3)), 0.5, atol=0.05)
    saved = normalized.info["preprocessor"]
    assert saved["kind"] == "patches" and saved["normalization_scale"] > 0
    with pytest.raises(ConfigError, match="input_shape=8,8,1"):
        load_unlabeled(PHOTOS, input_shape=(12, 12, 1), patches=PatchOptions(size=8))


def _mixed_folder(tmp_path):
    """Real photos saved as grayscale, RGB, RGBA and palette images (one nested), plus a text
    file, a truncated JPEG and a hidden file."""
    folder = tmp_path / "images"
    (folder / "nested").mkdir(parents=True)
    photo = Image.open(PHOTOS / "acanthus-mollis.jpg")
    photo.convert("L").save(folder / "gray.png")
    photo.save(folder / "rgb.jpg")
    rgba = photo.convert("RGBA")
    rgba.putalpha(0)  # fully transparent: composited on white
    rgba.save(folder / "nested" / "rgba.png")
    photo.convert("P").save(folder / "nested" / "palette.gif")
    (folder / "notes.txt").write_text("not an image\n")
    data = (PHOTOS / "airplane-from-above.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(data[:len(data) // 2])
    (folder / ".hidden.png").write_bytes(b"ignored")
    return folder


def test_image_folder_converts_modes_and_skips_bad_files(tmp_path):
    folder = _mixed_folder(tmp_path)
    for channels in (1, 3):
        arrays, paths, skipped = read_image_folder(folder, input_shape=(16, 20, channels))
        assert arrays.shape == (4, 16, 20, channels) and arrays.dtype == np.uint8
        assert sorted(p.name for p in paths) == ["gray.png", "palette.gif", "rgb.jpg", "rgba.png"]
        reasons = {p.name: reason for p, reason in skipped}
        assert set(reasons) == {"notes.txt", "truncated.jpg"}
        assert "not an image" in reasons["notes.txt"] and "notes.txt" not in reasons["notes.txt"]
        assert "truncated" in reasons["truncated.jpg"]
        rgba = arrays[[p.name for p in paths].index("rgba.png")]
        assert rgba.min() == 255  # transparent pixels become the white background

    splits = load_unlabeled(folder, input_shape=(16, 16, 3), validation_fraction=0.25,
                            test_fraction=0.25, batch_size=8)
    assert splits.info["num_examples"] == {"train": 2, "validation": 1, "test": 1}
    assert splits.info["num_skipped"] == 2 and len(splits.info["skipped"]) == 2
    x, target = next(iter(splits.train))
    assert x.shape == (2, 16, 16, 3) and float(x.numpy().max()) <= 1.0

    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "a.txt").write_text("x")
    with pytest.raises(DataError, match="holds no readable image"):
        load_unlabeled(empty, input_shape=(16, 16, 1))
    with pytest.raises(DataError, match="cannot be split"):
        load_unlabeled(folder / "nested", input_shape=(16, 16, 1))  # 2 images for 3 splits
    with pytest.raises(ConfigError, match="1 \\(grayscale\\) or 3"):
        load_unlabeled(PHOTOS, input_shape=(16, 16, 4))


def test_huge_images_are_refused(tmp_path, monkeypatch, digits):
    monkeypatch.setattr(images, "MAX_PIXELS", 5000)  # the test photos have about 6,000 pixels
    model = build_dense_autoencoder(input_shape=(12, 12, 1), hidden_units=(), code_size=4)
    task = Autoencoder(model, {"model": "patch_autoencoder", "options": {},
                               "preprocessing": {"color_mode": "L", "size": [12, 12],
                                                 "scale": 1 / 255}})
    with pytest.raises(DataError, match="too large"):
        task.encode([PHOTOS / "acanthus-mollis.jpg"])
    _, paths, skipped = read_image_folder(PHOTOS, input_shape=(12, 12, 1))
    assert len(skipped) == 2 and all("too large" in reason for _, reason in skipped)
    assert [p.name for p in paths] == ["french-alpine-landscape.jpg"]  # 96x45 fits


def test_raw_images_go_through_the_saved_preprocessing(tmp_path, digits):
    model = build_dense_autoencoder(input_shape=(12, 12, 1), hidden_units=(), code_size=4)
    scale = 0.2
    task = Autoencoder(model, {"model": "patch_autoencoder", "options": {},
                               "preprocessing": {"color_mode": "L", "size": [12, 12],
                                                 "scale": 1 / 255,
                                                 "patch_normalization": {"scale": scale}}})
    patch = np.asarray(Image.open(PHOTOS / "acanthus-mollis.jpg").convert("L"))[:12, :12]
    Image.fromarray(patch).save(tmp_path / "patch.png")
    scaled = patch[None, ..., None] / 255.0  # Ng's normalisation, written out here
    expected = 0.5 + 0.4 * np.clip((scaled - scaled.mean()) / scale, -1.0, 1.0)
    np.testing.assert_allclose(task.preprocess([tmp_path / "patch.png"]), expected, atol=1e-6)
    rgba = Image.fromarray(np.dstack([patch] * 3 + [np.full_like(patch, 255)]), "RGBA")
    np.testing.assert_allclose(task.preprocess(rgba), expected, atol=1e-6)
    assert task.encode(tmp_path / "patch.png").shape == (1, 4)
    assert task.decode(np.zeros(4)).shape == (1, 12, 12, 1)
    assert task.reconstruction_error([tmp_path / "patch.png"]).shape == (1,)
    with pytest.raises(zoo.ConfigError, match=r"codes must have shape \(n, 4\)"):
        task.decode(np.zeros((1, 5)))
    with pytest.raises(DataError, match="not an image"):
        task.encode([tmp_path / "patch.png", b"not an image"])
    with pytest.raises(DataError, match="no images"):
        task.encode([])


# -- training and the CLI -------------------------------------------------------------------------

def test_zoo_train_evaluate_and_analyze(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "conv_autoencoder", "--dataset", "mnist",
            "--data-dir", str(DATA_DIR / "mnist_small"), "--out", str(out),
            "--option", "filters=8,16", "--option", "code_size=16", "--batch-size", "32",
            "--learning-rate", "0.003",
            "--verbose", "0"]
    assert main(args + ["--epochs", "1"]) == 0
    first = json.loads((out / "metrics.json").read_text())
    assert main(args + ["--epochs", "2"]) == 0
    assert "Resuming conv_autoencoder from epoch 1 of 2" in capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_run"] == 2 and metrics["test_examples"] == 200
    assert metrics["test_mse"] < first["test_mse"] < 0.25
    assert metrics["test_psnr"] == pytest.approx(10 * np.log10(1 / metrics["test_mse"]))

    task = zoo.load(out)
    assert isinstance(task, Autoencoder) and task.config["dataset"]["kind"] == "dataset"
    digit = Image.open(PHOTOS / "acanthus-mollis.jpg")  # any image file goes through
    assert task.encode([digit]).shape == (1, 16)

    assert main(["evaluate", str(out), "--data-dir", str(DATA_DIR / "mnist_small")]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["test_mse"] == pytest.approx(metrics["test_mse"], rel=1e-4)

    report_dir = tmp_path / "analysis"
    assert main(["analyze", str(out), "--data-dir", str(DATA_DIR / "mnist_small"),
                 "--out", str(report_dir), "--labeled", "200", "--probe-steps", "30",
                 "--units", "4", "--top-k", "5"]) == 0
    printed = capsys.readouterr().out
    assert "linear probe on pixels" in printed and "linear probe on codes" in printed
    report = json.loads((report_dir / "analysis.json").read_text())
    assert report["images_searched"] == 200 and len(report["units_shown"]) <= 4
    assert report["linear_probe"]["codes"]["num_features"] == 16
    assert report["linear_probe"]["pixels"]["accuracy"] > 0.3
    with Image.open(report_dir / "top_activations.png") as grid:
        assert grid.height == 2 * (len(report["units_shown"]) * 29 + 1)
        assert grid.width == 2 * (5 * 29 + 1)
    for name in ("filters.png", "reconstructions.png"):
        assert (report_dir / name).stat().st_size > 0


def test_train_on_patches_of_photos(tmp_path, capsys):
    out = tmp_path / "patches"
    args = ["train", "patch_autoencoder", "--dataset", str(PHOTOS), "--out", str(out),
            "--epochs", "2", "--recipe", "patches_per_image=100", "--recipe",
            "test_fraction=0.34", "--validation-fraction", "0.34", "--verbose", "0"]
    assert main(args) == 0
    capsys.readouterr()
    config = zoo.load(out).config
    files = config["dataset"]["files"]
    assert not set(files["train"]) & (set(files["validation"]) | set(files["test"]))
    assert config["preprocessor"]["normalization_scale"] > 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_examples"] == 100 and metrics["test_mse"] < 0.05
    assert main(["evaluate", str(out)]) == 0  # the patch settings come from zoo.json
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["test_mse"] == pytest.approx(metrics["test_mse"], rel=1e-4)

    assert main(["train", "conv_autoencoder", "--dataset", str(PHOTOS), "--out",
                 str(tmp_path / "bad"), "--recipe", "patch_size=12"]) == 2
    assert "input_shape=12,12,1" in capsys.readouterr().err
    assert main(["train", "dense_autoencoder", "--dataset", str(tmp_path / "nowhere"),
                 "--out", str(tmp_path / "bad2")]) == 2
    assert "neither a dataset name nor a folder" in capsys.readouterr().err


def test_measure_photos_cuts_each_photo_alone_and_pools_the_figures(tmp_path):
    """The unseen-photo figures of a patch model (what its record shows), here on the three
    small photos: per photo and pooled, each photo's patches independent of the others."""
    ae = zoo.load("patch_autoencoder.photos")
    metrics, details = ae.measure_photos(PHOTOS, per_image=300, seed=0)
    names = sorted(p.name for p in PHOTOS.iterdir())
    assert details["files"] == names and details["patches_per_photo"] == 300
    mses = [details["per_photo"][name]["mse"] for name in names]
    assert metrics["test_unseen_photos_photos"] == 3
    assert metrics["test_unseen_photos_examples"] == 900
    # as many patches from each photo: the pooled MSE is the mean of the photos'
    assert metrics["test_unseen_photos_mse"] == pytest.approx(np.mean(mses), rel=1e-5)
    assert [metrics[f"test_unseen_photos_mse_{k}"] for k in ("min", "median", "max")] \
        == pytest.approx([min(mses), np.median(mses), max(mses)])
    assert 0 < metrics["test_unseen_photos_variance_explained"] < 1
    # one photo alone in a folder gets the same patches, so the same figures
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / names[1]).write_bytes((PHOTOS / names[1]).read_bytes())
    _, single = ae.measure_photos(alone, per_image=300, seed=0)
    assert single["per_photo"][names[1]] == pytest.approx(details["per_photo"][names[1]])
    # the MSE is the reconstruction error of patches read, cut and normalised as in training,
    # at places seeded by the seed and the file name
    reader = ae.preprocessor
    rng = np.random.default_rng([0, zlib.crc32(names[1].encode())])
    patches = reader.from_pixels(reader.cut(reader.read_photo(PHOTOS / names[1]), 300, rng))
    by_hand = float(((ae.reconstruct(patches) - patches) ** 2).mean())
    assert single["per_photo"][names[1]]["mse"] == pytest.approx(by_hand, rel=1e-5)
    _, other = ae.measure_photos(alone, per_image=300, seed=1)
    assert other["per_photo"][names[1]]["mse"] != pytest.approx(by_hand, rel=1e-5)
    with pytest.raises(ConfigError, match="for patch models"):
        zoo.load("conv_autoencoder").measure_photos(PHOTOS)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no readable photo"):
        ae.measure_photos(tmp_path / "empty")
    for bad, match in (({"per_image": -3}, "per_image must be between 1"),
                       ({"per_image": 0}, "per_image must be between 1"),
                       ({"per_image": "x"}, "per_image takes a whole number, got 'x'"),
                       ({"per_image": 2.5}, "per_image takes a whole number"),
                       ({"seed": -1}, "seed must be between 0"),
                       ({"seed": True}, "seed takes a whole number")):
        with pytest.raises(ConfigError, match=match):
            ae.measure_photos(PHOTOS, **bad)


def test_prepare_refuses_test_data_and_bad_recipe_settings():
    options = zoo.registry.resolve_options("patch_autoencoder")
    request = DataRequest(dataset="mnist", test_data="x.txt")
    with pytest.raises(ConfigError, match="--test-data is for the text families"):
        Autoencoder.prepare("patch_autoencoder", options, request)
    for setting, message in ((("patch_size", "abc"), "whole number"),
                             (("patches_per_image", 2.5), "whole number"),
                             (("test_fraction", "x"), "must be a number"),
                             (("normalize_patches", "maybe"), "true or false"),
                             (("patch_size", -3), "positive integer")):
        request = DataRequest(dataset=str(PHOTOS), recipe=dict([("patch_size", 12), setting]))
        with pytest.raises(ConfigError, match=message):
            Autoencoder.prepare("patch_autoencoder", options, request)


# -- analysis -------------------------------------------------------------------------------------

def test_first_layer_filters():
    dense = zoo.build("sparse_autoencoder")
    filters = analysis.first_layer_filters(dense)
    assert filters.shape == (256, 28, 28, 1)
    kernel = np.asarray(dense.get_layer("code").kernel)
    np.testing.assert_allclose(filters[7].reshape(-1), kernel[:, 7])
    conv = zoo.build("conv_autoencoder", input_shape=(16, 16, 3))
    filters = analysis.first_layer_filters(conv)
    assert filters.shape == (32, 3, 3, 3)
    grid = analysis.filter_grid(conv, columns=8)
    assert grid.size == (8 * (8 * 4 + 1), 8 * (4 * 4 + 1)) and grid.mode == "RGB"  # 8x enlarged
    gray = analysis.filter_grid(dense)
    assert gray.mode == "L" and gray.size == (16 * 29 + 1, 16 * 29 + 1)
    assert analysis.first_layer_filters(zoo.build("mnist_convnet")).shape == (32, 3, 3, 1)
    pooled = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.AveragePooling2D(2),
                               keras.layers.Flatten(), keras.layers.Dense(4)])
    with pytest.raises(ConfigError, match="reads 16 values, not the 64 pixels"):
        analysis.first_layer_filters(pooled)


def test_top_activating_inputs(digits):
    x = digits[0][:100]
    encoder = encoder_of(zoo.build("dense_autoencoder"))
    codes = analysis.features(encoder, x)
    assert codes.shape == (100, 64)
    top = analysis.top_activating_inputs(encoder, x, k=5, units=[3, 0])
    assert top.units == [3, 0] and top.indices.shape == (2, 5) and top.values.shape == (2, 5)
    for row, unit in enumerate(top.units):
        np.testing.assert_allclose(top.values[row], np.sort(codes[:, unit])[::-1][:5],
                                   rtol=1e-5)
        np.testing.assert_allclose(codes[top.indices[row], unit], top.values[row], rtol=1e-5)
    grid = analysis.top_activation_grid(x, top, scale=1)
    assert grid.size == (5 * 29 + 1, 2 * 29 + 1)
    ranked = analysis.rank_units(codes, 10)
    assert len(ranked) <= 10 and all(codes[:, u].std() > 0 for u in ranked)
    with pytest.raises(ConfigError, match="unit 64 does not exist"):
        analysis.top_activating_inputs(encoder, x, units=[64])


def test_linear_probe_beats_chance(digits):
    x_train, y_train, x_test, y_test = digits
    probe = analysis.linear_probe(analysis.pixels(x_train), y_train, analysis.pixels(x_test),
                                  y_test, l2=1e-3, steps=150)
    assert probe.num_train == 540 and probe.num_test == 200 and probe.num_classes == 10
    assert probe.accuracy > 0.6  # chance is 0.1
    auto = analysis.linear_probe(analysis.pixels(x_train[:200]), y_train[:200],
                                 analysis.pixels(x_test), y_test, steps=40,
                                 l2_grid=(1e-4, 1e-2))
    assert auto.l2 in (1e-4, 1e-2) and auto.accuracy > 0.3
    with pytest.raises(DataError, match="differ in length"):
        analysis.linear_probe(x_train, y_train[:5], x_test, y_test)
