"""Autoencoder: a picture squeezed through a small code and rebuilt, and what the code's units
have learned to look for."""

import numpy as np
import streamlit as st

import zoo
from zoo.analysis import filter_grid, image_grid, top_activating_inputs
from demo_app import charts, figures, inputs, models, samples

st.title("Autoencoder")
st.write("An autoencoder learns without labels: its encoder squeezes the picture into a short "
         "code, and its decoder rebuilds the picture from that code alone, so the code has to "
         "keep what matters. Below are your picture and its reconstruction, the code, the "
         "filters of the first layer, and the held-out inputs that drive one code unit hardest.")

choices = [n for n in models.AUTOENCODER if n in models.available()] or list(models.AUTOENCODER)
name = st.selectbox("Model", choices, key="model", width=420)
try:
    task = models.get(name)
except zoo.ZooError as err:
    st.error(str(err))
    st.stop()
patches = models.is_patch_model(task)
height, width, channels = task.input_shape

# -- input ----------------------------------------------------------------------------------------
if patches:
    st.caption(f"This model reads {height}x{width} patches of photos, each with its mean "
               "brightness removed; the photo is cut into a grid of patches.")
    how = st.radio("Photo", ["Sample photo", "Upload"], horizontal=True, key="photo_source")
    if how == "Sample photo" and samples.photos():
        choice = st.selectbox("Photo", list(samples.photos()), key="photo", width=420)
        photo = samples.photos()[choice]
        image = inputs.read_image(open(photo, "rb").read(), photo)
    else:
        image = inputs.upload("A photo", key="photo_upload")
else:
    how = st.radio("Digit", ["MNIST test digit", "Upload"], horizontal=True, key="source")
    image = None
    if how == "MNIST test digit" and samples.mnist_test() is not None:
        index = st.number_input("Test digit number", 0, len(samples.mnist_test()[1]) - 1, 0,
                                key="index", width=420)
        image, _ = samples.mnist_digit(index)
    elif how == "Upload":
        image = inputs.upload("An image of a digit", key="upload")
if image is None:
    st.info("Pick or upload a picture to encode it.")
    st.stop()

# -- reconstruction and code ----------------------------------------------------------------------
try:
    if patches:
        photo = task.preprocessor.read_photo(image)  # as in training
        batch_input, (rows, columns) = task.preprocessor.tiles(photo)
    else:
        batch_input = [image]
    with models.use(name) as autoencoder:
        batch = autoencoder.preprocess(batch_input)
        rebuilt = autoencoder.reconstruct(batch)
        codes = autoencoder.encode(batch)
except zoo.ZooError as err:
    st.error(str(err))
    st.stop()

error = float(((rebuilt - batch) ** 2).mean())
left, right = st.columns(2)
if patches:
    st.caption(f"The middle of the photo at {photo.shape[1]}x{photo.shape[0]} pixels, cut into "
               f"{rows}x{columns} patches of {height}x{width}.")
    left.image(image_grid(batch, columns=columns, scale=4, stretch=True),
               caption=f"Input: {len(batch)} patches (contrast stretched)")
    right.image(image_grid(rebuilt, columns=columns, scale=4, stretch=True),
                caption="Reconstruction")
else:
    left.image(figures.enlarge(batch[0]), caption="Input, as the model sees it")
    right.image(figures.enlarge(rebuilt[0]), caption="Reconstruction")
st.metric("Reconstruction error (mean squared, per pixel)", f"{error:.4f}")

code = codes[0]
st.subheader(f"The code: {len(code)} numbers" + (" (of the first patch)" if patches else ""))
unit = st.number_input("Code unit", 0, len(code) - 1, int(np.argmax(code)), key=f"unit-{name}",
                       help="Starts at the unit most active for this input.")
st.altair_chart(charts.code_vector(code, chosen=int(unit)), width="stretch")

# -- what the units learned -----------------------------------------------------------------------
left, right = st.columns(2)
with left:
    st.subheader("First-layer filters")
    try:
        st.image(filter_grid(task.model), caption="Grey is 0, light positive, dark negative "
                 "weights", width="stretch")
    except zoo.ZooError as err:
        st.info(f"No filters to show: {err}")
with right:
    st.subheader(f"Unit {unit}: its top-activating test inputs")
    images, pool_codes = models.code_pool(name)
    if not len(images):
        st.info("No held-out inputs found to search.")
    else:
        top = top_activating_inputs(None, images, 9, units=[int(unit)], codes=pool_codes)
        st.image(image_grid(images[top.indices[0]], columns=9, scale=max(2, 56 // height),
                            stretch=patches),
                 caption=f"The 9 of {len(images):,} held-out inputs with the highest activation, "
                         f"strongest first ({top.values[0][0]:.3f} to {top.values[0][-1]:.3f})",
                 width="stretch")
