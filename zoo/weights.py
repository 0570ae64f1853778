"""Published weights: one plain-data record per weight, resolved from the package, a cache or a
mirror, and written by :func:`zoo.publish.publish` from a finished ``zoo train`` run.

The records live in ``zoo/pretrained/weights.json`` (a list, one dict per weight). A record
names the registered model and its build options, the files with their SHA-256 and size, the
data it was trained on (source, licence, split sizes), the figures measured on held-out data
with the task's headline figure, the preprocessing and vocabulary sizes, the Keras version, the
parameter count, the training wall time and the command that reproduces it, and a figure
re-measured on the small real data under ``tests/data`` (``fixture``) that the tests check. An
image weight calibrated for familiarity (:mod:`zoo.familiarity`) also lists
``familiarity.json`` (and ``familiarity.npz``) among its files and keeps the calibration's
figures under ``familiarity`` (method, threshold, false-alarm rate, detection rates, the data).

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
    >>> zoo.load("mnist_convnet.mnist").predict(["digit.png"])[0].label  # doctest: +SKIP
"""

import copy
import fnmatch
import pathlib

from zoo import hub, saving
from zoo._hashing import sha256_file
from zoo._naming import inside, is_safe_name, shown, suggest
from zoo.errors import DataError, UnknownNameError
from zoo.headline import Headline

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
        ['deep_mlp.mnist', 'deep_sigmoid_mlp.mnist', 'perceptron.mnist', ...]
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


# a model's weight when several are published: the one it had before the others came, so
# that zoo.load(MODEL) keeps its meaning
DEFAULTS = {"show_attend_tell": "show_attend_tell.mnist_captions"}


def default_weight(model):
    """The published weight of a registered model (:data:`DEFAULTS`, else the first by name),
    or ``None``."""
    names = list_weights(model=model)
    if DEFAULTS.get(model) in names:
        return DEFAULTS[model]
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

    return inside(hub.cache_dir(), "weights", name, what="weight name")


def weight_dir(name, *, progress=True):
    """A directory holding the verified files of weight ``name``: the bundled copy, the cache,
    or a download from ``$ZOO_WEIGHTS_URL`` into the cache (see the module docstring)."""

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
    """``"test accuracy 99.31%"``: a record's headline as a person reads it (``""`` when it has
    no headline figure, e.g. a run's record before the run measured it)."""
    figure = record.get("headline") or {}
    if figure.get("value") is None:
        return ""
    return f"{figure['label']} {Headline.from_dict(figure).format(figure['value'])}"

