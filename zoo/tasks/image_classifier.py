"""Image classification: images in, labels with probabilities out."""

import dataclasses

import keras
import numpy as np
import tensorflow as tf
from tensorflow.python.eager import context as _tf_context

from zoo.errors import ConfigError
from zoo.familiarity import GUESS_NOTE
from zoo.tasks.base import Headline, Prepared, Task
from zoo.checks import check_number
from zoo.data import load_dataset
from zoo.data.augment import STYLES, augment_strokes
from zoo.data.sources import font_digits
from zoo.preprocessing import ImagePreprocessor
from zoo.tasks import new_class

# runs a traced function's ops on the calling thread (see ImageClassifier._outputs); None (the
# default executor) should a later TensorFlow move it
function_executor_type = getattr(_tf_context, "function_executor_type", None)
ONE_THREAD = "SINGLE_THREADED_EXECUTOR"


def check_fits(model_name, options, info):
    """Refuse a model whose input or output does not fit the dataset, saying how to fix it."""
    shape = tuple(int(d) for d in options["input_shape"])
    if shape != tuple(info.input_shape):
        wanted = ",".join(str(d) for d in info.input_shape)
        raise ConfigError(
            f"{model_name} takes inputs of shape {shape} but {info.name} images are "
            f"{tuple(info.input_shape)}; add `--option input_shape={wanted}` to build it for "
            "this dataset, or choose another model")
    if int(options["num_classes"]) != int(info.num_classes):
        raise ConfigError(
            f"{model_name} has {options['num_classes']} outputs but {info.name} has "
            f"{info.num_classes} classes; add `--option num_classes={info.num_classes}`")


def _shifted(dataset, pixels, input_shape, *, seed):
    """Augment batches of images with random shifts of up to ``pixels`` in each direction."""
    height, width = input_shape[:2]
    layer = keras.layers.RandomTranslation(pixels / height, pixels / width, fill_mode="constant",
                                           seed=seed)
    return dataset.map(lambda x, y: (layer(x, training=True), y),
                       num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def _with_printed(dataset, folder, fraction, info, *, batch_size, seed):
    """Mix rendered printed digits (``folder``: ``scripts/fetch_data.py printed_digits``, see
    :mod:`zoo.data.sources.font_digits`) into batches of a digit dataset: ``fraction`` of the
    training images are printed ones, drawn anew (shuffled, repeated) every epoch, so an epoch
    grows by ``1 / (1 - fraction)``. Only for a ten-digit dataset of MNIST's preprocessing,
    which the printed digits were made with."""
    if list(info.class_names) != [str(d) for d in range(10)] \
            or tuple(info.input_shape) != (28, 28, 1):
        raise ConfigError(f"recipe setting printed_digits mixes printed digits 0-9 (28x28) into "
                          f"a digit dataset; {info.name} is not one: leave the setting out")
    arrays = font_digits.read_font_digits(folder, name=font_digits.PRINTED_FOLDER)
    scale = float(info.preprocessing["scale"])
    labels = arrays["labels"].astype(np.int32)
    # kept as uint8 (a quarter of float32's memory), scaled one image at a time
    printed = tf.data.Dataset.from_tensor_slices((arrays["images"][..., None], labels)).shuffle(
        len(labels), seed=seed, reshuffle_each_iteration=True).repeat().map(
        lambda image, label: (tf.cast(image, tf.float32) * scale, label))
    mixed = tf.data.Dataset.sample_from_datasets(
        [dataset.unbatch(), printed], weights=[1.0 - fraction, fraction], seed=seed,
        stop_on_empty_dataset=True)
    return mixed.batch(batch_size).prefetch(tf.data.AUTOTUNE)


@dataclasses.dataclass
class Prediction:
    """The answer for one image: the best label, its probability, and the top-k list.

    ``empty`` is true when the picture holds nothing to classify (one flat colour, fully
    transparent, or a few pixels): the label is then meaningless. ``note`` says so, or that the
    picture is unlike the training data (noise, a photo given to a digit model); ``None`` when
    the picture looks like what the model was trained on.

    ``familiar`` is ``False`` when the model's calibrated familiarity signal
    (:mod:`zoo.familiarity`) finds the picture unlike its training data: the answer is then a
    guess (and ``note`` says so). ``familiarity`` is the share of held-out training-like
    pictures that look at least as strange (1: ordinary; below the calibrated false-alarm
    rate, 5%: flagged). Both are ``None`` for a weight published without calibration.
    """

    label: str
    index: int
    probability: float
    top: list  # [(label, probability), ...], most probable first
    empty: bool = False
    note: str = None
    familiar: bool = None
    familiarity: float = None


class ImageClassifier(Task):
    """A trained classifier that accepts image files, PIL images or arrays.

    Args:
        model: a ``keras.Model`` mapping preprocessed images to class probabilities.
        config: plain data saved with it: ``model`` (registered name), ``options``,
            ``class_names`` and ``preprocessor`` (an
            :class:`~zoo.preprocessing.ImagePreprocessor`'s config).

    Example:
        >>> classifier = ImageClassifier.from_dir("runs/mnist_convnet")  # doctest: +SKIP
        >>> [p.label for p in classifier.predict(["three.png", "seven.png"])]  # doctest: +SKIP
        ['3', '7']
    """

    noun = "an image classifier"
    task = "image_classification"
    headline = Headline("test_accuracy", "test accuracy", "max", unit="%")
    config_schema = {"class_names": "names", "preprocessor": "preprocessor"}
    recipe_settings = {"augment_shift": ("int", 0, 64), "augment": ("str", None, None),
                       "augment_fraction": ("fraction", None, None),
                       "printed_digits": ("str", None, None),
                       "printed_fraction": ("fraction", None, None)}
    training_only_recipe = ("augment_shift", "augment", "augment_fraction", "printed_digits",
                            "printed_fraction")
    command = "predict"
    memory_hint = "give fewer or smaller images at a time"
    batch_input = "images"

    def __init__(self, model, config):
        super().__init__(model, config)
        self.class_names = [str(c) for c in config["class_names"]]
        if not isinstance(self.preprocessor, ImagePreprocessor):
            raise ConfigError("an image classifier needs an image preprocessor (its zoo.json "
                              "was changed: restore it or retrain)")
        if len(self.class_names) != model.output_shape[-1]:
            raise ConfigError(f"{len(self.class_names)} class names for a model with "
                              f"{model.output_shape[-1]} outputs; give one name per output (in "
                              "a saved run: its zoo.json was changed, restore it or retrain)")

    @property
    def input_shape(self):
        return tuple(self.model.input_shape[1:])

    def preprocess(self, images):
        """Turn a list of images (paths, bytes, PIL images or arrays) into one float32 batch."""
        return self.preprocessor(images)

    def predict_proba(self, images):
        """Class probabilities, shape ``(len(images), num_classes)``."""
        return self._probabilities(self.preprocess(images))

    def _probabilities(self, batch):
        return self._outputs(batch)[0]

    def _outputs(self, batch):
        """``(probabilities, second)`` of a preprocessed batch: the model's one forward pass,
        ``second`` what the familiarity score reads (``None`` without a signal or a ``logits``
        layer; see :meth:`_answer_model`)."""
        two, function = self._forward()
        if len(batch) == 1 and function_executor_type is not None:
            # one image: its ops (a chain) run on this thread instead of being handed to
            # TensorFlow's pool one by one, the same kernels and numbers (0-10% less time for
            # predict on a busy 2-core machine; batches of 8 or more gain nothing)
            with function_executor_type(ONE_THREAD):
                found = function(tf.constant(batch))
        else:
            found = function(tf.constant(batch))
        if not two:
            return found.numpy(), None
        probabilities, second = found
        return probabilities.numpy(), second.numpy()

    def _forward(self):
        """``(two, function)``: :meth:`_answer_model` (or the plain model when there is none)
        as one traced function (the graph ``predict_on_batch`` runs, without its per-call
        set-up: a third of the time of one small image), and whether it gives two outputs.
        Built once, and again if a new familiarity signal reads another output."""
        needs = None if self.familiarity is None else self.familiarity.needs()
        cached = getattr(self, "_traced", None)
        if cached is None or cached[0] != needs:
            two = self._answer_model(needs)
            model = self.model if two is None else two
            function = tf.function(lambda batch: model(batch, training=False), input_signature=[
                tf.TensorSpec((None,) + tuple(self.input_shape), tf.float32)], autograph=False)
            self._traced = cached = (needs, two is not None, function.get_concrete_function())
        return cached[1:]

    def _answer_model(self, needs):
        """The model with two outputs, the probabilities and what the familiarity score
        ``needs`` (``"logits"``, or ``"features"``: what the logits layer takes), sharing its
        layers: one forward pass gives both. ``None`` without a signal (``needs`` ``None``) or a
        ``logits`` layer. Built only with the traced function of :meth:`_forward`, which keeps
        it."""
        if needs is None or "logits" not in {layer.name for layer in self.model.layers}:
            return None
        layer = self.model.get_layer("logits")
        second = layer.output if needs == "logits" else layer.input
        return keras.Model(self.model.inputs, [self.model.outputs[0], second])

    def _answer(self, batch):
        """``(probabilities, familiar, familiarity)`` of a preprocessed batch (the last two
        ``None`` per image without a familiarity signal)."""
        probabilities, second = self._outputs(batch)
        if second is None:
            return probabilities, [None] * len(batch), [None] * len(batch)
        scores = self.familiarity.score(
            **{self.familiarity.needs(): second.reshape(len(second), -1)})
        # .tolist(): plain bools and floats, without a loop over the batch
        return (probabilities, self.familiarity.familiar(scores).tolist(),
                self.familiarity.familiarity(scores).tolist())

    def predict(self, images, *, top_k=3):
        """The most probable labels of each image, as :class:`Prediction` objects."""

        top_k = check_number(top_k, "top_k", whole=True, low=1, high=65_536)
        return self._answers(*self.preprocessor(images, notes=True), top_k)

    def _answers(self, batch, notes, top_k):
        top_k = min(top_k, len(self.class_names))
        probabilities, familiar, familiarity = self._answer(batch)
        probabilities = np.asarray(probabilities, dtype=np.float32)
        orders = np.argsort(-probabilities, axis=1)[:, :top_k]
        tops = probabilities[np.arange(len(orders))[:, None], orders].tolist()
        names = self.class_names
        return [Prediction(label=names[order[0]], index=order[0], probability=top[0],
                           top=[(names[i], p) for i, p in zip(order, top)], empty=empty,
                           note=GUESS_NOTE if known is False and note is None else note,
                           familiar=known, familiarity=share)
                for order, top, (empty, note), known, share
                in zip(orders.tolist(), tops, notes, familiar, familiarity)]

    def learn_class(self, images, *, name, method="rehearsal", held_out=None, old=None,
                    rehearsal=None, buffer_size=new_class.DEFAULT_BUFFER, steps=40,
                    learning_rate=1e-3, seed=0):
        """Teach a copy of this classifier one more class from a few examples, in seconds on a
        CPU; this classifier is left as it is (see :mod:`zoo.tasks.new_class`).

        Args:
            images: 5 to 200 examples of the new class (anything :meth:`predict` reads).
            name: the new class's name, unlike every class the classifier has.
            method: ``"rehearsal"`` (the new examples mixed with stored old ones) or
                ``"naive"`` (the new examples alone: it forgets the old classes).
            held_out: other examples of the new class, to measure it on (up to 200).
            old: ``(images, labels)``: held-out images of the old classes, labels as class
                indices; a digit classifier defaults to the package's 200 MNIST test digits.
            rehearsal: ``(images, labels)`` to draw the buffer of old images from; a digit
                classifier defaults to the package's 600 MNIST training digits.
            buffer_size: old images kept for the rehearsal (1 to 1,000).
            steps, learning_rate, seed: the fine-tuning's steps of 16 new (and 48 old)
                examples, its Adam learning rate, and the seed of its draws.

        Returns:
            A :class:`~zoo.tasks.new_class.LearnedClass`: ``.classifier`` (the new class
            last), ``.new_accuracy``, ``.old_accuracy_before``, ``.old_accuracy_after``,
            ``.seconds``...

        Example:
            >>> learned = zoo.load("mnist_convnet").learn_class(stars[:10], name="star",
            ...     held_out=stars[10:])  # doctest: +SKIP
            >>> learned.classifier.predict([stars[10]])[0].label  # doctest: +SKIP
            'star'
        """
        return new_class.learn_class(self, images, name=name, method=method, held_out=held_out,
                                     old=old, rehearsal=rehearsal, buffer_size=buffer_size,
                                     steps=steps, learning_rate=learning_rate, seed=seed)

    # -- training hooks (see zoo.training) ------------------------------------------------------

    @classmethod
    def prepare(cls, model_name, options, request, assets=None):
        """Load the named image dataset and check the model fits it."""

        if request.test_data:
            raise ConfigError("image datasets are measured on their canonical test split; "
                              "--test-data is for the text families")
        style = request.recipe.get("augment")
        if style is not None and style not in STYLES:
            raise ConfigError(f"recipe setting augment takes {' or '.join(map(repr, STYLES))} "
                              f"(or none), got {style!r}")
        splits = load_dataset(request.dataset, batch_size=request.batch_size,
                              data_dir=request.data_dir,
                              validation_fraction=request.validation_fraction,
                              seed=request.seed, train_size=request.train_size)
        check_fits(model_name, options, splits.info)
        info = splits.info
        train = splits.train
        printed = request.recipe.get("printed_digits")
        if printed:
            fraction = request.recipe.get("printed_fraction")
            train = _with_printed(train, printed, 0.25 if fraction is None else fraction, info,
                                  batch_size=request.batch_size, seed=request.seed)
        elif request.recipe.get("printed_fraction") is not None:
            raise ConfigError("recipe setting printed_fraction needs printed_digits (a folder "
                              "written by `python scripts/fetch_data.py printed_digits`)")
        if style == "strokes":
            fraction = request.recipe.get("augment_fraction")
            train = augment_strokes(train, ImagePreprocessor(**info.preprocessing),
                                    seed=request.seed, fraction=1.0 if fraction is None
                                    else fraction)
        shift = int(request.recipe.get("augment_shift", 0) or 0)
        if shift:
            train = _shifted(train, shift, info.input_shape, seed=request.seed)
        counts = info.num_examples
        return Prepared(
            train=train, validation=splits.validation, test=splits.test,
            options=dict(options), data_info=info.to_dict(),
            assets={"class_names": list(info.class_names),
                    "preprocessor": ImagePreprocessor(**info.preprocessing).to_dict()},
            summary=f"{info.name} [{info.source}], {counts['train']:,} train / "
                    f"{counts['validation']:,} validation / {counts['test']:,} test images")

    @staticmethod
    def compile_model(model, optimizer):
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])

    # -- batch inference and export (see zoo.batch, zoo.export) --------------------------------

    def batch_read(self, paths):
        batch, notes, errors = self.preprocessor.read_files(paths)
        return (batch, notes), errors

    def batch_answerer(self, *, top_k=3):
        top_k = check_number(top_k, "top_k", whole=True, low=1, high=65_536)
        return lambda inputs: self._answers(*inputs, top_k)

    @staticmethod
    def answer_json(prediction):
        p = prediction
        return {"label": p.label, "probability": p.probability,
                "top": [{"label": label, "probability": prob} for label, prob in p.top],
                "empty": p.empty, "note": p.note, "familiar": p.familiar,
                "familiarity": p.familiarity}

    def export_meta(self):
        return {**super().export_meta(), "class_names": list(self.class_names)}

    def export_files(self):
        return {"labels.json": list(self.class_names)}

    def export_endpoints(self, archive):
        task = self
        model = task.model
        shape = tuple(model.input_shape[1:])
        names = tf.constant(task.class_names)
        preprocessor = task.preprocessor

        def answer(batch):
            probabilities = tf.cast(model(batch, training=False), tf.float32)
            ids = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
            return {"probabilities": probabilities, "class_ids": ids,
                    "labels": tf.gather(names, ids),
                    "probability": tf.reduce_max(probabilities, -1)}

        out_sig = tf.TensorSpec(shape, tf.float32)

        def from_pixels(pixels):  # the preprocessor's own graph, the ops predict runs
            return answer(tf.map_fn(preprocessor.graph, pixels, fn_output_signature=out_sig))

        def from_bytes(image_bytes):
            return answer(tf.map_fn(preprocessor.graph_bytes, image_bytes,
                                    fn_output_signature=out_sig))

        archive.add_endpoint("serving_default", from_bytes,
                             [tf.TensorSpec((None,), tf.string, name="image_bytes")])
        archive.add_endpoint("predict_pixels", from_pixels,
                             [tf.TensorSpec((None, None, None, None), tf.uint8, name="pixels")])
        archive.add_endpoint("predict_preprocessed", answer,
                             [tf.TensorSpec((None,) + shape, tf.float32, name="images")])
        return ["serving_default", "predict_pixels", "predict_preprocessed"]

    def export_check(self, loaded):
        x = self.sample_inputs()
        got = loaded.predict_preprocessed(tf.constant(x))["probabilities"].numpy()
        return got, self.keras_output(x)
