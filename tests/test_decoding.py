"""zoo.decoding on hand-made step functions whose right answers are known."""

import itertools

import numpy as np
import pytest
from keras import ops

import zoo
from zoo.decoding import (Decoded, beam_search, gnmt_length_penalty, greedy_decode,
                          longest_repeat)

PAD, END, START, A, B, C = range(6)


def markov_step(probabilities):
    """A step function over a fixed first-order table: P(next | previous token)."""
    table = ops.convert_to_tensor(np.log(probabilities).astype("float32"))

    def step(token_ids, state):
        # extras: a one-hot of the token read, so the collected extras can be checked
        return ops.take(table, token_ids, axis=0), state, ops.one_hot(token_ids, 6)

    return step


def toy_table():
    """From <s>: A 0.55, B 0.45. Greedy goes A (0.55), C (0.4), end (0.4): p = 0.088.
    The best sequence is B, end: 0.45 * 0.9 = 0.405."""
    p = np.full((6, 6), 1e-6)
    p[START, A], p[START, B] = 0.55, 0.45
    p[A, C], p[A, B], p[A, END] = 0.4, 0.3, 0.3
    p[C, END], p[C, A], p[C, B] = 0.4, 0.3, 0.3
    p[B, END], p[B, A] = 0.9, 0.1
    p[END, END] = p[PAD, END] = 1.0
    return p / p.sum(axis=1, keepdims=True)


def test_greedy_and_beam_differ_as_they_should():
    p = toy_table()
    step = markov_step(p)
    state = {"unused": ops.zeros((2, 1))}
    greedy = greedy_decode(step, state, [START, START], max_length=6, end_id=END)
    assert isinstance(greedy, Decoded)
    np.testing.assert_array_equal(greedy.tokens[0], [A, C, END, PAD, PAD, PAD])
    np.testing.assert_array_equal(greedy.lengths, [3, 3])
    assert greedy.finished.all()
    np.testing.assert_allclose(greedy.scores[0], np.log(p[START, A] * p[A, C] * p[C, END]),
                               rtol=1e-4)

    beam = beam_search(step, state, [START, START], beam_width=2, max_length=6, end_id=END,
                       length_penalty=0.0)
    assert beam.tokens.shape == (2, 2, 6)
    np.testing.assert_array_equal(beam.tokens[0, 0], [B, END, PAD, PAD, PAD, PAD])
    np.testing.assert_allclose(beam.scores[0, 0], np.log(0.45 * 0.9), rtol=1e-4)
    # the runner-up: A then end (0.55 * 0.3 = 0.165)
    np.testing.assert_array_equal(beam.tokens[0, 1, :2], [A, END])
    np.testing.assert_allclose(beam.scores[0, 1], np.log(0.55 * 0.3), rtol=1e-4)
    assert beam.finished.all()
    np.testing.assert_array_equal(beam.lengths[0], [2, 2])


def test_extras_are_collected_per_step_and_zero_after_the_end():
    step = markov_step(toy_table())
    state = {"unused": ops.zeros((1, 1))}
    greedy = greedy_decode(step, state, [START], max_length=6, end_id=END)
    assert greedy.extras.shape == (1, 6, 6)
    read = [START, A, C]  # the token read at each step
    np.testing.assert_array_equal(greedy.extras[0, :3].argmax(axis=-1), read)
    assert not greedy.extras[0, 3:].any()

    beam = beam_search(step, state, [START], beam_width=2, max_length=6, end_id=END,
                       length_penalty=0.0)
    assert beam.extras.shape == (1, 2, 6, 6)
    # the best hypothesis B, end read <s> then B; the extras followed their beam
    np.testing.assert_array_equal(beam.extras[0, 0, :2].argmax(axis=-1), [START, B])
    np.testing.assert_array_equal(beam.extras[0, 1, :2].argmax(axis=-1), [START, A])
    assert not beam.extras[0, 0, 2:].any()


def second_order_step(tables):
    """P(next | previous two tokens) with one table per sentence: the previous token lives in
    the state, so a beam search that does not reorder the state gets wrong answers."""
    log_tables = ops.convert_to_tensor(np.log(tables).astype("float32"))  # (n, V, V, V)

    def step(token_ids, state):
        rows = ops.take(log_tables, state["which"], axis=0)  # (batch, V, V, V)
        by_previous = ops.take_along_axis(rows, ops.reshape(state["previous"], (-1, 1, 1, 1)),
                                          axis=1)[:, 0]
        log_probs = ops.take_along_axis(by_previous, ops.reshape(token_ids, (-1, 1, 1)),
                                        axis=1)[:, 0]
        return log_probs, {"which": state["which"], "previous": token_ids}, None

    return step


def random_tables(count, seed):
    rng = np.random.default_rng(seed)
    tables = rng.dirichlet(np.full(6, 0.6), size=(count, 6, 6))
    tables[..., PAD] = tables[..., START] = 1e-9  # never write padding or <s>
    return tables / tables.sum(axis=-1, keepdims=True)


def exhaustive_best(table, max_length, alpha, n):
    """Every finished sequence up to max_length, ranked as beam search ranks them."""
    ranked = []
    for length in range(1, max_length + 1):
        for body in itertools.product((A, B, C), repeat=length - 1):
            sequence = list(body) + [END]
            previous, current, logp = START, START, 0.0
            for token in sequence:
                logp += np.log(table[previous, current, token])
                previous, current = current, token
            ranked.append((logp / gnmt_length_penalty(length, alpha), sequence))
    ranked.sort(key=lambda item: -item[0])
    return ranked[:n]


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_wide_beam_is_exact_and_reorders_the_state(alpha):
    max_length, width = 4, 27  # 3 ** 3 alive prefixes at most: nothing is pruned
    tables = random_tables(3, seed=1)
    step = second_order_step(tables)
    state = {"which": np.arange(3, dtype="int32"), "previous": np.full(3, START, "int32")}
    result = beam_search(step, state, [START] * 3, beam_width=width, max_length=max_length,
                         end_id=END, length_penalty=alpha)
    for row in range(3):
        expected = exhaustive_best(tables[row], max_length, alpha, n=5)
        for rank, (score, sequence) in enumerate(expected):
            assert result.finished[row, rank]
            got = list(result.tokens[row, rank, :len(sequence)])
            assert got == sequence, (row, rank)
            np.testing.assert_allclose(result.scores[row, rank], score, rtol=1e-4, atol=1e-4)


def test_length_penalty_changes_the_answer():
    tables = random_tables(1, seed=0)
    t = tables[0]
    # end at once: 0.5; A A end: 0.5 * 0.96 * 0.97 = 0.466, less likely but longer
    t[START, START] = [1e-9, 0.5, 1e-9, 0.5, 1e-9, 1e-9]
    t[START, A] = [1e-9, 0.02, 1e-9, 0.96, 0.01, 0.01]
    t[A, A] = [1e-9, 0.97, 1e-9, 0.01, 0.01, 0.01]
    tables[0] = t / t.sum(axis=-1, keepdims=True)
    step = second_order_step(tables)
    state = {"which": np.zeros(1, "int32"), "previous": np.full(1, START, "int32")}
    short = beam_search(step, state, [START], beam_width=3, max_length=5, end_id=END,
                        length_penalty=0.0)
    longer = beam_search(step, state, [START], beam_width=3, max_length=5, end_id=END,
                         length_penalty=2.0)
    assert list(short.tokens[0, 0, :1]) == [END]
    assert list(longer.tokens[0, 0, :3]) == [A, A, END]


def test_batch_rows_are_independent():
    tables = random_tables(4, seed=3)
    step = second_order_step(tables)
    both = {"which": np.arange(4, dtype="int32"), "previous": np.full(4, START, "int32")}
    together = greedy_decode(step, both, [START] * 4, max_length=7, end_id=END)
    beams = beam_search(step, both, [START] * 4, beam_width=3, max_length=7, end_id=END)
    for row in range(4):
        alone = {"which": np.array([row], "int32"), "previous": np.array([START], "int32")}
        one = greedy_decode(step, alone, [START], max_length=7, end_id=END)
        np.testing.assert_array_equal(together.tokens[row], one.tokens[0])
        np.testing.assert_allclose(together.scores[row], one.scores[0], rtol=1e-5)
        one_beam = beam_search(step, alone, [START], beam_width=3, max_length=7, end_id=END)
        np.testing.assert_array_equal(beams.tokens[row], one_beam.tokens[0])


def test_end_token_and_max_length():
    # a table that never ends: every hypothesis stops at max_length, unfinished
    p = toy_table()
    p[:, END] = 1e-9
    p[END, END] = 1.0
    p = p / p.sum(axis=1, keepdims=True)
    step = markov_step(p)
    state = {"unused": ops.zeros((1, 1))}
    greedy = greedy_decode(step, state, [START], max_length=5, end_id=END)
    assert not greedy.finished[0] and greedy.lengths[0] == 5
    assert (greedy.tokens[0] != PAD).all()
    beam = beam_search(step, state, [START], beam_width=2, max_length=5, end_id=END)
    assert not beam.finished.any() and (beam.lengths == 5).all()
    # a sentence that ends at once: pads after the end, the loop stops there
    ended = greedy_decode(step, state, [END], max_length=5, end_id=END)
    np.testing.assert_array_equal(ended.tokens[0], [END, PAD, PAD, PAD, PAD])
    assert ended.lengths[0] == 1 and ended.finished[0]


def test_the_loop_is_compiled_once_not_run_in_python():
    calls = []
    table = ops.convert_to_tensor(np.log(toy_table()).astype("float32"))

    def step(token_ids, state):
        calls.append(1)  # runs when traced, not at every token of a compiled loop
        return ops.take(table, token_ids, axis=0), state, None

    state = {"unused": ops.zeros((3, 1))}
    first = greedy_decode(step, state, [START] * 3, max_length=20, end_id=END)
    traced = len(calls)
    assert traced <= 4  # the first step and the loop body (traced once or twice)
    second = greedy_decode(step, state, [START] * 3, max_length=20, end_id=END)
    assert len(calls) == traced
    np.testing.assert_array_equal(first.tokens, second.tokens)
    beam_search(step, state, [START] * 3, beam_width=2, max_length=20, end_id=END)
    traced = len(calls)
    beam_search(step, state, [START] * 3, beam_width=2, max_length=20, end_id=END)
    assert len(calls) == traced


def test_length_penalty_formula():
    assert gnmt_length_penalty(1, 0.6) == pytest.approx(1.0)
    assert gnmt_length_penalty(7, 1.0) == pytest.approx(2.0)
    assert gnmt_length_penalty(10, 0.0) == 1.0
    np.testing.assert_allclose(ops.convert_to_numpy(gnmt_length_penalty(ops.ones((2,)), 0.5)),
                               [1.0, 1.0])


def test_bad_settings_are_config_errors():
    step = markov_step(toy_table())
    state = {"unused": ops.zeros((1, 1))}
    with pytest.raises(zoo.ConfigError, match="max_length"):
        greedy_decode(step, state, [START], max_length=0, end_id=END)
    with pytest.raises(zoo.ConfigError, match="beam_width"):
        beam_search(step, state, [START], beam_width=0, max_length=5, end_id=END)
    with pytest.raises(zoo.ConfigError, match="start_ids"):
        greedy_decode(step, state, [[START]], max_length=5, end_id=END)


def test_fixed_length_beam_search_without_an_end_token():
    """``end_id=None``: every hypothesis runs to ``max_length`` (a language model's text of a
    set length), ranked by log-probability; a wide beam finds the exact best sequences, and a
    larger ``capacity`` shares one compiled search across lengths without changing them."""
    p = np.random.default_rng(5).dirichlet(np.full(6, 0.6), size=6)  # no ties
    step = markov_step(p)
    state = {"unused": ops.zeros((1, 1))}
    for length in (3, 2):
        ranked = sorted(((sum(np.log(p[a, b]) for a, b in zip((START,) + seq, seq)), seq)
                         for seq in itertools.product(range(6), repeat=length)), reverse=True)
        wide = beam_search(step, state, [START], beam_width=36, max_length=length, end_id=None,
                           length_penalty=0.0, capacity=8)
        assert wide.tokens.shape == (1, 36, length) and wide.extras.shape == (1, 36, length, 6)
        assert not wide.finished.any() and (wide.lengths == length).all()
        for rank in range(5):
            assert tuple(wide.tokens[0, rank]) == ranked[rank][1]
            np.testing.assert_allclose(wide.scores[0, rank], ranked[rank][0], rtol=1e-4)
    # the buffer's size does not change the search
    exact = beam_search(step, state, [START], beam_width=36, max_length=2, end_id=None,
                        length_penalty=0.0)
    np.testing.assert_array_equal(exact.tokens, wide.tokens)
    with pytest.raises(zoo.ConfigError, match="capacity must be at least max_length"):
        beam_search(step, state, [START], max_length=9, end_id=None, capacity=8)


def test_nucleus_keeps_the_smallest_set_that_reaches_top_p():
    from zoo.decoding import nucleus, nucleus_numpy, sample_next

    logits = np.log(np.array([0.05, 0.5, 0.15, 0.3]))
    ties = np.log(np.array([0.2, 0.4, 0.2, 0.2]))
    for row, top_p, kept in ((logits, 0.4, [1]), (logits, 0.6, [1, 3]),
                             (logits, 0.85, [1, 2, 3]), (logits, 1.0, [0, 1, 2, 3]),
                             (ties, 0.5, [0, 1, 2, 3]),  # ties at the edge are all kept
                             (ties, 0.3, [1])):
        for masked in (nucleus_numpy(row, top_p),
                       ops.convert_to_numpy(nucleus(ops.convert_to_tensor(row), top_p))):
            assert list(np.flatnonzero(np.isfinite(masked))) == kept, (top_p, masked)
            np.testing.assert_allclose(masked[kept], row[kept])
    # the batched sampler draws only inside the nucleus
    draws = ops.convert_to_numpy(sample_next(np.tile(logits, (64, 1)), top_p=0.6, seed=1))
    assert set(draws.tolist()) <= {1, 3} and len(set(draws.tolist())) == 2

def test_greedy_stops_a_loop_drops_the_copies_and_says_so():
    # A -> B -> C -> A ... never ends: a loop of the trigram (A, B, C); row 2 starts at END
    p = np.full((6, 6), 1e-6)
    p[START, A] = p[A, B] = p[B, C] = p[C, A] = 1.0
    p[END, END] = p[PAD, END] = 1.0
    step = markov_step(p / p.sum(axis=1, keepdims=True))
    state = {"unused": ops.zeros((2, 1))}
    capped = greedy_decode(step, state, [START, END], max_length=30, end_id=END)
    assert capped.repeated is None and capped.lengths.tolist() == [30, 1]
    out = greedy_decode(step, state, [START, END], max_length=30, end_id=END, repeat_limit=3)
    # stopped at three copies (9 tokens), the two repeats dropped, not marked finished
    assert out.tokens[0, :out.lengths[0]].tolist() == [A, B, C]
    assert (out.tokens[0, 3:] == PAD).all() and (out.extras[0, 3:] == 0).all()
    assert out.repeated.tolist() == [True, False] and out.finished.tolist() == [False, True]
    # a single token repeated needs more copies (6): "..." is not a loop
    q = np.full((6, 6), 1e-6)
    q[START, A] = q[A, A] = 1.0
    q[END, END] = q[PAD, END] = 1.0
    run = greedy_decode(markov_step(q / q.sum(axis=1, keepdims=True)), state, [START, START],
                        max_length=30, end_id=END, repeat_limit=3)
    assert run.lengths.tolist() == [1, 1] and run.repeated.all()
    short = greedy_decode(markov_step(q / q.sum(axis=1, keepdims=True)), state, [START, START],
                          max_length=5, end_id=END, repeat_limit=3)
    assert not short.repeated.any() and short.lengths.tolist() == [5, 5]  # the cap came first
    with pytest.raises(zoo.ConfigError, match="repeat_limit"):
        greedy_decode(step, state, [START, END], max_length=5, end_id=END, repeat_limit=1)


def test_a_faithful_repeat_is_kept_when_the_limit_allows_it():
    """A source of nine copies of a word ("file file ... file") is faithfully translated by
    nine copies: with the translator's limit (1 + the source's copies) the search writes them
    all (and when the model goes on copying, the nine are kept); with the default limit it stops
    at six and drops five, and the score is then that of the one token kept. Per-row limits in
    one batch."""
    p_a, p_end = np.log(0.9), np.log(0.8)
    copy = np.full(6, np.log(0.1 / 5), "float32")
    copy[A] = p_a
    stop = np.full(6, np.log(0.2 / 5), "float32")
    stop[END] = p_end
    rows = ops.convert_to_tensor(np.stack([copy, stop]))

    def step(token_ids, state):  # A for the first nine steps, then the end token
        count = state["count"]
        return ops.take(rows, ops.cast(count[:, 0] >= 9, "int32"), axis=0), \
            {"count": count + 1}, None

    state = {"count": ops.zeros((2, 1), "int32")}
    assert longest_repeat(["file"] * 9) == 9
    out = greedy_decode(step, state, [START, START], max_length=20, end_id=END,
                        repeat_limit=[3, 1 + longest_repeat(["file"] * 9)])
    assert out.tokens[0, :out.lengths[0]].tolist() == [A]
    assert out.tokens[1, :out.lengths[1]].tolist() == [A] * 9 + [END]
    assert out.repeated.tolist() == [True, False] and out.finished.tolist() == [False, True]
    # each score is the log-probability of the tokens it describes, dropped copies left out
    np.testing.assert_allclose(out.scores, [p_a, 9 * p_a + p_end], rtol=1e-5)
    # a model that goes on copying: the copies the source has are kept, the rest dropped
    def forever(token_ids, state):
        return ops.take(rows, ops.zeros_like(token_ids), axis=0), state, None

    kept = greedy_decode(forever, state, [START, START], max_length=20, end_id=END,
                         repeat_limit=[3, 10], repeat_keep=[1, 9])
    assert kept.lengths.tolist() == [1, 9] and (kept.tokens[1, :9] == A).all()
    assert kept.repeated.all() and not kept.finished.any()
    np.testing.assert_allclose(kept.scores, [p_a, 9 * p_a], rtol=1e-5)
    with pytest.raises(zoo.ConfigError, match="one per row, 2 of them"):
        greedy_decode(step, state, [START, START], max_length=5, end_id=END, repeat_limit=[3])
    with pytest.raises(zoo.ConfigError, match="repeat_keep must be"):
        greedy_decode(step, state, [START, START], max_length=5, end_id=END, repeat_limit=3,
                      repeat_keep=3)


def test_longest_repeat_counts_copies_of_any_ngram_in_a_row():
    assert longest_repeat([]) == 0 and longest_repeat(["file"]) == 1
    assert longest_repeat("a b c".split()) == 1
    assert longest_repeat("x a b a b a b y".split()) == 3
    assert longest_repeat("very very good , very".split()) == 2
    assert longest_repeat("the cat the cat the dog".split()) == 2
