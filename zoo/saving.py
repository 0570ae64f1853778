"""Saving trained models as plain files, and restoring them without running code from them.

A trained model is a directory with two files:

- ``zoo.json``: plain data: the registered model name and its build options, the task, and
  everything inference needs (class names, preprocessing, vocabularies), plus the data and
  metrics it was trained and measured on.
- ``model.weights.h5``: the weights, nothing else.

Restoring builds the architecture from the zoo's own registry and then reads the weights, so a
downloaded directory can never execute code. Files are written to a temporary name and renamed,
so an interrupted save leaves the previous files intact.
"""

import json
import os
import pathlib
import tempfile

from zoo.errors import DataError, ZooError

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

FORMAT = "zoo/1"
CONFIG_FILE = "zoo.json"
WEIGHTS_FILE = "model.weights.h5"


def to_plain(value):
    """Convert tuples (and nested containers) into JSON-friendly lists and dicts."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # NumPy scalars
        return value.item()
    return value


def write_json(path, data):
    """Write JSON atomically: a crash mid-write never leaves a half-written file."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(to_plain(data), handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path, what="file"):
    """Read a JSON file, with a clear error when it is missing or damaged."""
    path = pathlib.Path(path)
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise DataError(f"{path}: no such {what}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: damaged {what}, not valid JSON ({err})") from None


def save_weights(model, path):
    """Save a model's weights atomically to an ``.weights.h5`` file."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.weights.h5")
    try:
        model.save_weights(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def save_artifact(directory, model, config):
    """Save ``model`` and its plain-data ``config`` (model name, options, task assets)."""
    directory = pathlib.Path(directory)
    for key in ("task", "model", "options"):
        if key not in config:
            raise ValueError(f"config needs {key!r}")
    save_weights(model, directory / WEIGHTS_FILE)
    write_json(directory / CONFIG_FILE, {"format": FORMAT, **config})


def read_config(directory):
    """The ``zoo.json`` of a saved model directory."""
    directory = pathlib.Path(directory)
    if not directory.is_dir():
        raise DataError(f"{directory}: no such directory; give the --out directory of a "
                        "`zoo train` run")
    if not (directory / CONFIG_FILE).is_file():
        raise DataError(f"{directory} holds no trained model ({CONFIG_FILE} is missing); "
                        "train one with `zoo train NAME --out DIR` and wait for it to finish")
    config = read_json(directory / CONFIG_FILE, what="model config")
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise DataError(f"{directory / CONFIG_FILE}: not a zoo model config "
                        f"(expected format {FORMAT!r})")
    return config


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
    import h5py

    try:
        with h5py.File(path, "r") as store:
            if "model_config" in store.attrs or "model_config" in store:
                raise DataError(f"{path}: a whole-model HDF5 file with its own architecture; "
                                "the zoo loads plain weights files only")
    except OSError as err:
        raise DataError(f"{path}: damaged HDF5 file ({err})") from None


def load_artifact(directory):
    """Rebuild a saved model from the registry and load its weights.

    Returns:
        ``(model, config)``.
    """
    from zoo.registry import build

    directory = pathlib.Path(directory)
    config = read_config(directory)
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
    try:
        model.load_weights(weights)
    except (OSError, ValueError, KeyError) as err:
        raise DataError(f"{weights}: the weights do not fit the model {config['model']!r} or the "
                        f"file is damaged ({err})") from None
    return model, config
