"""Digits: three classifiers of handwritten digits side by side, and what the CNN's layers see."""

import numpy as np
import streamlit as st

import zoo
from zoo.analysis import image_grid
from demo_app import canvas, charts, figures, inputs, models, samples

ABOUT = {"perceptron.mnist": "Perceptron: one linear layer from the 784 pixels to the 10 classes.",
         "deep_mlp.mnist": "MLP: three hidden layers (1024, 512, 256 units) with dropout.",
         "mnist_convnet.mnist": "CNN: two convolution and max-pooling blocks, then a softmax."}
MAX_CHANNELS = 32  # feature maps shown per layer
COLUMNS = 16  # feature maps per row



def familiarity_line(answer):
    """One line on whether the picture is like the model's training data."""
    share = f"familiarity {answer.familiarity:.0%}"
    if answer.familiar:
        return f"Looks like its training digits ({share})."
    return f":orange[Unlike its training digits ({share}): the answer is a guess.]"


st.title("Digits")
st.write("Three networks trained on MNIST's 60,000 handwritten digits read the digit you draw or "
         "upload: a perceptron, which weighs each pixel once; a multi-layer perceptron, which "
         "learns features in its hidden layers; and a convolutional network, which slides small "
         "filters over the picture and pools their answers. Below, the CNN's feature maps show "
         "what each of its convolution and pooling layers responds to.")

# -- input ----------------------------------------------------------------------------------------
given, seen = st.columns([3, 2])
with given:
    how = st.radio("Digit", ["Draw", "Upload", "MNIST test digit"], horizontal=True, key="source")
    image = None
    if how == "Draw":
        st.caption("Draw one digit, large, in the middle of the square.")
        drawing = canvas.draw(key="canvas")
        if drawing is not None:
            try:
                image = inputs.read_image(drawing, "the drawing")
            except zoo.ZooError as err:
                st.error(str(err))
    elif how == "Upload":
        image = inputs.upload("An image of one digit (dark on light or light on dark)",
                              key="upload")
    elif samples.mnist_test() is None:
        st.warning("No MNIST test digits found; fetch them with "
                   "`python scripts/fetch_data.py mnist --out data`.")
    else:
        count = len(samples.mnist_test()[1])
        index = st.number_input(f"Test digit (0 to {count - 1})", min_value=0,
                                max_value=count - 1, value=0, key="index", width=420)
        image, label = samples.mnist_digit(index)
        st.caption(f"MNIST test digit {index}, labelled {label}.")

if image is None:
    st.info("Draw, upload or pick a digit to see what the models read.")
    st.stop()

try:
    with models.use(models.CNNS[0]) as cnn:
        batch = cnn.preprocess([image])
        verdict = cnn.predict([image], top_k=1)[0]  # is the picture empty, or unlike a digit?
except zoo.ZooError as err:
    st.error(str(err))
    st.stop()
if verdict.note:
    st.warning(verdict.note[0].upper() + verdict.note[1:] + ".")
if verdict.empty:
    st.stop()
with seen:  # one row of two pictures that wraps in a narrow window (nested columns overflowed)
    st.image([inputs.preview(image, 140), figures.enlarge(batch[0], 140)], width=140,
             caption=["Your digit", "What the models see (28x28, centred)"])

# -- predictions ----------------------------------------------------------------------------------
for column, (name, about) in zip(st.columns(len(ABOUT)), ABOUT.items()):
    with column:
        try:
            with models.use(name) as classifier:
                classes = classifier.class_names
                answer = classifier.predict([image], top_k=len(classes))[0]
                probs = np.array([dict(answer.top)[c] for c in classes])
        except zoo.ZooError as err:
            st.error(f"{name}: {err}")
            continue
        best = int(np.argmax(probs))
        st.metric(name.split(".")[0], classes[best], f"{probs[best]:.1%} sure",
                  delta_color="off", delta_arrow="off", help=f"the weight {name}")
        st.caption(about)
        if answer.familiar is not None:  # a weight calibrated for familiarity
            st.caption(familiarity_line(answer))
        st.altair_chart(charts.probabilities(classes, probs), width="stretch")

# -- feature maps ---------------------------------------------------------------------------------
st.subheader("Inside the CNN: feature maps")
st.write("Each small square is one channel of a layer's output for your digit, bright where the "
         "channel's filter matches. Pooling halves the size; deeper layers respond to larger "
         "parts of the digit.")
cnns = [n for n in models.CNNS if n in models.available()] or list(models.CNNS[:1])
# The choice is kept under a key of its own: a run that stops before this box (Clear, a new
# upload) drops the widget's state, and the box would fall back to the first CNN.
kept = st.session_state.get("cnn_choice")
cnn_name = st.selectbox("CNN", cnns, index=cnns.index(kept) if kept in cnns else 0, key="cnn",
                        on_change=lambda: st.session_state.update(cnn_choice=st.session_state.cnn),
                        width=420)
try:
    maps = models.feature_maps(cnn_name, batch)
except zoo.ZooError as err:
    st.error(f"{cnn_name}: {err}")
    st.stop()
# Every grid is COLUMNS maps wide and fills the page's width, so all are one width and a map is
# the same size in each (a layer with fewer maps fills that share of the width)
for layer, array in maps.items():
    tiles = np.moveaxis(array[0], -1, 0)[..., None]  # (channels, h, w, 1)
    shown = tiles[:MAX_CHANNELS]
    note = f" (the first {len(shown)})" if len(shown) < len(tiles) else ""
    wide = min(COLUMNS, len(shown))
    place = st.columns([wide, COLUMNS - wide])[0] if wide < COLUMNS else st.container()
    place.image(image_grid(shown, columns=COLUMNS, scale=max(1, 56 // tiles.shape[1]),
                           stretch=True), width="stretch",
                caption=f"{layer}: {len(tiles)} maps of {tiles.shape[1]}x{tiles.shape[2]}{note}")
