"""Text generation in compiled chunks writes the text the character-by-character loop writes.

Under TensorFlow, :meth:`zoo.tasks.TextGenerator.generate` samples :data:`GENERATE_CHUNK`
characters per compiled call (:func:`zoo.decoding.sample_from_uniform`, from the uniforms the
NumPy loop draws from the same seeded generator); the step-by-step loop with
:func:`zoo.decoding.sample_next_numpy` is what other backends run. Both are compared on the
bundled character model, and the draw itself on random logits.
"""

import keras
import numpy as np
import pytest

import zoo
from zoo import decoding, runtime
from zoo.tasks.text_generator import GENERATE_CHUNK


@pytest.fixture(scope="module")
def lm():
    return zoo.load("char_lstm.english")


def stepwise(lm, prefix, length, temperature, top_k, seed):
    return "".join(lm._stream_stepwise(prefix, length, temperature, top_k,
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


def test_many_seeds_write_the_same_text(lm):
    for seed in range(40):
        temperature, top_k = (0.3, 0.8, 1.0, 2.0)[seed % 4], (None, 3, 40)[seed % 3]
        assert lm.generate("Emma", length=70, temperature=temperature, top_k=top_k,
                           seed=seed) == stepwise(lm, "Emma", 70, temperature, top_k, seed), seed


def test_the_compiled_draw_is_numpys_draw():
    draw = runtime.compile_function(
        lambda logits, u, t, k: decoding.sample_from_uniform(logits, u, temperature=t, top_k=k))
    rng = np.random.default_rng(0)
    for trial in range(300):
        vocab = int(rng.integers(2, 120))
        logits = (rng.normal(size=vocab) * rng.uniform(0.1, 8)).astype(np.float32)
        temperature = float(rng.choice([0.05, 0.5, 1.0, 1.9]))
        top_k = [None, 1, int(rng.integers(1, vocab + 1))][trial % 3]
        seed = int(rng.integers(2**31))
        expected = decoding.sample_next_numpy(logits, temperature=temperature, top_k=top_k,
                                              rng=np.random.default_rng(seed))
        uniform = np.random.default_rng(seed).random()
        got = draw(keras.ops.convert_to_tensor(logits), keras.ops.convert_to_tensor(uniform),
                   keras.ops.convert_to_tensor(temperature, "float64"),
                   keras.ops.convert_to_tensor(top_k or vocab, "int32"))
        assert int(keras.ops.convert_to_numpy(got)) == expected, (trial, vocab, top_k)
