"""Text generation: the compiled chunks write the text the character-by-character loop writes,
and greedy, sampled (temperature, top-k, top-p) and beam decoding agree where they should.

Under TensorFlow, :meth:`zoo.tasks.TextGenerator.generate` samples :data:`GENERATE_CHUNK`
characters per compiled call (:func:`zoo.decoding.sample_from_uniform`, from the uniforms the
NumPy loop draws from the same seeded generator); the step-by-step loop with
:func:`zoo.decoding.sample_next_numpy` is what other backends run. Both are compared on the
bundled character model, and the draw itself on random logits.
"""

import re

import keras
import numpy as np
import pytest

import zoo
from zoo import decoding, runtime
from zoo.tasks import TextGenerator
from zoo.tasks.text_generator import GENERATE_CHUNK


@pytest.fixture(scope="module")
def lm():
    return zoo.load("char_lstm.english")


def stepwise(lm, prefix, length, temperature, top_k, seed, top_p=None):
    return "".join(lm._stream_stepwise(prefix, length, temperature, top_k, top_p,
                                       np.random.default_rng(seed)))


@pytest.mark.parametrize("prefix,length,temperature,top_k,seed", [
    ("Hell", 200, 0.8, None, 1),                  # the demo's default request
    ("Emma ", GENERATE_CHUNK, 1.0, None, 7),      # exactly one chunk
    ("The ", GENERATE_CHUNK * 2 + 1, 0.5, 5, 3),  # a chunk and one character more
    ("", 97, 1.7, 20, 11),                        # an empty prefix, a high temperature
    ("Hell", 130, 0.0, None, 1),                  # greedy
    ("a", 40, 0.8, 1, 2),                         # top-1 is greedy too
    ("It was", 1, 0.8, None, 4),                  # one character
])
def test_compiled_chunks_write_the_stepwise_text(lm, prefix, length, temperature, top_k, seed):
    text = lm.generate(prefix, length=length, temperature=temperature, top_k=top_k, seed=seed)
    assert len(text) == length
    assert text == stepwise(lm, prefix, length, temperature, top_k, seed)
    # streamed, the same characters
    assert "".join(lm.stream(prefix, length=length, temperature=temperature, top_k=top_k,
                             seed=seed)) == text


@pytest.mark.parametrize("prefix,length,temperature,top_k,top_p,seed", [
    ("Hell", 150, 0.8, None, 0.9, 1),   # the nucleus: a loop of its own
    ("The ", 70, 1.5, 30, 0.5, 5),      # with top-k, a high temperature
    ("a", 20, 1.0, None, 1.0, 2),       # top_p 1 keeps every character
])
def test_nucleus_chunks_write_the_stepwise_text(lm, prefix, length, temperature, top_k, top_p,
                                                seed):
    text = lm.generate(prefix, length=length, method="sample", temperature=temperature,
                       top_k=top_k, top_p=top_p, seed=seed)
    assert len(text) == length
    assert text == stepwise(lm, prefix, length, temperature, top_k, seed, top_p=top_p)


def test_many_seeds_write_the_same_text(lm):
    for seed in range(40):
        temperature, top_k = (0.3, 0.8, 1.0, 2.0)[seed % 4], (None, 3, 40)[seed % 3]
        assert lm.generate("Emma", length=70, temperature=temperature, top_k=top_k,
                           seed=seed) == stepwise(lm, "Emma", 70, temperature, top_k, seed), seed


def test_the_compiled_draw_is_numpys_draw():
    draw = runtime.compile_function(
        lambda logits, u, t, k, p: decoding.sample_from_uniform(logits, u, temperature=t,
                                                                top_k=k, top_p=p))
    rng = np.random.default_rng(0)
    for trial in range(300):
        vocab = int(rng.integers(2, 120))
        logits = (rng.normal(size=vocab) * rng.uniform(0.1, 8)).astype(np.float32)
        temperature = float(rng.choice([0.05, 0.5, 1.0, 1.9]))
        top_k = [None, 1, int(rng.integers(1, vocab + 1))][trial % 3]
        top_p = [None, float(rng.uniform(0.01, 1.0)), 1.0, 1e-9][trial % 4]
        seed = int(rng.integers(2**31))
        expected = decoding.sample_next_numpy(logits, temperature=temperature, top_k=top_k,
                                              top_p=top_p, rng=np.random.default_rng(seed))
        uniform = np.random.default_rng(seed).random()
        got = draw(keras.ops.convert_to_tensor(logits), keras.ops.convert_to_tensor(uniform),
                   keras.ops.convert_to_tensor(temperature, "float64"),
                   keras.ops.convert_to_tensor(top_k or vocab, "int32"),
                   keras.ops.convert_to_tensor(top_p or 1.0, "float64"))
        assert int(keras.ops.convert_to_numpy(got)) == expected, (trial, vocab, top_k, top_p)
        if top_p == 1e-9:  # a nucleus of one: the most probable token, whatever the draw
            assert expected == int(np.argmax(logits))


# -- greedy, sampled and beam decoding --------------------------------------------------------------

def log_probability(lm, prefix, text):
    """The natural log of the probability of ``text`` after ``prefix``, read by the model one
    character at a time (its own distribution: the special tokens left out)."""
    logits, states = lm.read(prefix)
    total = 0.0
    for char in text:
        row = np.asarray(keras.ops.convert_to_numpy(logits), np.float64).reshape(-1)
        row = row - row.max()
        total += row[lm.vocabulary.id(char)] - np.log(np.exp(row).sum())
        logits, states = lm.read(char, states)
    return total


@pytest.mark.parametrize("prefix", ["Hell", ""])
def test_every_way_to_ask_for_the_most_probable_character_agrees(lm, prefix):
    greedy = lm.generate(prefix, length=70, method="greedy")
    assert len(greedy) == 70
    assert lm.generate(prefix, length=70, temperature=0) == greedy  # as before `method`
    assert lm.generate(prefix, length=70, method="sample", top_k=1, seed=3) == greedy
    assert lm.generate(prefix, length=70, method="sample", top_p=1e-6, temperature=1.3,
                       seed=4) == greedy
    assert lm.generate(prefix, length=70, method="beam", beam_width=1) == greedy


def test_the_methods_work_in_any_order(lm):
    """Beam search calls the compiled step with several rows, which can leave its trace's batch
    unknown: a sampling loop compiled after that still runs (a fresh object, beam first)."""
    fresh = TextGenerator(lm.model, lm.config)
    assert len(fresh.generate("Hell", length=20, method="beam", beam_width=2)) == 20
    assert fresh.generate("Hell", length=20, method="sample", top_p=0.8, seed=1) == \
        lm.generate("Hell", length=20, method="sample", top_p=0.8, seed=1)


def test_beam_search_finds_likelier_text_than_greedy(lm):
    # an empty prefix is the start character for beam search too, as for greedy and sampling
    assert lm.beam("", length=30, beam_width=3) == lm.beam(lm.start_character, length=30,
                                                           beam_width=3)
    for prefix in ("Hell", "It was a", "\n", ""):
        greedy = lm.generate(prefix, length=60, method="greedy")
        found = lm.beam(prefix, length=60, beam_width=4)
        assert len(found) == 4 and len({text for text, _ in found}) == 4
        scores = [score for _, score in found]
        assert scores == sorted(scores, reverse=True)
        best, score = found[0]
        assert lm.generate(prefix, length=60, method="beam", beam_width=4) == best
        assert "".join(lm.stream(prefix, length=60, method="beam")) == best  # width 4 default
        # the returned score is the model's own log-probability of the text
        assert score == pytest.approx(log_probability(lm, prefix, best), abs=1e-3 * 60)
        assert log_probability(lm, prefix, best) >= log_probability(lm, prefix, greedy) - 1e-4
    # lengths share a compiled search (a power-of-two buffer): a shorter text is that search's,
    # the same as a search compiled for exactly its length finds
    ids = lm.encode("Hell")
    states = lm._read_ids(ids[:-1], lm.initial_states())[1]
    exact = decoding.beam_search(lm._beam_step_function(), list(states), [ids[-1]],
                                 beam_width=4, max_length=7, end_id=None, length_penalty=0.0)
    assert exact.tokens.shape == (1, 4, 7)
    texts = ["".join(lm.vocabulary.decode([int(t) for t in row])) for row in exact.tokens[0]]
    shared = lm.beam("Hell", length=7, beam_width=4)
    assert [text for text, _ in shared] == texts and texts[0] != ""
    assert [score for _, score in shared] == pytest.approx(exact.scores[0].tolist(), abs=1e-4)
    assert lm.generate("Hell", length=0, method="beam") == ""


def test_seeded_sampling_is_reproducible(lm):
    settings = dict(length=90, method="sample", temperature=0.8, top_k=40, top_p=0.95)
    first = lm.generate("Emma", seed=11, **settings)
    assert lm.generate("Emma", seed=11, **settings) == first
    assert lm.generate("Emma", seed=12, **settings) != first
    # top_p restricts the draws: every character is in the nucleus of its step
    logits, states = lm.read("Emma")
    for char in lm.generate("Emma", length=40, method="sample", top_p=0.5, seed=5):
        probs = np.sort(np.asarray(lm._distribution(logits)))[::-1]
        nucleus = probs[:int(np.searchsorted(np.cumsum(probs), 0.5)) + 1]
        assert lm._distribution(logits)[lm.vocabulary.id(char)] >= nucleus[-1] - 1e-12
        logits, states = lm.read(char, states)


@pytest.mark.parametrize("settings,words", [
    (dict(method="sample", temperature=0), "temperature must be above 0 to sample"),
    (dict(method="sample", top_p=0), "top_p must be above 0"),
    (dict(method="sample", top_p=1.5), "top_p must be at most 1"),
    (dict(method="sample", top_p="0.9"), "top_p takes a number"),
    (dict(method="beam", beam_width=0), "beam width must be between 1 and 64"),
    (dict(method="beam", top_k=5), "top_k is a sampling setting"),
    (dict(method="greedy", temperature=0.8, top_p=0.9), "temperature and top_p are sampling"),
    (dict(method="sample", beam_width=3), "beam_width is for method='beam'"),
    (dict(method="Beam"), "method must be one of 'greedy', 'sample', 'beam'"),
    (dict(method="beam", length=decoding.MAX_BEAM_GENERATE_LENGTH + 1), "at most 2,000"),
    (dict(temperature=-0.5), "temperature must be between 0 and"),
    (dict(method="greedy", seed=3), "seed (--seed) is for method='sample'"),
    (dict(method="beam", seed=3), "seed (--seed) is for method='sample'"),
])
def test_bad_generation_settings_are_one_line_errors(lm, settings, words):
    settings = {"length": 10, **settings}
    with pytest.raises(zoo.ConfigError, match=re.escape(words)) as caught:
        lm.generate("Hell", **settings)
    assert "\n" not in str(caught.value)
    with pytest.raises(zoo.ConfigError, match=re.escape(words)):
        lm.stream("Hell", **settings)  # refused at once, before the first character


def test_cli_generate_with_each_method(lm, capsys):
    from zoo.cli import main

    base = ["generate", "char_lstm.english", "--prefix", "Hell", "--length", "30"]
    expected = {"beam": lm.generate("Hell", length=30, method="beam", beam_width=3),
                "sample": lm.generate("Hell", length=30, method="sample", temperature=0.7,
                                      top_p=0.9, seed=2)}
    flags = {"beam": ["--beam-width", "3"],
             "sample": ["--temperature", "0.7", "--top-p", "0.9", "--seed", "2"]}
    for method, text in expected.items():
        assert main(base + ["--method", method] + flags[method]) == 0
        assert capsys.readouterr().out == "Hell" + text + "\n"
    for bad, words in ((["--method", "beam", "--top-p", "0.9"], "top_p is a sampling"),
                       (["--method", "sample", "--top-p", "2"], "top_p must be at most 1"),
                       (["--beam-width", "0"], "beam width must be between 1 and 64")):
        assert main(base + bad) == 2
        err = capsys.readouterr().err
        assert err.startswith("zoo: error:") and words in err and err.count("\n") == 1


@pytest.mark.parametrize("bad,words", [
    (["--method", "greedy", "--top-p", "0.9"], "top_p is a sampling setting (--top-p)"),
    (["--beam-width", "3"], "beam_width is for method='beam' (--beam-width with --method beam)"),
    (["--method", "beam", "--length", "2001"], "beam search writes at most 2,000 characters"),
    (["--method", "beam", "--seed", "1"], "seed (--seed) is for method='sample'"),
])
def test_cli_refuses_setting_combinations_before_loading(tmp_path, capsys, bad, words):
    """The combination is checked before the model is read: a missing model directory is not
    what the error is about."""
    from zoo.cli import main

    assert main(["generate", str(tmp_path / "none"), "--prefix", "Hell"] + bad) == 2
    err = capsys.readouterr().err
    assert err.startswith("zoo: error:") and words in err and err.count("\n") == 1


def test_the_settings_check_is_the_tasks_and_needs_no_model():
    """:func:`zoo.limits.check_generation` fills the defaults the task generates with."""
    from zoo.limits import check_generation

    assert check_generation(None, None, None, None, None, 10, 7) == \
        ("sample", 10, 1.0, None, None, 4, 7)
    assert check_generation(None, 0, 5, 0.9, None, 10, 7) == \
        ("greedy", 10, 1.0, None, None, 4, None)  # temperature 0: greedy, sampling unset
    assert check_generation("beam", None, None, None, 2, 2000, None) == \
        ("beam", 2000, 1.0, None, None, 2, None)


def test_cli_next_refuses_the_generation_settings(tmp_path, capsys):
    """--next writes no text: a setting of how to write it is refused, not ignored."""
    from zoo.cli import main

    assert main(["generate", str(tmp_path / "none"), "--next", "--method", "beam",
                 "--seed", "2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("zoo: error:") and "leave out --method, --seed" in err
    assert err.count("\n") == 1
