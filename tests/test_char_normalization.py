"""The character preprocessor's normalisation (plain-1), the <unk> of new character models, and
the broad English corpus's validation rule. Nothing is trained: the one model is built small
with its initial weights."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from zoo import preprocessing, saving, weights
from zoo.data import text as textdata
from zoo.data.sources import english
from zoo.errors import DataError
from zoo.models.char_rnn import build_char_lm
from zoo.preprocessing import CharPreprocessor
from zoo.preprocessing.chars import NORMALIZATION, PLAIN_TABLE, normalize
from zoo.tasks import TextGenerator
from zoo.text.vocab import Vocabulary

PLAIN = Vocabulary.build("The cat's \"mat\" -- a fine... one!\n\tfix- efi")


@pytest.fixture(scope="module")
def plain():
    return CharPreprocessor(PLAIN, 20, normalization=NORMALIZATION)


# -- the mapping --------------------------------------------------------------------------------

def test_the_table_maps_typography_to_plain_ascii():
    expected = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                "\u2039": "'", "\u203a": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
                "\u00ab": '"', "\u00bb": '"', "\u2033": '"', "\u2010": "-", "\u2011": "-",
                "\u2012": "-", "\u2013": "-", "\u2212": "-", "\u2014": "--", "\u2015": "--",
                "\u2026": "...", "\u2028": "\n", "\u2029": "\n", "\u0085": "\n"}
    for char, plain_form in expected.items():
        assert normalize(char) == plain_form, f"U+{ord(char):04X}"
    assert set(PLAIN_TABLE) <= set(expected) | set("\u2035\u2036\u201f\ufe63\uff0d")
    # every Unicode space separator is a space; controls and format characters go
    for space in "\u00a0\u2002\u2003\u2007\u2009\u200a\u202f\u205f\u3000\u1680":
        assert normalize(f"a{space}b") == "a b"
    for gone in "\x00\x07\x08\x1b\x7f\x9b\u00ad\u200b\u200d\u2060\ufeff\u200e\ufffd":
        assert normalize(f"a{gone}b") == "ab", f"U+{ord(gone):04X}"
    assert normalize("a\tb\nc") == "a\tb\nc"  # tab and newline stay
    # NFKC for the rest: ligatures, full-width and mathematical letters, superscripts
    assert normalize("\ufb01ne \uff21\U0001d401 x\u00b2 \ufe58") == "fine AB x2 --"
    assert normalize("caf\u00e9 na\u00efve \u00a3") == "caf\u00e9 na\u00efve \u00a3"  # kept
    assert normalize("\u201cHi\u201d", None) == "\u201cHi\u201d"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
       | st.text(alphabet="a \u2019\u201c\u2014\u2026\u00a0\ufb01\ufe58\x08\u2028", max_size=20))
def test_normalising_twice_is_normalising_once(text):
    once = normalize(text)
    assert normalize(once) == once


def test_the_graph_normalises_as_the_python_table(plain):
    texts = ["\u201cThe cat\u2019s \u2018mat\u2019\u201d \u2014 a \ufb01ne\u2026 one!\u00a0\x08",
             "\u2603 \U0001f600 e\u0301 \x00\x1b[1m tab\there\u2029", "", "\ufeff"]
    for text in texts:
        ids = plain(text).tolist()
        assert ids == PLAIN.encode(list(normalize(text)))
        # the graph in a tf.data pipeline gives the same ids
        import tensorflow as tf
        graph = tf.data.Dataset.from_tensors(tf.constant(text)).map(
            plain.graph).get_single_element().numpy().tolist()
        assert graph == ids
    assert plain("\u2603\u2614").tolist() == [PLAIN.unk_id] * 2


# -- the config ---------------------------------------------------------------------------------

def test_the_normalisation_is_saved_and_checked(plain):
    data = json.loads(json.dumps(plain.to_dict()))
    assert data["normalization"] == "plain-1"
    again = preprocessing.from_config(data)
    assert again == plain and again("\u201cmat\u201d").tolist() == plain('"mat"').tolist()
    with pytest.raises(DataError, match="'preprocessor.normalization' must be one of") as err:
        preprocessing.from_config(dict(data, normalization="nfkc"), "run/zoo.json")
    assert "\n" not in str(err.value)


def test_the_published_old_model_config_loads_unchanged():
    config = saving.read_config(weights.weight_dir("char_lstm.english"))
    assert "normalization" not in config["preprocessor"]
    chars = preprocessing.from_config(config["preprocessor"])
    assert chars.normalization is None and chars.to_dict() == config["preprocessor"]
    text = "\u201cYes\u201d\u2014she said\u2026"
    assert chars(text).tolist() == chars.vocabulary.encode(text)  # read as before: no mapping
    assert chars(text).tolist().count(chars.vocabulary.unk_id) == 4


# -- unknown characters -------------------------------------------------------------------------

def test_rare_characters_are_unk_in_training_so_unk_is_learned(tmp_path):
    text = "caf\u00e9 \u00a9 ~ \u2018ok\u2019\n" + ("the cat sat on the mat. " * 6000)
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    data = textdata.load_char_data(tmp_path / "a.txt", sequence_length=50, batch_size=8,
                                   normalization=NORMALIZATION)
    vocab = data.vocabulary
    assert "\u00e9" not in vocab and "\u00a9" not in vocab  # 1 in 115,000 (train: 80%): rare
    assert "~" in vocab and "'" in vocab and "\u2018" not in vocab  # ASCII kept; mapped
    targets = np.concatenate([np.asarray(t)[np.asarray(w) > 0]
                              for split in (data.train, data.validation)
                              for _, t, w in split])
    assert int((targets == vocab.unk_id).sum()) == 2  # the model is taught <unk>
    assert data.info["unknown_characters"]["train"] + data.info["unknown_characters"][
        "validation"] == 2 and data.info["normalization"] == "plain-1"
    plain_vocab = textdata.load_char_data(tmp_path / "a.txt", sequence_length=50,
                                          batch_size=8).vocabulary
    assert "\u00e9" in plain_vocab and "\u2018" in plain_vocab  # without: as before


def test_an_unknown_character_costs_what_unk_costs(plain):
    model = build_char_lm(vocab_size=len(PLAIN), rnn="gru", units=8, num_layers=1,
                          embedding_dim=4)
    lm = TextGenerator(model, {"model": "char_gru", "options": {},
                               "preprocessor": plain.to_dict()})
    base = "The cat sat on the mat. "
    snow, chess = lm.bits_per_char(base + "\u2603"), lm.bits_per_char(base + "\u265e")
    assert snow == pytest.approx(chess, abs=1e-9)  # any unknown symbol: one <unk>
    assert lm.unknown_characters("\u201cThe\u201d \u2603 cat\u2026 \u265e") == [
        "\u2603", "\u265e"]  # the quotes and the ellipsis are normalised, not unknown
    logits, _ = lm.read(base)
    logits = np.asarray(logits, dtype=np.float64).reshape(-1) - lm._special_bias
    log_p = logits - np.log(np.exp(logits - logits.max()).sum()) - logits.max()
    n = len(base)
    expected = (lm.bits_per_char(base) * (n - 1) - log_p[PLAIN.unk_id] / math.log(2)) / n
    assert snow == pytest.approx(expected, rel=1e-3)  # float32 logits summed in another order


# -- the broad corpus's validation rule ---------------------------------------------------------

def _doc(i, kind, text):
    return english.Document(id=f"{kind}_{i:03d}", author="a", title="t", kind=kind,
                            source="s", text=text, split="train")


def test_validation_is_one_document_in_twenty_of_each_kind(tmp_path):
    chats = [_doc(i, "conversation", f"hi {i}\nbye {i}") for i in range(45)]
    novel = _doc(0, "novel", "".join(f"line {i}\n" for i in range(200)))
    english.write_corpus([*chats, novel], tmp_path / "c")
    documents = english.read_documents(tmp_path / "c")
    assert [text for _, text in documents[:45]] == [d.text for d in chats]  # files cut back
    train, validation = english.validation_part(documents)
    assert validation[:2] == [chats[10].text, chats[30].text]
    assert validation[2].startswith("line 191\n") and train[-1].endswith("line 190\n")
    assert len(validation[2]) <= len(novel.text) // 20  # the last 1/20, from a line start
    assert len(train) == 44 and "".join([train[-1], validation[2]]) == novel.text
    data = textdata.load_char_data(tmp_path / "c", sequence_length=10, batch_size=4,
                                   normalization=NORMALIZATION)
    assert data.info["characters"]["validation"] == sum(len(v) + (not v.endswith("\n"))
                                                       for v in validation)
    (tmp_path / "c" / "train" / "chat_000.txt").write_text("short", encoding="utf-8")
    with pytest.raises(DataError, match="does not hold the documents"):
        english.read_documents(tmp_path / "c")
