"""The preprocessor contract, the table of kinds, and the checks their configs share.

A preprocessor turns raw input (an image file, a sentence, a text) into what a model takes. It is
plain data (:meth:`Preprocessor.get_config`, saved in ``zoo.json`` under ``"preprocessor"`` with
its ``"kind"``) plus two paths from one definition: ``__call__`` for Python callers and a graph
version (TensorFlow ops) for ``tf.data`` pipelines and exported SavedModels.

This module is light: it imports neither TensorFlow nor Pillow, so checking a saved config (as
``zoo weights verify`` does) stays fast.

Example:
    >>> from zoo.preprocessing.base import check_preprocessor
    >>> check_preprocessor({"kind": "image", "color_mode": "L", "size": [28, 28]})
    >>> check_preprocessor({"kind": "image", "color_mode": "CMYK", "size": [28, 28]})
    Traceback (most recent call last):
    ...
    zoo.errors.DataError: zoo.json: damaged model config: 'preprocessor.color_mode' must be ...
"""

import importlib
import math
import re

from zoo._hashing import sha256_bytes
from zoo._naming import shown
from zoo.errors import DataError

KEY = "preprocessor"  # the key of zoo.json that holds it
MAX_IMAGE_SIDE = 16_384  # the largest image side a saved preprocessor may resize to
MAX_INPUT_PIXELS = 4096 * 4096  # and the most pixels (a float32 RGB input of 200 MB)
MAX_ITEMS = 10_000_000  # the most vocabulary tokens a config may list

# kind -> (module, class); the classes register the checks of their configs below
CLASSES = {"image": ("zoo.preprocessing.image", "ImagePreprocessor"),
           "patches": ("zoo.preprocessing.patches", "PatchPreprocessor"),
           "word_tokens": ("zoo.preprocessing.tokens", "WordTokenPreprocessor"),
           "characters": ("zoo.preprocessing.chars", "CharPreprocessor"),
           "subword_tokens": ("zoo.preprocessing.subwords", "SubwordPreprocessor")}
CHECKS = {}  # kind -> check(config, bad): filled in by each kind's module

# A preprocessor's data files (a SentencePiece model): its config names them under "files",
# {file name: SHA-256}; zoo.saving writes them beside the weights and, loading, reads them,
# checks their SHA-256 and keeps their bytes here, where the preprocessor finds them by hash.
FILES_KEY = "files"
RESERVED_FILES = ("zoo.json", "model.weights.h5")
ASSETS = {}  # SHA-256 -> bytes, the data files loaded or made in this process
_SAFE_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def bad(where, key, wanted):
    """The one-line error for a config value: ``where: damaged model config: 'key' must be ...``."""
    raise DataError(f"{shown(where)}: damaged model config: {key!r} must be {wanted}")


def whole(value, low, high):
    """``value`` is an int (not a bool) from ``low`` to ``high``."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def positive(value, *, none=False):
    """``value`` is a positive finite number (or ``None`` when ``none``)."""
    if value is None:
        return none
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value) and value > 0


def check_image_settings(config, fail, prefix=KEY):
    """The image part of a config: ``size`` [height, width], ``color_mode``, ``scale``, flags."""
    size = config.get("size")
    if not (isinstance(size, list) and len(size) == 2 and all(whole(v, 1, MAX_IMAGE_SIDE)
                                                             for v in size)
            and size[0] * size[1] <= MAX_INPUT_PIXELS):
        fail(f"{prefix}.size", f"[height, width], each from 1 to {MAX_IMAGE_SIDE:,} and at "
             f"most {MAX_INPUT_PIXELS:,} pixels in all")
    if config.get("color_mode", "RGB") not in ("L", "RGB"):
        fail(f"{prefix}.color_mode", '"L" or "RGB"')
    if not positive(config.get("scale", 1 / 255)) or config.get("scale", 1) > 1e6:
        fail(f"{prefix}.scale", "a positive finite number")
    for flag in ("invert_light_background", "center_glyph", "pad_to_square"):
        if not isinstance(config.get(flag, False), bool):
            fail(f"{prefix}.{flag}", "true or false")


def check_vocabulary(value, key, fail):
    """A saved vocabulary: ``{"specials": [str], "tokens": [str]}``."""
    if not isinstance(value, dict) or not all(
            isinstance(value.get(part), list) and len(value[part]) <= MAX_ITEMS
            and all(isinstance(t, str) for t in value[part]) for part in ("specials", "tokens")):
        fail(key, "a vocabulary: {\"specials\": [strings], \"tokens\": [strings]}")


def add_asset(data):
    """Keep a data file's bytes (see :data:`ASSETS`); returns its SHA-256."""
    digest = sha256_bytes(data)
    ASSETS[digest] = bytes(data)
    return digest


def asset(digest, name):
    """The bytes of the data file ``name`` whose SHA-256 is ``digest``, kept by
    :func:`add_asset`; a :class:`DataError` when it was never read."""
    if digest not in ASSETS:
        raise DataError(f"{name} (SHA-256 {digest[:12]}...) is not loaded: load the model from "
                        "its folder (zoo.load(DIR)), which reads the file beside zoo.json")
    return ASSETS[digest]


def check_files(value, fail):
    """A config's ``"files"``: ``{safe file name: 64 hex digits}``, no name of zoo's own."""
    if not (isinstance(value, dict) and 0 < len(value) <= 16 and all(
            isinstance(k, str) and _SAFE_FILE.fullmatch(k) and k not in RESERVED_FILES
            and isinstance(v, str) and _SHA256.fullmatch(v) for k, v in value.items())):
        fail(f"{KEY}.{FILES_KEY}", "{file name: SHA-256} (plain file names beside zoo.json, "
             "64 lowercase hex digits)")


def check_preprocessor(config, where="zoo.json"):
    """Check a saved preprocessor (``{"kind": ..., ...}``) with its kind's own check; a
    :class:`DataError` naming the key when it is damaged."""
    def fail(key, wanted):
        bad(where, key, wanted)

    if not isinstance(config, dict):
        fail(KEY, 'an object {"kind": ..., ...}')
    kind = config.get("kind")
    if kind not in CLASSES:
        fail(f"{KEY}.kind", f"one of {sorted(CLASSES)}")
    if kind not in CHECKS:  # the kind's module registers its check when imported
        importlib.import_module(CLASSES[kind][0])
    CHECKS[kind](config, fail)


class Preprocessor:
    """Base of the preprocessors: plain settings, ``get_config``/``from_config``, equality.

    A subclass sets ``kind``, implements ``get_config`` (the settings its ``__init__`` takes,
    JSON-ready), ``__call__`` (raw input to model input, Python) and ``graph`` (TensorFlow ops).
    """

    kind = None

    def get_config(self):
        raise NotImplementedError

    def files(self):
        """``{file name: bytes}``: the data files saved beside the weights (none by default)."""
        return {}

    @classmethod
    def from_config(cls, config, where="zoo.json"):
        """The preprocessor of a saved config (checked first, see :func:`check_preprocessor`)."""
        config = dict(config)
        config.setdefault("kind", cls.kind)
        check_preprocessor(config, where)
        if config["kind"] != cls.kind:
            bad(where, f"{KEY}.kind", repr(cls.kind))
        config.pop("kind")
        return cls(**config)

    def to_dict(self):
        """What ``zoo.json`` keeps: ``{"kind": ..., **get_config()}``."""
        return {"kind": self.kind, **self.get_config()}

    def __eq__(self, other):
        return type(self) is type(other) and self.get_config() == other.get_config()

    def __hash__(self):
        return hash((self.kind, repr(sorted(self.get_config().items()))))

    def __repr__(self):
        settings = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items()
                             if not isinstance(v, dict))
        return f"{type(self).__name__}({settings})"
