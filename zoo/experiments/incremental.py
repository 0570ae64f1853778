"""Batch vs incremental learning: adding a new class to a trained classifier.

A classifier learns the digits 0-3, then must also recognise 4. Its output layer is grown from 4
to 5 units, keeping the old units' weights (the new unit starts at random:
:func:`zoo.models.grow.grow_output`), and it is trained on in one of two incremental ways, or
replaced the batch way (the same two incremental ways teach a published classifier a class
drawn by hand: :mod:`zoo.tasks.new_class`):

(a) fine-tuning on the new class only: fast, but it forgets the old classes (catastrophic
    forgetting: nothing in the data tells it that 0-3 still exist);
(b) fine-tuning on the new class plus a small rehearsal buffer of stored old examples;
(c) retraining from scratch on every class: the batch way, which costs the most.

Measured: accuracy on the old and on the new classes of the held-out test digits, the number of
training examples each way processed, and its wall time.
"""

import time

import keras
import numpy as np

from zoo.experiments import _common
from zoo.models.grow import grow_output
from zoo.models.mlp import build_mlp
from zoo.errors import ConfigError

TITLE = "Adding a class: incremental vs batch learning"
CLAIM = ("Fine-tuning on the new class alone forgets the old ones; a small rehearsal buffer of "
         "old examples keeps them at a fraction of the cost of retraining everything.")
FULL = {"old_classes": [0, 1, 2, 3], "new_class": 4, "hidden_units": [256], "base_epochs": 5,
        "new_epochs": 2, "buffer_per_class": 50, "batch_size": 64, "learning_rate": 1e-3}
QUICK = {"old_classes": [0, 1, 2, 3], "new_class": 4, "hidden_units": [128], "base_epochs": 15,
         "new_epochs": 5, "buffer_per_class": 10, "batch_size": 16, "learning_rate": 1e-3}
WAYS = ("(a) new class only", "(b) new class + rehearsal", "(c) retrain from scratch")


def _accuracy(model, x, y):
    return float((np.argmax(np.asarray(model(x, training=False)), axis=-1) == y).mean())


def run(digits, settings, seed):
    old, new = list(settings["old_classes"]), int(settings["new_class"])
    if new in old:

        raise ConfigError(f"the new class {new} is already one of the old ones {old}")
    classes = old + [new]
    remap = {c: i for i, c in enumerate(classes)}  # labels as output units: old ones first

    def pick(x, y, wanted):
        keep = np.isin(y, wanted)
        return x[keep], np.array([remap[int(v)] for v in y[keep]], dtype=np.int64)

    x_old, y_old = pick(digits.x_train, digits.y_train, old)
    x_new, y_new = pick(digits.x_train, digits.y_train, [new])
    x_all, y_all = pick(digits.x_train, digits.y_train, classes)
    tests = {"old": pick(digits.x_test, digits.y_test, old),
             "new": pick(digits.x_test, digits.y_test, [new])}
    epochs, batch = settings["base_epochs"], settings["batch_size"]

    keras.utils.set_random_seed(seed)
    base = _common.compile_classifier(
        build_mlp(hidden_units=tuple(settings["hidden_units"]), num_classes=len(old),
                  dropout=0.0, name="base"), learning_rate=settings["learning_rate"])
    base_seconds = _common.train_epochs(base, x_old, y_old, epochs=epochs, batch_size=batch,
                                        seed=seed)
    base_old = _accuracy(base, *tests["old"])

    rng = np.random.default_rng(seed)
    buffer = np.concatenate([rng.choice(np.flatnonzero(y_old == remap[c]),
                                        settings["buffer_per_class"], replace=False)
                             for c in old])
    plans = {
        WAYS[0]: (x_new, y_new, settings["new_epochs"], True),
        WAYS[1]: (np.concatenate([x_new, x_old[buffer]]),
                  np.concatenate([y_new, y_old[buffer]]), settings["new_epochs"], True),
        WAYS[2]: (x_all, y_all, epochs, False),
    }
    series = {"base": {"classes": old, "old_accuracy": base_old, "examples": int(len(y_old)) * epochs,
                       "seconds": round(base_seconds, 2)}}
    figures = {"base model (0-3): old-class accuracy": base_old}
    for way, (x, y, n_epochs, grow) in plans.items():
        if grow:
            # the new units drawn from the global state seeded here, as the shipped runs were
            keras.utils.set_random_seed(seed)
            model = grow_output(base, len(classes) - len(old), seed=None)
        else:
            keras.utils.set_random_seed(seed)
            model = build_mlp(hidden_units=tuple(settings["hidden_units"]),
                              num_classes=len(classes), dropout=0.0, name="scratch")
        _common.compile_classifier(model, learning_rate=settings["learning_rate"])
        start = time.perf_counter()
        _common.train_epochs(model, x, y, epochs=n_epochs, batch_size=batch, seed=seed)
        seconds = time.perf_counter() - start
        series[way] = {"old_accuracy": _accuracy(model, *tests["old"]),
                       "new_accuracy": _accuracy(model, *tests["new"]),
                       "examples": int(len(y)) * n_epochs, "seconds": round(seconds, 2)}
        for key in ("old_accuracy", "new_accuracy", "examples", "seconds"):
            figures[f"{way}: {key.replace('_', ' ')}"] = series[way][key]
    return {"figures": figures, "series": series}


def holds(result):
    s = result["series"]
    a, b, c = (s[way] for way in WAYS)
    return {
        "fine-tuning on the new class alone forgets the old ones":
            a["old_accuracy"] < s["base"]["old_accuracy"] - 0.3,
        "rehearsal keeps most of the old classes": b["old_accuracy"] > a["old_accuracy"] + 0.3,
        "every way learns the new class": min(a["new_accuracy"], b["new_accuracy"],
                                              c["new_accuracy"]) > 0.5,
        "rehearsal processes fewer examples than retraining": b["examples"] < c["examples"],
    }


def plot(result):
    s = result["series"]
    fig, (left, right) = _common.figure(columns=2)
    x = np.arange(len(WAYS))
    left.bar(x - 0.2, [s[w]["old_accuracy"] for w in WAYS], 0.4, label="old classes (0-3)",
             color="#1f77b4")
    left.bar(x + 0.2, [s[w]["new_accuracy"] for w in WAYS], 0.4, label="new class (4)",
             color="#ff7f0e")
    left.axhline(s["base"]["old_accuracy"], color="grey", linestyle=":",
                 label="before: old classes")
    labels = ["new only", "new + rehearsal", "from scratch"]
    left.set_xticks(x, labels)
    left.set(title="Held-out accuracy after adding the class", ylabel="accuracy", ylim=(0, 1.05))
    left.legend(fontsize="small", loc="lower left")
    right.bar(x, [s[w]["seconds"] for w in WAYS], color="#7f7f7f")
    right.set_xticks(x, labels)
    right.set(title="Training time of each way", ylabel="seconds")
    return fig
