"""Caption: a CNN encodes the picture, an LSTM with attention describes it in words."""

import pandas as pd
import streamlit as st

import zoo
from demo_app import figures, inputs, models, samples

# what each kind of captioner learned from, and the pictures the page offers it first
LEARNED = {
    "emoji": "This model learned from emoji: pictures in two drawing styles (Google's Noto and "
             "Twitter's Twemoji) captioned with their Unicode names in {language} (\"cat with "
             "wry smile\"). The example emoji are ones it never trained on: emoji held out of "
             "training, and OpenMoji, a drawing style it never saw. On other pictures, such as "
             "Tux Paint stamps, it can only say what it knows.",
    "mnist_captions": "This model learned from canvases of two or three real MNIST digits "
                      "captioned with their size and position (\"a small 4 left of a large "
                      "1\"); on other pictures, such as Tux Paint stamps, it can only say what "
                      "it knows.",
    None: "On pictures unlike the ones it learned from it can only say what it knows.",
}
LANGUAGES = {"en": "English", "es": "Spanish"}
EXAMPLES = {"emoji": "Emoji", "mnist_captions": "MNIST caption canvas"}

st.title("Caption")
st.write("Show, Attend and Tell: a convolutional network turns the picture into a grid of "
         "features, and an LSTM writes the caption word by word, at each word looking at a "
         "different part of the grid through soft attention.")

names = models.caption_weights()
if not names:
    st.warning("No captioner is published; train one with `python scripts/train_pretrained.py "
               "show_attend_tell.emoji_en --data-dir data`.")
    st.stop()
name = st.selectbox("Model", names, key="model", width=420)
try:
    kind, language = models.caption_pictures(name)
except zoo.ZooError as err:
    st.error(str(err))
    st.stop()
st.write(LEARNED[kind].format(language=LANGUAGES.get(language, language)))

# -- input ----------------------------------------------------------------------------------------
choices = ([EXAMPLES[kind]] if kind else []) + ["Tux Paint stamp", "Upload"]
how = st.radio("Picture", choices, horizontal=True, key=f"source_{kind}")
image, references = None, []
if how == "Emoji":
    pictures = samples.emoji(language)
    example = st.selectbox("Emoji", list(pictures), key=f"emoji_{language}", width=420)
    image = inputs.read_image(open(pictures[example], "rb").read(), example)
    references = [example.rsplit(" (", 1)[0]]
elif how == "MNIST caption canvas":
    if samples.mnist_test() is None:
        st.warning("No MNIST test digits found; fetch them with "
                   "`python scripts/fetch_data.py mnist --out data`.")
    else:
        seed = st.number_input("Canvas number (each makes a new canvas of real test digits)",
                               0, 10**6, 0, key="seed", width=420)
        image, references = samples.caption_canvas(seed)
elif how == "Tux Paint stamp":
    stamps = samples.tuxpaint_stamps()
    if stamps:
        stamp = st.selectbox("Stamp", list(stamps), key="stamp", width=420)
        image = inputs.read_image(open(stamps[stamp], "rb").read(), stamp)
        references = [stamp.rsplit(" (", 1)[0]]
    else:
        st.warning("No Tux Paint stamps found in the package (zoo.samples); reinstall zoo.")
else:
    image = inputs.upload("A picture to caption", key="upload")

left, right = st.columns(2)
method = left.radio("Search", ["beam", "greedy"], horizontal=True, key="method")
width = right.slider("Beam width", 1, 10, 3, key="width", disabled=method != "beam")

if image is None:
    st.info("Pick or upload a picture to caption it.")
    st.stop()

# -- output ---------------------------------------------------------------------------------------
try:
    with models.use(name) as captioner:
        attention = captioner.has_attention
        caption = captioner.caption([image], method=method, beam_width=width,
                                    attention=attention)[0]
        picture = captioner.preprocess([image])[0]
except zoo.ZooError as err:
    st.error(str(err))
    st.stop()

shown, text = st.columns([1, 2])
shown.image(figures.enlarge(picture, 192), caption="What the model sees")
with text:
    st.subheader("Caption")
    st.success(caption.text or "(an empty caption)")
    if caption.familiar is False:
        st.warning(f"This picture looks unlike the training data (familiarity "
                   f"{caption.familiarity:.0%}): the caption is a guess.")
    elif caption.familiar:
        st.caption(f"The picture looks like the training pictures (familiarity "
                   f"{caption.familiarity:.0%}).")
    if references:
        st.caption("Reference: " + " / ".join(f"“{r}”" for r in references))
    if caption.candidates:
        st.write("Every caption beam search kept, best first:")
        st.dataframe(pd.DataFrame(caption.candidates, columns=["caption", "score"]),
                     hide_index=True)

if caption.attention is not None:
    st.subheader("Where each word looked")
    words = list(caption.words) + (["(end)"] if caption.finished else [])
    maps = list(zip(words, caption.attention))
    for start in range(0, len(maps), 6):  # rows of six
        for column, (word, weights) in zip(st.columns(6), maps[start:start + 6]):
            column.image(figures.attention_overlay(picture, weights), caption=word)
