"""What the experiments share: the MNIST arrays, seeded subsets, a training loop with per-epoch
measurements, parameter budgets, and the figure style.

Every experiment trains small Keras models built by the zoo's own builders
(:func:`zoo.models.mlp.build_mlp`, :func:`zoo.models.cnn.build_cnn`) on real MNIST digits, and
measures on the MNIST test split, which no experiment uses to choose anything (each protocol is
fixed in advance).
"""

import dataclasses
import importlib
import math
import time

import keras
import numpy as np

from zoo.errors import ConfigError, DataError
from zoo.data.images import mnist_arrays
from zoo.models.cnn import build_cnn

QUICK_TRAIN = 600  # the quick versions train on at most this many digits ...
QUICK_TEST = 200  # ... and measure on at most this many (tests/data/mnist_small holds 600 / 200)


@dataclasses.dataclass
class Digits:
    """MNIST as float32 ``(n, 28, 28, 1)`` images in [0, 1] and int labels, and where it came
    from."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    def describe(self):
        return {"source": self.source, "train": int(len(self.y_train)),
                "test": int(len(self.y_test)),
                "preprocessing": "pixels / 255, shape (28, 28, 1)",
                "license": "MNIST (LeCun, Cortes & Burges), CC BY-SA 3.0"}


def _round_robin(labels, rng):
    """All indices, one of each class in turn (each class's own order shuffled)."""
    classes = np.unique(labels)
    per_class = [rng.permutation(np.flatnonzero(labels == c)) for c in classes]
    order = []
    for rank in range(max(len(v) for v in per_class)):
        order.extend(int(v[rank]) for v in per_class if rank < len(v))
    return np.array(order, dtype=np.int64)


def balanced_subset(labels, size, rng):
    """Indices of ``size`` examples with the classes as balanced as the data allows, shuffled."""
    return rng.permutation(_round_robin(labels, rng)[:size])


def nested_order(labels, rng):
    """A permutation of all indices whose every prefix is class-balanced: the first ``n`` of it
    is the training set of size ``n``, so larger sets contain the smaller ones."""
    return _round_robin(labels, rng)


def load_digits(data_dir=None, *, quick=False, seed=0):
    """MNIST for an experiment; the quick versions take a seeded, class-balanced subset."""

    arrays = mnist_arrays(data_dir)
    (x_train, y_train), (x_test, y_test) = arrays["train"], arrays["test"]
    if len(y_train) < 50 or len(y_test) < 50:
        raise DataError(f"the MNIST files hold {len(y_train)} training and {len(y_test)} test "
                        "digits; the experiments need at least 50 of each")
    source = ("MNIST, the canonical IDX files (train 60,000 / t10k 10,000 when complete)"
              if data_dir else "MNIST from tensorflow-datasets")
    if quick:
        rng = np.random.default_rng(seed)
        train = balanced_subset(y_train, min(QUICK_TRAIN, len(y_train)), rng)
        test = balanced_subset(y_test, min(QUICK_TEST, len(y_test)), rng)
        x_train, y_train, x_test, y_test = x_train[train], y_train[train], x_test[test], y_test[test]
    scale = np.float32(1 / 255)
    return Digits(x_train[..., None] * scale, y_train.astype(np.int64),
                  x_test[..., None] * scale, y_test.astype(np.int64), source)


def need(module, what):
    """Import an optional dependency, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(f"{what} need {module}, which is not installed: pip install "
                          "'zoo[experiments]'") from None


def require_tensorflow(what):
    if keras.backend.backend() != "tensorflow":
        raise ConfigError(f"the {what} experiment reads gradients with TensorFlow; run it with "
                          f"KERAS_BACKEND=tensorflow (now {keras.backend.backend()!r})")


def compile_classifier(model, *, optimizer="adam", learning_rate=1e-3, decay_steps=None):
    """Compile for integer labels; ``decay_steps``: a cosine decay of the rate to 0 over them."""
    optimizers = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD}
    if decay_steps:
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, int(decay_steps))
    model.compile(optimizer=optimizers[optimizer](learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  jit_compile=False)  # XLA slows CPU training (README)
    return model


def measure(model, x, y, batch_size=1000):
    """``(accuracy, mean cross-entropy)`` of a compiled classifier, in inference mode."""
    loss, accuracy = model.evaluate(x, y, batch_size=batch_size, verbose=0)
    return float(accuracy), float(loss)


def train_epochs(model, x, y, *, epochs, batch_size, seed, on_epoch=None):
    """Train one epoch at a time; after each, call ``on_epoch(epoch)`` (1-based). Returns the
    wall seconds spent in training steps alone."""
    seconds = 0.0
    for epoch in range(1, epochs + 1):
        keras.utils.set_random_seed(seed * 1000 + epoch)  # the shuffle of each epoch, seeded
        start = time.perf_counter()
        model.fit(x, y, epochs=1, batch_size=batch_size, shuffle=True, verbose=0)
        seconds += time.perf_counter() - start
        if on_epoch is not None:
            on_epoch(epoch)
    return seconds


def mlp_params(hidden, inputs=784, classes=10):
    sizes = [inputs, *hidden, classes]
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


def width_for_budget(depth, budget, inputs=784, classes=10):
    """The hidden width ``w`` of ``depth`` equal layers whose MLP has ``budget`` parameters or the
    nearest count to it."""
    best = None
    for width in range(1, 10_000):
        gap = abs(mlp_params((width,) * depth, inputs, classes) - budget)
        if best is None or gap < best[0]:
            best = (gap, width)
        elif mlp_params((width,) * depth, inputs, classes) > budget:
            break
    return best[1]


def cnn_dense_for_budget(budget, filters=(32, 64)):
    """The width of the dense layer after ``filters`` conv(3x3)+max-pool blocks on 28x28 digits
    that puts the CNN nearest to ``budget`` parameters."""

    fixed = build_cnn(filters=filters, dense_units=(1,), dropout=0.0).count_params()
    per_unit = build_cnn(filters=filters, dense_units=(2,), dropout=0.0).count_params() - fixed
    return max(1, round((budget - fixed) / per_unit) + 1)


def steps_per_epoch(n, batch_size):
    return math.ceil(n / batch_size)


def figure(width=8.0, height=4.0, columns=1):
    """A matplotlib figure drawn off screen (the Agg backend), with ``columns`` axes."""
    matplotlib = need("matplotlib", "the plots")
    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure  # optional extra [experiments]

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, columns, squeeze=False)[0]
    for ax in axes:
        ax.grid(True, alpha=0.3)
    return fig, list(axes)


COLOURS = {"sigmoid": "#d62728", "tanh": "#ff7f0e", "relu": "#1f77b4",
           "sigmoid + pretraining": "#2ca02c"}
