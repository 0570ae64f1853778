"""The explainer's experiments, rerunnable: one function call (or ``zoo experiment NAME``) each,
returning plain data (the figures and the curves behind them) and a plot.

Example:
    >>> from zoo import experiments
    >>> experiments.list_experiments()
    ['vanishing', 'dropout', 'depth', 'scaling', 'incremental']
    >>> result = experiments.run("dropout", quick=True, data_dir="tests/data/mnist_small")
    >>> result["holds"]          # the direction of the effect, read from the figures
    >>> experiments.save(result, "out/")   # out/dropout.json and out/dropout.png

The full runs' results ship with the package (:func:`shipped`), made by
``python scripts/run_experiments.py`` with the seeds and commands recorded in each file.
"""

import contextlib
import importlib
import json
import os
import platform
import time
from pathlib import Path

from zoo import saving
from zoo._naming import suggest
from zoo.checks import check_kind, check_number, check_path, kind_of
from zoo.errors import ConfigError, UnknownNameError

NAMES = ("vanishing", "dropout", "depth", "scaling", "incremental")
RESULTS = Path(__file__).resolve().parent / "results"


def list_experiments():
    return list(NAMES)


def _known(name):
    """``name`` if it names an experiment, else a clear error (nothing imported)."""
    if not isinstance(name, str) or name not in NAMES:
        raise UnknownNameError(f"unknown experiment {name!r}{suggest(str(name), NAMES)}; the "
                               f"experiments are: {', '.join(NAMES)}")
    return name


def module(name):
    return importlib.import_module(f"zoo.experiments.{_known(name)}")


def describe(name):
    mod = module(name)
    return {"name": name, "title": mod.TITLE, "claim": mod.CLAIM, "full": dict(mod.FULL),
            "quick": dict(mod.QUICK)}


def run(name, *, quick=False, data_dir=None, seed=0, digits=None):
    """Run one experiment and return its result: a JSON-ready dict with ``figures`` (the
    headline numbers), ``series`` (the curves), ``holds`` (whether each expected direction of the
    effect was seen), the settings, the data, the seed, the wall time and the load average.

    Args:
        name: one of :func:`list_experiments`.
        quick: the small version (at most 600 training and 200 test digits, fewer epochs): under
            a minute on 2 CPU cores, for tests and the demo.
        data_dir: a folder with MNIST's IDX files (``python scripts/fetch_data.py mnist --out
            DIR``); ``None``: ``$ZOO_DATA_DIR``, else tensorflow-datasets.
        seed: seeds every draw and every model's initialisation.
        digits: already loaded :class:`zoo.experiments._common.Digits` (then ``data_dir`` is not
            read).
    """
    import keras
    import tensorflow as tf

    from zoo.experiments import _common

    mod = module(name)
    seed = check_number(seed, "seed", whole=True, low=0, high=2**31 - 1)
    quick = check_kind(quick, "quick", bool, "True or False")
    if digits is None and data_dir is not None:
        data_dir = str(check_path(data_dir, "data_dir"))
    settings = dict(mod.QUICK if quick else mod.FULL)
    if digits is None:
        digits = _common.load_digits(data_dir, quick=quick, seed=seed)
    start = time.perf_counter()
    load_before = os.getloadavg()
    with _deterministic():  # the same seed gives the same figures
        out = mod.run(digits, settings, seed)
    result = {
        "experiment": name, "title": mod.TITLE, "claim": mod.CLAIM, "quick": bool(quick),
        "seed": int(seed), "settings": settings, "data": digits.describe(),
        "command": f"zoo experiment {name}{' --quick' if quick else ''} --seed {seed} "
                   "--data-dir DIR --out OUT",
        "figures": out["figures"], "series": out["series"],
        "wall_seconds": round(time.perf_counter() - start, 1),
        "load_average": [round(v, 2) for v in load_before],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "keras": keras.__version__, "backend": keras.backend.backend(),
                    "tensorflow": tf.__version__},
    }
    result["holds"] = mod.holds(result)
    return result


@contextlib.contextmanager
def _deterministic():
    """TensorFlow's deterministic kernels for the duration, then the setting as it was."""
    import keras

    if keras.backend.backend() != "tensorflow":
        yield
        return
    from tensorflow.python.framework import config  # the switch back is not in tf.config

    was = config.is_op_determinism_enabled()
    config.enable_op_determinism()
    try:
        yield
    finally:
        if not was:
            config.disable_op_determinism()


def _check_result(result):
    if not isinstance(result, dict) or not isinstance(result.get("experiment"), str) \
            or not isinstance(result.get("series"), dict):
        raise ConfigError(f"an experiment's result goes here (what experiments.run(...) or "
                          f"experiments.shipped(...) returns), got {kind_of(result)}")
    module(result["experiment"])
    return result


def plot(result):
    """The result's plot, a ``matplotlib.figure.Figure``."""
    return module(_check_result(result)["experiment"]).plot(result)


def save(result, out_dir):
    """Write ``NAME.json`` and ``NAME.png`` into ``out_dir``; returns their paths."""
    _check_result(result)
    out = check_path(out_dir, "out_dir")
    saving.check_writable_dir(out, "out_dir")
    out.mkdir(parents=True, exist_ok=True)
    name = result["experiment"]
    json_path, png_path = out / f"{name}.json", out / f"{name}.png"
    saving.write_json(json_path, result)
    fig = plot(result)
    partial = png_path.with_suffix(".png.part")
    fig.savefig(partial, format="png", dpi=100)
    os.replace(partial, png_path)
    return json_path, png_path


def shipped(name):
    """The full run's result that ships with the package (``None`` if there is none)."""
    _known(name)
    path = RESULTS / f"{name}.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def shipped_plot(name):
    """The path of the full run's plot that ships with the package (``None`` if none)."""
    _known(name)
    path = RESULTS / f"{name}.png"
    return path if path.is_file() else None
