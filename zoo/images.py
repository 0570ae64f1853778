"""Reading users' images with Pillow: the decoding half of the image preprocessors.

Any file Pillow reads is accepted (PNG, JPEG, GIF, BMP, WebP, ...), in any mode (grayscale,
RGB, RGBA, palette). Files that are missing, not images, truncated or absurdly large are refused
with a :class:`~zoo.errors.DataError` that names the file. :func:`to_pixels` hands the decoded
pixels to :class:`zoo.preprocessing.ImagePreprocessor`, which turns them into model inputs.
"""

import io
import os
import stat
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from zoo.errors import DataError
from zoo._naming import shown

MAX_PIXELS = 64_000_000  # refuse images above 64 megapixels instead of exhausting memory
MIN_SIDE = 8  # a picture narrower or lower than this holds nothing to recognise
FLAT = 8  # a picture whose values span fewer levels (of 255) is one flat colour: no ink
# Measured on the 800 fixture digits (tests/data/mnist_small) through the digit preprocessing:
# the share of "ink" pixels (> 0.5) is 3.2% to 33.4%, the share of grey pixels (0.1 to 0.9)
# 0% to 15.6%. Uniform or Gaussian noise gives 24-26% ink but 49-51% grey; a filled square
# 51% ink. Beyond these bounds the picture is unlike any MNIST digit.
DIGIT_MAX_INK = 0.45
DIGIT_MAX_GREY = 0.25
# where Pillow's getexif finds an orientation (besides a TIFF's own tags): a picture with none
# of these is upright as it is, and skips exif_transpose (a copy of the picture)
ORIENTATION_KEYS = frozenset({"exif", "Raw profile type exif", "XML:com.adobe.xmp", "xmp"})
ACCEPTED = ("a file path, bytes, a binary file object, a PIL image or a NumPy array (HxW, "
            "HxWx1, HxWx3 or HxWx4)")


def _kind(value):
    text = type(value).__name__
    return "None" if value is None else f"a {text} ({value!r})" if isinstance(
        value, (int, float, complex, bool)) else f"a {text}"


def _shown(path):

    return shown(path)


def open_image(source, *, max_pixels=None):
    """Open an image fully decoded.

    Args:
        source: a path, raw bytes, a binary file object, a ``PIL.Image.Image`` or a NumPy array
            (``HxW``, ``HxWx1``, ``HxWx3`` or ``HxWx4``; uint8, or floats in [0, 1]).
        max_pixels: a file declaring more pixels than this (default :data:`MAX_PIXELS`) is
            refused, its size and the limit named, before anything is decoded.

    Returns:
        A loaded ``PIL.Image.Image``.
    """
    if isinstance(source, Image.Image):
        return to_8bit(source)
    if isinstance(source, np.ndarray):
        return _from_array(source)
    name, max_pixels = "the image", MAX_PIXELS if max_pixels is None else max_pixels
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(source))
    elif isinstance(source, (str, os.PathLike)):
        name = _shown(source)
        if not os.path.isfile(source):
            what = ("a directory" if os.path.isdir(source) else
                    "not a regular file (a device or a pipe)" if os.path.exists(source) else
                    "no such file")
            raise DataError(f"{name}: {what}; give the path of an image file")
    elif not (hasattr(source, "read") and hasattr(source, "seek")):
        raise DataError(f"an image must be {ACCEPTED}, got {_kind(source)}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(source)
            if image.size[0] * image.size[1] > max_pixels:
                raise DataError(_too_large(name, image.size, max_pixels))
            image.load()
    except DataError:
        raise
    except UnidentifiedImageError:
        raise DataError(f"{name}: not an image file that Pillow can read "
                        "(use PNG, JPEG, GIF, BMP or WebP)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DataError(_too_large(name, _declared_size(source), max_pixels)) from None
    except (OSError, SyntaxError, ValueError) as err:
        raise DataError(f"{name}: the image file is damaged or truncated ({err})") from None
    return to_8bit(image)


def nonempty_file(path):
    """``path``, or a :class:`DataError` if it names an empty file (which Pillow would call
    "not an image")."""
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return path  # open_image says what is wrong
    if stat.S_ISREG(found.st_mode) and found.st_size == 0:
        raise DataError(f"{_shown(path)}: an empty file")
    return path


def read_error(path, err):
    """The one-line message for an image file that could not be read: a :class:`DataError`'s
    own, or an ``OSError`` / ``ValueError`` with the file named."""
    if isinstance(err, DataError):
        return str(err)
    return f"{_shown(path)}: {getattr(err, 'strerror', None) or err}"


def read_each(paths, load):
    """Files read one by one by ``load(path)``: ``(values, errors)``, the values of the files
    that could be read, in order, and for every path ``""`` or the one-line message saying why
    it could not be (missing, empty, not an image, damaged, too large...; see
    :func:`read_error`)."""
    values, errors = [], []
    for path in paths:
        try:
            values.append(load(nonempty_file(path)))
            errors.append("")
        except (DataError, OSError, ValueError) as err:
            errors.append(read_error(path, err))
    return values, errors


def _too_large(name, size, limit):
    shown_size = f"{size[0]}x{size[1]} pixels" if size else "the image"
    return (f"{name}: {shown_size} is too large (limit {limit:,} pixels, "
            f"{limit / 1e6:g} megapixels); downscale it first")


def _declared_size(source):
    """The ``(width, height)`` a file's header declares (``None`` if no format reads it), read as
    ``Image.open`` reads it but without the decompression-bomb check, which refuses a huge
    picture before saying its size."""
    file = open(source, "rb") if isinstance(source, (str, os.PathLike)) else source
    try:
        file.seek(0)
        prefix = file.read(16)
        Image.init()
        for kind in Image.ID:
            factory, accept = Image.OPEN[kind]
            fits = accept is None or accept(prefix)
            if fits and not isinstance(fits, str):
                try:
                    file.seek(0)
                    return factory(file, "").size
                except Exception:  # noqa: BLE001  (not this format: try the next)
                    continue
        return None
    finally:
        if file is not source:
            file.close()


def to_8bit(image):
    """A 16-bit or 32-bit grayscale image (Pillow modes ``I;16*``, ``I``, ``F``) scaled to 8-bit
    ``L``; any other image as it is. (Pillow's own conversion clips every value above 255, so a
    16-bit PNG would turn almost white.) 16-bit data is divided by 257; ``I`` and ``F`` data by
    the top of its range: 1 (floats), 255, 65535 or its largest value."""
    if image.mode not in ("I", "F") and not image.mode.startswith("I;16"):
        return image
    array = np.asarray(image, dtype=np.float64)
    top = float(array.max()) if array.size else 0.0
    if image.mode.startswith("I;16") or 255 < top <= 65535:
        array = array / 257.0
    elif top > 65535:
        array = array * (255.0 / top)
    elif image.mode == "F" and top <= 1.0:
        array = array * 255.0
    return Image.fromarray(np.clip(np.rint(array), 0, 255).astype(np.uint8))


def _from_array(array):
    """An image from an array, with the same size limit as files; uint8 as it is, bool and
    other numbers read as [0, 1] floats (NaN as 0, infinities clipped)."""
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise DataError(f"an image array must be HxW, HxWx1, HxWx3 or HxWx4, got {array.shape}")
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise DataError(f"an image array needs at least one pixel, got {array.shape}")
    if array.shape[0] * array.shape[1] > MAX_PIXELS:
        raise DataError(f"the image array: {array.shape[1]}x{array.shape[0]} pixels is too "
                        f"large (limit {MAX_PIXELS:,}); downscale it first")
    if array.dtype.kind not in "biuf":
        raise DataError(f"an image array must hold numbers (uint8, or floats in [0, 1]), got "
                        f"dtype {array.dtype}")
    if array.dtype != np.uint8:
        floats = np.nan_to_num(np.asarray(array, dtype="float32"), nan=0.0, posinf=1.0,
                               neginf=0.0)
        array = np.clip(floats * 255.0 + 0.5, 0, 255).astype("uint8")
    return Image.fromarray(array)


def flatten_alpha(image, background=(255, 255, 255)):
    """Composite a transparent image onto a solid background (white by default)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, background + (255,))
        return Image.alpha_composite(canvas, rgba).convert("RGB")
    return image


def to_pixels(source, color_mode="RGB"):
    """One image as its uint8 pixels ``(H, W, C)`` for the preprocessors' graph: C = 1 (grey),
    2 (grey and alpha), 3 (RGB) or 4 (RGBA), rotated as its EXIF orientation says. Palette,
    bilevel, CMYK and other modes are converted to one of these; a mode Pillow cannot convert
    (LAB, ...) is a :class:`DataError` saying to save the picture as RGB or grayscale.

    Args:
        source: anything :func:`open_image` accepts.
        color_mode: the model's mode (``"L"`` or ``"RGB"``), named in the error.
    """
    image = open_image(source)
    try:
        if hasattr(image, "tag_v2") or not ORIENTATION_KEYS.isdisjoint(image.info):
            image = ImageOps.exif_transpose(image)
        if image.mode == "P":
            image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        elif image.mode == "1":
            image = image.convert("L")
        elif image.mode == "PA":
            image = image.convert("RGBA")
        elif image.mode not in ("L", "LA", "RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.mode else "RGB")
    except (ValueError, OSError) as err:  # a mode Pillow cannot convert (LAB, La, ...)
        raise DataError(f"an image in mode {image.mode} cannot be read as {color_mode} ({err}); "
                        "save it as an RGB or grayscale PNG or JPEG") from None
    array = np.asarray(image, dtype=np.uint8)
    return array[..., None] if array.ndim == 2 else array


def empty_note(width, height, spread):
    """Why a picture of ``width`` x ``height`` pixels whose values (in the model's colour mode,
    0-255) span ``spread`` holds nothing to classify: too small, or one flat colour (all black,
    all white, fully transparent); else ``None``."""
    if min(width, height) < MIN_SIDE:
        return f"the picture is empty: {width}x{height} pixels is too small to hold anything"
    if int(spread) < FLAT:
        return "the picture is empty: one flat colour, no ink"
    return None


def input_note(array, *, center_glyph=False):
    """What is odd about a model input (an array a preprocessor made): ``(empty, note)``.
    Empty: all one value. For digit models (``center_glyph``), a note when the share of ink or
    of grey pixels is beyond any MNIST digit's (noise, a photo, a filled shape)."""
    array = np.asarray(array, dtype=np.float32)
    if array.size == 0 or float(array.max() - array.min()) < FLAT / 255:
        return True, "the picture is empty: one flat colour, no ink"
    if center_glyph:
        ink = np.count_nonzero(array > 0.5) / array.size
        grey = np.count_nonzero((array > 0.1) & (array < 0.9)) / array.size
        if ink > DIGIT_MAX_INK or grey > DIGIT_MAX_GREY:
            return False, (f"the picture does not look like a handwritten digit ({ink:.0%} ink, "
                           f"{grey:.0%} grey; MNIST digits have at most 33% and 16%): noise or "
                           "a photo? The answer is a guess")
    return False, None
