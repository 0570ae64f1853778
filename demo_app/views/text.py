"""Text: a character language model predicts the next character and writes more text."""

import streamlit as st

import zoo
from demo_app import charts, models

MAX_PREFIX = 2000  # characters read; longer prefixes are cut to their last MAX_PREFIX
METHODS = {"sample": "Sample", "greedy": "Greedy", "beam": "Beam search"}

st.title("Text")
st.write("A character language model read a large amount of English one character at a time, "
         "learning to predict the next one. Type a beginning: the chart shows how likely each "
         "next character is (\"Hell\" → \"o\" for hello, a space or a comma for hell), and the "
         "model writes a continuation: by sampling one character after another, by always "
         "taking the most probable one (greedy), or by beam search, which keeps the few most "
         "probable continuations so far and returns the most probable whole one.")

names = models.text_weights()
if not names:
    st.error("No character language model is published: `zoo weights list` shows what is.")
    st.stop()
name = st.selectbox("Model", names, key="weight",
                    help="Every published character language model; the first is the default.")
info = models.record(name)
trained_on = info["dataset"].get("source_of_data") or info["dataset"].get("name", "")
st.caption(f"{info['description']} Trained on {trained_on}. Measured on held-out text: "
           f"{zoo.weights.headline_text(info)}.")

# -- input ----------------------------------------------------------------------------------------
prefix = st.text_area("Beginning of the text", value="Hell", key="prefix", height=80)
with st.expander("Generation settings", expanded=True):
    left, right = st.columns(2)
    method = left.radio("Decoding", list(METHODS), format_func=METHODS.get, horizontal=True,
                        key="method",
                        help="Sample: each character drawn from the model's distribution. "
                             "Greedy: the most probable character each time (it tends to "
                             "repeat itself). Beam search: the most probable whole "
                             "continuation among the candidates it keeps.")
    length = right.slider("Length (characters)", 1, 1000, 200, key="length")
    sampling = method == "sample"
    a, b, c, d, e = st.columns(5)
    temperature = a.slider("Temperature", 0.05, 2.0, 0.8, 0.05, key="temperature",
                           disabled=not sampling,
                           help="Below 1 more conservative, above 1 more adventurous.")
    top_k = b.number_input("Top-k (0: all characters)", 0, 200, 0, key="top_k",
                           disabled=not sampling,
                           help="Sample only among the k most probable characters.")
    top_p = c.slider("Top-p (1: all characters)", 0.05, 1.0, 1.0, 0.05, key="top_p",
                     disabled=not sampling,
                     help="Sample only among the most probable characters whose probabilities "
                          "add up to p (nucleus sampling).")
    seed = d.number_input("Seed", 0, 2**31 - 1, 1, key="seed", disabled=not sampling,
                          help="The same seed writes the same text.")
    width = e.slider("Beam width", 1, 16, 4, key="width", disabled=method != "beam",
                     help="Candidates beam search keeps (1 is greedy).")

# -- output ---------------------------------------------------------------------------------------
if len(prefix) > MAX_PREFIX:
    st.warning(f"The text has {len(prefix):,} characters; the model reads its last "
               f"{MAX_PREFIX:,}.")
    prefix = prefix[-MAX_PREFIX:]
if not prefix:
    st.info("No text: the model starts as at the beginning of a paragraph.")

settings = {"sample": {"temperature": float(temperature), "top_k": int(top_k) or None,
                       "top_p": float(top_p) if top_p < 1 else None, "seed": int(seed)},
            "greedy": {}, "beam": {"beam_width": int(width)}}[method]
try:
    unknown, distribution, text = models.continuation(name, prefix, length=int(length),
                                                      method=method, **settings)
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
    described = {
        "sample": f"sampled at temperature {temperature:g}, "
                  + (f"top-{top_k}" if top_k else "all characters")
                  + (f", top-p {top_p:g}" if top_p < 1 else "") + f", seed {seed}",
        "greedy": "greedy: the most probable character each time",
        "beam": f"beam search, {width} candidates kept"}[method]
    st.caption(f"{described}, {length} characters")
    st.code(prefix[-300:] + text, language=None, wrap_lines=True)

# the whole width: a row per character, every label readable
st.subheader(f"The {len(distribution)} most probable next characters")
st.altair_chart(charts.next_characters(distribution), width="stretch")
