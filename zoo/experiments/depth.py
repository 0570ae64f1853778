"""Shallow vs deep at the same parameter budget, and the CNN at a similar one.

For each budget an MLP with one hidden layer and an MLP with three equal hidden layers are sized
to the same number of parameters, and a CNN (two conv(3x3)+max-pool blocks of 32 and 64 filters
and one dense layer sized to the budget) joins them. All train with the same recipe (Adam 1e-3,
no dropout, the same epochs) and are measured on the held-out test digits.
"""

import keras
import numpy as np

from zoo.experiments import _common
from zoo.models.cnn import build_cnn
from zoo.models.mlp import build_mlp

TITLE = "Shallow vs deep at the same parameter budget"
CLAIM = ("At the same number of parameters, one wide hidden layer and three narrower ones score "
         "about the same on MNIST digits; the CNN, whose convolutions build in a prior about "
         "images, beats both.")
FULL = {"budgets": [100_000, 400_000], "deep_layers": 3, "epochs": 10, "batch_size": 128,
        "learning_rate": 1e-3}
QUICK = {"budgets": [100_000], "deep_layers": 3, "epochs": 15, "batch_size": 32,
         "learning_rate": 1e-3}
KINDS = ("shallow MLP", "deep MLP", "CNN")


def models_for(budget, deep_layers):
    shallow = (_common.width_for_budget(1, budget),)
    deep = (_common.width_for_budget(deep_layers, budget),) * deep_layers
    dense = _common.cnn_dense_for_budget(budget)
    return {
        "shallow MLP": (lambda: build_mlp(hidden_units=shallow, dropout=0.0, name="shallow"),
                        {"hidden_units": list(shallow)}),
        "deep MLP": (lambda: build_mlp(hidden_units=deep, dropout=0.0, name="deep"),
                     {"hidden_units": list(deep)}),
        "CNN": (lambda: build_cnn(filters=(32, 64), dense_units=(dense,), dropout=0.0, name="cnn"),
                {"filters": [32, 64], "dense_units": [dense]}),
    }


def run(digits, settings, seed):
    series, figures = {}, {}
    for budget in settings["budgets"]:
        for kind, (make, shape) in models_for(budget, settings["deep_layers"]).items():
            keras.utils.set_random_seed(seed)
            model = _common.compile_classifier(make(), learning_rate=settings["learning_rate"])
            curve = []
            seconds = _common.train_epochs(
                model, digits.x_train, digits.y_train, epochs=settings["epochs"],
                batch_size=settings["batch_size"], seed=seed,
                on_epoch=lambda epoch: curve.append(
                    _common.measure(model, digits.x_test, digits.y_test)[0]))
            key = f"{kind} @ {budget // 1000}k"
            series[key] = {"budget": budget, "kind": kind, "parameters": model.count_params(),
                           "shape": shape, "test_accuracy": curve,
                           "train_seconds": round(seconds, 1)}
            figures[f"{key}: parameters"] = model.count_params()
            figures[f"{key}: test accuracy"] = curve[-1]
    return {"figures": figures, "series": series}


def holds(result):
    f = result["figures"]
    checks = {}
    for budget in result["settings"]["budgets"]:
        at = lambda kind: f[f"{kind} @ {budget // 1000}k: test accuracy"]  # noqa: E731
        size = lambda kind: f[f"{kind} @ {budget // 1000}k: parameters"]  # noqa: E731
        checks[f"budgets matched within 5% at {budget // 1000}k"] = all(
            abs(size(kind) - budget) <= 0.05 * budget for kind in KINDS)
        checks[f"the CNN beats both MLPs at {budget // 1000}k"] = \
            at("CNN") > max(at("shallow MLP"), at("deep MLP"))
    return checks


def plot(result):
    series = result["series"]
    budgets = result["settings"]["budgets"]
    fig, (left, right) = _common.figure(columns=2)
    colours = {"shallow MLP": "#ff7f0e", "deep MLP": "#1f77b4", "CNN": "#2ca02c"}
    width = 0.8 / len(KINDS)
    for i, kind in enumerate(KINDS):
        values = [series[f"{kind} @ {b // 1000}k"]["test_accuracy"][-1] for b in budgets]
        left.bar(np.arange(len(budgets)) + (i - 1) * width, values, width, label=kind,
                 color=colours[kind])
    left.set_xticks(range(len(budgets)), [f"{b // 1000}k parameters" for b in budgets])
    low = min(min(s["test_accuracy"]) for s in series.values())
    left.set(title="Held-out accuracy", ylabel="test accuracy", ylim=(max(0.0, low - 0.02), 1.0))
    left.legend(fontsize="small")
    for key, s in series.items():
        style = "-" if s["budget"] == budgets[-1] else "--"
        right.plot(range(1, len(s["test_accuracy"]) + 1), s["test_accuracy"], style,
                   color=colours[s["kind"]], label=key)
    right.set(title="Test accuracy per epoch", xlabel="epoch", ylabel="accuracy")
    right.legend(fontsize="x-small")
    return fig
