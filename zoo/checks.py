"""One check per kind of argument the public API takes: a choice, a string, a path, a list of
paths or strings, a numeric array, labels, an object of a given kind.

Each returns the value in the form the caller works with, or raises a
:class:`~zoo.errors.ConfigError` (a bad argument) saying what was given and what to give, before
anything is read, allocated or computed. Numbers have their own check,
:func:`check_number`, the one check of a number shared by the CLI and the API.
"""

import math
import numbers
import os
import pathlib

import numpy as np

from zoo.errors import ConfigError

MAX_ARRAY_ITEMS = 256_000_000  # a float32 array of 1 GB: the largest array an argument may be
MAX_TEXT = 10_000_000  # characters of one string argument


def kind_of(value):
    """A short description of a value for a message: ``None``, ``a str ('abc')``,
    ``an array of shape (2, 3) and dtype float64``."""
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    name = type(value).__name__
    article = "an" if name[:1].lower() in "aeiou" else "a"
    if isinstance(value, (bool, int, float, complex, np.number)):
        return f"{article} {name} ({value!r})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a str ({shown!r})"
    return f"{article} {name}"


def check_choice(value, what, choices):
    """``value`` if it is one of ``choices`` (strings)."""
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(f"{what} must be one of {', '.join(map(repr, choices))}; got "
                          f"{kind_of(value)}")
    return value


def check_text(value, what, *, none=False, empty=True, limit=MAX_TEXT):
    """``value`` if it is a string (``None`` too when ``none``; ``""`` unless ``empty`` is
    false), at most ``limit`` characters."""
    if value is None and none:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{what} must be a string, got {kind_of(value)}")
    if not value and not empty:
        raise ConfigError(f"{what} must not be empty")
    if len(value) > limit:
        raise ConfigError(f"{what} has {len(value):,} characters; at most {limit:,} are taken")
    return value


def check_texts(value, what, *, single=True):
    """A list of strings from a list (or tuple) of strings, or from one string when
    ``single``."""
    if single and isinstance(value, str):
        return [value]
    if not isinstance(value, (list, tuple)):
        wanted = "a string or a list of strings" if single else "a list of strings"
        raise ConfigError(f"{what} must be {wanted}, got {kind_of(value)}")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise ConfigError(f"{what}: item {index + 1} is {kind_of(item)}, not a string")
    return list(value)


def check_path(value, what, *, none=False):
    """``value`` as a :class:`pathlib.Path` if it is a path (a string or ``os.PathLike``): not
    empty, no NUL character. Whether it exists is the caller's business."""
    if value is None and none:
        return None
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise ConfigError(f"{what} must be a path (a string or a pathlib.Path), got "
                          f"{kind_of(value)}")
    if not value:
        raise ConfigError(f"{what} must be a path, got an empty string")
    if "\0" in value:
        raise ConfigError(f"{what} contains a NUL character; give a path without one")
    return pathlib.Path(value)


def check_paths(value, what):
    """A list of path strings from one path or a list (tuple) of them."""
    if isinstance(value, (str, os.PathLike)):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"{what} must be a path or a list of paths, got {kind_of(value)}")
    return [str(check_path(item, f"{what}: item {index + 1}"))
            for index, item in enumerate(value)]


def _shape_text(shape):
    return "(" + ", ".join("n" if d is None else str(d) for d in shape) + ")"


def check_array(value, what, *, shape=None, min_ndim=0, dtype=np.float32, kinds="biuf",
                finite=False, min_items=1, max_items=MAX_ARRAY_ITEMS, hint=""):
    """A NumPy array of ``dtype`` from an array or nested lists of numbers.

    Refuses, before converting: strings, paths, bytes, dicts and ``None`` (say so: an array goes
    here), arrays of other kinds than ``kinds`` (``b`` bool, ``i``/``u`` integers, ``f`` floats:
    no objects, strings or complex numbers), a shape that differs from ``shape`` (a tuple, ``None``
    for any size on that axis), fewer than ``min_items`` values, more than ``max_items`` values
    (from the shape alone: nothing is allocated), fewer axes than ``min_ndim``, and with
    ``finite`` NaN or infinities.
    ``hint`` ends each message (where such an array comes from, say).
    """
    hint = f"; {hint}" if hint else ""
    if value is None or isinstance(value, (str, bytes, bytearray, os.PathLike, dict, set)):
        raise ConfigError(f"{what} must be a numeric array"
                          f"{' of shape ' + _shape_text(shape) if shape else ''}, got "
                          f"{kind_of(value)}{hint}")
    if not isinstance(value, np.ndarray):
        if isinstance(value, (list, tuple)) and _holds_text(value):
            raise ConfigError(f"{what} must be a numeric array, got a {type(value).__name__} "
                              f"holding strings{hint}")
        if not isinstance(value, (list, tuple, int, float, np.number)) and not hasattr(
                value, "__array__"):
            raise ConfigError(f"{what} must be a numeric array, got {kind_of(value)}{hint}")
        try:
            value = np.asarray(value)
        except (ValueError, TypeError):  # ragged nested lists
            raise ConfigError(f"{what} must be a numeric array, got a {type(value).__name__} "
                              f"whose rows differ in length{hint}") from None
    if value.dtype.kind not in kinds:
        kinds_text = {"b": "booleans", "i": "integers", "u": "integers", "f": "floats"}
        wanted = ", ".join(dict.fromkeys(kinds_text[k] for k in kinds))
        raise ConfigError(f"{what} must hold real numbers ({wanted}), got dtype "
                          f"{value.dtype}{hint}")
    if shape is not None:
        fits = value.ndim == len(shape) and all(w is None or w == d
                                                for w, d in zip(shape, value.shape))
        if not fits:
            raise ConfigError(f"{what} must have shape {_shape_text(shape)}, got "
                              f"{value.shape}{hint}")
    if value.ndim < min_ndim:
        raise ConfigError(f"{what} must have at least {min_ndim} axes "
                          f"{_shape_text((None,) * min_ndim)}, got shape {value.shape}{hint}")
    items = math.prod(value.shape)
    if items > max_items:
        raise ConfigError(f"{what} has {items:,} values (shape {value.shape}); at most "
                          f"{max_items:,} are taken at once: give fewer")
    if items < min_items:
        raise ConfigError(f"{what} is empty (shape {value.shape}); give at least "
                          f"{min_items} value{'s' if min_items > 1 else ''}{hint}")
    array = value.astype(dtype, copy=False)
    if finite and array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ConfigError(f"{what} contains NaN or infinite values")
    return array


def _holds_text(value, depth=0):
    for item in value:
        if isinstance(item, (str, bytes, os.PathLike)):
            return True
        if isinstance(item, (list, tuple)) and depth < 3 and _holds_text(item, depth + 1):
            return True
    return False


def check_labels(value, what, *, count=None):
    """Class indices (whole numbers from 0) as an int64 vector, ``count`` of them if given."""
    labels = check_array(value, what, dtype=np.float64, kinds="biuf", finite=True,
                         min_items=0).reshape(-1)
    if count is not None and len(labels) != count:
        raise ConfigError(f"{what}: {len(labels)} labels for {count} examples; give one each")
    if len(labels) and (labels.min() < 0 or not np.all(labels == np.floor(labels))):
        raise ConfigError(f"{what} must be class indices (whole numbers from 0)")
    if len(labels) and labels.max() >= 65_536:
        raise ConfigError(f"{what}: class index {int(labels.max()):,} is too large (at most "
                          "65,535 classes)")
    return labels.astype(np.int64)


def check_kind(value, what, cls, wanted):
    """``value`` if it is an instance of ``cls`` (a class or a tuple); ``wanted`` says what goes
    there, e.g. ``"an image classifier (zoo.load(...))"``."""
    if not isinstance(value, cls):
        raise ConfigError(f"{what} must be {wanted}, got {kind_of(value)}")
    return value


def check_task(value, what, task, wanted):
    """``value`` if it is a task object of ``task`` (its ``.task``, e.g.
    ``"image_classification"``), checked without importing the task classes (nor Keras)."""
    if getattr(type(value), "task", None) != task or not hasattr(value, "model"):
        raise ConfigError(f"{what} must be {wanted}, got {kind_of(value)}")
    return value


__all__ = ["check_choice", "check_text", "check_texts", "check_path", "check_paths",
           "check_array", "check_labels", "check_kind", "check_task", "kind_of"]


def check_number(value, what, *, whole=False, low=None, high=None, above=None, none=False):
    """The one check of a number the user gives (CLI flag, recipe setting, API argument).

    Refuses booleans, strings and other non-numbers, NaN and infinities, fractions where a
    whole number goes, and values outside ``[low, high]`` (``above``: strictly greater than).
    ``none=True`` lets ``None`` through. Returns the value as a plain ``int`` or ``float``.

    Example:
        >>> check_number(3.0, "--beam", whole=True, low=1, high=64)
        3
    """
    if value is None and none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = "a whole number" if whole else "a number"
        shown = repr(value)
        if "\n" in shown or len(shown) > 80:  # an array, a long string: say what it is
            shown = kind_of(value)
        raise ConfigError(f"{what} takes {kind}, got {shown}")
    value = float(value) if not isinstance(value, numbers.Integral) else int(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{what} must be a finite number, got {value!r}")
    if whole:
        if isinstance(value, float) and not value.is_integer():
            raise ConfigError(f"{what} takes a whole number, got {value!r}")
        value = int(value)
    if above is not None and not value > above:
        raise ConfigError(f"{what} must be above {above}, got {value!r}")
    if low is not None and value < low or high is not None and value > high:
        bounds = (f"between {low:,} and {high:,}" if low is not None and high is not None else
                  f"at least {low:,}" if low is not None else f"at most {high:,}")
        raise ConfigError(f"{what} must be {bounds}, got {value!r}")
    return value
