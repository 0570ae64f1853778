"""zoo: a Keras 3 model zoo of the classic deep-learning families.

Example:
    >>> import zoo
    >>> zoo.list_models("*mlp")
    ['deep_mlp', 'deep_sigmoid_mlp', 'shallow_mlp']
    >>> model = zoo.build("mnist_convnet")
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from zoo import _quiet  # noqa: E402

_quiet.import_tensorflow()  # without the native start-up lines on stderr

from zoo import models  # noqa: E402,F401  (registers every model)
from zoo.errors import ConfigError, DataError, UnknownNameError, ZooError  # noqa: E402
from zoo.models.cnn import feature_maps  # noqa: E402
from zoo.registry import build, describe, list_models  # noqa: E402
from zoo.tasks import load  # noqa: E402
from zoo import weights  # noqa: E402  (published weights: zoo.weights.list_weights())
from zoo import batch, export  # noqa: E402  (zoo.export.export(...), zoo.batch.predict_files(...))

__version__ = "0.1.0"

__all__ = ["build", "describe", "list_models", "load", "feature_maps", "ZooError", "ConfigError",
           "DataError", "UnknownNameError", "weights", "export", "batch", "__version__"]
