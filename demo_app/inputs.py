"""Reading what users give the demo: uploaded files and drawings, checked before any model sees
them.

An upload is refused with a :class:`zoo.ZooError` whose message says what is wrong when it is
empty, not an image, truncated or damaged, or larger than :data:`MAX_PIXELS` (decompression bombs
are refused from their header, before anything is decoded). Accepted images are fully decoded
(the first frame of an animation; 16-bit grayscale scaled to 8 bits by ``zoo.open_image``), and
downscaled to at most :data:`MAX_SIDE` pixels a side, so a session never holds a large picture;
any mode Pillow reads (CMYK, palette, RGBA...) is left to the task objects' preprocessing.
"""

import streamlit as st
from PIL import Image

import zoo
from zoo.errors import DataError

MAX_UPLOAD_MB = 20
MAX_PIXELS = 40_000_000
MAX_SIDE = 1024
IMAGE_TYPES = "PNG, JPEG, GIF, BMP or WebP"


def read_image(data, name="the file"):
    """Decode the bytes of an uploaded image into a small ``PIL.Image``.

    Raises:
        zoo.ZooError: the file is empty, not an image, damaged, truncated or too large.
    """
    if not data:
        raise DataError(f"{name} is empty (0 bytes); choose an image file ({IMAGE_TYPES})")
    try:  # a picture over MAX_PIXELS is refused from its header, its size and the limit named
        image = zoo.open_image(data, max_pixels=MAX_PIXELS)
    except zoo.ZooError as err:
        raise DataError(str(err).replace("the image", name, 1)) from None
    if max(image.size) > MAX_SIDE:
        image = preview(image)  # a mode Pillow resizes smoothly
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return image


def upload(label, *, key, help=None):
    """A file uploader; the uploaded image as a ``PIL.Image``, ``None`` when there is none.

    A file that is not a usable image shows an error on the page and gives ``None``.
    """
    file = st.file_uploader(label, key=key, help=help or f"{IMAGE_TYPES}, at most "
                            f"{MAX_UPLOAD_MB} MB", max_upload_size=MAX_UPLOAD_MB)
    if file is None:
        return None
    try:
        return read_image(file.getvalue(), name=file.name)
    except zoo.ZooError as err:
        st.error(str(err))
        return None


def preview(image, size=None):
    """An image fit for ``st.image``: RGB, RGBA (transparency kept) or grayscale, and with
    ``size``, scaled to fit a ``size`` x ``size`` box (however thin it is, at least a pixel)."""
    if image.mode not in ("RGB", "RGBA", "L"):
        transparent = "A" in image.getbands() or image.info.get("transparency") is not None
        image = image.convert("RGBA" if transparent else "L" if image.mode == "1" else "RGB")
    if size:
        scale = size / max(image.size)
        image = image.resize((max(1, round(image.width * scale)),
                              max(1, round(image.height * scale))),
                             Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.NEAREST)
    return image
