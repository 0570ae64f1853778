"""Publishing a finished ``zoo train`` run as a weight: its files into ``OUT/NAME/`` and its
record into ``OUT/weights.json`` (see :mod:`zoo.weights` for what a record holds).

Publishing sits above the tasks: it loads the run as its task object, measures it again when
asked, and re-measures the record's fixture figure on the published files.

Example:
    >>> from zoo import publish
    >>> publish.publish("runs/mnist_convnet", "mirror", name="mnist_convnet.mine",
    ...                 data_source="MNIST", data_license="CC BY-SA 3.0",
    ...                 command="zoo train mnist_convnet ...")   # doctest: +SKIP
"""

import json
import os
import pathlib

from zoo import saving, tasks
from zoo._hashing import sha256_file
from zoo._naming import check_safe_name, inside
from zoo.checks import check_path, check_text, kind_of
from zoo.errors import ConfigError, DataError
from zoo.familiarity import Familiarity, save_beside
from zoo.registry import get_spec
from zoo.weights import FILES, _read_records, _records_path

def _relative(value, root, data_dirs=()):
    """Paths inside plain data made relative to ``root`` (paths inside one of ``data_dirs``,
    the data folder as given, absolute and resolved: ``data/`` and their path inside it; any
    other absolute path reduced to its file name), so a published config names no folder of
    the machine it was trained on. A comma-separated list is made relative path by path; a
    URL is kept."""
    if isinstance(value, dict):
        return {k: _relative(v, root, data_dirs) for k, v in value.items()}
    if isinstance(value, list):
        return [_relative(v, root, data_dirs) for v in value]
    if not isinstance(value, str) or "://" in value:
        return value
    parts = value.split(",")
    if len(parts) > 1 and any(part.startswith("/") for part in parts):
        return ",".join(_relative(part, root, data_dirs) for part in parts)
    prefix, text = "", value
    if ":" in value and not value.startswith("/"):
        head, rest = value.split(":", 1)
        if rest.startswith("/"):
            prefix, text = head + ":", rest
    path = pathlib.Path(text) if text else None
    for base in data_dirs:  # relative ones too: a --data-dir given as ../data
        if path is not None and path.is_relative_to(base):
            inner = path.relative_to(base)
            return prefix + ("data" if inner == pathlib.Path(".") else f"data/{inner}")
    if text.startswith("/") and len(text) > 1:
        return prefix + (str(path.relative_to(root)) if path.is_relative_to(root)
                         else path.name)
    return value


def _summary(config, metrics, *, name):
    """The parts of a record a run's config and metrics tell: what the model is, its data, its
    figures (the held-out ones) with the task's headline for them, its preprocessing."""
    spec = get_spec(config["model"])
    task_cls = tasks.task_class(spec.task)
    return {"name": name, "model": config["model"], "family": spec.family, "task": spec.task,
            "description": spec.describe_options(config.get("options")),
            "options": config.get("options") or {},
            "num_params": metrics.get("num_params"), "dataset": dict(config.get("dataset") or {}),
            "headline": task_cls.headline_for(metrics).to_dict(metrics),
            "metrics": {k: v for k, v in metrics.items()
                        if k.startswith(("test_", "validation_"))},
            "preprocessing": task_cls.record_summary(config)}


def run_record(run_dir, *, name=None):
    """A finished (or unfinished) ``zoo train`` run described as a published weight's record
    is, before it is published: ``name`` (default: the folder's name), ``model``, ``family``,
    ``task``, ``description``, ``options``, ``num_params`` (``None`` until the run recorded
    it), ``dataset``, ``headline``, ``metrics``, ``preprocessing`` and ``bundled`` (``False``).
    Reads the run's ``zoo.json`` (not its weights); :func:`zoo.weights.headline_text` shows
    its headline.

    Example:
        >>> record = run_record("runs/mnist_convnet")  # doctest: +SKIP
        >>> zoo.weights.headline_text(record)  # doctest: +SKIP
        'test accuracy 99.31%'
    """
    run_dir = check_path(run_dir, "run_dir")
    config = saving.read_config(run_dir)
    name = pathlib.Path(run_dir).name if name is None else check_text(name, "name")
    return {**_summary(config, config.get("metrics") or {}, name=name), "bundled": False}


def add_run_figures(run_dir, metrics, *, dataset=None):
    """Add figures measured after training to a run: ``metrics`` join its ``zoo.json`` metrics
    and its ``metrics.json`` (when there is one), ``dataset`` entries its ``zoo.json`` dataset
    (what they were measured on), so publishing the run records them. Returns the metrics."""
    run_dir = check_path(run_dir, "run_dir")
    config_path = pathlib.Path(run_dir) / saving.CONFIG_FILE
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config.setdefault("metrics", {}).update(metrics)
    if dataset:
        config.setdefault("dataset", {}).update(dataset)
    saving.write_json(config_path, config)
    metrics_path = pathlib.Path(run_dir) / "metrics.json"
    if metrics_path.is_file():
        saved = json.loads(metrics_path.read_text(encoding="utf-8"))
        saved.update(metrics)
        saving.write_json(metrics_path, saved)
    return config["metrics"]


# data sets a fixture names (read from its data_dir), not paths
NAMED_SETS = ("mnist", "mnist_captions", "emoji")


def measure_fixture(task, fixture):
    """Re-measure a loaded task on small data (``{"dataset", "data_dir", "test_data"}`` paths
    relative to the project root, or one of :data:`NAMED_SETS`), test split: the figures the
    record's ``fixture`` keeps."""
    root = pathlib.Path(__file__).resolve().parents[1]

    def path(key):
        value = fixture.get(key)
        if value is None or value in NAMED_SETS:
            return value
        return str(root / value)

    prepared = task.prepare_saved(dataset=path("dataset"), data_dir=path("data_dir"),
                                  test_data=path("test_data"), recipe=fixture.get("recipe"))
    return task.measure(prepared, splits=("test",))


def publish(run_dir, out_dir, *, name, data_source, data_license, command, license="MIT",
            fixture=None, bundled=True, base_url=None, notes="", remeasure=False,
            data_dir=None):
    """Write a finished run's files into ``out_dir/NAME/`` and its record into
    ``out_dir/weights.json`` (replacing a record of the same name). Paths in the run's config
    are written relative to the working directory, or, inside ``data_dir`` (the folder the
    training data was read from), as ``data/...`` (as a record's command names them).

    ``remeasure`` measures the held-out splits again with the zoo's current code (on the data
    the run recorded, which must still be where it was) and records those figures, e.g. after
    the way a figure is computed changed; the run's own figures stay in its ``metrics.json``.

    ``out_dir`` may be ``zoo/pretrained`` (to bundle the weight) or any folder a static server
    serves (then point ``ZOO_WEIGHTS_URL`` at it). Returns the record.
    """
    import keras  # heavy: zoo --help loads this module; only publishing needs Keras

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
    task = tasks.load(run_dir)
    config = task.config
    metrics = config.get("metrics") or {}
    if not metrics:
        raise DataError(f"{run_dir} has no recorded metrics; let `zoo train` finish first")
    if remeasure:
        metrics = {**metrics, **task.measure(task.prepare_saved())}
        config["metrics"] = metrics
    if task.headline.value_of(metrics) is None:
        raise DataError(f"{run_dir}: its metrics have no {task.headline.metric}")
    dest = inside(out_dir, name, what="the weight name", error=ConfigError)
    dest.mkdir(parents=True, exist_ok=True)
    root = pathlib.Path.cwd().resolve()
    data_dirs = ()
    if data_dir is not None:
        given = pathlib.Path(check_path(data_dir, "data_dir"))
        data_dirs = tuple(dict.fromkeys((given, given.absolute(), given.resolve())))
    clean = _relative(json.loads(json.dumps(config)), root, data_dirs)
    saving.write_json(dest / saving.CONFIG_FILE, {"format": saving.FORMAT, **clean})
    # the model's variables only: a compiled model's weights file also holds the optimizer's
    # (Adam's two moments: three times the size), which inference never needs
    bare, _ = saving.load_artifact(run_dir)
    saving.save_weights(bare, dest / saving.WEIGHTS_FILE)
    os.chmod(dest / saving.WEIGHTS_FILE, 0o644)
    os.chmod(dest / saving.CONFIG_FILE, 0o644)
    spm = saving.preprocessor_files(clean)  # a SentencePiece model, beside the weights
    for file, data in spm.items():
        saving.write_bytes(dest / file, data)
        os.chmod(dest / file, 0o644)
    # the run's familiarity calibration (scripts/calibrate_familiarity.py), when it has one
    # (without one, a calibration left from weights published here before is removed)
    signal = Familiarity.load(run_dir)
    extra = list(spm) + [path.name for path in save_beside(signal, dest)]
    summary = _summary(clean, metrics, name=name)
    record = {
        **summary,
        "files": [{"name": f, "sha256": sha256_file(dest / f), "size": (dest / f).stat().st_size}
                  for f in FILES + tuple(extra)],
        "num_params": int(task.model.count_params()),
        "dataset": dict(summary["dataset"], source_of_data=data_source, license=data_license),
        "training": {"recipe": clean.get("train"), "epochs_run": metrics.get("epochs_run"),
                     "wall_time_s": metrics.get("wall_time_s"), "command": command,
                     "split": clean.get("data"), "notes": notes},
        "keras_version": keras.__version__, "license": license, "bundled": bool(bundled),
        "fixture": None,
    }
    if clean.get("init_from"):  # a warm start: what it continued, and the epochs of the chain
        earlier = clean["init_from"]
        record["training"]["init_from"] = earlier
        record["training"]["epochs_total"] = None if earlier.get("epochs_total") is None \
            or metrics.get("epochs_run") is None else \
            int(metrics["epochs_run"]) + int(earlier["epochs_total"])
    if signal is not None:
        record["familiarity"] = signal.record_figures()
    if base_url:
        record["base_url"] = base_url
    if fixture:
        fresh = tasks.load(dest)
        record["fixture"] = dict(fixture, metrics=measure_fixture(fresh, fixture))
    table = dict(_read_records(out_dir))
    table[name] = record
    saving.write_json(_records_path(out_dir), [table[k] for k in sorted(table)])
    os.chmod(_records_path(out_dir), 0o644)
    return record
