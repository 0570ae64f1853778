"""Performance grows with data: held-out accuracy against the number of training digits.

Nested, class-balanced training sets from 100 digits to all 60,000 (log-spaced; each contains the
smaller ones) train a CNN (``mnist_convnet``'s shape), an MLP (``shallow_mlp``'s shape) and two
classic methods from scikit-learn: logistic regression and k-nearest neighbours. The networks get
about the same number of optimiser steps at every size (more epochs for small sets), so a small set
is not also an under-trained one. Everything is measured on the same held-out test digits.
"""

import math
import time
import warnings

import keras
import numpy as np

from zoo.experiments import _common
from zoo.models.cnn import build_cnn
from zoo.models.mlp import build_mlp

TITLE = "Performance grows with data"
CLAIM = ("Every method improves with more training digits; the linear method levels off near "
         "92% while the networks and nearest neighbours keep climbing towards 97-99%, and the "
         "CNN is ahead at every size.")
FULL = {"sizes": [100, 300, 1000, 3000, 10000, 30000, 60000], "steps": 3000, "min_epochs": 3,
        "max_epochs": 200, "batch_size": 64, "knn_k": 3, "logistic_max_iter": 200}
QUICK = {"sizes": [60, 200, 600], "steps": 200, "min_epochs": 3, "max_epochs": 40,
         "batch_size": 32, "knn_k": 3, "logistic_max_iter": 200}
METHODS = ("CNN", "MLP", "logistic regression", "k-nearest neighbours")


def epochs_for(n, settings):
    """Epochs that give about ``settings["steps"]`` optimiser steps on ``n`` digits, clipped."""
    per_epoch = _common.steps_per_epoch(n, settings["batch_size"])
    wanted = math.ceil(settings["steps"] / per_epoch)
    return int(min(settings["max_epochs"], max(settings["min_epochs"], wanted)))


def _network(kind):
    if kind == "CNN":
        return build_cnn(filters=(32, 64), kernel_size=3, dropout=0.5, name="cnn")
    return build_mlp(hidden_units=(512,), dropout=0.2, name="mlp")


def _classic(kind, settings, seed):
    _common.need("sklearn", "the classic baselines (logistic regression, k-nearest neighbours)")
    from sklearn.linear_model import LogisticRegression  # optional extra [experiments]
    from sklearn.neighbors import KNeighborsClassifier  # optional extra [experiments]

    if kind == "logistic regression":
        return LogisticRegression(max_iter=settings["logistic_max_iter"], random_state=seed)
    return KNeighborsClassifier(n_neighbors=settings["knn_k"])


def run(digits, settings, seed):
    rng = np.random.default_rng(seed)
    order = _common.nested_order(digits.y_train, rng)
    sizes = [n for n in settings["sizes"] if n <= len(order)]
    flat_test = digits.x_test.reshape(len(digits.x_test), -1)
    series = {kind: {"sizes": [], "test_accuracy": [], "seconds": [], "epochs": []}
              for kind in METHODS}
    for n in sizes:
        keep = order[:n]
        x, y = digits.x_train[keep], digits.y_train[keep]
        for kind in METHODS:
            start = time.perf_counter()
            if kind in ("CNN", "MLP"):
                keras.utils.set_random_seed(seed)
                model = _common.compile_classifier(_network(kind))
                epochs = epochs_for(n, settings)
                _common.train_epochs(model, x, y, epochs=epochs,
                                     batch_size=settings["batch_size"], seed=seed)
                accuracy = _common.measure(model, digits.x_test, digits.y_test)[0]
            else:
                from sklearn.exceptions import ConvergenceWarning  # optional extra [experiments]

                epochs = None
                model = _classic(kind, settings, seed)
                with warnings.catch_warnings():  # the iteration cap is part of the protocol
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    model.fit(x.reshape(n, -1), y)
                accuracy = float((model.predict(flat_test) == digits.y_test).mean())
            s = series[kind]
            s["sizes"].append(n)
            s["test_accuracy"].append(float(accuracy))
            s["seconds"].append(round(time.perf_counter() - start, 2))
            s["epochs"].append(epochs)
    figures = {}
    for kind, s in series.items():
        figures[f"{kind}: test accuracy at {s['sizes'][0]}"] = s["test_accuracy"][0]
        figures[f"{kind}: test accuracy at {s['sizes'][-1]}"] = s["test_accuracy"][-1]
    return {"figures": figures, "series": series}


def holds(result):
    series = result["series"]
    checks = {f"{kind} improves from the smallest to the largest set":
              s["test_accuracy"][-1] > s["test_accuracy"][0] for kind, s in series.items()}
    last = {kind: s["test_accuracy"][-1] for kind, s in series.items()}
    checks["the CNN beats logistic regression on the largest set"] = \
        last["CNN"] > last["logistic regression"]
    return checks


def plot(result):
    series = result["series"]
    fig, (ax,) = _common.figure(width=7.0, height=4.5)
    markers = {"CNN": "o", "MLP": "s", "logistic regression": "^", "k-nearest neighbours": "D"}
    for kind, s in series.items():
        ax.semilogx(s["sizes"], s["test_accuracy"], marker=markers[kind], label=kind)
    ax.set(title="Held-out accuracy vs training-set size (MNIST)",
           xlabel="training digits (log scale)", ylabel="test accuracy")
    ax.legend()
    return fig
