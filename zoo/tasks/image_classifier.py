"""Image classification: images in, labels with probabilities out."""

import dataclasses

import keras
import numpy as np

from zoo import saving
from zoo.errors import ConfigError, DataError
from zoo.images import to_model_input


@dataclasses.dataclass
class Prediction:
    """The answer for one image: the best label, its probability, and the top-k list."""

    label: str
    index: int
    probability: float
    top: list  # [(label, probability), ...], most probable first


class ImageClassifier:
    """A trained classifier that accepts image files, PIL images or arrays.

    Args:
        model: a ``keras.Model`` mapping preprocessed images to class probabilities.
        config: plain data saved with it: ``model`` (registered name), ``options``,
            ``class_names`` and ``preprocessing`` (see :func:`zoo.images.to_model_input`).

    Example:
        >>> classifier = ImageClassifier.from_dir("runs/mnist_convnet")
        >>> [p.label for p in classifier.predict(["three.png", "seven.png"])]
        ['3', '7']
    """

    task = "image_classification"

    def __init__(self, model, config):
        self.model = model
        self.config = dict(config, task=self.task)
        self.class_names = [str(c) for c in config["class_names"]]
        self.preprocessing = dict(config["preprocessing"])
        if len(self.class_names) != model.output_shape[-1]:
            raise ConfigError(f"{len(self.class_names)} class names for a model with "
                              f"{model.output_shape[-1]} outputs")

    @classmethod
    def from_dir(cls, directory):
        """Restore a classifier saved by :meth:`save` (or by ``zoo train``)."""
        model, config = saving.load_artifact(directory)
        if config.get("task") != cls.task:
            raise DataError(f"{directory} holds a {config.get('task')!r} model, "
                            "not an image classifier")
        return cls(model, config)

    def save(self, directory):
        """Save weights and config to ``directory`` (see :mod:`zoo.saving`)."""
        saving.save_artifact(directory, self.model, self.config)

    @property
    def input_shape(self):
        return tuple(self.model.input_shape[1:])

    def preprocess(self, images):
        """Turn a list of images (paths, bytes, PIL images or arrays) into one float32 batch."""
        if isinstance(images, np.ndarray) and images.ndim == len(self.input_shape) + 1 \
                and images.dtype == np.float32 and images.shape[1:] == self.input_shape:
            return images  # already a preprocessed batch
        if not isinstance(images, (list, tuple)):
            images = [images]
        if not images:
            raise DataError("no images given")
        return np.stack([to_model_input(image, self.preprocessing) for image in images])

    def predict_proba(self, images):
        """Class probabilities, shape ``(len(images), num_classes)``."""
        batch = self.preprocess(images)
        return np.asarray(keras.ops.convert_to_numpy(self.model.predict_on_batch(batch)))

    def predict(self, images, *, top_k=3):
        """The most probable labels of each image, as :class:`Prediction` objects."""
        top_k = max(1, min(int(top_k), len(self.class_names)))
        results = []
        for row in self.predict_proba(images):
            order = np.argsort(-row)[:top_k]
            top = [(self.class_names[i], float(row[i])) for i in order]
            results.append(Prediction(label=top[0][0], index=int(order[0]),
                                      probability=top[0][1], top=top))
        return results

    def evaluate(self, dataset):
        """Loss and accuracy on a batched ``(images, labels)`` dataset."""
        if not self.model.compiled:
            self.model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        values = self.model.evaluate(dataset, verbose=0, return_dict=True)
        return {key: float(value) for key, value in values.items()}
