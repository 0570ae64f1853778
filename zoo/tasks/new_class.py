"""Teaching a trained image classifier a new class from a few examples: incremental learning.

The classifier is copied with one output more (:func:`zoo.models.grow.grow_output`: the old
units keep their weights, the new one starts fresh) and the copy is fine-tuned for a few dozen
steps, one of two ways (:data:`METHODS`):

- ``"naive"``: on the new examples alone. It learns the new class in a few steps, and forgets
  the old ones: nothing in what it sees says they still exist (catastrophic forgetting);
- ``"rehearsal"``: each step mixes the new examples with old ones drawn from a small buffer of
  stored training images (at most :data:`MAX_BUFFER`), which keeps the old classes.

The original classifier and its weights are never changed. Each step shifts the new examples
by up to :data:`SHIFT` pixels, so a dozen drawings stand for more. Measured: how many held-back
examples of the new class the copy reads as it, and the accuracy on held-out images of the old
classes before and after. For a digit classifier (classes ``"0"`` to ``"9"``, 28x28 grey
inputs) the buffer and the held-out digits default to the package's real MNIST samples
(:func:`zoo.samples.training_digits`, :func:`zoo.samples.digits`); any other classifier is
given both. Used through :meth:`zoo.tasks.ImageClassifier.learn_class`; the experiment
:mod:`zoo.experiments.incremental` measures the same two ways against retraining from scratch.
"""

import dataclasses
import threading
import time
import weakref

import keras
import numpy as np
import tensorflow as tf

from zoo import samples
from zoo.checks import check_choice, check_labels, check_number, check_text, kind_of
from zoo.errors import ConfigError, DataError, ZooError
from zoo.models.grow import grow_output

METHODS = ("naive", "rehearsal")
MIN_EXAMPLES = 5  # drawings of the new class to learn from, at least ...
MAX_EXAMPLES = 200  # ... and at most (as for held-back ones)
MAX_BUFFER = 1000  # stored old images a rehearsal may use
DEFAULT_BUFFER = 300
MAX_STEPS = 1000
MAX_NAME = 40  # characters of a class name
NEW_PER_STEP = 16  # new examples in each training step (drawn with replacement, shifted)
OLD_PER_STEP = 48  # and, for a rehearsal, stored old images
SHIFT = 2  # pixels a new example may move in each direction at each step
DIGITS = [str(d) for d in range(10)]


@dataclasses.dataclass
class LearnedClass:
    """A classifier taught a new class, and what it cost.

    Attributes:
        classifier: the new classifier (the same task class as the original, one output more:
            the new class is the last).
        name, method: the new class's name and the way it was learned (:data:`METHODS`).
        new_accuracy: the fraction of held-back examples of the new class read as it
            (``None`` when none were given).
        old_accuracy_before, old_accuracy_after: accuracy on held-out images of the old
            classes, by the original classifier and by the new one (which may now also answer
            the new class).
        seconds: wall time of the fine-tuning steps.
        steps, examples, buffer: training steps, examples of the new class, stored old images
            used (0 for ``"naive"``).
    """

    classifier: object
    name: str
    method: str
    new_accuracy: object
    old_accuracy_before: float
    old_accuracy_after: float
    seconds: float
    steps: int
    examples: int
    buffer: int

    def figures(self):
        """The measurements as a plain dict (JSON types)."""
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)
                if field.name != "classifier"}


def _images(task, images, what, *, low, high):
    """The preprocessed batch of ``images`` (a list of anything the classifier reads); refuses
    too few, too many and empty pictures."""
    if isinstance(images, np.ndarray) and images.ndim >= 3:
        images = list(images)  # a stack of pictures, not one picture
    if not isinstance(images, (list, tuple)):
        raise ConfigError(f"{what} must be a list of images (files, bytes, PIL images or "
                          f"arrays), got {kind_of(images)}")
    if not low <= len(images) <= high:
        raise DataError(f"{what}: {len(images)} given; give {low} to {high} images")
    batch = np.zeros((len(images), *task.input_shape), np.float32)
    for i, image in enumerate(images):
        try:
            batch[i], empty, _ = task.preprocessor.read(image)
        except ZooError as err:
            said = str(err).removeprefix("the image: ")
            raise DataError(f"{what}: image {i + 1}: {said}") from None
        if empty:
            raise DataError(f"{what}: image {i + 1} is empty (nothing drawn); draw the "
                            "symbol or leave that image out")
    return batch


def _labelled(task, given, what, default, choose=None):
    """``(preprocessed images, class indices)`` from ``given`` (``(images, labels)``) or, for
    a digit classifier, from ``default`` (a :mod:`zoo.samples` reader); with ``choose``
    (labels -> indices), only the images it chooses are read."""
    if given is None:
        if task.class_names != DIGITS or task.input_shape != (28, 28, 1):
            raise ConfigError(f"{what}: only a digit classifier (classes 0-9, 28x28 grey) has "
                              "shipped examples of its classes; give (images, labels)")
        images, labels = default()
        images = images[..., None]
    elif not isinstance(given, (list, tuple)) or len(given) != 2:
        raise ConfigError(f"{what} must be (images, labels), got {kind_of(given)}")
    else:
        images, labels = given
        if not isinstance(images, (list, tuple, np.ndarray)):
            raise ConfigError(f"{what}: the images must be a list or an array, got "
                              f"{kind_of(images)}")
    labels = check_labels(labels, f"{what} labels", count=len(images))
    if not len(labels):
        raise DataError(f"{what}: no images given; give some of the old classes")
    if labels.max() >= len(task.class_names):
        raise ConfigError(f"{what} labels: class {int(labels.max())} for a classifier of "
                          f"{len(task.class_names)} classes")
    keep = np.arange(len(labels)) if choose is None else choose(labels)
    if given is None:  # MNIST's own digits: scaled only, as its test figures were measured
        return task.preprocessor.rescale(images[keep]).numpy(), labels[keep]
    if isinstance(images, np.ndarray):
        chosen = images[keep]
        return task.preprocessor(chosen if chosen.ndim == 4 else list(chosen)), labels[keep]
    return task.preprocessor([images[i] for i in keep]), labels[keep]


def _buffer(labels, size, rng):
    """Indices of ``size`` stored images, as balanced over the classes as they allow."""
    per_class = [rng.permutation(np.flatnonzero(labels == c)) for c in np.unique(labels)]
    order = [int(v[rank]) for rank in range(max(len(v) for v in per_class))
             for v in per_class if rank < len(v)]
    return np.array(order[:size], dtype=np.int64)


def _shifted(batch, rng):
    """Each image moved by up to :data:`SHIFT` pixels in each direction, zero filled."""
    out = np.zeros_like(batch)
    height, width = batch.shape[1:3]
    for i, (dy, dx) in enumerate(rng.integers(-SHIFT, SHIFT + 1, size=(len(batch), 2))):
        out[i, max(dy, 0):height + min(dy, 0), max(dx, 0):width + min(dx, 0)] = \
            batch[i, max(-dy, 0):height + min(-dy, 0), max(-dx, 0):width + min(-dx, 0)]
    return out


_STEPS = weakref.WeakKeyDictionary()  # a classifier's model -> its compiled training step
_STEPS_LOCK = threading.Lock()
BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7  # Adam's, as keras.optimizers.Adam's defaults


def _training_step(model):
    """One compiled training step for every copy of ``model`` grown by one output:
    ``step(trainable, non_trainable, first, second, t, learning_rate, x, y)`` takes the copy's
    weights, its other state (dropout's seed) and Adam's moments and step count, and returns
    them updated (``Model.stateless_call``, Adam written out: Keras' ``stateless_apply`` is
    not there on TensorFlow). So a copy adds no traced function of its own: compiling a step
    for each copy (``fit``, ``train_on_batch``) kept about 6 MB per copy alive in TensorFlow
    for as long as the process lived, and an eager loop kept nothing but took twice as long
    (both measured on the 2-core machine at a load average of 10)."""
    with _STEPS_LOCK:
        if model not in _STEPS:
            template = grow_output(model)
            loss = keras.losses.SparseCategoricalCrossentropy()

            @tf.function(reduce_retracing=True, jit_compile=False)
            def step(trainable, non_trainable, first, second, t, learning_rate, x, y):
                with tf.GradientTape() as tape:
                    tape.watch(trainable)
                    probabilities, non_trainable = template.stateless_call(
                        trainable, non_trainable, x, training=True)
                    value = loss(y, probabilities)
                grads = tape.gradient(value, trainable)
                t = t + 1.0
                rate = learning_rate * tf.sqrt(1 - BETA_2 ** t) / (1 - BETA_1 ** t)
                first = [BETA_1 * m + (1 - BETA_1) * g for m, g in zip(first, grads)]
                second = [BETA_2 * v + (1 - BETA_2) * g * g for v, g in zip(second, grads)]
                trainable = [w - rate * m / (tf.sqrt(v) + EPSILON)
                             for w, m, v in zip(trainable, first, second)]
                return trainable, non_trainable, first, second, t

            _STEPS[model] = step
        return _STEPS[model]


def _accuracy(model, images, labels):
    if not len(labels):
        return None
    read = np.concatenate([np.asarray(model(images[i:i + 512], training=False)).argmax(-1)
                           for i in range(0, len(images), 512)])  # no traced function to keep
    return float((read == labels).mean())


def learn_class(task, images, *, name, method="rehearsal", held_out=None, old=None,
                rehearsal=None, buffer_size=DEFAULT_BUFFER, steps=40, learning_rate=1e-3,
                seed=0):
    """Teach ``task`` (an image classifier) the class ``name`` from ``images``, the way
    ``method`` says (see the module's docstring); :meth:`ImageClassifier.learn_class` documents
    the arguments. Returns a :class:`LearnedClass`."""
    name = check_text(name, "the new class's name", empty=False, limit=MAX_NAME).strip()
    if not name:
        raise ConfigError("the new class's name must not be blank")
    taken = {c.strip().casefold(): c for c in task.class_names}
    if name.casefold() in taken:
        raise ConfigError(f"the classifier already has a class {taken[name.casefold()]!r}; "
                          "give the new class another name")
    method = check_choice(method, "method", METHODS)
    steps = check_number(steps, "steps", whole=True, low=1, high=MAX_STEPS)
    buffer_size = check_number(buffer_size, "buffer_size", whole=True, low=1, high=MAX_BUFFER)
    learning_rate = check_number(learning_rate, "learning_rate", above=0, high=1)
    seed = check_number(seed, "seed", whole=True, low=0, high=2**32 - 1)

    new = _images(task, images, "the new class's examples", low=MIN_EXAMPLES, high=MAX_EXAMPLES)
    held = _images(task, [] if held_out is None else held_out,
                   "the held-back examples", low=0, high=MAX_EXAMPLES)
    old_x, old_y = _labelled(task, old, "old", samples.digits)
    index = len(task.class_names)
    rng = np.random.default_rng(seed)
    if method == "rehearsal":
        stored_x, stored_y = _labelled(task, rehearsal, "rehearsal", samples.training_digits,
                                       choose=lambda labels: _buffer(labels, buffer_size, rng))
    else:
        stored_x, stored_y = new[:0], np.zeros(0, np.int64)

    before = _accuracy(task.model, old_x, old_y)
    model = grow_output(task.model, seed=seed)
    step = _training_step(task.model)
    # values, not variables: a variable given to the step would be traced anew for each copy
    trainable = [tf.convert_to_tensor(v.value) for v in model.trainable_variables]
    non_trainable = [tf.convert_to_tensor(v.value) for v in model.non_trainable_variables]
    first, second = [tf.zeros_like(w) for w in trainable], [tf.zeros_like(w) for w in trainable]
    t, rate = tf.constant(0.0), tf.constant(float(learning_rate))
    new_labels = np.full(NEW_PER_STEP, index, np.int64)
    start = time.perf_counter()
    for _ in range(steps):
        x = _shifted(new[rng.integers(0, len(new), NEW_PER_STEP)], rng)
        y = new_labels
        if len(stored_y):
            pick = rng.integers(0, len(stored_y), OLD_PER_STEP)
            x, y = np.concatenate([x, stored_x[pick]]), np.concatenate([y, stored_y[pick]])
        trainable, non_trainable, first, second, t = step(trainable, non_trainable, first,
                                                          second, t, rate, x, y)
    for variable, value in zip(model.trainable_variables + model.non_trainable_variables,
                               [*trainable, *non_trainable]):
        variable.assign(value)
    seconds = time.perf_counter() - start

    config = dict(task.config, class_names=[*task.class_names, name],
                  options=dict(task.config.get("options") or {}, num_classes=index + 1))
    config.pop("metrics", None)  # the published figures were the original's
    return LearnedClass(
        classifier=type(task)(model, config), name=name, method=method,
        new_accuracy=_accuracy(model, held, np.full(len(held), index, np.int64)),
        old_accuracy_before=before, old_accuracy_after=_accuracy(model, old_x, old_y),
        seconds=round(seconds, 3), steps=steps, examples=len(new), buffer=len(stored_y))
