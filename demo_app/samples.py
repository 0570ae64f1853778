"""Sample inputs, from the package (``zoo.samples``): real MNIST test digits, MNIST caption
canvases made on the fly from them, Tux Paint stamps with their captions, emoji pictures with
their names, and photographs.

MNIST is read from ``$ZOO_DATA_DIR`` or the checkout's ``data/`` folder when the full set was
fetched there (``python scripts/fetch_data.py mnist --out data``), else from the 200 test digits
the package ships; photos from ``data/photos`` when it holds any, else the package's. Everything
is read once per process.
"""

import os
from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image

import zoo

ROOT = Path(__file__).resolve().parents[1]


def _data_dir():
    return Path(os.environ.get("ZOO_DATA_DIR") or ROOT / "data")


def mnist_folder():
    """The folder of the four MNIST files the experiments read (the package's when no full copy
    was fetched)."""
    return zoo.samples.mnist_dir(_data_dir())


@st.cache_resource(show_spinner=False)
def mnist_test():
    """MNIST test digits ``(uint8 (n, 28, 28), labels (n,))``, light on dark."""
    return zoo.samples.digits(_data_dir())


def mnist_digit(index):
    """One test digit as a dark-on-light picture (as a person would draw it), and its label."""
    images, labels = mnist_test()
    index = int(index) % len(images)
    return Image.fromarray(255 - images[index]), int(labels[index])


def caption_canvas(seed):
    """A fresh 64x64 MNIST caption canvas of 2 or 3 real test digits: ``(uint8 image,
    [its reference captions])``, the same for the same seed."""
    return zoo.samples.caption_canvas(seed, pool=mnist_test())


@st.cache_data(show_spinner=False)
def tuxpaint_stamps():
    """Tux Paint stamps: ``{caption: path}`` (one picture per English caption)."""
    return {caption: str(path) for caption, path in zoo.samples.stamps().items()}


@st.cache_data(show_spinner=False)
def emoji(language="en"):
    """Emoji pictures the emoji captioners never trained on: ``{name (style, why): path}``, the
    names in ``language`` (``"en"``, ``"es"``)."""
    return {label: str(path) for label, path in zoo.samples.emoji(language).items()}


def photos():
    """Photographs for the patch autoencoder: ``{name: path}``."""
    return {name: str(path) for name, path in
            zoo.samples.photos(ROOT / "data" / "photos").items()}


def as_rgb_uint8(array):
    """A float image in [0, 1] ``(h, w[, c])`` as uint8 for ``st.image``."""
    array = np.asarray(array, dtype=np.float32)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    return np.clip(np.rint(array * 255), 0, 255).astype(np.uint8)


def photo_patches(size, channels, *, image_size, per_photo=300, seed=0):
    """Random ``size`` x ``size`` patches (uint8 ``(n, size, size, channels)``) of the sample
    photos, each photo downscaled to at most ``image_size`` pixels a side first (the patch
    model's ``preprocessor.image_size``)."""
    return zoo.samples.photo_patches(size, channels, image_size=image_size, per_photo=per_photo,
                                     seed=seed, folder=ROOT / "data" / "photos")
