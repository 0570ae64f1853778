"""Saving trained models as plain files, and restoring them without running code from them.

A trained model is a directory with two files:

- ``zoo.json``: plain data: the registered model name and its build options, the task, and
  everything inference needs (class names, the preprocessor under ``"preprocessor"``), plus the
  data and metrics it was trained and measured on. Its format is ``"zoo/2"``; a file of the
  first format (``"zoo/1"``) is converted when read (:func:`zoo.preprocessing.upgrade`).
- ``model.weights.h5``: the weights, nothing else.

and the preprocessor's data files, when it has any (a SentencePiece model): ``zoo.json`` names
them with their SHA-256 under ``"preprocessor": {"files": ...}``; a file missing or whose hash
differs is refused when the model is loaded (:func:`read_preprocessor_files`).

Restoring builds the architecture from the zoo's own registry and then reads the weights, so a
downloaded directory can never execute code. Files are written to a temporary name in the same
folder and renamed over the old one only once complete, so an interrupted save (a kill, a full
disk) leaves the previous files intact; a write that fails raises :class:`WriteError`, one line
saying what happened, where, and what to do.
"""

import collections
import errno
import math
import os
import pathlib
import re
import warnings

# the file helpers of the ground floor, re-exported: saving.write_json and the others
from zoo._io import (  # noqa: F401
    MAX_JSON_BYTES, _file_mode, check_writable_dir, open_text_file, read_json, to_plain,
    write_bytes, write_failure, write_json)
from zoo._naming import shown  # noqa: F401  (re-exported: saving.shown)
from zoo.errors import DataError, ZooError
from zoo._hashing import sha256_bytes
from zoo.preprocessing import FORMAT, OLD_FORMATS, check_preprocessor, from_config, upgrade
from zoo.preprocessing.base import MAX_IMAGE_SIDE, MAX_INPUT_PIXELS, MAX_ITEMS  # noqa: F401
from zoo.preprocessing.base import FILES_KEY, add_asset, asset
from zoo.registry import build

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

CONFIG_FILE = "zoo.json"
WEIGHTS_FILE = "model.weights.h5"


def _weights_bytes(model):
    """An upper bound of the size of ``model``'s ``.weights.h5`` file: its arrays (the
    optimizer's too) plus HDF5's bookkeeping."""
    optimizer = getattr(model, "optimizer", None)
    arrays = list(model.weights) + list(getattr(optimizer, "variables", None) or [])
    total = 0
    for array in arrays:
        bits = re.search(r"\d+$", str(array.dtype))  # float32, int64, bfloat16; else 8 bytes
        itemsize = int(bits.group()) // 8 if bits else 8
        total += math.prod(int(d) for d in array.shape) * max(itemsize, 1)
    return total + 4096 * len(arrays) + (1 << 16)


def _reserve(path, size):
    """Check that ``size`` bytes can be written at ``path`` (a fresh file) by allocating them:
    HDF5 does not survive a write that fails mid-file (h5py dies with SIGSEGV), so a full
    disk or a file-size limit must be found before it starts. Raises ``OSError``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, _file_mode())
    try:
        if hasattr(os, "posix_fallocate"):
            try:
                os.posix_fallocate(fd, 0, size)
            except OSError as err:
                if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                    raise
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)


def save_weights(model, path):
    """Save a model's weights atomically to an ``.weights.h5`` file; a failed write (a full
    disk) raises :class:`WriteError` and leaves the old file as it was."""
    path = pathlib.Path(path)
    tmp = path.with_name(f".{path.stem}.tmp.weights.h5")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _reserve(tmp, _weights_bytes(model))
        model.save_weights(tmp)
        os.replace(tmp, path)
    except OSError as err:
        raise write_failure(err, path) from None
    finally:
        tmp.unlink(missing_ok=True)


def save_artifact(directory, model, config):
    """Save ``model`` and its plain-data ``config`` (model name, options, task assets)."""
    directory = pathlib.Path(directory)
    for key in ("task", "model", "options"):
        if key not in config:
            raise ValueError(f"config needs {key!r}")
    save_weights(model, directory / WEIGHTS_FILE)
    for name, data in preprocessor_files(config).items():
        write_bytes(directory / name, data)
    write_json(directory / CONFIG_FILE, {"format": FORMAT, **config})


def preprocessor_files(config):
    """``{file name: bytes}`` of the data files a config's preprocessor names (read or made
    in this process: see :func:`read_preprocessor_files`)."""
    named = ((config.get("preprocessor") or {}).get(FILES_KEY) or {})
    return {name: asset(digest, name) for name, digest in named.items()}


def read_preprocessor_files(config, directory):
    """Read the data files a saved config's preprocessor names from ``directory``, check each
    one's SHA-256 against the config and keep the bytes for the preprocessor
    (:func:`zoo.preprocessing.base.add_asset`); a missing or changed file is a
    :class:`DataError`."""
    named = ((config.get("preprocessor") or {}).get(FILES_KEY) or {})
    for name, digest in named.items():
        path = pathlib.Path(directory) / name
        if not path.is_file() or path.is_symlink():
            raise DataError(f"{shown(directory)}: {name} is missing (zoo.json names it as the "
                            "preprocessor's data file); copy the whole model folder")
        data = path.read_bytes()
        if sha256_bytes(data) != digest:
            raise DataError(f"{shown(path)}: its SHA-256 is not the one zoo.json records; the "
                            "file is damaged or from another model: copy the model folder again")
        add_asset(data)


def read_config(directory):
    """The ``zoo.json`` of a saved model directory."""
    directory = pathlib.Path(directory)
    if not directory.is_dir():
        raise DataError(f"{directory}: no such directory; give the --out directory of a "
                        "`zoo train` run")
    if not (directory / CONFIG_FILE).is_file():
        raise DataError(f"{directory} holds no trained model ({CONFIG_FILE} is missing); "
                        "train one with `zoo train NAME --out DIR` and wait for it to finish")
    config = upgrade(read_json(directory / CONFIG_FILE, what="model config"))
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise DataError(f"{shown(directory / CONFIG_FILE)}: not a zoo model config "
                        f"(expected format {FORMAT!r} or {', '.join(map(repr, OLD_FORMATS))})")
    check_config(config, directory / CONFIG_FILE)
    if isinstance(config.get("preprocessor"), dict) and FILES_KEY in config["preprocessor"]:
        check_preprocessor(config["preprocessor"], directory / CONFIG_FILE)
        read_preprocessor_files(config, directory)
    return config


# A task's schema (its class's ``config_schema``, see :mod:`zoo.tasks.base`): the keys its
# zoo.json must hold (beyond format, task, model, options) and their kinds. "vocab":
# {"specials": [str], "tokens": [str]}; "preprocessor": a saved preprocessor, checked by its
# kind's own check (zoo.preprocessing); "names": a list of class names.
KINDS = ("names", "vocab", "preprocessor")
OPTIONAL = {"dataset": dict, "data": dict, "train": dict, "metrics": dict, "init_from": dict}


def damaged(where, key, wanted):
    """The :class:`DataError` of a config key of the wrong kind: ``where: damaged model config:
    'key' must be wanted``."""
    return DataError(f"{shown(where)}: damaged model config: {key!r} must be {wanted}")


def whole(value, low, high):
    """Whether ``value`` is a whole number (not a bool) from ``low`` to ``high``."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def check_config(config, where=CONFIG_FILE):
    """Check the keys every model config holds (task, model, options, the data split), so
    nothing is built from a damaged or hostile file; the task's own keys are checked by its
    class (:func:`check_schema` with its ``config_schema``, when it is loaded). Raises
    :class:`DataError` naming the key."""

    def bad(key, wanted):
        raise damaged(where, key, wanted)

    for key in ("task", "model"):
        if not isinstance(config.get(key), str):
            bad(key, "a string")
    if not isinstance(config.get("options"), dict):
        bad("options", "an object")
    for key, kind in OPTIONAL.items():
        if config.get(key) is not None and not isinstance(config[key], kind):
            bad(key, "an object")
    data = config.get("data") or {}
    if not (data.get("validation_fraction") is None or (
            isinstance(data["validation_fraction"], (int, float))
            and not isinstance(data["validation_fraction"], bool)
            and 0 < data["validation_fraction"] < 1)):
        bad("data.validation_fraction", "a number between 0 and 1")
    if not (data.get("seed") is None or whole(data["seed"], 0, 2**32 - 1)):
        bad("data.seed", "a whole number from 0 to 2**32 - 1")


def check_schema(config, schema, where=CONFIG_FILE):
    """Check a model config against a task's schema (``{key: kind}``, kinds :data:`KINDS`):
    every key present with the right kind and a sane size. Raises :class:`DataError` naming
    the key."""

    def bad(key, wanted):
        raise damaged(where, key, wanted)

    for key, kind in schema.items():
        value = config.get(key)
        if kind == "names":
            if not isinstance(value, list) or not value or len(value) > MAX_ITEMS or not all(
                    isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
                bad(key, "a non-empty list of class names")
        elif kind == "vocab":
            if not isinstance(value, dict) or not all(
                    isinstance(value.get(part), list) and len(value[part]) <= MAX_ITEMS
                    and all(isinstance(t, str) for t in value[part])
                    for part in ("specials", "tokens")):
                bad(key, "a vocabulary: {\"specials\": [strings], \"tokens\": [strings]}")
        elif kind == "preprocessor":
            check_preprocessor(value, where)
        else:
            raise ValueError(f"schema key {key!r}: unknown kind {kind!r}; the kinds are {KINDS}")


def check_weights_file(path):
    """Refuse anything but a plain Keras weights file (HDF5 holding arrays only): a ``.keras``
    archive, a pickle, or a whole-model HDF5 file (which carries an architecture to run)."""
    path = pathlib.Path(path)
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head != HDF5_SIGNATURE:
        kind = ("a zip archive (a .keras model file?)" if head.startswith(b"PK") else
                "a pickle" if head[:1] == b"\x80" else "empty" if not head else "not HDF5")
        raise DataError(f"{path}: {kind}, not a plain weights file; the zoo loads weights only "
                        "(model.weights.h5 written by `zoo train` or `zoo weights publish`)")
    import h5py  # heavy: zoo --help / list load this module

    try:
        with h5py.File(path, "r") as store:
            if "model_config" in store.attrs or "model_config" in store:
                raise DataError(f"{path}: a whole-model HDF5 file with its own architecture; "
                                "the zoo loads plain weights files only")
    except OSError as err:
        raise DataError(f"{path}: damaged HDF5 file ({err})") from None


def load_artifact(directory, *, schema=None, check=None):
    """Rebuild a saved model from the registry and load its weights.

    The config is checked against the model it builds (an image size the model does not take is
    refused here, not by TensorFlow at the first input), and the weights against the model's
    variables before Keras reads them: weights of another model or other options are one
    :class:`DataError`, not a page of Keras warnings.

    ``schema`` is the task's config schema (:func:`check_schema`) and ``check(config, where)``
    its own check of the config (a task class's ``check_config``), both run before anything is
    built; the task layer passes them (this module knows no task).

    Returns:
        ``(model, config)``.
    """
    directory = pathlib.Path(directory)
    config = read_config(directory)
    if schema:
        check_schema(config, schema, directory / CONFIG_FILE)
    if check is not None:
        check(config, directory / CONFIG_FILE)
    if not isinstance(config.get("model"), str) or not isinstance(config.get("options"), dict):
        raise DataError(f"{directory / CONFIG_FILE}: needs a model name and an options object")
    weights = directory / WEIGHTS_FILE
    if not weights.is_file():
        raise DataError(f"{directory}: {WEIGHTS_FILE} is missing")
    check_weights_file(weights)
    try:
        model = build(config["model"], **config["options"])
    except ZooError as err:
        raise DataError(f"{directory / CONFIG_FILE}: {err}") from None
    check_config_fits(config, model, directory / CONFIG_FILE, schema or {})
    _load_weights(model, weights, config["model"])
    return model, config


def load_weights_from(model, directory, name):
    """Load the weights saved in ``directory`` (a run or a published weight) into ``model``,
    built with that directory's options: a :class:`DataError` when they do not fit."""
    weights = pathlib.Path(directory) / WEIGHTS_FILE
    if not weights.is_file():
        raise DataError(f"{shown(directory)}: {WEIGHTS_FILE} is missing")
    check_weights_file(weights)
    _load_weights(model, weights, name)


def check_config_fits(config, model, where=CONFIG_FILE, schema=None):
    """Refuse a config whose image preprocessor (a ``"preprocessor"`` key of the task's
    ``schema``) does not make what the model takes (a size or a colour mode another model was
    trained with): a :class:`DataError` naming both."""
    for key, kind in (schema or {}).items():
        saved = config.get(key)
        if kind != "preprocessor" or saved.get("kind") not in ("image", "patches"):
            continue
        image_inputs = [tuple(i.shape) for i in model.inputs if len(i.shape) == 4]
        if image_inputs:
            from_config(saved, where).check_fits(image_inputs[0][1:], config["model"],
                                                 shown(where))


def _weight_shapes(path):
    """The shapes of the model's arrays in a weights file (its metadata only, no array is
    read); the optimizer's, which a training run saves too, are left out."""
    import h5py  # heavy: zoo --help / list load this module

    shapes = []
    with h5py.File(path, "r") as store:
        store.visititems(lambda name, item: shapes.append(tuple(item.shape))
                         if isinstance(item, h5py.Dataset)
                         and name.split("/")[0] in ("layers", "vars") else None)
    return shapes


def _load_weights(model, path, name):
    """Read a weights file into ``model``; weights that do not fit it (another model, other
    options) are one :class:`DataError` and Keras' per-layer warnings are not shown."""
    def misfit(detail):
        return DataError(f"{shown(path)}: the weights do not fit the model {name!r} ({detail}); "
                         "they come from another model or other options: give the directory "
                         "they were trained into, or retrain")

    try:
        saved = _weight_shapes(path)
    except OSError as err:
        raise DataError(f"{shown(path)}: damaged HDF5 file ({err})") from None
    wanted = [tuple(v.shape) for v in model.weights]
    if collections.Counter(saved) != collections.Counter(wanted):
        extra = sorted(set(saved) - set(wanted), key=str)
        missing = sorted(set(wanted) - set(saved), key=str)
        detail = f"the file holds {len(saved)} arrays, the model has {len(wanted)}"
        if missing:
            detail += f"; the model needs shape {missing[0]}"
            if extra:
                detail += f", the file has {extra[0]}"
        raise misfit(detail)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.load_weights(path)
        except (OSError, ValueError, KeyError) as err:
            text = " ".join(str(err).split())
            shapes = re.search(r"variable\.shape=\([^)]*\), Received: value\.shape=\([^)]*\)",
                               text)
            raise misfit(shapes.group(0) if shapes else text[:200]) from None
    skipped = [w for w in caught if issubclass(w.category, UserWarning)
               and re.search(r"[Ss]kipping|could not be loaded", str(w.message))]
    if skipped:
        raise misfit(" ".join(str(skipped[0].message).split())[:200])
