"""The demo's Teach page, in-process with Streamlit's AppTest: drawings are given to the page's
canvas as the browser gives them (a PNG data URL in the component's state) and kept with the
page's buttons, the page teaches two copies of the shared digit CNN, and shows the new class's
accuracy on the held-back drawings and the old digits' accuracy before and after for each,
while the shared model stays as it was.

One teaching (two fine-tunings of 40 steps) in all; the drawings are triangles drawn by
``zoo.samples.drawn_symbols`` on a 280x280 white square with an 18-pixel pen, as on the canvas.
"""

import base64
import io

import numpy as np
import pytest
from PIL import Image

import zoo
from _apptest import assert_no_exception, open_page
from demo_app import models  # demo_app/ is on the path through _apptest

TRAIN, HELD, RESULTS = "learn_train", "learn_held", "learn_results"  # the page's session keys
MAX_DRAWINGS = 30  # of each kind kept in a session (demo_app/views/teach.py)
# ten triangles to learn from and six held back
TRIANGLES = zoo.samples.drawn_symbols("triangle", 10, seed=5), \
    zoo.samples.drawn_symbols("triangle", 6, seed=6)


def drawn(picture):
    """What the canvas component hands the page for a drawing: a PNG data URL."""
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    return {"image": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()}


def draw_and_keep(at, picture, kind):
    at.session_state["learn_canvas"] = drawn(picture)
    at.run()
    at.button(key=f"add_{kind}").click().run()
    assert_no_exception(at)


@pytest.fixture(scope="module")
def taught():
    """The page after drawing and teaching the triangles, and the shared model's weights
    before."""
    shared = models.get(models.LEARN)
    weights = [w.copy() for w in shared.model.get_weights()]
    at = open_page("teach")
    for kind, pictures in zip((TRAIN, HELD), TRIANGLES):
        for picture in pictures:
            draw_and_keep(at, picture, kind)
    assert [len(at.session_state[k]) for k in (TRAIN, HELD)] == [10, 6]
    at.text_input(key="learn_name").set_value("triangle").run()
    at.button(key="teach").click().run()
    assert_no_exception(at)
    return at, weights


def test_the_page_waits_for_enough_drawings():
    at = open_page("teach")
    assert at.button(key="teach").disabled
    assert any("at least 5 drawings" in info.value for info in at.info)
    at.button(key="examples").click().run()
    assert_no_exception(at)
    assert len(at.session_state[TRAIN]) == 10 and len(at.session_state[HELD]) == 10
    assert at.text_input(key="learn_name").value == "star"
    assert not at.button(key="teach").disabled
    at.button(key="forget").click().run()
    assert TRAIN not in at.session_state and at.button(key="teach").disabled


def test_teaching_shows_both_copies_side_by_side(taught):
    at, _ = taught
    results = at.session_state[RESULTS]
    assert list(results) == ["naive", "rehearsal"]
    values = [m.value for m in at.metric]
    deltas = [m.proto.delta for m in at.metric if m.label == "Old digits: accuracy after"]
    for result in results.values():
        assert result.name == "triangle" and result.examples == 10
        assert result.classifier.class_names[-1] == "triangle"
        assert f"{result.new_accuracy:.0%}" in values
        assert f"{result.old_accuracy_after:.1%}" in values
        assert any(f"before: {result.old_accuracy_before:.1%}" in d for d in deltas)
    assert results["naive"].old_accuracy_after < results["rehearsal"].old_accuracy_after
    assert results["rehearsal"].new_accuracy >= 0.8


def test_the_shared_model_is_unchanged(taught):
    _, weights = taught
    shared = models.get(models.LEARN)
    assert shared.class_names == [str(d) for d in range(10)]
    assert shared.model.output_shape == (None, 10)
    for now, then in zip(shared.model.get_weights(), weights):
        np.testing.assert_array_equal(now, then)


def test_a_name_the_classifier_has_is_refused_on_the_page(taught):
    at = open_page("teach")
    at.session_state[TRAIN] = list(taught[0].session_state[TRAIN])
    at.text_input(key="learn_name").set_value("7").run()
    at.button(key="teach").click().run()
    assert_no_exception(at)
    assert any("already has a class '7'" in e.value for e in at.error)
    assert RESULTS not in at.session_state


def test_the_drawings_kept_are_bounded_and_blank_ones_refused():
    at = open_page("teach")
    at.session_state["learn_canvas"] = drawn(np.full((280, 280), 255, np.uint8))
    at.run()
    assert at.button(key=f"add_{TRAIN}").disabled  # nothing drawn: nothing to keep
    at.session_state[TRAIN] = [np.zeros((28, 28), np.uint8)] * MAX_DRAWINGS
    draw_and_keep(at, TRIANGLES[0][0], TRAIN)
    assert len(at.session_state[TRAIN]) == MAX_DRAWINGS
    assert any(f"{MAX_DRAWINGS} drawings of that kind are kept at most" in w.value
               for w in at.warning)
