"""Photo patches: :class:`PatchPreprocessor`, for autoencoders trained on small patches of
photos (Ng's sparse-autoencoder recipe).

A photo is read as in training (its longer side downscaled to ``image_size``, 512 by default),
cut into ``size`` x ``size`` patches (at random places for training, a grid for showing), and
each patch normalised: its mean removed, divided by the training patches' scale, clipped to
[-1, 1] and mapped to [0.1, 0.9] so it fits a sigmoid output. The normalisation is written once
in TensorFlow ops (:meth:`PatchPreprocessor.normalize`) and used by the training data, the
Python path and the graph.

Example:
    >>> import numpy as np
    >>> from zoo.preprocessing import PatchPreprocessor
    >>> patches = PatchPreprocessor(size=[4, 4], color_mode="L", normalization_scale=0.25)
    >>> photo = np.tile(np.arange(0, 240, 10, dtype=np.uint8), (16, 1))[..., None]
    >>> tiles, grid = patches.tiles(photo, grid=2)
    >>> tiles.shape, grid, bool(abs(tiles.mean() - 0.5) < 1e-6)
    ((4, 4, 4, 1), (2, 2), True)
"""

import numpy as np
from PIL import Image, ImageOps
import tensorflow as tf

from zoo import images
from zoo.errors import DataError
from zoo.preprocessing import base
from zoo.preprocessing.image import ImagePreprocessor

DEFAULT_IMAGE_SIZE = 512  # a photo's longer side before it is cut into patches
DEFAULT_PER_IMAGE = 1000  # patches cut from each training photo


def check_config(config, fail):
    """The checks of a ``"patches"`` config."""
    extra = set(config) - {"kind", "size", "color_mode", "scale", "per_image", "image_size",
                           "normalize", "normalization_scale"}
    if extra:
        fail(f"{base.KEY}.{sorted(extra)[0]}", "absent (not a patch preprocessing setting)")
    base.check_image_settings(config, fail)
    size = config["size"]
    if size[0] != size[1] or size[0] > 1024:
        fail(f"{base.KEY}.size", "a square [n, n] patch, n from 1 to 1,024")
    if not base.whole(config.get("per_image", 1), 1, 1_000_000):
        fail(f"{base.KEY}.per_image", "a whole number from 1 to 1,000,000")
    if not (config.get("image_size") is None
            or base.whole(config["image_size"], size[0], base.MAX_IMAGE_SIDE)):
        fail(f"{base.KEY}.image_size", f"null or a whole number from the patch size to "
             f"{base.MAX_IMAGE_SIDE:,}")
    if not isinstance(config.get("normalize", True), bool):
        fail(f"{base.KEY}.normalize", "true or false")
    if not base.positive(config.get("normalization_scale"), none=True):
        fail(f"{base.KEY}.normalization_scale", "null or a positive finite number")


base.CHECKS["patches"] = check_config


def read_photo(source, color_mode="L", image_size=DEFAULT_IMAGE_SIZE):
    """One photo as patch training reads it: uint8 ``(h, w, c)`` in ``color_mode``
    (transparency onto white, EXIF rotation applied), its longer side downscaled (Lanczos) to
    ``image_size`` at most (``None``: kept)."""
    image = ImageOps.exif_transpose(images.flatten_alpha(images.open_image(source)))
    image = image.convert(color_mode)
    if image_size is not None and max(image.size) > int(image_size):
        ratio = int(image_size) / max(image.size)
        image = image.resize((max(1, round(image.width * ratio)),
                              max(1, round(image.height * ratio))), Image.Resampling.LANCZOS)
    array = np.asarray(image, dtype=np.uint8)
    return array[..., None] if array.ndim == 2 else array


class PatchPreprocessor(ImagePreprocessor):
    """Square patches of photos as an autoencoder's float32 input.

    Args:
        size: ``[n, n]``, the patch's side.
        color_mode, scale: as for :class:`~zoo.preprocessing.ImagePreprocessor`.
        per_image: patches cut at random from each training photo.
        image_size: a photo's longer side is downscaled to at most this many pixels before it
            is cut (``None``: kept), as in training.
        normalize: normalise each patch (see the module doc).
        normalization_scale: the scale patches are divided by (3 standard deviations of the
            training patches' pixels once their means are removed); set by the training data.
    """

    kind = "patches"

    def __init__(self, size, color_mode="L", scale=1 / 255, per_image=DEFAULT_PER_IMAGE,
                 image_size=DEFAULT_IMAGE_SIZE, normalize=True, normalization_scale=None):
        super().__init__(size, color_mode=color_mode, scale=scale)
        self.per_image = int(per_image)
        self.image_size = None if image_size is None else int(image_size)
        self.normalize_patches = bool(normalize)
        self.normalization_scale = None if normalization_scale is None \
            else float(normalization_scale)

    def get_config(self):
        return {"color_mode": self.color_mode, "size": list(self.size), "scale": self.scale,
                "per_image": self.per_image, "image_size": self.image_size,
                "normalize": self.normalize_patches,
                "normalization_scale": self.normalization_scale}

    def with_scale(self, normalization_scale):
        """This preprocessor with the normalisation scale the training patches gave."""
        return PatchPreprocessor.from_config(dict(self.get_config(),
                                                  normalization_scale=float(normalization_scale)))

    # -- the graph ----------------------------------------------------------------------------

    def normalize(self, x):
        """Scaled patches (one ``(n, n, c)`` or a batch) normalised, in TensorFlow ops; as they
        are when the preprocessor does not normalise."""
        x = tf.convert_to_tensor(x, tf.float32)
        if not self.normalize_patches:
            return x
        if self.normalization_scale is None:
            raise DataError("the patch normalisation scale is unknown; it comes from the "
                            "training patches (train the model, or load a trained one)")
        centered = x - tf.reduce_mean(x, axis=[-3, -2, -1], keepdims=True)
        return 0.5 + 0.4 * tf.clip_by_value(centered / self.normalization_scale, -1.0, 1.0)

    def graph(self, pixels):
        """One uint8 picture as a normalised patch input (resized to the patch), TF ops."""
        return self.normalize(super().graph(pixels))

    def from_pixels(self, patches):
        """uint8 patches ``(n, size, size, c)`` (cut from photos) as the model's float32 input:
        scaled and normalised by the graph's own ops."""
        return np.asarray(self.normalize(self.rescale(patches)), dtype=np.float32)

    # -- the Python path -----------------------------------------------------------------------

    def __call__(self, pictures, *, notes=False):
        """Pictures (or patches) each resized to the patch size, scaled and normalised, as one
        float32 batch; an already preprocessed float32 batch is returned as it is."""
        shape = self.input_shape
        if isinstance(pictures, np.ndarray) and pictures.ndim == 4 \
                and pictures.dtype == np.float32 and pictures.shape[1:] == shape:
            return super().__call__(pictures, notes=notes)
        batch, found = super().__call__(pictures, notes=True)
        batch = np.asarray(self.normalize(batch), dtype=np.float32)
        return (batch, found) if notes else batch

    def read_photo(self, source):
        """One photo as the training data reads it (:func:`read_photo` with this colour mode
        and ``image_size``)."""
        return read_photo(source, self.color_mode, self.image_size)

    def cut(self, photo, count, rng):
        """``count`` uint8 patches at random places of one ``(h, w, c)`` photo."""
        side = self.size[0]
        height, width = photo.shape[:2]
        if height < side or width < side:
            raise DataError(f"a {width}x{height} image is smaller than a {side}x{side} patch")
        rows = rng.integers(0, height - side + 1, size=count)
        cols = rng.integers(0, width - side + 1, size=count)
        return np.stack([photo[r:r + side, c:c + side] for r, c in zip(rows, cols)])

    def tiles(self, source, *, grid=8):
        """Non-overlapping patches covering the middle of a photo (read as in training, or a
        uint8 ``(h, w, c)`` array already read), at most ``grid`` x ``grid``, as model inputs:
        ``(float32 patches (n, size, size, c), (rows, columns))``."""
        photo = source if isinstance(source, np.ndarray) and source.dtype == np.uint8 \
            and source.ndim == 3 else self.read_photo(source)
        side = self.size[0]
        height, width = photo.shape[:2]
        rows, columns = min(grid, height // side), min(grid, width // side)
        if not rows or not columns:
            raise DataError(f"the photo ({width}x{height} pixels as read) is smaller than one "
                            f"{side}x{side} patch")
        top, left = (height - rows * side) // 2, (width - columns * side) // 2
        patches = np.stack([photo[top + r * side:top + (r + 1) * side,
                                  left + c * side:left + (c + 1) * side]
                            for r in range(rows) for c in range(columns)])
        return self.from_pixels(patches), (rows, columns)
