"""Teach: the digit CNN learns a symbol the visitor draws, naive fine-tuning against rehearsal.

The visitor's drawings (at most :data:`MAX_DRAWINGS` of each kind, kept as 28x28 pictures) and
the two taught copies live in the session's state; the shared classifier is only read.
"""

import numpy as np
import streamlit as st

import zoo
from zoo.tasks import new_class
from demo_app import canvas, figures, inputs, models

MAX_DRAWINGS = 30  # of each kind kept in a session
EXAMPLE = "star"  # the symbol the example drawings show
TRAIN, HELD = "learn_train", "learn_held"  # session keys of the drawings
RESULTS = "learn_results"  # and of the last teaching: {method: LearnedClass}
TITLES = {"naive": "Naive fine-tuning (only your drawings)",
          "rehearsal": f"With rehearsal (your drawings + {new_class.DEFAULT_BUFFER} stored MNIST "
                       "digits)"}


def add(kind, picture):
    """Keep a drawing (as the model sees it: 28x28, uint8) under ``kind``; ``False`` when
    there are :data:`MAX_DRAWINGS` already."""
    kept = st.session_state.setdefault(kind, [])
    if len(kept) >= MAX_DRAWINGS:
        return False
    kept.append(picture)
    return True


def fill_with_examples():
    """Ten drawn stars to learn from and ten held back (``zoo.samples.drawn_symbols``)."""
    drawn = zoo.samples.drawn_symbols(EXAMPLE, 20, seed=3)
    with models.use(models.LEARN) as classifier:
        pixels = [classifier.preprocessor.pixels(d)[..., 0] for d in drawn]
    st.session_state.update({TRAIN: pixels[:10], HELD: pixels[10:], "learn_name": EXAMPLE})
    st.session_state.pop(RESULTS, None)


def forget_drawings():
    for key in (TRAIN, HELD, RESULTS):
        st.session_state.pop(key, None)


def gallery(kind, label):
    kept = st.session_state.get(kind) or []
    st.caption(f"{label}: {len(kept)}")
    if kept:
        st.image([figures.enlarge(np.asarray(k, np.float32) / 255, 48) for k in kept], width=48)


st.title("Teach it a new class")
st.write("The CNN of the Digits page knows ten classes, the digits 0 to 9. Draw a symbol it has "
         "never seen, about ten times, and a few more times to hold back for the test. A copy "
         "of the network grows an eleventh output and learns your symbol in a few seconds, two "
         "ways side by side: **naive fine-tuning** on your drawings alone, and fine-tuning with "
         "a small **rehearsal** buffer of stored digits mixed in. Both learn the symbol; the "
         "naive one forgets the digits (catastrophic forgetting), the rehearsal keeps them. "
         "Retraining on everything at once (batch learning) would keep them too, but costs "
         "minutes, not seconds. Your copies are your own: the shared model is never changed.")

# -- drawings -------------------------------------------------------------------------------------
name = st.text_input("Name of your symbol", key="learn_name", max_chars=40, width=420,
                     placeholder="e.g. star, heart, alpha")
drawing_side, kept_side = st.columns([2, 3])
with drawing_side:
    st.caption("Draw one symbol, large, keep it for learning or for the test, then Clear and "
               "draw the next.")
    drawing = canvas.draw(key="learn_canvas")
    picture = None
    if drawing is not None:
        try:
            image = inputs.read_image(drawing, "the drawing")
            with models.use(models.LEARN) as classifier:
                picture, empty, _ = classifier.preprocessor.read(image)
        except zoo.ZooError as err:
            st.error(str(err))
        else:
            picture = None if empty else np.uint8(np.rint(picture[..., 0] * 255))
    left, right = st.columns(2)
    for column, kind, label in ((left, TRAIN, "Learn from it"), (right, HELD, "Hold it back")):
        if column.button(label, key=f"add_{kind}", disabled=picture is None):
            if not add(kind, picture):
                st.warning(f"{MAX_DRAWINGS} drawings of that kind are kept at most.")
with kept_side:
    gallery(TRAIN, "To learn from")
    gallery(HELD, "Held back for the test")
    left, right = st.columns(2)
    left.button("Use example drawings", key="examples", on_click=fill_with_examples,
                help=f"ten {EXAMPLE}s to learn from and ten to hold back, drawn by the zoo")
    right.button("Forget my drawings", key="forget", on_click=forget_drawings)

examples, held = st.session_state.get(TRAIN) or [], st.session_state.get(HELD) or []
least = new_class.MIN_EXAMPLES
if st.button("Teach it", key="teach", type="primary", disabled=len(examples) < least,
             help=f"at least {least} drawings to learn from"):
    try:
        with st.spinner("Fine-tuning two copies..."):
            st.session_state[RESULTS] = models.teach(
                models.LEARN, examples, held, class_name=name or "my symbol",
                methods=new_class.METHODS)
    except zoo.ZooError as err:
        st.error(str(err))
if len(examples) < least:
    st.info(f"Keep at least {least} drawings to learn from (about 10 is best), or use the "
            "example drawings.")

# -- the two copies -------------------------------------------------------------------------------
results = st.session_state.get(RESULTS)
if not results:
    st.stop()
first = next(iter(results.values()))
st.subheader(f"Two copies that know \u201c{first.name}\u201d")
for column, (method, result) in zip(st.columns(len(results)), results.items()):
    with column:
        st.markdown(f"**{TITLES.get(method, method)}**")
        if result.new_accuracy is None:
            st.metric(f"{result.name}: held-back drawings", "none held back")
        else:
            st.metric(f"{result.name}: held-back drawings read as it",
                      f"{result.new_accuracy:.0%}")
        st.metric("Old digits: accuracy after", f"{result.old_accuracy_after:.1%}",
                  f"{result.old_accuracy_after - result.old_accuracy_before:+.1%} (before: "
                  f"{result.old_accuracy_before:.1%})")
        st.caption(f"{result.steps} steps on {result.examples} drawings"
                   f"{f' and {result.buffer} stored digits' if result.buffer else ''}, "
                   f"{result.seconds:.1f} s. Old digits: the package's 200 MNIST test digits.")

if picture is not None:
    st.subheader("What each copy reads in the canvas now")
    for column, result in zip(st.columns(len(results)), results.values()):
        answer = result.classifier.predict([picture], top_k=1)[0]
        column.metric(result.method, answer.label, f"{answer.probability:.0%} sure",
                      delta_color="off", delta_arrow="off")
else:
    st.caption("Draw a digit or your symbol in the canvas to see what each copy reads.")
