"""Dropout: a deliberately large MLP on a small training set, with and without dropout.

Without dropout the network memorises its few training digits (training accuracy 100%); with
dropout (20% of the inputs, 50% of each hidden layer's units, after Srivastava, Hinton et al.
2014) it learns them more slowly and generalises a little better. Both train with Adam and a
cosine decay of the learning rate to 0, so the last epochs settle instead of jumping about. Measured after every epoch:
accuracy and cross-entropy on the training digits (in inference mode, dropout off) and on the
held-out test digits; the figures average the last quarter of the epochs, so one lucky epoch does
not decide them.
"""

import keras
import numpy as np

from zoo.experiments import _common
from zoo.models.mlp import build_mlp

TITLE = "Dropout and the generalisation gap"
CLAIM = ("A large MLP trained on few digits overfits: without dropout it memorises its training "
         "digits; with dropout the gap between training and held-out accuracy is narrower and "
         "held-out accuracy higher.")
FULL = {"train_size": 1000, "hidden_units": [1024, 1024], "epochs": 60, "batch_size": 32,
        "dropout": 0.5, "input_dropout": 0.2, "learning_rate": 1e-3}
QUICK = {"train_size": 600, "hidden_units": [1024, 1024], "epochs": 30, "batch_size": 32,
         "dropout": 0.5, "input_dropout": 0.2, "learning_rate": 1e-3}
RUNS = ("no dropout", "dropout")


def _model(settings, with_dropout):
    base = build_mlp(hidden_units=tuple(settings["hidden_units"]),
                     dropout=settings["dropout"] if with_dropout else 0.0,
                     name="dropout_mlp" if with_dropout else "plain_mlp")
    if not with_dropout or not settings["input_dropout"]:
        return base
    inputs = keras.Input(shape=(28, 28, 1), name="image")
    return keras.Model(inputs, base(keras.layers.Dropout(settings["input_dropout"])(inputs)),
                       name=base.name)


def run(digits, settings, seed):
    rng = np.random.default_rng(seed)
    keep = _common.balanced_subset(digits.y_train, min(settings["train_size"],
                                                       len(digits.y_train)), rng)
    x, y = digits.x_train[keep], digits.y_train[keep]
    series = {}
    for label in RUNS:
        keras.utils.set_random_seed(seed)
        steps = settings["epochs"] * _common.steps_per_epoch(len(y), settings["batch_size"])
        model = _common.compile_classifier(_model(settings, label == "dropout"),
                                           learning_rate=settings["learning_rate"],
                                           decay_steps=steps)
        curve = {"train_accuracy": [], "train_loss": [], "test_accuracy": [], "test_loss": []}

        def after(epoch):
            for split, (xs, ys) in {"train": (x, y), "test": (digits.x_test, digits.y_test)}.items():
                accuracy, loss = _common.measure(model, xs, ys)
                curve[f"{split}_accuracy"].append(accuracy)
                curve[f"{split}_loss"].append(loss)

        _common.train_epochs(model, x, y, epochs=settings["epochs"],
                             batch_size=settings["batch_size"], seed=seed, on_epoch=after)
        series[label] = curve
    figures = {"training digits": int(len(y)),
               "parameters": int(_common.mlp_params(settings["hidden_units"]))}
    last = max(1, settings["epochs"] // 4)  # the figures average the last quarter of the epochs
    figures["epochs averaged"] = last
    for label, c in series.items():
        mean = {key: float(np.mean(values[-last:])) for key, values in c.items()}
        figures[f"{label}: train accuracy"] = mean["train_accuracy"]
        figures[f"{label}: test accuracy"] = mean["test_accuracy"]
        figures[f"{label}: accuracy gap"] = mean["train_accuracy"] - mean["test_accuracy"]
        figures[f"{label}: test loss"] = mean["test_loss"]
        figures[f"{label}: best test accuracy"] = max(c["test_accuracy"])
    return {"figures": figures, "series": series}


def holds(result):
    f = result["figures"]
    return {
        "without dropout the training set is memorised": f["no dropout: train accuracy"] >= 0.999,
        "dropout narrows the accuracy gap":
            f["dropout: accuracy gap"] < f["no dropout: accuracy gap"],
        "dropout raises held-out accuracy":
            f["dropout: test accuracy"] > f["no dropout: test accuracy"],
    }


def plot(result):
    series = result["series"]
    fig, (left, right) = _common.figure(columns=2)
    colours = {"no dropout": "#d62728", "dropout": "#1f77b4"}
    for label, c in series.items():
        epochs = range(1, len(c["train_accuracy"]) + 1)
        left.plot(epochs, c["train_accuracy"], color=colours[label], linestyle="--",
                  label=f"{label}, training")
        left.plot(epochs, c["test_accuracy"], color=colours[label], label=f"{label}, held out")
        right.plot(epochs, c["train_loss"], color=colours[label], linestyle="--",
                   label=f"{label}, training")
        right.plot(epochs, c["test_loss"], color=colours[label], label=f"{label}, held out")
    n = result["figures"]["training digits"]
    left.set(title=f"Accuracy ({n} training digits)", xlabel="epoch", ylabel="accuracy")
    right.set(title="Cross-entropy", xlabel="epoch", ylabel="loss", yscale="log")
    left.legend(fontsize="small")
    return fig
