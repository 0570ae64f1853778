"""Preprocessors: raw input (an image, a sentence, a text) to what a model takes, one per kind.

=====================  ==================  ===========================================
class                  kind                used by
=====================  ==================  ===========================================
ImagePreprocessor      ``image``           image classifiers, captioners, autoencoders
PatchPreprocessor      ``patches``         autoencoders trained on patches of photos
WordTokenPreprocessor  ``word_tokens``     translators (both vocabularies, token settings)
SubwordPreprocessor    ``subword_tokens``  translators (a SentencePiece model file)
CharPreprocessor       ``characters``      character language models
=====================  ==================  ===========================================

Each is plain data (``get_config()`` / ``from_config()``; ``zoo.json`` keeps it under the one
key ``"preprocessor"`` with its ``"kind"``), a Python call from raw input to the model's input,
and a graph version in TensorFlow ops for ``tf.data`` pipelines and exported SavedModels; the
Python call runs the graph's ops (compiled), so the two paths cannot drift. A task holds its
preprocessor as ``task.preprocessor``. :func:`upgrade` turns a ``zoo.json`` of the first
format (``"zoo/1"``, its preprocessing spread over several keys) into the current one.

Example:
    >>> from zoo import preprocessing
    >>> pre = preprocessing.from_config({"kind": "image", "color_mode": "L", "size": [28, 28]})
    >>> type(pre).__name__, pre.input_shape
    ('ImagePreprocessor', (28, 28, 1))
    >>> pre.to_dict()["kind"]
    'image'

Importing this package is light (no TensorFlow): each kind's class, and with it TensorFlow,
is imported on first use.
"""

import importlib

from zoo.preprocessing.base import CLASSES, KEY, Preprocessor, check_preprocessor
from zoo.preprocessing.convert import FORMAT, OLD_FORMATS, upgrade


def preprocessor_class(kind):
    """The class of a preprocessor kind (``"image"``, ``"patches"``, ...)."""
    module, name = CLASSES[kind]
    return getattr(importlib.import_module(module), name)


def from_config(config, where="zoo.json"):
    """The preprocessor a saved ``{"kind": ..., ...}`` describes (checked first)."""
    check_preprocessor(config, where)
    return preprocessor_class(config["kind"]).from_config(config, where)


def __getattr__(name):
    for module, cls in CLASSES.values():
        if cls == name:
            return getattr(importlib.import_module(module), cls)
    raise AttributeError(f"module 'zoo.preprocessing' has no attribute {name!r}")


__all__ = ["Preprocessor", "ImagePreprocessor", "PatchPreprocessor", "WordTokenPreprocessor",
           "SubwordPreprocessor", "CharPreprocessor", "from_config", "preprocessor_class",
           "check_preprocessor", "upgrade", "FORMAT", "OLD_FORMATS", "KEY"]
