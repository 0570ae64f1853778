"""Images: :class:`ImagePreprocessor`, from a picture (file, bytes, PIL image, array) to the
model's float32 input.

The numeric transform is written once, in TensorFlow ops (:meth:`ImagePreprocessor.graph`):
transparency flattened onto white, the colour mode (Pillow's own ITU-R 601-2 luma for ``"L"``),
a dark-on-light drawing inverted for light-on-dark data, padding to a square, the ink centred
like an MNIST digit, the resize to the model's size and the scale. Exported SavedModels and
``tf.data`` pipelines run it in their graphs; the Python path (:meth:`ImagePreprocessor.__call__`)
decodes with Pillow (any format, EXIF rotation, 16-bit, the size limits of :mod:`zoo.images`)
and runs the same ops as one compiled function, so the two cannot drift.

Example:
    >>> import numpy as np
    >>> from zoo.preprocessing import ImagePreprocessor
    >>> digits = ImagePreprocessor(size=[28, 28], color_mode="L", invert_light_background=True,
    ...                            center_glyph=True)
    >>> drawing = np.full((60, 40), 255, np.uint8); drawing[10:50, 15:22] = 0  # dark on light
    >>> batch = digits([drawing])
    >>> batch.shape, batch.dtype, float(batch.max()) <= 1.0
    ((1, 28, 28, 1), dtype('float32'), True)
    >>> ImagePreprocessor.from_config(digits.get_config()) == digits
    True
"""

import collections
import functools

import numpy as np
import tensorflow as tf

from zoo import images
from zoo.errors import DataError
from zoo.preprocessing import base

BOX = 20  # an MNIST digit's ink fits a 20x20 box, centred by its mass in 28x28


def check_config(config, fail):
    """The checks of an ``"image"`` config (see
    :func:`zoo.preprocessing.base.check_preprocessor`)."""
    extra = set(config) - {"kind", "size", "color_mode", "scale", "invert_light_background",
                           "center_glyph", "pad_to_square"}
    if extra:
        fail(f"{base.KEY}.{sorted(extra)[0]}", "absent (not an image preprocessing setting)")
    base.check_image_settings(config, fail)


base.CHECKS["image"] = check_config


class ImagePreprocessor(base.Preprocessor):
    """A picture as the model's float32 input ``(height, width, channels)``.

    Args:
        size: ``[height, width]`` of the model's input.
        color_mode: ``"L"`` (grayscale, one channel) or ``"RGB"``.
        scale: multiplies the 0-255 pixel values (``1/255``: inputs in [0, 1]).
        invert_light_background: the data is light on dark, so a picture whose border is
            mostly light (a dark drawing on white) is inverted (grayscale only).
        center_glyph: crop the ink, scale its longer side to 20 pixels and put its centre of
            mass at the centre, as MNIST's digits were made (grayscale, square sizes).
        pad_to_square: pad a non-square picture to a square before resizing (white, or black
            for light-on-dark data), so its objects keep their proportions.
    """

    kind = "image"

    def __init__(self, size, color_mode="RGB", scale=1 / 255, invert_light_background=False,
                 center_glyph=False, pad_to_square=False):
        self.size = [int(size[0]), int(size[1])]
        self.color_mode = str(color_mode)
        self.scale = float(scale)
        self.invert_light_background = bool(invert_light_background)
        self.center_glyph = bool(center_glyph)
        self.pad_to_square = bool(pad_to_square)
        self._function = None

    def get_config(self):
        return {"color_mode": self.color_mode, "size": list(self.size), "scale": self.scale,
                "invert_light_background": self.invert_light_background,
                "center_glyph": self.center_glyph, "pad_to_square": self.pad_to_square}

    @property
    def channels(self):
        return 1 if self.color_mode == "L" else 3

    @property
    def input_shape(self):
        """The model input's shape: ``(height, width, channels)``."""
        return (self.size[0], self.size[1], self.channels)

    def check_fits(self, shape, model_name, where):
        """Refuse a model input ``shape`` (``(height, width, channels)``, ``None`` allowed) this
        preprocessing does not make: a :class:`DataError` naming both."""
        height, width, channels = shape
        if None not in (height, width) and list(self.size) != [height, width]:
            raise DataError(f"{where}: {base.KEY}.size {list(self.size)} does not fit the model "
                            f"{model_name!r}, which takes {height}x{width} images; set it to "
                            f"[{height}, {width}] (the size it was trained at)")
        if channels is not None and channels != self.channels:
            fits = {1: '"L"', 3: '"RGB"'}.get(channels, f"{channels} channels")
            raise DataError(f"{where}: {base.KEY}.color_mode {self.color_mode!r} makes "
                            f"{self.channels} channel(s) but the model {model_name!r} takes "
                            f"{channels}; set it to {fits}")

    # -- the graph: the one definition of the transform ---------------------------------------

    def rescale(self, pixels):
        """0-255 pixel values (any shape, a tensor or an array) as the model's float32 values
        (TensorFlow ops; training pipelines map it over their uint8 batches)."""
        return tf.cast(pixels, tf.float32) * self.scale

    def graph_pixels(self, pixels):
        """One uint8 picture ``(H, W, C)``, C = 1 to 4 (grey, grey + alpha, RGB, RGBA), as the
        model's pixels before scaling: float32 ``(height, width, channels)`` holding whole
        numbers 0-255; and the spread (max - min) of the picture in the colour mode, for the
        empty-picture note. TensorFlow ops."""
        height, width = self.size
        x = tf.cast(pixels, tf.float32)
        channels = tf.shape(x)[-1]
        has_alpha = tf.logical_or(tf.equal(channels, 2), tf.equal(channels, 4))
        alpha = tf.cond(has_alpha, lambda: x[..., -1:] / 255.0, lambda: tf.ones_like(x[..., :1]))
        color = tf.cond(channels >= 3, lambda: x[..., :3], lambda: tf.tile(x[..., :1], [1, 1, 3]))
        rgb = tf.round(color * alpha + 255.0 * (1.0 - alpha))  # transparency onto white
        if self.color_mode == "L":
            # Pillow's ITU-R 601-2 luma, in its fixed-point weights
            luma = (rgb[..., 0] * 19595.0 + rgb[..., 1] * 38470.0 + rgb[..., 2] * 7471.0)
            img = tf.floor(luma / 65536.0 + 0.5)[..., None]
        else:
            img = rgb
        spread = tf.reduce_max(img) - tf.reduce_min(img)
        if self.pad_to_square:
            img = _pad_to_square(img, 0.0 if self.invert_light_background else 255.0)
        if self.color_mode == "L" and self.invert_light_background:
            img = tf.cond(_border_median(img) > 127.5, lambda: 255.0 - img, lambda: img)
        if self.color_mode == "L" and self.center_glyph and height == width:
            img = _fit_digit(img, height)
        shape = tf.shape(img)
        img = tf.cond(tf.logical_and(tf.equal(shape[0], height), tf.equal(shape[1], width)),
                      lambda: img,
                      lambda: tf.clip_by_value(tf.round(tf.image.resize(
                          img, (height, width), method="bilinear", antialias=True)), 0.0, 255.0))
        return tf.ensure_shape(img, self.input_shape), spread

    def graph(self, pixels):
        """One uint8 picture ``(H, W, C)`` (C = 1 to 4) as the model's float32 input, in
        TensorFlow ops: for ``tf.data.Dataset.map`` and exported graphs (EXIF rotation aside)."""
        return self.rescale(self.graph_pixels(pixels)[0])

    def graph_bytes(self, data):
        """One encoded image file (a scalar string tensor: PNG, JPEG, GIF, BMP) as the model's
        input, decoded in the graph."""
        decoded = tf.io.decode_image(data, channels=0, dtype=tf.uint8, expand_animations=False)
        return self.graph(decoded)

    def _compiled(self):
        """The graph as one compiled function (traced once for any picture size)."""
        if self._function is None:
            def run(pixels):
                found, spread = self.graph_pixels(pixels)
                return found, self.rescale(found), spread

            traced = tf.function(run, input_signature=[
                tf.TensorSpec((None, None, None), tf.uint8)], autograph=False)
            # the concrete function: called directly, it skips the signature matching (a third
            # of the call's cost on a small picture)
            self._function = (traced, traced.get_concrete_function())
        return self._function[1]

    def numpy_pixels(self, pictures):
        """:meth:`graph_pixels` for a batch of uint8 pictures of one shape ``(N, H, W, C)``
        (C = 1 to 4), in NumPy (the same numbers; see the note above :func:`_resize_window`):
        ``(float32 (N, height, width, channels), float32 spreads (N,))``."""
        height, width = self.size
        x = np.asarray(pictures).astype(np.float32)
        channels = x.shape[-1]
        color = x[..., :3] if channels >= 3 else x[..., :1]
        if channels in (2, 4):  # transparency onto white
            alpha = x[..., -1:] / np.float32(255.0)
            color = np.round(color * alpha + np.float32(255.0) * (np.float32(1.0) - alpha))
        if self.color_mode == "L":
            if color.shape[-1] == 3:  # Pillow's luma, exact in integers
                whole = color.astype(np.int64)
                luma = (whole[..., 0] * 19595 + whole[..., 1] * 38470 + whole[..., 2] * 7471
                        + 32768) >> 16
                img = luma[..., None].astype(np.float32)
            else:
                img = color  # a grey picture is its own luma
        else:
            img = color if color.shape[-1] == 3 else np.repeat(color, 3, axis=-1)
        spread = img.max(axis=(1, 2, 3)) - img.min(axis=(1, 2, 3))
        if self.pad_to_square and img.shape[1] != img.shape[2]:
            side = max(img.shape[1], img.shape[2])
            top, left = (side - img.shape[1]) // 2, (side - img.shape[2]) // 2
            img = np.pad(img, [(0, 0), (top, side - img.shape[1] - top),
                               (left, side - img.shape[2] - left), (0, 0)],
                         constant_values=0.0 if self.invert_light_background else 255.0)
        if self.color_mode == "L" and self.invert_light_background:
            light = _numpy_border_median(img) > 127.5
            img = np.where(light[:, None, None, None], np.float32(255.0) - img, img)
        if self.color_mode == "L" and self.center_glyph and height == width:
            img = _numpy_fit_digit(img, height)
        if img.shape[1:3] != (height, width):
            img = _numpy_resize(img, height, width, "bilinear")
        return img.astype(np.float32), spread.astype(np.float32)

    # -- the Python path -----------------------------------------------------------------------

    def transform(self, pictures):
        """Decoded uint8 pictures (a list of ``(H, W, C)`` arrays, C = 1 to 4) as the model's
        float32 inputs: ``(batch (n, height, width, channels), spreads)``, the spread of each
        picture in the colour mode (for :func:`zoo.images.empty_note`). Pictures of one shape
        run together in NumPy (:meth:`numpy_pixels`); large ones (photos) run the compiled
        graph one by one."""
        found, spreads, _ = self._transform(pictures)
        return found * np.float32(self.scale), spreads

    def _transform(self, pictures):
        """:meth:`transform` before the scale: decoded pictures (any iterable, taken one at a
        time) as ``(pixels, spreads, shapes)`` (see :meth:`_finish`)."""
        return self._finish([self._start(picture) for picture in pictures])

    def _start(self, picture):
        """One decoded picture on its way to :meth:`_finish`: a large one (a photo, above
        :data:`NUMPY_MAX_PIXELS`) runs the compiled graph now and only its small output is
        kept (a reader need not hold every full-size photo of a batch); a small one is kept as
        it is, to run in NumPy with the pictures of its shape."""
        if picture.shape[0] * picture.shape[1] <= NUMPY_MAX_PIXELS:
            return picture
        pixels, _, spread = self._compiled()(tf.constant(picture))
        return _Transformed(pixels.numpy(), spread.numpy(), picture.shape)

    def _finish(self, started):
        """What :meth:`_start` gave, as ``(pixels, spreads, shapes)``: the model's pixels
        before scaling ``(n, height, width, channels)``, each picture's spread and its decoded
        shape ``(H, W, C)``."""
        found = np.zeros((len(started),) + self.input_shape, np.float32)
        spreads = np.zeros(len(started), np.float32)
        groups = {}
        for index, item in enumerate(started):
            if isinstance(item, _Transformed):
                found[index], spreads[index] = item.pixels, item.spread
            else:
                groups.setdefault(item.shape, []).append(index)
        for indices in groups.values():
            stack = started[indices[0]][None] if len(indices) == 1 else \
                np.stack([started[i] for i in indices])
            found[indices], spreads[indices] = self.numpy_pixels(stack)
        return found, spreads, [item.shape for item in started]

    def _notes(self, shapes, batch, spreads):
        notes = []
        for shape, row, spread in zip(shapes, batch, spreads):
            blank = images.empty_note(shape[1], shape[0], spread)
            notes.append((True, blank) if blank else
                         images.input_note(row, center_glyph=self.center_glyph))
        return notes

    def read(self, source):
        """One picture (anything :func:`zoo.images.open_image` takes) as ``(array, empty,
        note)``: the float32 model input, whether the picture is empty, and a note for the user
        (``None`` when all is well; see :func:`zoo.images.empty_note`,
        :func:`zoo.images.input_note`)."""
        batch, notes = self([source], notes=True)
        return (batch[0], *notes[0])

    def read_files(self, paths):
        """Image files as ``(batch, notes, errors)``: the model inputs and notes (see
        :meth:`read`) of the files that could be read, and for every path ``""`` or the
        one-line message saying why it could not be (missing, empty, not an image, damaged,
        too large...)."""
        started, errors = images.read_each(
            paths, lambda path: self._start(images.to_pixels(path, self.color_mode)))
        if not started:
            return np.zeros((0,) + self.input_shape, np.float32), [], errors
        found, spreads, shapes = self._finish(started)
        batch = found * np.float32(self.scale)
        return batch, self._notes(shapes, batch, spreads), errors

    def pixels(self, source):
        """One picture as the model's uint8 pixels ``(height, width, channels)``, before
        scaling (what image datasets store)."""
        found, _, _ = self._transform([images.to_pixels(source, self.color_mode)])
        return found[0].astype(np.uint8)

    def __call__(self, pictures, *, notes=False):
        """A list of pictures (or one) as one float32 batch ``(n, height, width, channels)``.

        A float32 array that already has the batch shape is returned as it is. ``notes=True``
        returns ``(batch, [(empty, note), ...])`` (see :meth:`read`; for an already
        preprocessed batch, :func:`zoo.images.input_note` of each row).
        """
        shape = self.input_shape
        if isinstance(pictures, np.ndarray) and pictures.ndim == 4 \
                and pictures.dtype == np.float32 and pictures.shape[1:] == shape:
            return (pictures, [images.input_note(row, center_glyph=self.center_glyph)
                               for row in pictures]) if notes else pictures
        if not isinstance(pictures, (list, tuple)):
            pictures = [pictures]
        if not pictures:
            raise DataError("no images given; give at least one image")
        found, spreads, shapes = self._transform(images.to_pixels(picture, self.color_mode)
                                                 for picture in pictures)
        batch = found * np.float32(self.scale)
        return (batch, self._notes(shapes, batch, spreads)) if notes else batch


def _border_median(img):
    border = tf.concat([img[0, :, 0], img[-1, :, 0], img[:, 0, 0], img[:, -1, 0]], 0)
    ordered = tf.sort(border)
    n = tf.size(ordered)
    return (ordered[(n - 1) // 2] + ordered[n // 2]) / 2.0


def _pad_to_square(img, fill):
    """Pad ``img`` (H, W, C) with ``fill`` to a square, the picture in the middle."""
    shape = tf.shape(img)
    height, width = shape[0], shape[1]
    side = tf.maximum(height, width)
    top, left = (side - height) // 2, (side - width) // 2
    return tf.pad(img, [[top, side - height - top], [left, side - width - left], [0, 0]],
                  constant_values=fill)


def _fit_digit(img, size, box=BOX):
    """Centre a light-on-dark glyph the way MNIST does: the ink cropped to its bounding box,
    scaled (Lanczos) so its longer side is ``box`` pixels, and pasted with its centre of mass at
    the centre of a ``size`` square. A picture without ink is resized as it is."""
    plane = img[..., 0]
    threshold = 0.1 * tf.maximum(tf.reduce_max(plane), 1.0)
    ink = plane > threshold
    rows = tf.where(tf.reduce_any(ink, axis=1))[:, 0]
    cols = tf.where(tf.reduce_any(ink, axis=0))[:, 0]

    def lanczos(x, h, w):
        return tf.clip_by_value(tf.round(tf.image.resize(x, tf.stack([h, w]), method="lanczos3",
                                                         antialias=True)), 0.0, 255.0)

    def empty():
        return lanczos(img, tf.constant(size), tf.constant(size))

    def glyph():
        top, bottom = tf.cast(rows[0], tf.int32), tf.cast(rows[-1], tf.int32) + 1
        left, right = tf.cast(cols[0], tf.int32), tf.cast(cols[-1], tf.int32) + 1
        crop = img[top:bottom, left:right]
        h, w = tf.cast(bottom - top, tf.float64), tf.cast(right - left, tf.float64)
        scale = box / tf.maximum(h, w)
        nh = tf.maximum(1, tf.cast(tf.round(h * scale), tf.int32))
        nw = tf.maximum(1, tf.cast(tf.round(w * scale), tf.int32))
        g = lanczos(crop, nh, nw)
        weights = tf.cast(g[..., 0], tf.float64)
        total = tf.reduce_sum(weights)
        total = tf.where(total > 0, total, 1.0)
        cy = tf.reduce_sum(tf.reduce_sum(weights, 1) * tf.range(nh, dtype=tf.float64)) / total
        cx = tf.reduce_sum(tf.reduce_sum(weights, 0) * tf.range(nw, dtype=tf.float64)) / total
        oy = tf.cast(tf.round(size / 2 - cy), tf.int32)
        ox = tf.cast(tf.round(size / 2 - cx), tf.int32)
        g = g[tf.maximum(-oy, 0):, tf.maximum(-ox, 0):]
        top, left = tf.clip_by_value(oy, 0, size), tf.clip_by_value(ox, 0, size)
        g = g[:size - top, :size - left]
        gh, gw = tf.shape(g)[0], tf.shape(g)[1]
        return tf.pad(g, [[top, size - top - gh], [left, size - left - gw], [0, 0]])

    return tf.cond(tf.size(rows) > 0, glyph, empty)


# -- the same transform in NumPy, for batches ---------------------------------------------------
#
# The graph above is the definition. Running it costs about a millisecond a picture (some eighty
# small ops, each dispatched on its own), ten times the model's time for a small digit, so a
# batch of pictures of one shape, or one picture, is transformed here in NumPy instead, op for op
# in the same float32 (or exact integer) arithmetic. The one part NumPy cannot redo from a
# formula is TensorFlow's antialiased resize: its weights are read from TensorFlow itself
# (:func:`_resize_window`) and applied in the kernel's own order (rows, then columns, each a sum
# over the source pixels in ascending order), so the results are the same numbers bit for bit.
# tests/test_preprocessing.py compares the two on every fixture picture.

NUMPY_MAX_PIXELS = 128 * 128  # larger pictures (photos) run the graph: a resize there is cheap


class _Transformed(collections.namedtuple("_Transformed", "pixels spread shape")):
    """A large picture already through the graph (see :meth:`ImagePreprocessor._start`)."""


@functools.lru_cache(maxsize=4096)
def _resize_window(source, target, method):
    """TensorFlow's antialiased ``method`` resize from ``source`` pixels to ``target``, as
    windows: ``(first, weights)``, output ``i`` being the sum over ``k`` (ascending) of
    ``weights[i, k] * x[first[i] + k]`` (zeros past each window's end). The weights are read
    from TensorFlow by resizing each unit pixel."""
    unit = np.eye(source, dtype=np.float32)[:, :, None, None]  # picture k: 1 at row k
    dense = tf.image.resize(unit, (target, 1), method=method, antialias=True).numpy()
    dense = dense[:, :, 0, 0].T  # (target, source)
    nonzero = dense != 0
    used = nonzero.any(axis=1)
    first = np.where(used, nonzero.argmax(axis=1), 0)
    last = np.where(used, source - 1 - nonzero[:, ::-1].argmax(axis=1), 0)
    weights = np.zeros((target, int((last - first).max()) + 1), np.float32)
    for i in range(target):
        weights[i, :last[i] - first[i] + 1] = dense[i, first[i]:last[i] + 1]
    return first, weights


def _windows(lengths, targets, offsets, outputs, method):
    """The resize windows of each picture n, from ``lengths[n]`` source pixels starting at
    ``offsets[n]`` to ``targets[n]``, padded to ``outputs`` (zero weights): ``(starts (N,
    outputs), weights (N, outputs, K))``."""
    found = [_resize_window(int(length), int(target), method)
             for length, target in zip(lengths, targets)]
    starts = np.zeros((len(found), outputs), np.int64)
    weights = np.zeros((len(found), outputs, max(w.shape[1] for _, w in found)), np.float32)
    for n, ((first, window), offset) in enumerate(zip(found, offsets)):
        starts[n, :len(first)] = first + offset
        weights[n, :window.shape[0], :window.shape[1]] = window
    return starts, weights


def _gather(planes, rows, cols):
    """The resize of each plane ``(N, H, W)`` by its row windows, then its column windows (see
    :func:`_windows`), summed as TensorFlow's kernel sums: float32, each product rounded and
    added in the order of the source pixels (the zero weights around a window add nothing).

    (NumPy adds along an axis that is not the innermost one slice after another, in order;
    along the innermost it would add in pairs, another rounding.)"""
    count, height, width = planes.shape
    if count > 1:  # the same sums a window position at a time: less memory for a batch
        return _gather_batch(planes, rows, cols)
    pictures = np.arange(count)[:, None, None]
    starts, weights = rows
    source = np.minimum(starts[:, :, None] + np.arange(weights.shape[2]), height - 1)
    between = (weights[..., None] * planes[pictures, source]).sum(axis=2, dtype=np.float32)
    between = between.transpose(0, 2, 1)  # (N, W, h): columns as rows
    starts, weights = cols
    source = np.minimum(starts[:, :, None] + np.arange(weights.shape[2]), width - 1)
    out = (weights[..., None] * between[pictures, source]).sum(axis=2, dtype=np.float32)
    return out.transpose(0, 2, 1)


def _gather_batch(planes, rows, cols):
    count, height, width = planes.shape
    pictures = np.arange(count)[:, None]
    starts, weights = rows
    between = np.zeros((count, starts.shape[1], width), np.float32)
    for k in range(weights.shape[2]):
        between += weights[:, :, k, None] * planes[pictures, np.minimum(starts + k, height - 1)]
    between = np.ascontiguousarray(between.transpose(0, 2, 1))  # columns as rows
    starts, weights = cols
    out = np.zeros((count, starts.shape[1], between.shape[2]), np.float32)
    for k in range(weights.shape[2]):
        out += weights[:, :, k, None] * between[pictures, np.minimum(starts + k, width - 1)]
    return out.transpose(0, 2, 1)


def _clip255(values):
    return np.minimum(np.maximum(values, np.float32(0.0)), np.float32(255.0))


def _numpy_resize(planes, height, width, method):
    """Whole ``(N, H, W, C)`` pictures resized to ``(height, width)`` as the graph does it
    (TensorFlow's antialiased resize, rounded and clipped to 0-255)."""
    n, h, w, c = planes.shape
    flat = np.moveaxis(planes, 3, 1).reshape(n * c, h, w)
    rows = _windows([h], [height], [0], height, method)
    cols = _windows([w], [width], [0], width, method)
    rows, cols = ((np.repeat(a, n * c, axis=0) for a in pair) for pair in (rows, cols))
    out = _clip255(np.round(_gather(flat, tuple(rows), tuple(cols))))
    return np.moveaxis(out.reshape(n, c, height, width), 1, 3)


def _numpy_border_median(img):
    border = np.concatenate([img[:, 0, :, 0], img[:, -1, :, 0], img[:, :, 0, 0],
                             img[:, :, -1, 0]], axis=1)
    ordered = np.sort(border, axis=1)
    count = ordered.shape[1]
    return (ordered[:, (count - 1) // 2] + ordered[:, count // 2]) / np.float32(2.0)


def _numpy_fit_digit(img, size, box=BOX):
    """:func:`_fit_digit` for a batch ``(N, H, W, 1)`` of float32 whole numbers."""
    plane = img[..., 0]
    n, height, width = plane.shape
    threshold = np.float32(0.1) * np.maximum(plane.max(axis=(1, 2)), np.float32(1.0))
    ink = plane > threshold[:, None, None]
    rows, cols = ink.any(axis=2), ink.any(axis=1)
    has = rows.any(axis=1)
    top = np.where(has, rows.argmax(axis=1), 0)
    bottom = np.where(has, height - rows[:, ::-1].argmax(axis=1), height)
    left = np.where(has, cols.argmax(axis=1), 0)
    right = np.where(has, width - cols[:, ::-1].argmax(axis=1), width)
    h, w = (bottom - top).astype(np.float64), (right - left).astype(np.float64)
    scale = box / np.maximum(h, w)
    nh = np.where(has, np.maximum(1, np.round(h * scale).astype(np.int64)), size)
    nw = np.where(has, np.maximum(1, np.round(w * scale).astype(np.int64)), size)

    out_side = max(int(nh.max()), int(nw.max()))
    row_w = _windows(bottom - top, nh, top, out_side, "lanczos3")
    col_w = _windows(right - left, nw, left, out_side, "lanczos3")
    g = _clip255(np.round(_gather(plane, row_w, col_w)))  # zeros beyond nh x nw
    mass = g.astype(np.float64)
    total = mass.sum(axis=(1, 2))
    total = np.where(total > 0, total, 1.0)
    cy = (mass.sum(axis=2) * np.arange(out_side)).sum(axis=1) / total
    cx = (mass.sum(axis=1) * np.arange(out_side)).sum(axis=1) / total
    oy = np.where(has, np.round(size / 2 - cy).astype(np.int64), 0)
    ox = np.where(has, np.round(size / 2 - cx).astype(np.int64), 0)
    out = np.zeros((n, size, size, 1), np.float32)
    for i, (y, x, rows_i, cols_i) in enumerate(zip(oy.tolist(), ox.tolist(), nh.tolist(),
                                                    nw.tolist())):
        glyph = g[i, :rows_i, :cols_i][max(-y, 0):, max(-x, 0):]  # pasted as the graph does
        y, x = min(max(y, 0), size), min(max(x, 0), size)
        glyph = glyph[:size - y, :size - x]
        out[i, y:y + glyph.shape[0], x:x + glyph.shape[1], 0] = glyph
    return out
