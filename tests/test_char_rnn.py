"""The character language models: data, training, the compiled stateful step, saving, CLI.

One small GRU is trained once per module on real text (tests/data/text: the opening of Emma and
fortunes that say "Hello"); the other tests read it.
"""

import json
import math

import keras
import numpy as np
import pytest

import zoo
from zoo.cli import main
from zoo.data import text as textdata
from zoo.models.char_rnn import state_sizes
from zoo.preprocessing.chars import normalize
from zoo.tasks import TextGenerator
from zoo.training import make_optimizer, train

from _helpers import write_deb
from conftest import DATA_DIR

TEXT_DIR = DATA_DIR / "text"
HELD_OUT = TEXT_DIR / "persuasion_chapter1.txt"


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("char_gru")
    train("char_gru", dataset=str(TEXT_DIR), test_data=str(HELD_OUT), out_dir=out, epochs=15,
          batch_size=8, learning_rate=1e-2, recipe={"sequence_length": 50}, verbose=0,
          options={"units": 96, "num_layers": 1, "embedding_dim": 32, "dropout": 0.0})
    return out


@pytest.fixture(scope="module")
def lm(trained_dir):
    return zoo.load(trained_dir)


def softmax_without_specials(logits, vocabulary):
    logits = np.asarray(logits, dtype=np.float64).copy()
    logits[[vocabulary.id(t) for t in vocabulary.specials]] = -np.inf
    probs = np.exp(logits - logits.max())
    return probs / probs.sum()


# -- the model ------------------------------------------------------------------------------------

def test_build_needs_the_vocabulary_size_and_says_where_it_comes_from():
    with pytest.raises(zoo.ConfigError, match="vocab_size is not set"):
        zoo.build("char_lstm")
    with pytest.raises(zoo.ConfigError, match="rnn must be one of"):
        zoo.build("char_lstm", vocab_size=40, rnn="transformer")
    model = zoo.build("char_lstm", vocab_size=40, units=8, num_layers=3)
    assert model.output_shape == (None, None, 40)
    assert [layer.name for layer in model.layers if "rnn" in layer.name][:1] == ["rnn1"]
    assert zoo.describe("char_rnn")["family"] == "char_rnn"
    assert set(zoo.list_models(family="char_rnn")) >= {"char_rnn", "char_lstm", "char_gru"}


@pytest.mark.parametrize("name", zoo.list_models(family="char_rnn"))
def test_the_step_model_carries_every_rnn_types_states(name):
    """Reading one character at a time gives the full model's answer, for each RNN type
    (building, training and saving every model: the shared harness, test_models.py)."""
    vocabulary = textdata.build_char_vocabulary("hello world, hello there")
    options = dict(vocab_size=len(vocabulary), units=12, num_layers=2, embedding_dim=8)
    model = zoo.build(name, **options)
    kind = zoo.describe(name)["options"]["rnn"]
    assert len(state_sizes(model)) == (4 if kind == "lstm" else 2)
    lm = TextGenerator(model, {"model": name, "options": options,
                               "vocabulary": vocabulary.to_dict()})
    full = keras.ops.convert_to_numpy(model(np.array([vocabulary.encode("hello w")])))[0, -1]
    stepped = [p for _, p in sorted(lm.next_char_probabilities("hello w"),
                                    key=lambda cp: vocabulary.id(cp[0]))]
    expected = softmax_without_specials(full, vocabulary)[len(vocabulary.specials):]
    np.testing.assert_allclose(stepped, expected, atol=1e-5)


# -- learning real text ---------------------------------------------------------------------------

def test_learns_hello_from_real_text(lm, trained_dir):
    top = lm.next_char_probabilities("Hell", top_k=3)
    assert top[0][0] == "o", top
    assert top[0][1] > 0.5
    everything = lm.next_char_probabilities("Hell")
    assert sum(p for _, p in everything) == pytest.approx(1.0, abs=1e-6)
    assert {c for c, _ in everything} == set(lm.vocabulary.tokens[2:])  # no <pad>, no <unk>

    metrics = json.loads((trained_dir / "metrics.json").read_text())
    for split in ("validation", "test"):
        assert metrics[f"{split}_perplexity"] == pytest.approx(
            2 ** metrics[f"{split}_bits_per_char"], rel=1e-6)
    # on the held-out chapter of another novel it does much better than guessing
    assert metrics["test_bits_per_char"] < math.log2(len(lm.vocabulary) - 2) - 1.5
    # the test split is the whole held-out file, every character after the first predicted once
    assert metrics["test_characters"] == len(HELD_OUT.read_text(encoding="utf-8")) - 1


def test_measure_excludes_padding_and_matches_a_direct_computation(lm):
    text = HELD_OUT.read_text(encoding="utf-8")[:125]  # 124 targets: 3 windows, the last padded
    ids = lm.vocabulary.encode(text)
    nats = 0.0
    for start in range(0, len(ids) - 1, 50):
        window = ids[start:start + 51]
        logits = keras.ops.convert_to_numpy(lm.model(np.array([window[:-1]])))[0]
        logits = logits.astype(np.float64)
        log_norm = np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1)) \
            + logits.max(-1)
        nats += float((log_norm - logits[np.arange(len(window) - 1), window[1:]]).sum())
    assert lm.bits_per_char(text) == pytest.approx(nats / (len(ids) - 1) / math.log(2), rel=1e-5)


def _direct_bits(lm, ids):
    """Bits of every character of ``ids`` after the first, the model reading them in one go."""
    logits = keras.ops.convert_to_numpy(lm.model(np.array([ids[:-1]])))[0].astype(np.float64)
    log_norm = np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1)) + logits.max(-1)
    return float((log_norm - logits[np.arange(len(ids) - 1), ids[1:]]).sum()) / math.log(2)


def test_reading_on_carries_the_state_across_windows(lm):
    text = HELD_OUT.read_text(encoding="utf-8")
    ids = lm.vocabulary.encode(text[:125])  # 124 targets: 3 windows of 50, the last padded
    # one part: the state carried through all three windows is the model reading it whole
    assert lm.bits_per_char(text[:125], batch_size=1, read_on=True) == pytest.approx(
        _direct_bits(lm, ids) / 124, rel=1e-5)
    # two parts of 62 predictions read side by side, each from a zero state
    halves = _direct_bits(lm, ids[:63]) + _direct_bits(lm, ids[62:])
    assert lm.bits_per_char(text[:125], batch_size=2, read_on=True) == pytest.approx(
        halves / 124, rel=1e-5)
    # never more parts than whole windows: 124 targets make at most two parts
    assert lm.bits_per_char(text[:125], batch_size=64, read_on=True) == pytest.approx(
        halves / 124, rel=1e-5)
    # a text of exactly k windows cut in k parts is the windowed measure
    exact = text[:3 * 50 + 1]
    assert lm.bits_per_char(exact, batch_size=3, read_on=True) == pytest.approx(
        lm.bits_per_char(exact), rel=1e-5)
    # on the held-out chapter read in one part, context beyond a window helps this model
    assert lm.bits_per_char(text, batch_size=1, read_on=True) < lm.bits_per_char(text)
    with pytest.raises(zoo.ConfigError, match="read_on must be True or False"):
        lm.bits_per_char(text, read_on="yes")
    for read_on in (False, True):  # control characters only: nothing left to measure
        with pytest.raises(zoo.DataError, match="after normalisation the text has 0"):
            lm.bits_per_char("\x00\x01", read_on=read_on)
    # parts as equal as can be: 6 windows and 3 characters make 6 parts of 50 or 51
    text6 = text[:6 * 50 + 4]
    ids6 = lm.vocabulary.encode(text6)
    starts = [0, 51, 102, 153, 203, 253, 303]  # 303 predictions: 51, 51, 51, 50, 50, 50
    direct = sum(_direct_bits(lm, ids6[a:b + 1]) for a, b in zip(starts, starts[1:]))
    assert lm.bits_per_char(text6, batch_size=64, read_on=True) == pytest.approx(
        direct / 303, rel=1e-5)


def test_a_published_model_is_measured_on_a_text_of_ones_own(tmp_path, capsys, monkeypatch):
    """`zoo evaluate WEIGHT --test-data FILE` with the weight alone: its training corpus
    (data/text/english_broad, not here) is neither needed nor read."""
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "mine.txt"
    mine.write_text(HELD_OUT.read_text(encoding="utf-8")[:1499] + "\n", encoding="utf-8")
    assert main(["evaluate", "char_gru.english_broad", "--test-data", str(mine)]) == 0
    result = json.loads(capsys.readouterr().out)
    broad = zoo.load("char_gru.english_broad")
    assert result["test_bits_per_char"] == pytest.approx(
        broad.bits_per_char(mine.read_text(encoding="utf-8")), rel=1e-6)
    assert result["test_characters"] == 1499
    assert (result["dataset"], result["split"], result["test_data"]) == (
        "data/text/english_broad", "test", str(mine))
    # the validation split is the training corpus's: that needs it, and says which
    assert main(["evaluate", "char_gru.english_broad", "--test-data", str(mine), "--split",
                 "validation"]) == 2
    err = capsys.readouterr().err
    assert "english_broad: no such file or directory" in err
    assert "or measure it on a file of your own alone: --test-data FILE (--split test)" in err
    with pytest.raises(zoo.ConfigError, match="give test_data and no dataset"):
        broad.prepare_saved(test_only=True)
    with pytest.raises(zoo.ConfigError, match="not on a test file alone; give its dataset"):
        zoo.load("perceptron.mnist").prepare_saved(test_data=str(mine), test_only=True)


# -- generation -----------------------------------------------------------------------------------

def test_generation_is_seeded_and_deterministic(lm):
    a = lm.generate("Emma ", length=60, seed=11)
    assert a == lm.generate("Emma ", length=60, seed=11)
    assert len(a) == 60
    assert set(a) <= set(lm.vocabulary.tokens)
    assert a != lm.generate("Emma ", length=60, seed=12)
    greedy = lm.generate("Emma ", length=30, temperature=0)
    assert greedy == lm.generate("Emma ", length=30, temperature=0, seed=5)
    # greedy generation follows the most probable next character
    assert greedy[0] == lm.next_char_probabilities("Emma ", top_k=1)[0][0]
    assert greedy[1] == lm.next_char_probabilities("Emma " + greedy[0], top_k=1)[0][0]
    top1 = lm.generate("Emma ", length=40, top_k=1, seed=0)
    assert top1 == greedy + lm.generate("Emma " + greedy, length=10, temperature=0)
    assert lm.generate("Emma", length=0) == ""
    for bad in ({"length": -1}, {"length": 5, "temperature": -1.0}, {"length": 5, "top_k": 0}):
        with pytest.raises(zoo.ConfigError):
            lm.generate("Emma", **bad)


def test_compiled_step_gives_the_full_models_distribution(lm):
    prefix = "Emma Woodhouse, handsome, clever"
    full = keras.ops.convert_to_numpy(lm.model(np.array([lm.encode(prefix)])))[0, -1]
    expected = softmax_without_specials(full, lm.vocabulary)
    one_call, states = lm.read(prefix)
    np.testing.assert_allclose(lm._distribution(one_call), expected, atol=1e-5)
    # one character at a time, states carried forward, gives the same answer
    logits, states = lm.read(prefix[0])
    for char in prefix[1:]:
        logits, states = lm.read(char, states)
    np.testing.assert_allclose(lm._distribution(logits), expected, atol=1e-5)


def test_empty_prefix_starts_a_paragraph_and_long_prefixes_carry_their_state(lm):
    assert lm.start_character == "\n"
    assert lm.next_char_probabilities("") == lm.next_char_probabilities("\n")
    assert len(lm.generate("", length=15, seed=1)) == 15

    long_prefix = (TEXT_DIR / "emma_chapter1.txt").read_text(encoding="utf-8") * 2  # ~7,000
    probs = lm.next_char_probabilities(long_prefix)
    assert sum(p for _, p in probs) == pytest.approx(1.0, abs=1e-6)
    assert len(lm.generate(long_prefix, length=10, seed=0)) == 10
    half = len(long_prefix) // 2
    _, states = lm.read(long_prefix[:half])
    logits, _ = lm.read(long_prefix[half:], states)
    whole, _ = lm.read(long_prefix)
    np.testing.assert_allclose(lm._distribution(logits), lm._distribution(whole), atol=1e-5)


def test_unknown_characters_are_read_as_unk(lm):
    assert "€" not in lm.vocabulary
    assert lm.encode("H€") == [lm.vocabulary.id("H"), lm.vocabulary.unk_id]
    probs = lm.next_char_probabilities("Hell€")
    assert sum(p for _, p in probs) == pytest.approx(1.0, abs=1e-6)
    assert "<unk>" not in dict(probs)
    assert "<unk>" not in lm.generate("€€€", length=50, seed=2)
    with pytest.raises(zoo.ConfigError, match="the prefix must be a string, got None"):
        lm.next_char_probabilities(None)


# -- saving ---------------------------------------------------------------------------------------

def test_vocabulary_is_saved_as_plain_data_and_restored(lm, trained_dir, tmp_path):
    config = json.loads((trained_dir / "zoo.json").read_text(encoding="utf-8"))
    assert config["task"] == "language_model"
    train_text = config["dataset"]["characters"]["train"]
    corpus = normalize(textdata.read_corpus(TEXT_DIR, exclude=[str(HELD_OUT)]).text)
    expected = textdata.build_char_vocabulary(corpus[:train_text], rare_per=textdata.RARE_PER)
    assert config["preprocessor"]["normalization"] == "plain-1"  # new models normalise
    assert config["preprocessor"]["vocabulary"] == expected.to_dict()
    assert lm.vocabulary.tokens == expected.tokens
    assert config["options"]["vocab_size"] == len(expected)

    copy = tmp_path / "copy"
    lm.save(copy)
    again = zoo.load(copy)
    assert again.vocabulary.tokens == lm.vocabulary.tokens
    assert again.generate("Hello", length=30, seed=4) == lm.generate("Hello", length=30, seed=4)


def test_loading_another_task_or_a_mismatched_vocabulary_is_refused(lm, tmp_path):
    small = {"specials": ["<pad>", "<unk>"], "tokens": ["a"]}
    config = dict(lm.config, preprocessor=dict(lm.config["preprocessor"], vocabulary=small))
    with pytest.raises(zoo.ConfigError, match="vocabulary of 3"):
        TextGenerator(lm.model, config)


# -- command line ---------------------------------------------------------------------------------

def test_cli_generate_and_next(trained_dir, capsys):
    assert main(["generate", str(trained_dir), "--prefix", "Hell", "--next"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 5 and lines[0].startswith('"o"\t')
    args = ["generate", str(trained_dir), "--prefix", "Emma", "--length", "40", "--seed", "7",
            "--temperature", "0.8", "--top-k", "5"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    assert capsys.readouterr().out == first
    assert first.startswith("Emma") and len(first.rstrip("\n")) == 44

    assert main(["generate", str(trained_dir / "nothing"), "--prefix", "a"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("zoo: error:") and len(err.strip().splitlines()) == 1


def test_cli_train_resumes_and_reports_bad_text(tmp_path, capsys):
    out = tmp_path / "run"
    base = ["train", "char_rnn", "--dataset", str(TEXT_DIR / "emma_chapter1.txt"),
            "--test-data", str(HELD_OUT), "--out", str(out), "--batch-size", "16",
            "--option", "units=8", "--option", "num_layers=1", "--verbose", "0"]
    assert main(base + ["--epochs", "1"]) == 0
    assert main(base + ["--epochs", "2"]) == 0
    assert "Resuming char_rnn from epoch 1 of 2" in capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_run"] == 2 and "test_bits_per_char" in metrics
    assert zoo.load(out).next_char_probabilities("Em", top_k=1)

    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\x00\x01\x02hello")
    for dataset, message in ((tmp_path / "missing.txt", "no such file"),
                             (binary, "binary file")):
        assert main(["train", "char_lstm", "--dataset", str(dataset),
                     "--out", str(tmp_path / "bad")]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1


# -- text data ------------------------------------------------------------------------------------

def test_text_files_directories_globs_and_clear_errors(tmp_path):
    (tmp_path / "b.txt").write_text("second file", encoding="utf-8")
    (tmp_path / "a.txt").write_bytes("\ufefffirst\r\nfile".encode("utf-8"))
    (tmp_path / "notes.md").write_text("not read", encoding="utf-8")
    corpus = textdata.read_corpus(tmp_path)
    assert corpus.text == "first\nfile\nsecond file\n"
    assert [p.rsplit("/", 1)[-1] for p in corpus.files] == ["a.txt", "b.txt"]
    assert textdata.read_corpus(tmp_path / "*.md").text == "not read\n"
    assert textdata.read_corpus(tmp_path, exclude=[str(tmp_path / "a.txt")]).text == \
        "second file\n"

    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("caf\u00e9".encode("latin-1"))
    (tmp_path / "bin.dat").write_bytes(b"PK\x03\x04\x00\x00binary")
    (tmp_path / "sub").mkdir()
    cases = [(tmp_path / "empty.txt", "is empty"), (tmp_path / "latin1.txt", "not UTF-8"),
             (tmp_path / "bin.dat", "binary file"), (tmp_path / "nope.txt", "no such file"),
             (tmp_path / "*.csv", "no file matches"), (tmp_path / "sub", "holds no \\*.txt"),
             ("tiny_shakespear", "tiny_shakespeare")]
    for spec, message in cases:
        with pytest.raises(zoo.DataError, match=message):
            textdata.read_corpus(spec)
    with pytest.raises(zoo.DataError, match="besides the test data"):
        textdata.load_char_data(tmp_path / "b.txt", test_data=tmp_path / "b.txt")


def test_windows_predict_every_character_once_and_pad_the_last():
    ids = np.arange(1, 9, dtype=np.int32)  # 8 characters: 7 predictions
    inputs, targets, weights = textdata.make_windows(ids, 3)
    np.testing.assert_array_equal(inputs, [[1, 2, 3], [4, 5, 6], [7, 8, 0]])
    np.testing.assert_array_equal(targets, [[2, 3, 4], [5, 6, 7], [8, 0, 0]])
    np.testing.assert_array_equal(weights, [[1, 1, 1], [1, 1, 1], [1, 0, 0]])
    assert weights.sum() == len(ids) - 1
    assert textdata.make_windows(ids[:1], 3)[0].shape == (0, 3)


def test_splits_are_disjoint_tails_and_the_vocabulary_comes_from_training_text(tmp_path):
    text = (TEXT_DIR / "emma_chapter1.txt").read_text(encoding="utf-8")
    path = tmp_path / "emma.txt"
    path.write_text(text + "~", encoding="utf-8")  # "~" appears only at the very end
    data = textdata.load_char_data(path, sequence_length=50, batch_size=4,
                                   validation_fraction=0.1)
    chars = data.info["characters"]
    assert chars["train"] + chars["validation"] + chars["test"] == len(text) + 2
    assert chars["validation"] == chars["test"] == round((len(text) + 2) * 0.1)
    tail = (text + "~\n")[-chars["validation"]:]
    assert "~" not in data.vocabulary  # only in the validation tail
    unknown = [c for c in tail if c not in data.vocabulary]
    assert "~" in unknown and data.info["unknown_characters"]["validation"] == len(unknown)
    decoded = []
    for inputs, targets, weights in data.validation:
        for row, w in zip(targets.numpy(), weights.numpy()):
            decoded += data.vocabulary.decode(row[w > 0], skip_specials=False)
    assert decoded == [c if c in data.vocabulary else "<unk>" for c in tail[1:]]
    batch = next(iter(data.train))
    assert batch[0].shape[1] == 50 and batch[0].dtype == "int32"

    small = textdata.load_char_data(path, sequence_length=50, batch_size=4, train_size=3)
    assert small.info["windows"]["train"] == 3
    assert sum(int(b[0].shape[0]) for b in small.train) == 3


def test_tiny_shakespeare_through_tensorflow_datasets_offline():
    tfds = pytest.importorskip("tensorflow_datasets")
    import tensorflow as tf

    texts = {"train": "First Citizen:\nBefore we proceed any further, hear me speak.\n",
             "validation": "All:\nSpeak, speak.\n", "test": "First Citizen:\nYou are all "
             "resolved rather to die than to famish?\n"}

    def as_dataset(self, split, *args, **kwargs):
        return tf.data.Dataset.from_tensor_slices({"text": [texts[str(split)]]})

    with tfds.testing.mock_data(as_dataset_fn=as_dataset):
        data = textdata.load_char_data("tiny_shakespeare", sequence_length=8, batch_size=2)
    assert data.info["source"] == "tfds"
    assert data.info["characters"] == {k: len(v) for k, v in texts.items()}
    assert data.vocabulary.tokens[2:] == textdata.build_char_vocabulary(
        texts["train"]).tokens[2:]
    inputs, targets, weights = next(iter(data.train))
    assert inputs.shape == (2, 8)
    first_test = next(iter(data.test))[0].numpy()[0]
    assert "".join(data.vocabulary.decode(first_test)) == texts["test"][:8]


# -- fetching the novels --------------------------------------------------------------------------

def test_debian_package_members_are_read_without_dpkg(tmp_path):
    deb = write_deb(tmp_path / "pkg.deb",
                    {"usr/lib/R/site-library/janeaustenr/data/Rdata.rdx": b"index",
                     "usr/share/doc/other": b"skip"})
    from zoo.data.sources import janeausten, packages

    found = packages.read_deb_data(deb, "usr/lib/R/site-library/janeaustenr/data/")
    assert found == {"usr/lib/R/site-library/janeaustenr/data/Rdata.rdx": b"index"}
    with pytest.raises(zoo.DataError, match="holds no usr/lib"):
        janeausten.extract_janeausten(deb, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    (tmp_path / "bad.deb").write_bytes(b"not a package")
    with pytest.raises(zoo.DataError, match="not a Debian package"):
        packages.read_deb_data(tmp_path / "bad.deb", "")
    assert not janeausten.janeausten_is_valid(tmp_path)


def test_lazyload_entries_decompress_like_r_writes_them():
    import struct
    import zlib

    from zoo.data.sources import janeausten

    raw = b"X\n serialized R object"
    blob = struct.pack(">I", len(raw)) + zlib.compress(raw)
    assert janeausten._lazyload_entry(blob, "x") == raw
    with pytest.raises(zoo.DataError, match="bytes where"):
        janeausten._lazyload_entry(struct.pack(">I", 3) + zlib.compress(raw), "x")
