"""Published weights: one plain-data record per weight, resolved from the package, a cache or a
mirror, and written by ``publish`` from a finished ``zoo train`` run.

The records live in ``zoo/pretrained/weights.json`` (a list, one dict per weight). A record
names the registered model and its build options, the files with their SHA-256 and size, the
data it was trained on (source, licence, split sizes), the figures measured on held-out data
with the task's headline figure, the preprocessing and vocabulary sizes, the Keras version, the
parameter count, the training wall time and the command that reproduces it, and a figure
re-measured on the small real data under ``tests/data`` (``fixture``) that the tests check.

Resolution of ``weight_dir(name)``, first that works:

1. the copy bundled in the package (``zoo/pretrained/NAME/``), hashes checked;
2. the cache (``$ZOO_CACHE_DIR``, default the platform's user cache directory), hashes checked
   on every hit;
3. a download from ``$ZOO_WEIGHTS_URL`` (a mirror: any static HTTP server, or ``file://``,
   holding what ``zoo weights publish`` wrote), unless ``ZOO_OFFLINE=1``.

Every file is verified; a weight is a ``zoo.json`` of plain data and a ``model.weights.h5`` of
weights only, so loading one never runs code from it (see :mod:`zoo.saving`).

Example:
    >>> zoo.weights.list_weights("mnist_*")
    ['mnist_convnet.mnist']
    >>> zoo.load("mnist_convnet.mnist").predict(["digit.png"])[0].label
"""

import copy
import fnmatch
import json
import os
import pathlib

from zoo import saving
from zoo._hashing import sha256_file
from zoo._naming import check_safe_name, inside, is_safe_name, shown, suggest
from zoo.checks import check_path, check_text, kind_of
from zoo.errors import ConfigError, DataError, UnknownNameError
from zoo.tasks.base import Headline

PRETRAINED_DIR = pathlib.Path(__file__).resolve().parent / "pretrained"
RECORDS_FILE = "weights.json"
FILES = (saving.CONFIG_FILE, saving.WEIGHTS_FILE)
# What every record holds; the tests check each is there and true.
RECORD_KEYS = ("name", "model", "family", "task", "description", "options", "files",
               "num_params", "dataset", "headline", "metrics", "preprocessing", "training",
               "keras_version", "license", "bundled", "fixture")


def _records_path(directory=None):
    return pathlib.Path(directory or PRETRAINED_DIR) / RECORDS_FILE


_TABLES = {}  # path -> ((mtime, size), records): the table is read once until it changes


def _read_records(directory=None):
    path = _records_path(directory)
    if not path.is_file():
        return {}
    stat = path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _TABLES.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    records = saving.read_json(path, what="weights table")
    if not isinstance(records, list) or not all(isinstance(r, dict) and "name" in r
                                                for r in records):
        raise DataError(f"{path}: not a weights table (a JSON list of records)")
    for record in records:
        names = [record["name"]] + [f.get("name") if isinstance(f, dict) else f
                                    for f in record.get("files") or []]
        unsafe = [n for n in names if not is_safe_name(n)]
        if unsafe:
            raise DataError(f"{shown(path)}: the record {shown(repr(record['name']))} names "
                            f"{shown(repr(unsafe[0]))}, not a safe weight or file name (a path "
                            "could lead outside its folder); the table is damaged or tampered "
                            "with: reinstall zoo, or publish the weight again")
    table = {r["name"]: r for r in records}
    _TABLES[path] = (stamp, table)
    return table


def records():
    """Every published weight's record, ``{name: record}`` (copies: edit freely)."""
    return copy.deepcopy(_read_records())


def list_weights(pattern=None, *, family=None, model=None):
    """Names of the published weights, sorted; ``pattern`` is a shell-style wildcard.

    Example:
        >>> zoo.weights.list_weights(family="mlp")
        ['deep_mlp.mnist', 'perceptron.mnist', ...]
    """
    table = _read_records()
    names = sorted(table)
    if pattern:
        names = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
    if family:
        names = [n for n in names if table[n]["family"] == family]
    if model:
        names = [n for n in names if table[n]["model"] == model]
    return names


def get_weight(name):
    """The record of one published weight (a plain dict); a clear error for an unknown name."""
    table = _read_records()
    if name not in table:
        raise UnknownNameError(f"no published weight {name!r}.{suggest(name, table)} Run "
                               "`zoo weights list` to see them.")
    return copy.deepcopy(table[name])


def is_weight_name(text):
    """Whether ``text`` names a published weight (and is not a directory)."""
    return str(text) in _read_records() and not pathlib.Path(str(text)).is_dir()


def default_weight(model):
    """The published weight of a registered model (the first by name), or ``None``."""
    names = list_weights(model=model)
    return names[0] if names else None


# -- resolution ----------------------------------------------------------------------------------

def _matches(path, entry):
    path = pathlib.Path(path)
    return (path.is_file() and path.stat().st_size == int(entry["size"])
            and sha256_file(path) == entry["sha256"])


def _bundled_dir(record):
    folder = PRETRAINED_DIR / record["name"]
    if record.get("bundled") and all(_matches(folder / f["name"], f) for f in record["files"]):
        return folder
    return None


def cached_dir(name):
    """Where the cache keeps a weight's files (they may not be there); a name that is not
    safe, or a link that leads outside the cache, is refused."""
    from zoo import hub

    return inside(hub.cache_dir(), "weights", name, what="weight name")


def weight_dir(name, *, progress=True):
    """A directory holding the verified files of weight ``name``: the bundled copy, the cache,
    or a download from ``$ZOO_WEIGHTS_URL`` into the cache (see the module docstring)."""
    from zoo import hub

    record = get_weight(name)
    bundled = _bundled_dir(record)
    if bundled is not None:
        return bundled
    folder = cached_dir(name)
    base = hub.base_url(record.get("base_url") or "")
    if not base and not all(_matches(folder / f["name"], f) for f in record["files"]):
        where = "the bundled copy is missing or damaged, and " if record.get("bundled") else ""
        raise DataError(
            f"weight {name!r}: {where}no download address is set; set ZOO_WEIGHTS_URL to a "
            f"mirror holding what `zoo weights publish` wrote, or put its files in {folder}")
    for entry in record["files"]:
        hub.fetch_file(f"{base}{name}/{entry['name']}", inside(folder, entry["name"]),
                       sha256=entry["sha256"], size=int(entry["size"]), progress=progress)
    return folder


def verify(name):
    """Check a weight's files where they are found; ``{"name", "where", "ok", "problems"}``."""
    record = get_weight(name)
    problems, where = [], None
    for folder in (PRETRAINED_DIR / name, cached_dir(name)):
        if all((folder / f["name"]).is_file() for f in record["files"]):
            where = folder
            problems = [f"{f['name']}: size or SHA-256 differs from the record"
                        for f in record["files"] if not _matches(folder / f["name"], f)]
            break
    if where is None:
        problems = ["not bundled and not in the cache (`zoo weights download NAME`)"]
    return {"name": name, "where": str(where) if where else None, "ok": not problems,
            "problems": problems}


# -- publishing ----------------------------------------------------------------------------------

def _relative(value, root):
    """Paths inside plain data made relative to ``root`` (else reduced to their file name), so
    a published config names no folder of the machine it was trained on."""
    if isinstance(value, dict):
        return {k: _relative(v, root) for k, v in value.items()}
    if isinstance(value, list):
        return [_relative(v, root) for v in value]
    if isinstance(value, str):
        prefix = ""
        text = value
        if ":" in value and not value.startswith("/"):
            head, rest = value.split(":", 1)
            if rest.startswith("/"):
                prefix, text = head + ":", rest
        if text.startswith("/") and len(text) > 1:
            path = pathlib.Path(text)
            try:
                return prefix + str(path.relative_to(root))
            except ValueError:
                return prefix + path.name
    return value


def _preprocessing_summary(config):
    """The preprocessing and vocabulary facts of a saved config, without the vocabularies."""
    out = {}
    if "preprocessing" in config:
        out.update(config["preprocessing"])
    for key in ("vocabulary", "source_vocab", "target_vocab"):
        if isinstance(config.get(key), dict):
            vocab = config[key]
            tokens = vocab.get("tokens") or vocab.get("itos") or []
            out[f"{key}_size"] = len(tokens) if tokens else None
    if "class_names" in config:
        out["class_names"] = list(config["class_names"])
    if "max_caption_length" in config:
        out["max_caption_length"] = config["max_caption_length"]
    return out


def measure_fixture(task, fixture):
    """Re-measure a loaded task on small data (``{"dataset", "data_dir", "test_data"}`` paths
    relative to the project root), test split: the figures the record's ``fixture`` keeps."""
    root = pathlib.Path(__file__).resolve().parents[1]

    def path(key):
        value = fixture.get(key)
        if value is None or value in ("mnist", "mnist_captions"):
            return value
        return str(root / value)

    prepared = task.prepare_saved(dataset=path("dataset"), data_dir=path("data_dir"),
                                  test_data=path("test_data"), recipe=fixture.get("recipe"))
    return task.measure(prepared, splits=("test",))


def publish(run_dir, out_dir, *, name, data_source, data_license, command, license="MIT",
            fixture=None, bundled=True, base_url=None, notes="", remeasure=False):
    """Write a finished run's files into ``out_dir/NAME/`` and its record into
    ``out_dir/weights.json`` (replacing a record of the same name).

    ``remeasure`` measures the held-out splits again with the zoo's current code (on the data
    the run recorded, which must still be where it was) and records those figures, e.g. after
    the way a figure is computed changed; the run's own figures stay in its ``metrics.json``.

    ``out_dir`` may be ``zoo/pretrained`` (to bundle the weight) or any folder a static server
    serves (then point ``ZOO_WEIGHTS_URL`` at it). Returns the record.
    """
    import keras

    import zoo
    from zoo.registry import get_spec

    check_safe_name(name, "the weight name")
    run_dir, out_dir = check_path(run_dir, "run_dir"), check_path(out_dir, "out_dir")
    saving.check_writable_dir(out_dir, "out_dir")
    for key, value in (("data_source", data_source), ("data_license", data_license),
                       ("command", command), ("license", license), ("notes", notes)):
        check_text(value, key, empty=key == "notes", limit=10_000)
    check_text(base_url, "base_url", none=True, limit=2_000)
    if fixture is not None and not isinstance(fixture, dict):
        raise ConfigError(f"fixture must be a dict (dataset, data_dir, test_data paths) or None, "
                          f"got {kind_of(fixture)}")
    task = zoo.load(run_dir)
    config = task.config
    metrics = config.get("metrics") or {}
    if not metrics:
        raise DataError(f"{run_dir} has no recorded metrics; let `zoo train` finish first")
    if remeasure:
        metrics = {**metrics, **task.measure(task.prepare_saved())}
        config["metrics"] = metrics
    headline = task.headline.to_dict(metrics)
    if headline["value"] is None:
        raise DataError(f"{run_dir}: its metrics have no {task.headline.metric}")
    spec = get_spec(config["model"])
    dest = inside(out_dir, name, what="the weight name", error=ConfigError)
    dest.mkdir(parents=True, exist_ok=True)
    root = pathlib.Path.cwd().resolve()
    clean = _relative(json.loads(json.dumps(config)), root)
    saving.write_json(dest / saving.CONFIG_FILE, {"format": saving.FORMAT, **clean})
    # the model's variables only: a compiled model's weights file also holds the optimizer's
    # (Adam's two moments: three times the size), which inference never needs
    bare, _ = saving.load_artifact(run_dir)
    saving.save_weights(bare, dest / saving.WEIGHTS_FILE)
    os.chmod(dest / saving.WEIGHTS_FILE, 0o644)
    os.chmod(dest / saving.CONFIG_FILE, 0o644)
    record = {
        "name": name, "model": config["model"], "family": spec.family, "task": spec.task,
        "description": spec.description, "options": clean["options"],
        "files": [{"name": f, "sha256": sha256_file(dest / f), "size": (dest / f).stat().st_size}
                  for f in FILES],
        "num_params": int(task.model.count_params()),
        "dataset": dict(clean.get("dataset") or {}, source_of_data=data_source,
                        license=data_license),
        "headline": headline,
        "metrics": {k: v for k, v in metrics.items()
                    if k.startswith(("test_", "validation_"))},
        "preprocessing": _preprocessing_summary(clean),
        "training": {"recipe": clean.get("train"), "epochs_run": metrics.get("epochs_run"),
                     "wall_time_s": metrics.get("wall_time_s"), "command": command,
                     "split": clean.get("data"), "notes": notes},
        "keras_version": keras.__version__, "license": license, "bundled": bool(bundled),
        "fixture": None,
    }
    if base_url:
        record["base_url"] = base_url
    if fixture:
        fresh = zoo.load(dest)
        record["fixture"] = dict(fixture, metrics=measure_fixture(fresh, fixture))
    table = dict(_read_records(out_dir))
    table[name] = record
    saving.write_json(_records_path(out_dir), [table[k] for k in sorted(table)])
    os.chmod(_records_path(out_dir), 0o644)
    return record


def check_record(record):
    """Problems with a record's completeness (an empty list when it is complete)."""
    problems = [f"missing {key!r}" for key in RECORD_KEYS if key not in record]
    for entry in record.get("files") or []:
        if set(entry) < {"name", "sha256", "size"}:
            problems.append(f"file entry {entry} lacks name, sha256 or size")
    if record.get("headline", {}).get("value") is None:
        problems.append("no headline value")
    for key in ("source_of_data", "license", "name"):
        if not (record.get("dataset") or {}).get(key):
            problems.append(f"dataset has no {key!r}")
    if not (record.get("training") or {}).get("command"):
        problems.append("no reproducing command")
    if problems and "name" in record:
        problems = [f"{record['name']}: {p}" for p in problems]
    return problems


def headline_text(record):
    """``"test accuracy 99.31%"``: a record's headline as a person reads it."""
    headline = Headline.from_dict(record["headline"])
    return f"{headline.label} {headline.format(record['headline']['value'])}"

