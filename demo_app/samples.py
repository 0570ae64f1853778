"""Sample inputs shipped with the repository: real MNIST test digits, MNIST caption canvases made
on the fly from them, Tux Paint stamps with their captions, and photographs.

MNIST is read from ``$ZOO_DATA_DIR`` or the checkout's ``data/`` folder when the full set was
fetched there (``python scripts/fetch_data.py mnist --out data``), else from the 200 test digits
in ``tests/data/mnist_small``. Everything is read once per process.
"""

import csv
import os
from pathlib import Path

import numpy as np
import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "data"


def _mnist_folders():
    for folder in (os.environ.get("ZOO_DATA_DIR"), ROOT / "data", FIXTURES / "mnist_small"):
        if folder:
            yield Path(folder)


def mnist_folder():
    """The first folder that holds all four MNIST files, for the experiments (``None``: none)."""
    from zoo.data.idx import find_mnist_files

    for folder in _mnist_folders():
        _, paths = find_mnist_files(folder)
        if len(paths) == 4:
            return folder
    return None


@st.cache_resource(show_spinner=False)
def mnist_test():
    """MNIST test digits ``(uint8 (n, 28, 28), labels (n,))``, light on dark (``None``: none)."""
    from zoo.data.idx import find_mnist_files, read_idx

    for folder in _mnist_folders():
        _, paths = find_mnist_files(folder)
        if "test_images" in paths and "test_labels" in paths:
            images, labels = read_idx(paths["test_images"]), read_idx(paths["test_labels"])
            images.setflags(write=False)
            labels.setflags(write=False)
            return images, labels
    return None


def mnist_digit(index):
    """One test digit as a dark-on-light picture (as a person would draw it), and its label."""
    from PIL import Image

    images, labels = mnist_test()
    index = int(index) % len(images)
    return Image.fromarray(255 - images[index]), int(labels[index])


def caption_canvas(seed):
    """A fresh 64x64 MNIST caption canvas of 2 or 3 real test digits: ``(uint8 image,
    [its reference captions])``, the same for the same seed."""
    from zoo.data.mnist_captions import make_canvases

    images, labels = mnist_test()
    made = make_canvases(images, labels, count=1, seed=int(seed), source="test")
    return made.images[0], made.captions[0]


@st.cache_data(show_spinner=False)
def tuxpaint_stamps():
    """Tux Paint stamps: ``{caption: path}`` (one picture per English caption)."""
    folder = FIXTURES / "tuxpaint_captions"
    table = folder / "captions.tsv"
    if not table.is_file():
        return {}
    stamps = {}
    with open(table, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            path = folder / "images" / row["image"]
            if path.is_file():
                stamps.setdefault(f"{row['caption_en']} ({Path(row['image']).stem})", str(path))
    return stamps


def photos():
    """Photographs for the patch autoencoder: ``{name: path}``."""
    folders = [ROOT / "data" / "photos", FIXTURES / "photos"]
    for folder in folders:
        found = sorted(p for p in folder.glob("*") if p.suffix.lower() in (".jpg", ".jpeg",
                                                                            ".png"))
        if found:
            return {p.stem: str(p) for p in found}
    return {}


def as_rgb_uint8(array):
    """A float image in [0, 1] ``(h, w[, c])`` as uint8 for ``st.image``."""
    array = np.asarray(array, dtype=np.float32)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    return np.clip(np.rint(array * 255), 0, 255).astype(np.uint8)


def photo_patches(size, channels, *, image_size=512, per_photo=300, seed=0):
    """Random ``size`` x ``size`` patches (uint8 ``(n, size, size, channels)``) of the sample
    photos, each photo downscaled to at most ``image_size`` pixels a side first."""
    from zoo.data.unlabeled import cut_patches, read_photo

    rng = np.random.default_rng(seed)
    found = []
    for path in photos().values():
        photo = read_photo(path, channels=channels, image_size=image_size)
        if min(photo.shape[:2]) >= size:
            found.append(cut_patches(photo, size, per_photo, rng))
    return np.concatenate(found) if found else np.zeros((0, size, size, channels), np.uint8)


def tile_patches(photo, size, *, grid=8):
    """Non-overlapping ``size`` patches covering the middle of a uint8 ``(h, w, c)`` photo, at
    most ``grid`` x ``grid`` of them: ``(patches (n, size, size, c), (rows, columns))``."""
    height, width = photo.shape[:2]
    rows, columns = min(grid, height // size), min(grid, width // size)
    top = (height - rows * size) // 2
    left = (width - columns * size) // 2
    patches = [photo[top + r * size:top + (r + 1) * size, left + c * size:left + (c + 1) * size]
               for r in range(rows) for c in range(columns)]
    return np.stack(patches) if patches else np.zeros((0, size, size, photo.shape[2]),
                                                      np.uint8), (rows, columns)
