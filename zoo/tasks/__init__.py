"""Task objects: a trained model plus its preprocessing, taking raw input and giving answers.

``zoo.load(directory)`` restores whichever task a directory holds; the CLI and the demo work
through these objects only.

Importing this package is light: each task class (and Keras with it) is imported on first use.
The task table (:func:`task_names`, :func:`task_class`, :func:`task_classes`) is how the rest of
the zoo finds a task's facts; :func:`register_task` adds a task from outside the package.
"""

import importlib
import os
from pathlib import Path

from zoo._naming import suggest
from zoo.checks import kind_of
from zoo.errors import ConfigError, DataError
from zoo.saving import read_config
from zoo import registry, weights

# The task table: task name -> the task class, or (module, class name) for the zoo's own tasks,
# imported when first asked for. Central modules (training, export, batch, publishing, the CLI)
# ask the class for its facts instead of naming tasks; register_task adds a task.
_CLASSES = {"image_classification": ("zoo.tasks.image_classifier", "ImageClassifier"),
            "language_model": ("zoo.tasks.text_generator", "TextGenerator"),
            "translation": ("zoo.tasks.translator", "Translator"),
            "captioning": ("zoo.tasks.captioner", "Captioner"),
            "autoencoder": ("zoo.tasks.autoencoder", "Autoencoder")}
_BY_CLASS = {cls: (module, cls) for module, cls in _CLASSES.values()}


def task_names():
    """The names of the tasks this zoo knows, sorted."""
    return sorted(_CLASSES)


def register_task(name, cls):
    """Add a task to the table: ``cls`` is a :class:`zoo.tasks.base.Task` subclass whose
    ``task`` is ``name``, or a ``(module, class name)`` pair imported when first asked for.
    Models registered with ``task=name`` then train, save, load, answer in batch and export
    through it. Returns ``cls``."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"task name {name!r}: use letters, digits and '_'")
    if name in _CLASSES:
        raise ValueError(f"task {name!r} is registered twice")
    if isinstance(cls, tuple):
        if len(cls) != 2 or not all(isinstance(part, str) for part in cls):
            raise ValueError(f"task {name!r}: give a Task subclass or (module, class name)")
    elif getattr(cls, "task", None) != name:
        raise ValueError(f"task {name!r}: its class {getattr(cls, '__name__', cls)!r} must set "
                         f"task = {name!r}")
    _CLASSES[name] = cls
    return cls


def unregister_task(name):
    """Remove a task added by :func:`register_task` (the zoo's own tasks stay)."""
    if name in _BUILTIN:
        raise ValueError(f"task {name!r} is one of the zoo's own tasks")
    _CLASSES.pop(name, None)


_BUILTIN = frozenset(_CLASSES)


def task_class(task):
    """The class that trains, measures, saves and serves models of ``task``."""
    if not isinstance(task, str) or task not in _CLASSES:
        raise DataError(f"unknown task {task!r}; this zoo knows {task_names()}: the model was "
                        "saved by another version of zoo (upgrade it) or its zoo.json is damaged")
    entry = _CLASSES[task]
    if not isinstance(entry, tuple):
        return entry
    module, name = entry
    return getattr(importlib.import_module(module), name)


def task_classes():
    """``{task name: task class}`` of every task in the table (importing each)."""
    return {task: task_class(task) for task in task_names()}


def __getattr__(name):
    if name == "TASKS":
        return task_classes()
    if name in _BY_CLASS:
        module, cls = _BY_CLASS[name]
        return getattr(importlib.import_module(module), cls)
    if name in {module.rsplit(".", 1)[1] for module, _ in _BY_CLASS.values()}:
        return importlib.import_module(f"zoo.tasks.{name}")  # a task's module, e.g. captioner
    raise AttributeError(f"module 'zoo.tasks' has no attribute {name!r}")


def resolve(name_or_dir):
    """The directory behind a run directory, a published weight name (``"mnist_convnet.mnist"``)
    or a registered model name with a published weight (``"mnist_convnet"``)."""

    if not isinstance(name_or_dir, (str, os.PathLike)):
        raise ConfigError(f"load takes a run directory or a published weight name (a string "
                          f"or a path), got {kind_of(name_or_dir)}")
    text = os.fspath(name_or_dir)
    if os.path.isdir(os.path.expanduser(text)):
        return Path(text).expanduser()
    if weights.is_weight_name(text):
        return weights.weight_dir(text)
    if text in registry.list_models():
        default = weights.default_weight(text)
        if default:
            return weights.weight_dir(default)
        raise DataError(f"{text!r} has no published weights; train it with `zoo train {text} "
                        "--out DIR` and load DIR, or see `zoo weights list`")
    if "/" in text or os.sep in text or text.startswith("."):
        raise DataError(f"{text}: no such directory; give the --out directory of a "
                        "`zoo train` run, or a published weight (`zoo weights list`)")
    raise DataError(f"{text!r} is not a run directory nor a published weight."
                    f"{suggest(text, weights.list_weights() + registry.list_models())} "
                    "See `zoo weights list`.")


def load(name_or_dir):
    """Restore a trained model as its task object (e.g. an :class:`ImageClassifier`): a run
    directory, a published weight name, or a model name that has a published weight.

    Example:
        >>> classifier = zoo.load("mnist_convnet")          # the bundled MNIST weights
        >>> classifier.predict(["digit.png"])[0].label  # doctest: +SKIP
        '7'
        >>> zoo.load("runs/mnist_convnet")  # a `zoo train --out` directory  # doctest: +SKIP
    """
    directory = resolve(name_or_dir)
    return task_class(read_config(directory).get("task")).from_dir(directory)


def load_as(name_or_dir, cls):
    """:func:`load`, refusing a model of another task than ``cls``'s."""
    return cls.from_dir(resolve(name_or_dir))


__all__ = ["ImageClassifier", "TextGenerator", "Translator", "Captioner", "Autoencoder", "TASKS",
           "load", "load_as", "resolve", "task_class", "task_classes", "task_names", "register_task",
           "unregister_task"]
