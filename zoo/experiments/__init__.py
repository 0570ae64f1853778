"""The explainer's experiments, rerunnable: one function call (or ``zoo experiment NAME``) each,
returning plain data (the figures and the curves behind them) and a plot.

Example:
    >>> from zoo import experiments
    >>> experiments.list_experiments()
    ['vanishing', 'dropout', 'depth', 'scaling', 'incremental']
    >>> result = experiments.run("dropout", quick=True,  # doctest: +SKIP
    ...                          data_dir="tests/data/mnist_small")
    >>> result["holds"]  # the direction of the effect, from the figures  # doctest: +SKIP
    >>> experiments.save(result, "out/")   # out/dropout.json and out/dropout.png  # doctest: +SKIP

The full runs' results ship with the package (:func:`shipped`), made by
``python scripts/run_experiments.py`` with the seeds and commands recorded in each file.
"""

import importlib
import json
import os
from pathlib import Path

from zoo import saving
from zoo._naming import suggest
from zoo.checks import check_path, kind_of
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


def __getattr__(name):
    """``run`` lives in :mod:`zoo.experiments.runner` (it needs Keras), imported on first use so
    that listing the experiments and their shipped results stays light."""
    if name == "run":
        return importlib.import_module("zoo.experiments.runner").run
    raise AttributeError(f"module 'zoo.experiments' has no attribute {name!r}")


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
