"""Teaching the published digit CNN a new class (``ImageClassifier.learn_class``): a copy with
one output more learns hand-drawn stars from 10 examples, the original is untouched, naive
fine-tuning forgets the old digits and a rehearsal buffer keeps them, and every bad input is
refused with one line before any training.

The stars are drawn by ``zoo.samples.drawn_symbols`` (seeded); the old digits are the package's
real MNIST samples. Four fine-tunings of 40 steps (about 2 s each on 2 cores) in all.
"""

import random

import numpy as np
import pytest

import zoo
from zoo.models.grow import grow_output
from zoo.tasks import new_class

STEPS = 40
SEEDS = (0, 1)


@pytest.fixture(scope="module")
def classifier():
    return zoo.load("mnist_convnet.mnist")


@pytest.fixture(scope="module")
def stars():
    drawn = zoo.samples.drawn_symbols("star", 30, seed=7)
    return drawn[:10], drawn[10:]


@pytest.fixture(scope="module")
def old_digits(classifier):
    images, labels = zoo.samples.digits()
    return classifier.preprocessor.rescale(images[..., None]).numpy(), labels.astype(np.int64)


@pytest.fixture(scope="module")
def before(classifier, old_digits):
    """The original's outputs and weights before any learning."""
    return (np.asarray(classifier.model(old_digits[0], training=False)),
            [w.copy() for w in classifier.model.get_weights()])


@pytest.fixture(scope="module")
def learned(classifier, stars, before):
    """``{(method, seed): LearnedClass}``."""
    return {(method, seed): classifier.learn_class(stars[0], name="star", method=method,
                                                   held_out=stars[1], steps=STEPS, seed=seed)
            for method in new_class.METHODS for seed in SEEDS}


def test_the_copy_grows_one_output_and_the_original_is_unchanged(classifier, learned, before,
                                                                 old_digits):
    outputs, weights = before
    for result in learned.values():
        grown = result.classifier
        assert grown is not classifier and grown.model is not classifier.model
        assert grown.model.output_shape == (None, 11)
        assert grown.class_names == [str(d) for d in range(10)] + ["star"]
        assert type(grown) is type(classifier)
        assert grown.config["options"]["num_classes"] == 11
    assert classifier.class_names == [str(d) for d in range(10)]
    assert classifier.model.output_shape == (None, 10)
    np.testing.assert_array_equal(np.asarray(classifier.model(old_digits[0], training=False)),
                                  outputs)
    for now, then in zip(classifier.model.get_weights(), weights):
        np.testing.assert_array_equal(now, then)


def test_every_copy_trains_through_one_compiled_step(classifier, learned):
    """Four copies, two batch sizes (naive 16, rehearsal 64): no traced function per copy (each
    one kept ~6 MB alive for the life of the process)."""
    step = new_class._training_step(classifier.model)
    assert step is new_class._training_step(classifier.model)
    assert 1 <= step.experimental_get_tracing_count() <= 2


def test_a_seed_gives_the_same_copy_and_leaves_the_global_random_state(classifier, stars,
                                                                        learned):
    """The seed draws the new unit's weights (and the dropout's seed) alone: the demo's process
    keeps its Python, NumPy and Keras random state across a Teach click."""
    states = random.getstate(), np.random.get_state()[1].copy()
    grown = [grow_output(classifier.model, seed=s) for s in (3, 3, 4, 2**32 - 1)]
    runs = [classifier.learn_class(stars[0], name="star", method="naive", steps=2, seed=5)
            for _ in range(2)]
    assert random.getstate() == states[0]
    np.testing.assert_array_equal(np.random.get_state()[1], states[1])
    new_unit = [g.get_layer("logits").get_weights()[0][:, -1] for g in grown]
    np.testing.assert_array_equal(new_unit[0], new_unit[1])
    assert not np.array_equal(new_unit[0], new_unit[2])
    assert not np.array_equal(new_unit[0], new_unit[3])
    for a, b in zip(*(r.classifier.model.get_weights() for r in runs)):
        np.testing.assert_array_equal(a, b)


def test_the_figures_are_what_the_copy_answers(classifier, learned, stars, old_digits, before):
    images, labels = old_digits
    original = float((before[0].argmax(-1) == labels).mean())
    for (method, _), result in learned.items():
        grown = result.classifier
        read = [p.label for p in grown.predict(stars[1])]
        assert result.new_accuracy == pytest.approx(np.mean([r == "star" for r in read]))
        after = np.asarray(grown.model(images, training=False)).argmax(-1)
        assert result.old_accuracy_after == pytest.approx(float((after == labels).mean()))
        assert result.old_accuracy_before == pytest.approx(original)
        assert (result.method, result.steps, result.examples) == (method, STEPS, 10)
        assert result.buffer == (new_class.DEFAULT_BUFFER if method == "rehearsal" else 0)
        assert result.seconds > 0
        assert set(result.figures()) == {"name", "method", "new_accuracy",
                                         "old_accuracy_before", "old_accuracy_after",
                                         "seconds", "steps", "examples", "buffer"}


def test_both_ways_learn_the_star_and_only_rehearsal_keeps_the_digits(learned):
    for seed in SEEDS:
        naive, rehearsal = learned["naive", seed], learned["rehearsal", seed]
        assert min(naive.new_accuracy, rehearsal.new_accuracy) >= 0.8, (naive, rehearsal)
        assert rehearsal.old_accuracy_after >= rehearsal.old_accuracy_before - 0.05
        assert naive.old_accuracy_after < rehearsal.old_accuracy_after - 0.25, (naive, seed)


def test_a_learned_class_can_be_saved_and_loaded(learned, stars, tmp_path):
    grown = learned["rehearsal", 0].classifier
    grown.save(tmp_path / "star")
    again = zoo.load(str(tmp_path / "star"))
    assert again.class_names[-1] == "star"
    np.testing.assert_allclose(again.predict_proba(stars[1]), grown.predict_proba(stars[1]),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("change, said", [
    ({"images": "stars"}, "must be a list of images"),
    ({"count": 4}, "4 given; give 5 to 200 images"),
    ({"count": 201}, "201 given; give 5 to 200 images"),
    ({"name": " 7 "}, "already has a class '7'"),
    ({"name": "   "}, "must not be blank"),
    ({"name": "x" * 41}, "at most 40"),
    ({"method": "magic"}, "method must be one of 'naive', 'rehearsal'"),
    ({"blank": True}, "image 10 is empty (nothing drawn)"),
    ({"broken": True}, "image 10: not an image file"),
    ({"shape": True}, "image 1: an image array must be HxW"),
    ({"buffer_size": 5000}, "buffer_size must be between 1 and 1,000"),
    ({"steps": 0}, "steps must be"),
    ({"old": ([np.zeros((28, 28), np.uint8)] * 2, [0])}, "1 labels for 2 examples"),
    ({"old": ([np.zeros((28, 28), np.uint8)], [12])}, "class 12 for a classifier of 10"),
    ({"old": ([], [])}, "old: no images given"),
    ({"rehearsal": "digits"}, "rehearsal must be (images, labels)"),
])
def test_bad_input_is_refused_in_one_line(classifier, stars, change, said):
    change = dict(change)
    images = list(stars[0]) * 21
    images = images[:change.pop("count", 10)]
    if change.pop("blank", False):
        images[9] = np.full((280, 280), 255, np.uint8)
    if change.pop("broken", False):
        images[9] = b"not an image at all"
    if change.pop("shape", False):
        images[0] = np.zeros((2, 3, 4, 5, 6), np.uint8)
    arguments = {"images": images, "name": "star", "steps": 1, **change}
    with pytest.raises(zoo.ZooError) as caught:
        classifier.learn_class(**arguments)
    assert said in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_buffer_and_old_images_of_ones_own(classifier, stars):
    images, labels = zoo.samples.training_digits()
    old_images, old_labels = zoo.samples.digits()
    result = classifier.learn_class(stars[0], name="star", steps=2,
                                    rehearsal=(list(images), labels), buffer_size=50,
                                    old=(list(old_images[:40]), old_labels[:40]))
    assert result.buffer == 50 and result.steps == 2 and result.new_accuracy is None
    read = [int(p.label) for p in classifier.predict(list(old_images[:40]))]
    assert result.old_accuracy_before == pytest.approx(np.mean(np.array(read) == old_labels[:40]))


def test_a_classifier_of_other_classes_is_given_its_old_images(classifier, stars):
    config = dict(classifier.config, class_names=list("abcdefghij"))
    letters = type(classifier)(classifier.model, config)
    with pytest.raises(zoo.ZooError, match="only a digit classifier"):
        letters.learn_class(stars[0], name="star", steps=1)


def test_the_shipped_samples_for_learning():
    images, labels = zoo.samples.training_digits()
    assert images.shape == (600, 28, 28) and np.bincount(labels).tolist() == [60] * 10
    first = zoo.samples.drawn_symbols("triangle", 3, seed=1)
    assert [a.shape for a in first] == [(280, 280)] * 3 and first[0].dtype == np.uint8
    np.testing.assert_array_equal(first[2], zoo.samples.drawn_symbols("triangle", 3, seed=1)[2])
    assert not np.array_equal(first[0], first[1])
    assert 0 < (first[0] < 128).mean() < 0.3  # black strokes on white
    with pytest.raises(zoo.ZooError, match="unknown symbol 'moon'"):
        zoo.samples.drawn_symbols("moon", 2)
