"""Sample inputs shipped inside the package, so a ``pip install`` can try every task without
fetching data: 200 real MNIST test digits (and 600 training digits, for quick experiments and
the rehearsal buffer of ``ImageClassifier.learn_class``), caption canvases made from them, 12
Tux Paint stamps with their captions, 8 emoji pictures the emoji captioners never trained on
with their names in English and Spanish, and 3 photographs, with :func:`read_photo`, which
reads any photo as the patch autoencoders do (344 KB of files in all; where each comes from,
and its licence: ``zoo/samples/README.md``); and symbols drawn as on the demo's canvas
(:func:`drawn_symbols`).

Every accessor reads the package's own files (never a checkout's ``tests/`` folder); the
demo's pages use them.

Example:
    >>> import zoo
    >>> images, labels = zoo.samples.digits()
    >>> images.shape, images.dtype, labels[:5].tolist()
    ((200, 28, 28), dtype('uint8'), [4, 0, 3, 9, 5])
    >>> image, captions = zoo.samples.caption_canvas(11)
    >>> image.shape, captions[0]
    ((64, 64), 'a large 2 above a large 8')
    >>> list(zoo.samples.emoji("es"))[0]
    'cara de perro (OpenMoji, a drawing style never trained on)'
"""

import csv
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from zoo.data.idx import find_mnist_files, read_idx
from zoo.data.mnist_captions import make_canvases
from zoo.errors import DataError
from zoo.preprocessing.patches import DEFAULT_IMAGE_SIZE, PatchPreprocessor

HERE = Path(__file__).resolve().parent
MNIST_DIR = HERE / "mnist"
PHOTOS_DIR = HERE / "photos"
TUXPAINT_DIR = HERE / "tuxpaint"
EMOJI_DIR = HERE / "emoji"
# the emoji pictures' drawing styles, and why the captioners never trained on each picture
EMOJI_STYLES = {"google": "Google Noto", "twitter": "Twitter Twemoji", "openmoji": "OpenMoji"}
EMOJI_SPLITS = {"test_style": "a drawing style never trained on",
                "test_emoji": "an emoji never trained on"}
EMOJI_LANGUAGES = ("en", "es")
PHOTO_TYPES = (".jpg", ".jpeg", ".png")
# unit-square outlines of the symbols drawn_symbols draws, each one stroke
SYMBOLS = {"triangle": [(0.5, 0.1), (0.9, 0.85), (0.1, 0.85), (0.5, 0.1)],
           "star": [(0.5 + 0.42 * np.sin(a), 0.52 - 0.42 * np.cos(a))
                    for a in np.arange(6) * 4 * np.pi / 5]}
_MNIST_TEST = ("test_images", "test_labels")
_MNIST_TRAIN = ("train_images", "train_labels")


def mnist_dir(data_dir=None):
    """A folder holding the four MNIST files (what ``zoo.data.load_dataset("mnist", data_dir=...)``
    and the experiments read): ``data_dir`` when it holds all four (a full copy fetched with
    ``python scripts/fetch_data.py mnist --out DIR``), else the package's 600 + 200 digits."""
    if data_dir is not None:
        _, paths = find_mnist_files(data_dir)
        if len(paths) == 4:
            return Path(data_dir)
    return MNIST_DIR


def digits(data_dir=None):
    """MNIST test digits, light on dark: ``(uint8 images (n, 28, 28), uint8 labels (n,))``, from
    ``data_dir`` when it holds MNIST's test files, else the 200 shipped with the package (20 of
    each digit, in MNIST's order). The arrays are read-only."""
    return _read_digits(data_dir, _MNIST_TEST)


def training_digits(data_dir=None):
    """MNIST training digits, as :func:`digits` reads the test ones: from ``data_dir`` when it
    holds MNIST's training files, else the 600 shipped with the package (60 of each digit)."""
    return _read_digits(data_dir, _MNIST_TRAIN)


def _read_digits(data_dir, roles):
    for folder in ([data_dir] if data_dir is not None else []) + [MNIST_DIR]:
        _, paths = find_mnist_files(folder)
        if all(role in paths for role in roles):
            images, labels = (read_idx(paths[role]) for role in roles)
            if images.ndim != 3 or images.shape[1:] != (28, 28) or len(labels) != len(images):
                raise DataError(f"{paths[roles[0]]} holds data of shape {images.shape} "
                                f"with {len(labels)} labels, not 28x28 MNIST digits")
            images.setflags(write=False)
            labels.setflags(write=False)
            return images, labels
    raise DataError(f"the package's sample digits are missing from {MNIST_DIR}; reinstall zoo")


def caption_canvas(seed, pool=None):
    """A 64x64 canvas of 2 or 3 real MNIST test digits captioned with their size and position,
    as the captioning model learned from: ``(uint8 image, [reference captions])``, the same for
    the same ``seed``. ``pool``: ``(images, labels)`` to draw the digits from (default
    :func:`digits`)."""
    images, labels = digits() if pool is None else pool
    made = make_canvases(images, labels, count=1, seed=int(seed), source="test")
    return made.images[0], made.captions[0]


def stamps():
    """Tux Paint stamps: ``{"A frog. (frog-1)": path}``, one picture per English caption (the
    file's name in brackets), in the order of ``captions.tsv``."""
    found = {}
    with open(TUXPAINT_DIR / "captions.tsv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            path = TUXPAINT_DIR / "images" / row["image"]
            if path.is_file():
                found.setdefault(f"{row['caption_en']} ({Path(row['image']).stem})", path)
    return found


def emoji(language="en"):
    """Emoji pictures (64x64 RGB on white) the emoji captioners never trained on:
    ``{"dog face (OpenMoji, a drawing style never trained on)": path}``, the name (the Unicode
    CLDR name, the reference caption) in ``language`` (``"en"`` or ``"es"``), then the drawing
    style and why it is new to them: four OpenMoji pictures (the held-out style) of emoji
    trained on in the other styles, and four held-out emoji in the training styles (Google
    Noto, Twitter Twemoji). In the order of ``captions.tsv``."""
    if language not in EMOJI_LANGUAGES:
        raise DataError(f"no emoji names in {language!r}; choose one of "
                        f"{', '.join(EMOJI_LANGUAGES)}")
    found = {}
    with open(EMOJI_DIR / "captions.tsv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            path = EMOJI_DIR / "images" / row["image"]
            if path.is_file():
                found[f"{row['caption_' + language]} ({EMOJI_STYLES[row['style']]}, "
                      f"{EMOJI_SPLITS[row['split']]})"] = path
    return found


def drawn_symbols(kind, count, *, seed=0, size=280, pen=18):
    """``count`` pictures of a symbol (:data:`SYMBOLS`: ``"triangle"``, ``"star"``) as a person
    draws them on the demo's canvas: a black pen ``pen`` pixels wide on a white ``size`` square,
    each with its own size, place, slant, rotation and wobbly corners (seeded): uint8 arrays
    ``(size, size)``. For trying :meth:`zoo.tasks.ImageClassifier.learn_class` without
    drawing."""
    if kind not in SYMBOLS:
        raise DataError(f"unknown symbol {kind!r}; choose one of {', '.join(SYMBOLS)}")
    rng = np.random.default_rng(seed)
    outline = np.array(SYMBOLS[kind], dtype=np.float64) - 0.5
    found = []
    for _ in range(int(count)):
        turn = rng.uniform(-0.25, 0.25)
        shape = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
        shape = shape @ np.array([[1.0, rng.uniform(-0.3, 0.3)], [0.0, 1.0]])  # slant
        points = (outline + rng.normal(0, 0.035, outline.shape)) @ shape.T
        points[-1] = points[0] + rng.normal(0, 0.02, 2)  # the stroke ends near its start
        scale = size * rng.uniform(0.45, 0.8) * np.array([rng.uniform(0.8, 1.2), 1.0])
        centre = size / 2 + rng.uniform(-0.12, 0.12, 2) * size
        image = Image.new("L", (size, size), 255)
        width = int(rng.integers(max(1, pen // 2), pen * 3 // 2 + 1))
        ImageDraw.Draw(image).line([tuple(p) for p in points * scale + centre], fill=0,
                                   width=width, joint="curve")
        found.append(np.asarray(image))
    return found


def photos(folder=None):
    """Photographs: ``{name: path}`` of the JPEG and PNG files in ``folder`` (when it holds any),
    else the 3 shipped with the package, sorted by name."""
    for where in ([Path(folder)] if folder is not None else []) + [PHOTOS_DIR]:
        found = sorted(p for p in where.glob("*") if p.suffix.lower() in PHOTO_TYPES)
        if found:
            return {p.stem: p for p in found}
    return {}


def read_photo(path, *, channels, image_size=None):
    """One photo as the patch autoencoders read it: uint8 ``(h, w, channels)``, its longer side
    downscaled to ``image_size`` at most (see :func:`zoo.preprocessing.patches.read_photo`)."""
    return _patches(1, channels, image_size).read_photo(path)


def _patches(size, channels, image_size):
    return PatchPreprocessor([size, size], color_mode="L" if int(channels) == 1 else "RGB",
                             image_size=image_size)


def photo_patches(size, channels, *, image_size=DEFAULT_IMAGE_SIZE, per_photo=300, seed=0,
                  folder=None):
    """Random ``size`` x ``size`` patches of the :func:`photos` (uint8 ``(n, size, size,
    channels)``), each photo downscaled to at most ``image_size`` pixels a side first, read and
    cut by the patch preprocessor as the patch autoencoder's training did; the same for the
    same ``seed``."""
    rng = np.random.default_rng(seed)
    reader = _patches(size, channels, image_size)
    found = []
    for path in photos(folder).values():
        photo = reader.read_photo(path)
        if min(photo.shape[:2]) >= size:
            found.append(reader.cut(photo, per_photo, rng))
    return np.concatenate(found) if found else np.zeros((0, size, size, channels), np.uint8)


__all__ = ["digits", "training_digits", "drawn_symbols", "mnist_dir", "caption_canvas", "stamps",
           "emoji", "photos", "photo_patches", "read_photo"]
