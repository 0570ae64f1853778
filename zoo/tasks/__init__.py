"""Task objects: a trained model plus its preprocessing, taking raw input and giving answers.

``zoo.load(directory)`` restores whichever task a directory holds; the CLI and the demo work
through these objects only.
"""

from zoo.errors import DataError
from zoo.saving import read_config
from zoo.tasks.autoencoder import Autoencoder
from zoo.tasks.captioner import Captioner
from zoo.tasks.image_classifier import ImageClassifier
from zoo.tasks.text_generator import TextGenerator
from zoo.tasks.translator import Translator

TASKS = {cls.task: cls for cls in (ImageClassifier, TextGenerator, Translator, Captioner,
                                    Autoencoder)}


def task_class(task):
    """The class that trains, measures, saves and serves models of ``task``."""
    if task not in TASKS:
        raise DataError(f"unknown task {task!r}; this zoo knows {sorted(TASKS)}")
    return TASKS[task]


def load(directory):
    """Restore a trained model directory as its task object (e.g. an :class:`ImageClassifier`).

    Example:
        >>> classifier = zoo.load("runs/mnist_convnet")
        >>> classifier.predict(["digit.png"])[0].label
        '7'
    """
    return task_class(read_config(directory).get("task")).from_dir(directory)


__all__ = ["ImageClassifier", "TextGenerator", "Translator", "Captioner", "Autoencoder", "TASKS",
           "load", "task_class"]
