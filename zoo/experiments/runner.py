"""Running one experiment: the data, the seeded and deterministic run, and the result as plain
data (see :func:`zoo.experiments.run`, which is this module's :func:`run`)."""

import contextlib
import os
import platform
import time

import keras
import tensorflow as tf
from tensorflow.python.framework import config  # the switch back is not in tf.config

from zoo import _quiet
from zoo.checks import check_kind, check_number, check_path
from zoo.experiments import _common, module


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
    # the same seed gives the same figures; TensorFlow's harmless per-fit notice is dropped
    with _deterministic(), _quiet.native_noise_filtered():
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
    if keras.backend.backend() != "tensorflow":
        yield
        return
    was = config.is_op_determinism_enabled()
    config.enable_op_determinism()
    try:
        yield
    finally:
        if not was:
            config.disable_op_determinism()
