"""A multi-object caption set made from real MNIST digits: canvases of two or three digits,
captioned from their identity, relative position and size.

Every canvas (64x64, light digits on black like MNIST) holds two or three real handwritten digits,
each ``small`` (its longer side 10 to 13 pixels) or ``large`` (17 to 21 pixels), side by side in a
row or stacked in a column, so that exactly one spatial relation holds between neighbours. Each
canvas has two captions that say the same in both reading directions, both used as references::

    "a small 4 left of a large 1"            "a large 1 right of a small 4"
    "a large 3 above a small 7 above a small 0"    "a small 0 below a small 7 below a large 3"

The sets are made with a fixed seed (same seed, same canvases, byte for byte), and the three
splits never share a source digit: training canvases use one part of MNIST's training digits,
validation canvases the rest of them, test canvases MNIST's test digits only.

Example:
    >>> from zoo.data.mnist_captions import load_mnist_captions
    >>> splits = load_mnist_captions(data_dir="tests/data/mnist_small", num_canvases=40,
    ...                              num_test_canvases=20)
    >>> splits["train"].captions[0]
    ['a small 9 above a small 3 above a small 0', 'a small 0 below a small 3 below a small 9']
"""

import dataclasses

import numpy as np
from PIL import Image

from zoo.errors import ConfigError, DataError
from zoo.data.images import _load_mnist_idx, resolve_data_dir

CANVAS_SIZE = 64
SIZES = {"small": (10, 13), "large": (17, 21)}  # longer side of the digit's ink, in pixels
RELATIONS = {"row": ("left of", "right of"), "column": ("above", "below")}
_JITTER = 4  # how far a digit may sit off the line of its row or column, in pixels


@dataclasses.dataclass
class CaptionedCanvases:
    """Generated canvases and their captions.

    Attributes:
        images: uint8 array ``(n, 64, 64)``, light digits on black.
        captions: per canvas, the list of its captions (two, reading either way).
        digits: per canvas, the MNIST indices of its digits in reading order (left to right,
            top to bottom), to check where every digit came from.
        source: which MNIST digits were drawn from (``"train"``, ``"test"``).
    """

    images: np.ndarray
    captions: list
    digits: list
    source: str

    def __len__(self):
        return len(self.images)

    @property
    def ids(self):
        return [f"{self.source}-canvas-{index:06d}" for index in range(len(self.images))]


def _glyph(digit, extent):
    """The ink of a 28x28 digit cropped to its bounding box and scaled so its longer side is
    ``extent`` pixels."""
    ys, xs = np.nonzero(digit)
    if len(ys) == 0:  # a blank digit: a dot, so that nothing divides by zero
        return np.full((1, 1), 255, dtype=np.uint8)
    crop = digit[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    scale = extent / max(crop.shape)
    height = max(1, round(crop.shape[0] * scale))
    width = max(1, round(crop.shape[1] * scale))
    return np.asarray(Image.fromarray(crop).resize((width, height), Image.Resampling.LANCZOS))


def _caption(sizes, labels, relation):
    forward, backward = RELATIONS[relation]
    words = [f"a {size} {int(label)}" for size, label in zip(sizes, labels)]
    return [f" {forward} ".join(words), f" {backward} ".join(reversed(words))]


def _place(glyphs, relation, rng, size):
    """Top-left corners of the glyphs, one per cell along the row (or column), in order."""
    count = len(glyphs)
    along = 1 if relation == "row" else 0  # the axis the digits follow: x for a row
    across = 1 - along
    cell = size // count
    longest = max(g.shape[across] for g in glyphs)
    line = int(rng.integers(_JITTER + longest // 2, size - _JITTER - (longest + 1) // 2 + 1))
    corners = []
    for index, glyph in enumerate(glyphs):
        start = index * cell
        free = max(0, cell - glyph.shape[along])
        offset_along = start + int(rng.integers(0, free + 1))
        centre = line + int(rng.integers(-_JITTER, _JITTER + 1))
        offset_across = int(np.clip(centre - glyph.shape[across] // 2, 0,
                                    size - glyph.shape[across]))
        corner = [0, 0]
        corner[along], corner[across] = offset_along, offset_across
        corners.append(tuple(corner))
    return corners


def make_canvases(images, labels, *, count, seed, digits_per_canvas=(2, 3), source="train",
                  canvas_size=CANVAS_SIZE) -> CaptionedCanvases:
    """Compose ``count`` captioned canvases from a pool of 28x28 digits.

    Args:
        images: uint8 array ``(n, 28, 28)`` of light-on-dark digits.
        labels: their digits, ``(n,)``.
        count: how many canvases to make.
        seed: seeds every choice (digits, sizes, layout, positions).
        digits_per_canvas: the possible numbers of digits on one canvas, drawn uniformly.
        source: a name for the pool, kept with the result.
        canvas_size: side of the square canvas; three large digits must fit in a row.

    Returns:
        :class:`CaptionedCanvases` (deterministic for a given seed and pool).
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim != 3 or len(images) != len(labels):
        raise ConfigError(f"expected digits of shape (n, 28, 28) with n labels, got "
                          f"{images.shape} and {labels.shape}")
    choices = sorted({int(k) for k in digits_per_canvas})
    if not choices or choices[0] < 2:
        raise ConfigError(f"digits_per_canvas must list counts of 2 or more, got "
                          f"{digits_per_canvas!r}")
    if canvas_size // choices[-1] < SIZES["large"][1]:
        raise ConfigError(f"a canvas of {canvas_size} pixels cannot hold {choices[-1]} large "
                          f"digits in a row; use a canvas of at least "
                          f"{choices[-1] * SIZES['large'][1]} pixels")
    if int(count) < 0:
        raise ConfigError(f"count must be 0 or more, got {count}")
    if int(count) and len(images) < max(choices):
        raise ConfigError(f"the pool has {len(images)} digits, fewer than the "
                          f"{max(choices)} a canvas needs")
    rng = np.random.default_rng(seed)
    canvases = np.zeros((int(count), canvas_size, canvas_size), dtype=np.uint8)
    captions, used = [], []
    for index in range(int(count)):
        number = int(rng.choice(choices))
        picked = rng.choice(len(images), size=number, replace=False)
        sizes = [("small", "large")[int(rng.integers(0, 2))] for _ in range(number)]
        relation = ("row", "column")[int(rng.integers(0, 2))]
        glyphs = [_glyph(images[i], int(rng.integers(SIZES[s][0], SIZES[s][1] + 1)))
                  for i, s in zip(picked, sizes)]
        for glyph, (top, left) in zip(glyphs, _place(glyphs, relation, rng, canvas_size)):
            region = canvases[index, top:top + glyph.shape[0], left:left + glyph.shape[1]]
            np.maximum(region, glyph, out=region)
        captions.append(_caption(sizes, labels[picked], relation))
        used.append([int(i) for i in picked])
    return CaptionedCanvases(images=canvases, captions=captions, digits=used, source=source)


def split_digits(num_digits, validation_fraction, seed):
    """Disjoint index sets ``(train, validation)`` of a pool of training digits."""
    order = np.random.default_rng(seed).permutation(num_digits)
    num_val = int(round(num_digits * float(validation_fraction)))
    return np.sort(order[num_val:]), np.sort(order[:num_val])


def load_mnist_captions(*, data_dir=None, num_canvases=10_000, num_test_canvases=2_000,
                        validation_fraction=0.1, seed=0, digits_per_canvas=(2, 3)) -> dict:
    """The MNIST caption set's three splits from the MNIST IDX files.

    Args:
        data_dir: a directory with MNIST's IDX files (``DIR/mnist/`` or ``DIR/``), else
            ``$ZOO_DATA_DIR`` (see :func:`zoo.data.resolve_data_dir`).
        num_canvases: training canvases; the validation split has ``validation_fraction`` as
            many (at least one), made from held-out training digits.
        num_test_canvases: test canvases, made from MNIST's test digits.
        validation_fraction: the part of MNIST's training digits kept for validation canvases.
        seed: seeds the digit split and every canvas.
        digits_per_canvas: see :func:`make_canvases`.

    Returns:
        ``{"train", "validation", "test"}`` -> :class:`CaptionedCanvases`.
    """

    root = resolve_data_dir(data_dir)
    if root is None:
        raise DataError("mnist_captions is made from MNIST's IDX files: pass --data-dir DIR (or "
                        "set ZOO_DATA_DIR) with the files that "
                        "`python scripts/fetch_data.py mnist --out DIR` downloads")
    if int(num_canvases) < 1 or int(num_test_canvases) < 1:
        raise ConfigError("num_canvases and num_test_canvases must be at least 1")
    if not 0.0 < float(validation_fraction) < 1.0:
        raise ConfigError(f"validation_fraction must be between 0 and 1, got "
                          f"{validation_fraction}")
    arrays, _ = _load_mnist_idx(root)
    train_index, val_index = split_digits(len(arrays["train_labels"]), validation_fraction, seed)
    num_val = max(1, int(round(int(num_canvases) * float(validation_fraction))))
    pools = {
        "train": (train_index, arrays["train_images"], arrays["train_labels"], int(num_canvases)),
        "validation": (val_index, arrays["train_images"], arrays["train_labels"], num_val),
        "test": (np.arange(len(arrays["test_labels"])), arrays["test_images"],
                 arrays["test_labels"], int(num_test_canvases)),
    }
    splits = {}
    for offset, (split, (index, images, labels, count)) in enumerate(pools.items()):
        canvases = make_canvases(images[index], labels[index], count=count,
                                 seed=[int(seed), offset], digits_per_canvas=digits_per_canvas,
                                 source=split)
        # digit indices into the MNIST file the pool came from (train or t10k)
        canvases.digits = [[int(index[i]) for i in picked] for picked in canvases.digits]
        splits[split] = canvases
    return splits
