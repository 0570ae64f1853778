"""Translate: English in, Spanish out, and where the decoder looked for each word it wrote."""

import streamlit as st

import zoo
from demo_app import charts, models

EXAMPLES = ["Please select a folder.", "The file could not be saved.", "Enter the password.",
            "Insert a new table.", "An error occurred.", "A red apple."]
MAX_CHARACTERS = 2000  # longer texts are refused; long sentences are translated in pieces
MAX_CHART_SENTENCES = 4  # the attention of a text of more sentences is too big to read


def use_example():
    """Put the clicked example in the text box (and clear the choice, so it can be clicked
    again)."""
    if st.session_state.get("example"):
        st.session_state["source"] = st.session_state["example"]
    st.session_state["example"] = None


def score_note(score, method, pieces):
    """What the score under a translation is: greedy, the log-probability the model gives its
    words; beam, that divided by a length penalty (so long and short candidates compare); for a
    text translated in pieces, the mean over its pieces, not their sum, which grows with the
    text's length."""
    what = ("log-probability of the words written" if method == "greedy" else
            "log-probability divided by a length penalty (GNMT's), so short and long "
            "translations compare")
    per = f", the mean over its {pieces} pieces" if pieces > 1 else ""
    return (f"{method} search; score {score:.2f}: the {what}{per}. 0 would be certain; the "
            "lower, the less sure the model is.")


st.title("Translate")
name = models.TRANSLATE[0]
# what the weight reads, from its record (light: the model is loaded below)
SUBWORD = zoo.weights.get_weight(name)["preprocessing"].get("tokenizer", "").startswith(
    "sentencepiece")
if SUBWORD:
    st.write("An encoder-decoder network translates English into Spanish: a bidirectional GRU "
             "reads the English sentence cut into subword pieces, and a second GRU writes the "
             "Spanish one piece at a time, each time looking back at the English pieces through "
             "additive (Bahdanau) attention. It learned from the Spanish translations of "
             "LibreOffice's interface, of the messages of 48 Debian packages and of Django, and "
             "of Tux Paint's stamp descriptions, so it knows software messages best.")
else:
    st.write("An encoder-decoder network translates English into Spanish: a bidirectional GRU "
             "reads the English sentence, and a second GRU writes the Spanish one word by word, "
             "each time looking back at the English words through additive (Bahdanau) "
             "attention. It learned from the Spanish translations of LibreOffice's interface and "
             "of Tux Paint's stamp descriptions, so it knows software messages best.")

# -- input ----------------------------------------------------------------------------------------
st.pills("Try an example", EXAMPLES, key="example", on_change=use_example)
text = st.text_area("English", key="source", height=80,
                    placeholder="Type an English sentence, e.g. Please select a folder.")
left, right = st.columns(2)
method = left.radio("Search", ["greedy", "beam"], horizontal=True, key="method",
                    help="Greedy writes the most probable word at each step; beam search keeps "
                         "the best few partial translations and returns the best whole one.")
width = right.slider("Beam width", 1, 10, 4, key="width", disabled=method != "beam")

# -- output ---------------------------------------------------------------------------------------
if not text.strip():
    st.info("Type an English sentence, or click an example, to translate it.")
    st.stop()
if len(text) > MAX_CHARACTERS:
    st.error(f"The text has {len(text):,} characters; translate at most {MAX_CHARACTERS:,} at "
             "a time (one sentence works best).")
    st.stop()
try:
    result = models.translation(name, text, method=method, beam_width=width)
    translator = models.get(name)
except zoo.ZooError as err:
    st.error(str(err))
    st.stop()

subword = translator.preprocessor.kind == "subword_tokens"
unit = "piece" if subword else "word"
st.subheader("Spanish")
st.success(result.text or "(nothing: the model wrote only its end token)")
if subword:
    st.caption(f"This model reads and writes subword pieces ({len(translator.source_vocab):,} "
               "SentencePiece pieces shared by both languages): a word it never saw whole is "
               "spelled from pieces, and nothing is copied from the English.")
if result.unknown and not subword:
    st.warning("Words the model never saw in training (read as unknown, copied through where "
               "the decoder wrote an unknown word): " + ", ".join(f"`{w}`" for w in
                                                                 dict.fromkeys(result.unknown)))
pieces = getattr(result, "pieces", 1)
sentences = getattr(result, "sentences", 1)
if sentences > 1:
    st.info(f"Translated one sentence at a time ({sentences} sentences), as the model learnt "
            "from single sentences; the attention below shows each sentence looking only at "
            "its own English.")
if getattr(result, "too_long", 0):
    st.info(f"The text has more than the {translator.max_tokens} {unit}s the model was "
            f"trained on in one go: it was translated in {pieces} pieces (its sentences, long "
            "ones cut).")
if getattr(result, "stop_reason", "end") == "repetition":
    st.warning("Greedy search began repeating itself; it was stopped there and the repeats "
               "dropped. Beam search usually finishes such a sentence.")
elif not result.finished:
    st.warning("The translation was cut at the length limit before the model finished it.")
st.caption(score_note(result.score, method, pieces))

if result.attention is not None and result.tokens and \
        pieces == sentences <= MAX_CHART_SENTENCES:
    st.subheader("Attention")
    st.write(f"Row i shows where the decoder looked (which English {unit}s) while writing the "
             f"i-th Spanish {unit}; each row sums to 1."
             + (" A piece starting with ▁ begins a word." if subword else ""))
    st.altair_chart(charts.attention(result.attention, result.source_tokens, result.tokens))
