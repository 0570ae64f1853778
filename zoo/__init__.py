"""zoo: a Keras 3 model zoo of the classic deep-learning families.

``import zoo`` is light: it does not import TensorFlow or Keras. The attributes that need them
(``build``, ``load``, ``feature_maps``, ``export``, ``batch``, ...) are imported on first use,
so ``zoo --help``, ``zoo list``, ``zoo describe`` and ``zoo weights list`` start in a fraction of
a second.

The public API is what :data:`__all__` lists: these functions, the errors, and the public
modules of :data:`PUBLIC_MODULES` (``zoo.tasks``, the task objects; ``zoo.weights``, the
published weights; ``zoo.samples``, sample inputs shipped with the package; ``zoo.training``,
``zoo.batch``, ``zoo.export``, ``zoo.analysis``, ``zoo.experiments``, ``zoo.publish``, the work;
``zoo.runtime``, ``zoo.limits``, ``zoo.checks``, ``zoo.files``, ``zoo.errors``, the settings,
bounds, argument checks and file helpers a front end needs). The ``zoo`` command and the demo
use nothing else (``tests/test_public_api.py`` checks); the other modules (``zoo.data``,
``zoo.images``, ``zoo.saving``, ``zoo._io``...) are the zoo's insides and may change.

Example:
    >>> import zoo
    >>> zoo.list_models("*mlp")
    ['deep_mlp', 'deep_sigmoid_mlp', 'shallow_mlp']
    >>> model = zoo.build("mnist_convnet")
"""

import importlib
import importlib.util
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from zoo import _quiet  # noqa: E402

_quiet.quiet_tensorflow_when_imported()  # without the native start-up lines on stderr

from zoo.errors import ConfigError, DataError, UnknownNameError, ZooError  # noqa: E402
from zoo.api import build, describe, list_models  # noqa: E402  (light: the model index)

__version__ = "0.1.0"

# functions imported on first use (PEP 562), and every submodule: `zoo.training`, `zoo.batch`,
# ... are imported when first touched, so the CLI can name them at no start-up cost
_LAZY = {"load": "zoo.tasks", "feature_maps": "zoo.models.cnn", "open_image": "zoo.images",
         "list_datasets": "zoo.data", "filter_native_stderr": "zoo._quiet"}

# the modules that are part of the public API (each imported on first use)
PUBLIC_MODULES = ("tasks", "weights", "samples", "training", "batch", "export", "analysis",
                  "experiments", "publish", "runtime", "limits", "checks", "files", "errors")

__all__ = ["build", "describe", "list_models", "load", "feature_maps", "open_image",
           "list_datasets", "filter_native_stderr", "ZooError", "ConfigError", "DataError",
           "UnknownNameError", *PUBLIC_MODULES, "__version__"]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif not name.startswith("__") and importlib.util.find_spec(f"zoo.{name}") is not None:
        value = importlib.import_module(f"zoo.{name}")
    else:
        raise AttributeError(f"module 'zoo' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
