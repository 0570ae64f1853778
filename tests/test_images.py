"""Users' image files: every mode converted, bad files refused with a clear error."""

import os

import numpy as np
import pytest
from PIL import Image

from zoo import images
from zoo.errors import DataError
from zoo.preprocessing import ImagePreprocessor

MNIST_STYLE = {"color_mode": "L", "size": [28, 28], "scale": 1 / 255,
               "invert_light_background": True, "center_glyph": True}
RGB_32 = {"color_mode": "RGB", "size": [32, 32], "scale": 1 / 255}


def _model_input(source, settings):
    """One picture through the image preprocessor of ``settings``."""
    return ImagePreprocessor.from_config(settings)([source])[0]


def _digit_one(light_background, mode="L", size=(100, 140)):
    """A thick vertical stroke, like a hand-drawn '1'."""
    ink, paper = (0, 255) if light_background else (255, 0)
    array = np.full(size[::-1], paper, dtype=np.uint8)
    array[20:120, 40:60] = ink
    return Image.fromarray(array).convert(mode)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P", "1", "I;16"])
def test_every_mode_becomes_the_model_input(mode, tmp_path):
    path = tmp_path / f"digit_{mode.replace(';', '')}.png"
    _digit_one(light_background=True, mode=mode).save(path)
    for preprocessing, shape in ((MNIST_STYLE, (28, 28, 1)), (RGB_32, (32, 32, 3))):
        array = _model_input(path, preprocessing)
        assert array.shape == shape and array.dtype == np.float32
        assert 0.0 <= array.min() and array.max() <= 1.0


def test_dark_ink_on_white_is_inverted_and_centred_like_mnist():
    dark_on_light = _model_input(_digit_one(True), MNIST_STYLE)[..., 0]
    light_on_dark = _model_input(_digit_one(False), MNIST_STYLE)[..., 0]
    np.testing.assert_allclose(dark_on_light, light_on_dark, atol=1e-6)
    assert dark_on_light[0].max() == 0.0  # background is black, as in MNIST
    ys, xs = np.nonzero(dark_on_light > 0.5)
    assert ys.max() - ys.min() + 1 <= 20  # the glyph fits MNIST's 20x20 box
    assert abs(ys.mean() - 14) <= 1.5 and abs(xs.mean() - 14) <= 1.5


def test_transparent_png_is_composited_on_white():
    rgba = np.zeros((40, 40, 4), dtype=np.uint8)  # fully transparent...
    rgba[10:30, 18:22] = (0, 0, 0, 255)  # ...with an opaque black stroke
    array = _model_input(Image.fromarray(rgba, "RGBA"), MNIST_STYLE)[..., 0]
    assert array[0, 0] == 0.0 and array.max() > 0.9


@pytest.mark.parametrize("suffix", ["jpg", "png"])
def test_a_picture_turned_by_its_exif_orientation_is_read_upright(suffix, tmp_path):
    """EXIF Orientation 6 (the camera held sideways: turn the stored picture a quarter
    clockwise to see it): a JPEG's or a PNG's tag is found (zoo.images.ORIENTATION_KEYS) and
    the picture read upright, by the file reader and the batch reader alike."""
    upright = np.zeros((48, 32, 3), np.uint8)
    upright[:12] = (255, 0, 0)  # tall, a red band on top
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    path = tmp_path / f"turned.{suffix}"
    Image.fromarray(np.ascontiguousarray(np.rot90(upright))).save(path, exif=exif)
    stored = np.asarray(Image.open(path).convert("RGB"))  # as decoded: 32 high, band on the left
    assert stored.shape == (32, 48, 3)
    got = images.to_pixels(str(path))
    np.testing.assert_array_equal(got, np.rot90(stored, k=-1))
    assert got[:12, :, 0].mean() > 200 and got[-12:, :, 0].mean() < 50  # the band on top
    preprocessor = ImagePreprocessor.from_config(RGB_32)
    batch, _, errors = preprocessor.read_files([str(path)])
    assert errors == [""]
    np.testing.assert_array_equal(batch, preprocessor([got]))


def test_arrays_and_bytes_are_accepted(tmp_path):
    path = tmp_path / "x.png"
    _digit_one(False).save(path)
    from_path = _model_input(path, RGB_32)
    from_bytes = _model_input(path.read_bytes(), RGB_32)
    from_array = _model_input(np.asarray(Image.open(path)), RGB_32)
    np.testing.assert_allclose(from_path, from_bytes)
    np.testing.assert_allclose(from_path, from_array)
    with pytest.raises(DataError, match="HxW"):
        images.open_image(np.zeros((2, 3, 4, 5)))


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        images.open_image(tmp_path / "nothing.png")
    with pytest.raises(DataError, match="a directory; give the path of an image file"):
        images.open_image(tmp_path)
    if hasattr(os, "mkfifo"):  # a pipe is named as one, and never opened (opening would block)
        os.mkfifo(tmp_path / "pipe.png")
        with pytest.raises(DataError, match="pipe.png: not a regular file"):
            images.open_image(tmp_path / "pipe.png")


def test_not_an_image(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is text, not a picture")
    with pytest.raises(DataError, match="notes.png: not an image file"):
        images.open_image(path)


def test_truncated_image(tmp_path):
    path = tmp_path / "photo.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(
        path, quality=95)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="damaged or truncated"):
        images.open_image(path)


def test_very_large_image_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 100 * 100)
    path = tmp_path / "big.png"
    Image.new("L", (101, 100)).save(path)
    with pytest.raises(DataError, match="101x100 pixels is too large"):
        images.open_image(path)
    Image.new("L", (100, 100)).save(path)
    assert images.open_image(path).size == (100, 100)


def test_a_decompression_bomb_is_refused_naming_its_size_and_the_limit(tmp_path):
    # 1-bit, 20000 x 20000: 400 megapixels, past Pillow's own bomb limit (which refuses before
    # saying the size); refused from the header, nothing decoded
    path = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000)).save(path)
    with pytest.raises(DataError, match=r"bomb.png: 20000x20000 pixels is too large \(limit "
                                        r"64,000,000 pixels"):
        images.open_image(path)
    with pytest.raises(DataError, match=r"the image: 20000x20000 pixels .* \(limit 1,000 pix"):
        images.open_image(path.read_bytes(), max_pixels=1000)
