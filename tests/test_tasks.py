"""One harness for every task: a bundled weight of the task, its main answer on fixture inputs
(tests/data), and a save/load round trip that gives the same answer.

``ANSWERS`` holds, per task, the fixture input and the call that answers it; the ``bundled``
fixture loads each task's first published weight once per module. A check that holds for every
task takes ``bundled`` and is run on each of them; a task with no entry here, or no bundled
weight, fails ``test_every_task_is_covered``.
"""

import dataclasses
from typing import Callable

import numpy as np
import pytest

import zoo
from zoo import weights
from zoo.data import read_idx
from zoo.data.mnist_captions import load_mnist_captions
from zoo.tasks import task_class, task_names

from conftest import DATA_DIR

MNIST_SMALL = DATA_DIR / "mnist_small"


def _digits(n=4):
    """The first fixture test digits, as uint8 arrays (any image size: the task resizes)."""
    return list(read_idx(MNIST_SMALL / "t10k-images-idx3-ubyte.gz")[:n])


def _canvases(n=2):
    """Caption canvases of fixture test digits."""
    canvases = load_mnist_captions(data_dir=MNIST_SMALL, num_canvases=2, num_test_canvases=n)
    return list(canvases["test"].images)


def _pairs(n=3):
    """English sentences of the fixture translation pairs."""
    lines = (DATA_DIR / "translation" / "tuxpaint_pairs_small.tsv").read_text(encoding="utf-8")
    return [line.split("\t")[0] for line in lines.splitlines()[:n]]


def _prefix():
    return (DATA_DIR / "text" / "emma_chapter1.txt").read_text(encoding="utf-8")[:40]


@dataclasses.dataclass(frozen=True)
class Answer:
    """A task's main answer: ``call(task_object, inputs)`` on ``inputs()``, as plain data or
    arrays that a reloaded model must give again."""

    inputs: Callable
    call: Callable


ANSWERS = {
    "image_classification": Answer(_digits, lambda t, x: (
        t.predict_proba(x), [p.label for p in t.predict(x)])),
    "autoencoder": Answer(_digits, lambda t, x: (t.encode(x), t.reconstruct(x))),
    "language_model": Answer(_prefix, lambda t, x: (
        t.next_char_probabilities(x, top_k=5), t.generate(x, length=30, seed=1))),
    "translation": Answer(_pairs, lambda t, x: t.translate(x)),
    "captioning": Answer(_canvases, lambda t, x: [c.text for c in t.caption(x)]),
}


def _first_weight(task):
    names = [n for n in weights.list_weights() if weights.get_weight(n)["task"] == task]
    return names[0] if names else None


def _same(a, b):
    """Equal answers: arrays to float precision, everything else exactly."""
    if isinstance(a, np.ndarray):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    elif isinstance(a, (tuple, list)) and not isinstance(a, str):
        assert type(a) is type(b) and len(a) == len(b), (a, b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, float):
        assert a == pytest.approx(b, rel=1e-5, abs=1e-6)
    else:
        assert a == b


def test_every_task_is_covered():
    assert sorted(ANSWERS) == task_names()
    missing = [task for task in task_names() if _first_weight(task) is None]
    assert not missing, f"no bundled weight for the tasks {missing}"


@pytest.fixture(scope="module", params=task_names())
def bundled(request):
    """``(task name, the task object of its first published weight)``, loaded once."""
    name = _first_weight(request.param)
    if name is None:
        pytest.fail(f"task {request.param!r} has no published weight")
    loaded = zoo.load(name)
    assert isinstance(loaded, task_class(request.param))
    return request.param, loaded


def test_save_and_load_give_the_same_answer(bundled, tmp_path):
    task, original = bundled
    answer = ANSWERS[task]
    inputs = answer.inputs()
    expected = answer.call(original, inputs)
    original.save(tmp_path / "saved")
    again = zoo.load(tmp_path / "saved")
    assert type(again) is type(original)
    assert again.config == original.config
    _same(answer.call(again, inputs), expected)
