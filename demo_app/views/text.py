"""Text: a character language model predicts the next character and writes more text."""

import streamlit as st

import zoo
from demo_app import charts, models

MAX_PREFIX = 2000  # characters read; longer prefixes are cut to their last MAX_PREFIX

st.title("Text")
st.write("A character-level LSTM (two layers of 256 units) read Jane Austen's novels and a "
         "collection of fortunes one character at a time, learning to predict the next one. "
         "Type a beginning: the chart shows how likely each next character is (\"Hell\" → "
         "\"o\" for hello, a space or a comma for hell), and the model writes a continuation "
         "by sampling one character after another.")

name = models.TEXT[0]

# -- input ----------------------------------------------------------------------------------------
prefix = st.text_area("Beginning of the text", value="Hell", key="prefix", height=80)
with st.expander("Generation settings", expanded=True):
    a, b, c, d = st.columns(4)
    temperature = a.slider("Temperature", 0.0, 2.0, 0.8, 0.05, key="temperature",
                           help="0 always picks the most probable character; higher is more "
                                "adventurous.")
    top_k = b.number_input("Top-k (0: all characters)", 0, 200, 0, key="top_k",
                           help="Sample only among the k most probable characters.")
    length = c.slider("Length (characters)", 1, 1000, 200, key="length")
    seed = d.number_input("Seed", 0, 2**31 - 1, 1, key="seed",
                          help="The same seed writes the same text.")

# -- output ---------------------------------------------------------------------------------------
if len(prefix) > MAX_PREFIX:
    st.warning(f"The text has {len(prefix):,} characters; the model reads its last "
               f"{MAX_PREFIX:,}.")
    prefix = prefix[-MAX_PREFIX:]
if not prefix:
    st.info("No text: the model starts as at the beginning of a paragraph.")

try:
    unknown, distribution, text = models.continuation(
        name, prefix, length=int(length), temperature=float(temperature),
        top_k=int(top_k) or None, seed=int(seed))
except zoo.ZooError as err:
    st.error(str(err))
    st.stop()

if unknown:
    st.warning("Characters the model never saw in training (it reads them as unknown): "
               + " ".join(repr(ch) for ch in unknown[:40]) + (" ..." if len(unknown) > 40 else ""))

left, right = st.columns([1, 2])
with left:
    tail = ("…" if len(prefix) > 12 else "") + prefix[-12:].replace("\n", "⏎")
    st.subheader(f"“{tail}” → ?" if prefix else "The first character")
    best, probability = distribution[0]
    st.metric("Most probable next character", charts.shown_character(best), f"{probability:.1%}",
              delta_color="off", delta_arrow="off")
with right:
    st.subheader("Continuation")
    st.caption(f"temperature {temperature:g}, " + (f"top-{top_k}" if top_k else "all characters")
               + f", {length} characters, seed {seed}")
    st.code(prefix[-300:] + text, language=None, wrap_lines=True)

# the whole width: a row per character, every label readable
st.subheader(f"The {len(distribution)} most probable next characters")
st.altair_chart(charts.next_characters(distribution), width="stretch")
