"""Decoding for every autoregressive model in the zoo: sampling, greedy search, beam search.

A model plugs in through a *step function*::

    step(token_ids, state) -> (log_probs, new_state, extras)

``token_ids`` has shape ``(batch,)``; ``state`` is any nested structure of tensors whose leading
axis is the batch (recurrent states, encoder outputs, masks); ``log_probs`` has shape
``(batch, vocab)``; ``extras`` is a tensor per step to collect (such as attention weights, shape
``(batch, source_length)``) or ``None``. Everything here uses ``keras.ops`` only.

The step function must keep the shapes and dtypes of ``state`` from one step to the next, and must
not depend on Python-side effects: :func:`greedy_decode` and :func:`beam_search` trace it once into
a compiled loop (``keras.ops.while_loop`` inside a function compiled by
:func:`zoo.runtime.compile_function`), so a whole batch of sentences is decoded in one call with no
Python work per token. The compiled loop is cached on the step function object (keyed by the
static settings: ``max_length``, ``end_id``, ``beam_width``, ``length_penalty``...), so pass the
*same* function object (a plain function or a callable object, not a freshly bound method) to
reuse it; a new object is traced again (about a second).

Example, with a toy step function over a fixed Markov table::

    table = keras.ops.log(keras.ops.convert_to_tensor(probabilities))   # (vocab, vocab)

    def step(token_ids, state):
        return keras.ops.take(table, token_ids, axis=0), state, None

    result = greedy_decode(step, {"unused": np.zeros((batch, 1))}, start_ids, max_length=10,
                           end_id=1)
    result.tokens    # (batch, 10) int32, padded with pad_id after the end token
    best = beam_search(step, {"unused": np.zeros((batch, 1))}, start_ids, beam_width=4,
                       max_length=10, end_id=1, length_penalty=0.6).tokens[:, 0]

A model's state may hold anything with the batch first: beam search repeats every leaf
``beam_width`` times along axis 0 (rows ``b * beam_width + k``) and reorders the rows after each
step, so per-sentence tensors such as encoder outputs and masks follow their hypotheses.
"""

import dataclasses

import keras
import numpy as np
from keras import ops

# the bounds of every decoding and sampling setting and their checks (re-exported: light, so
# the CLI's --help states them without importing Keras)
from zoo.limits import (  # noqa: F401
    MAX_BEAM, MAX_BEAM_GENERATE_LENGTH, MAX_DECODE_LENGTH, MAX_GENERATE_LENGTH,
    MAX_LENGTH_PENALTY, MAX_PREFIX, MAX_SEED, MAX_TEMPERATURE, MAX_TEXT_CHARS, MAX_TOP_K,
    check_sampling, check_search, check_top_p)
from zoo.errors import ConfigError
from zoo.runtime import compile_function

NEG = -1e9  # the score of an impossible hypothesis (finite, so that sums never give NaN)


def nucleus(logits, top_p):
    """``logits`` (``(..., vocab)``, a tensor) with every token outside the nucleus set to
    ``-inf``: nucleus (top-p) sampling keeps the most probable tokens whose probabilities add up
    to ``top_p`` (Holtzman et al. 2020), that is every token at least as probable as the least
    probable one needed to reach it (ties at the edge are all kept). ``top_p`` is a float or a
    scalar tensor in ``(0, 1]``; at 1 the logits are returned unchanged.
    """
    row = ops.convert_to_tensor(logits)
    top_p = ops.cast(top_p, row.dtype)
    probs = ops.softmax(row, axis=-1)
    ordered = ops.flip(ops.sort(probs, axis=-1), axis=-1)
    # the mass of the more probable tokens before each (an exclusive sum, as nucleus_numpy's)
    before = ops.concatenate([ops.zeros_like(ordered[..., :1]),
                              ops.cumsum(ordered, axis=-1)[..., :-1]], axis=-1)
    kept = ops.sum(ops.cast(before < top_p, "int32"), axis=-1, keepdims=True)
    cut = ops.take_along_axis(ordered, ops.maximum(kept, 1) - 1, axis=-1)
    masked = ops.where(probs >= cut, row, ops.cast(-np.inf, row.dtype))
    return ops.where(top_p >= 1.0, row, masked)


def nucleus_numpy(logits, top_p):
    """:func:`nucleus` in NumPy, for one row of logits on the host (float64)."""
    row = np.asarray(logits, dtype=np.float64)
    if top_p is None or float(top_p) >= 1.0:
        return row
    probs = np.exp(row - row.max())
    probs = probs / probs.sum()
    ordered = np.sort(probs)[::-1]
    before = np.concatenate([[0.0], np.cumsum(ordered)[:-1]])
    cut = ordered[max(int(np.count_nonzero(before < float(top_p))), 1) - 1]
    return np.where(probs >= cut, row, -np.inf)


def sample_next(logits, *, temperature=1.0, top_k=None, top_p=None, seed=None):
    """Draw one token id per row of ``logits`` (shape ``(batch, vocab)``).

    Args:
        logits: unnormalised log-probabilities.
        temperature: below 1 sharpens the distribution, above 1 flattens it; 0 is greedy.
        top_k: sample only among the ``top_k`` most probable tokens.
        top_p: sample only in the nucleus of mass ``top_p`` (see :func:`nucleus`), after the
            temperature; ``None`` or 1 keeps every token.
        seed: an int or a ``keras.random.SeedGenerator`` for reproducible draws.

    Returns:
        int32 tensor of shape ``(batch,)``.
    """
    logits = ops.cast(logits, "float32")
    if temperature is not None and float(temperature) <= 0.0:
        return ops.cast(ops.argmax(logits, axis=-1), "int32")
    if top_k:
        kth = ops.top_k(logits, int(top_k), sorted=True)[0][:, -1:]
        logits = ops.where(logits < kth, ops.full_like(logits, -1e9), logits)
    logits = logits / float(temperature or 1.0)
    if top_p is not None and float(top_p) < 1.0:
        logits = ops.maximum(nucleus(logits, float(top_p)), -1e9)  # finite for categorical
    return ops.cast(keras.random.categorical(logits, 1, seed=seed)[:, 0], "int32")


def sample_next_numpy(logits, *, temperature=1.0, top_k=None, top_p=None, rng=None):
    """:func:`sample_next` for one row of logits already on the host, in NumPy: the same
    distribution (temperature, top-k, top-p) without a round of eager TensorFlow ops per token,
    which cost about fifty times the draw itself in a character-by-character loop.

    Args:
        logits: unnormalised log-probabilities, shape ``(vocab,)`` or ``(1, vocab)``.
        temperature: below 1 sharpens, above 1 flattens; 0 is greedy.
        top_k: sample only among the ``top_k`` most probable tokens.
        top_p: sample only in the nucleus of mass ``top_p`` (see :func:`nucleus`), after the
            temperature; ``None`` or 1 keeps every token.
        rng: a ``numpy.random.Generator`` (``np.random.default_rng(seed)`` for reproducible
            draws); ``None`` draws from a fresh unseeded one.

    Returns:
        The token id, an ``int``.

    Example:
        >>> sample_next_numpy(np.array([0.0, 5.0, 1.0]), temperature=0)
        1
        >>> sample_next_numpy(np.array([0.0, 5.0, 1.0]), top_p=0.5)  # the nucleus is one token
        1
    """
    row = np.asarray(logits, dtype=np.float64).reshape(-1)
    if temperature is not None and float(temperature) <= 0.0:
        return int(np.argmax(row))
    if top_k and int(top_k) < row.size:
        kth = np.partition(row, -int(top_k))[-int(top_k)]
        row = np.where(row < kth, -np.inf, row)
    row = nucleus_numpy(row / float(temperature or 1.0), top_p)
    row = np.exp(row - row.max())
    rng = rng if rng is not None else np.random.default_rng()
    return int(rng.choice(row.size, p=row / row.sum()))


def sample_from_uniform(logits, uniform, *, temperature, top_k, top_p=None):
    """:func:`sample_next_numpy`'s draw in ``keras.ops``, for a compiled loop: the same token for
    the same ``uniform`` (the next ``rng.random()`` of the generator :func:`sample_next_numpy`
    would be given), computed in float64 as NumPy does, so a loop that samples many tokens per
    call writes the text the NumPy loop writes for the same seed.

    ``Generator.choice(n, p=p)`` is ``searchsorted(cumsum(p) / cumsum(p)[-1], rng.random(),
    side="right")``; this is that, after the same temperature, top-k and top-p. (NumPy's ``exp``
    and sums may differ from the backend's in the last bit, so a uniform within about 1e-16 of a
    boundary could pick the neighbouring token, or a nucleus whose mass lands within 1e-16 of
    ``top_p`` could hold one token more: never seen in the tests' thousands of draws.)

    Args:
        logits: one row of unnormalised log-probabilities, shape ``(vocab,)``.
        uniform: a float64 scalar in ``[0, 1)``.
        temperature: a float64 scalar above 0 (greedy decoding takes the argmax instead).
        top_k: an int32 scalar, 1 to ``vocab`` (``vocab``: every token).
        top_p: ``None`` (every token), or a float64 scalar in ``(0, 1]`` (1: every token);
            ``None`` leaves the nucleus's sort and sums out of the compiled loop.

    Returns:
        The int32 token id (a scalar tensor).
    """
    row = ops.cast(logits, "float64")
    vocab = ops.shape(row)[0]
    kth = ops.take(ops.sort(row), vocab - ops.cast(top_k, "int32"))  # the k-th largest
    row = ops.where(row < kth, ops.cast(-np.inf, "float64"), row) / temperature
    if top_p is not None:
        row = nucleus(row, ops.cast(top_p, "float64"))
    row = ops.exp(row - ops.max(row))
    cdf = ops.cumsum(row / ops.sum(row))
    cdf = cdf / cdf[-1]
    picked = ops.searchsorted(cdf, ops.reshape(ops.cast(uniform, "float64"), (1,)), side="right")
    return ops.cast(ops.minimum(picked[0], vocab - 1), "int32")


@dataclasses.dataclass
class Decoded:
    """The result of :func:`greedy_decode` or :func:`beam_search`, as NumPy arrays.

    For greedy decoding the leading axes are ``(batch,)``; for beam search ``(batch, beam)``,
    hypotheses sorted best first (finished ones before unfinished ones).

    Attributes:
        tokens: int32 ids, ``(..., max_length)``; the end token is included, positions after it
            hold ``pad_id``. The start token is not included.
        lengths: number of tokens produced, the end token included.
        scores: greedy: the sum of the log-probabilities of the tokens (end token included);
            beam: that sum divided by the length penalty (see :func:`gnmt_length_penalty`).
        finished: whether the hypothesis ended with ``end_id`` (else it stopped at ``max_length``).
        extras: the step function's ``extras`` collected per step, ``(..., max_length, *shape)``
            (zeros after the end token), or ``None`` when the step function gives none.
        repeated: greedy search with ``repeat_limit``: whether the search stopped the row
            because it was repeating itself (see :func:`greedy_decode`); ``None`` otherwise. A
            row that is neither ``finished`` nor ``repeated`` ran to ``max_length``.
    """

    tokens: np.ndarray
    lengths: np.ndarray
    scores: np.ndarray
    finished: np.ndarray
    extras: object = None
    repeated: object = None


def gnmt_length_penalty(length, alpha):
    """GNMT's length penalty ``((5 + length) / 6) ** alpha`` (Wu et al. 2016, eq. 14).

    Beam search ranks a finished hypothesis by ``log P(y | x) / gnmt_length_penalty(len(y),
    alpha)``. ``alpha = 0`` ranks by raw log-probability, which favours short outputs; larger
    values favour longer ones (tensor2tensor's default is 0.6; with 1.0 the score is close to
    the average log-probability per token). Works on Python numbers and on tensors.
    """
    if isinstance(length, (int, float)):
        return ((5.0 + length) / 6.0) ** float(alpha)
    return ops.power((5.0 + ops.cast(length, "float32")) / 6.0, float(alpha))


# -- helpers shared by both searches -----------------------------------------------------------


def _check(max_length, end_id, beam_width=1, fixed_length=False):
    if int(max_length) < 1:
        raise ConfigError(f"max_length must be at least 1, got {max_length}")
    if int(beam_width) < 1:
        raise ConfigError(f"beam_width must be at least 1, got {beam_width}")
    if end_id is None and not fixed_length:
        raise ConfigError("end_id is needed: the id of the token that ends a sequence")


def _put(buffer, t, values, axis):
    """``buffer`` with position ``t`` of its time axis ``axis`` replaced by ``values``."""
    length = ops.shape(buffer)[axis]
    shape = [1] * len(buffer.shape)
    shape[axis] = length
    at_t = ops.reshape(ops.equal(ops.arange(length, dtype="int32"), t), shape)
    return ops.where(at_t, ops.expand_dims(ops.cast(values, buffer.dtype), axis), buffer)


def _time_buffer(prefix_shape, max_length, per_step, dtype, fill=0):
    """A buffer of shape ``prefix_shape + (max_length,) + per_step.shape[1:]`` filled with
    ``fill``: one slot per step for a per-step tensor whose leading axis is the batch."""
    tail = tuple(ops.shape(per_step)[1:]) if per_step is not None else ()
    return ops.full(tuple(prefix_shape) + (int(max_length),) + tail, fill, dtype=dtype)


def _gather_rows(x, flat_index):
    """Rows ``flat_index`` of ``x`` along axis 0."""
    return ops.take(x, flat_index, axis=0)


def _compiled(step_fn, key, make):
    """The compiled loop for ``step_fn`` and static settings ``key``, cached on ``step_fn``."""

    cache = getattr(step_fn, "_zoo_decoders", None)
    if cache is None:
        cache = {}
        try:
            step_fn._zoo_decoders = cache
        except (AttributeError, TypeError):  # bound methods, builtins: compile every time
            return compile_function(make())
    if key not in cache:
        cache[key] = compile_function(make())
    return cache[key]


def _empty(value):
    """Whether ``value`` is the ``()`` that stands for "nothing collected" in loop variables."""
    return isinstance(value, tuple) and not value


def _numpy(value):
    return None if value is None else np.asarray(ops.convert_to_numpy(value))


def _start(start_ids, state):
    start_ids = ops.cast(ops.convert_to_tensor(np.asarray(start_ids) if isinstance(
        start_ids, (list, tuple)) else start_ids), "int32")
    if len(start_ids.shape) != 1:
        raise ConfigError(f"start_ids must have shape (batch,), got {tuple(start_ids.shape)}")
    state = keras.tree.map_structure(ops.convert_to_tensor, state)
    return start_ids, state


# -- greedy search -----------------------------------------------------------------------------

REPEAT_MAX_NGRAM = 8  # the longest n-gram whose repetition stops greedy search
REPEAT_MIN_TOKENS = 6  # and the fewest tokens a loop spans ("..." as three "." is no loop)


def repeat_copies(n, limit):
    """How many copies in a row of an n-gram make a loop: ``limit``, or more for short n-grams
    so that the copies span at least :data:`REPEAT_MIN_TOKENS` tokens."""
    return max(int(limit), -(-REPEAT_MIN_TOKENS // int(n)))


def longest_repeat(tokens, max_ngram=REPEAT_MAX_NGRAM):
    """The most copies in a row of any n-gram (n from 1 to ``max_ngram``) in ``tokens``: 1
    when nothing repeats. A translator lets its output repeat as often as its source does
    ("file file file ..." is faithfully "archivo archivo archivo ...")."""
    tokens = list(tokens)
    most = 1 if tokens else 0
    for n in range(1, max_ngram + 1):
        for start in range(n):  # runs of copies aligned on start, start + n, ...
            run = 1
            for i in range(start + n, len(tokens) - n + 1, n):
                run = run + 1 if tokens[i:i + n] == tokens[i - n:i] else 1
                most = max(most, run)
    return most


def _tail_repeat(tokens, t, limits, keeps, max_ngram):
    """Per row, how many tokens to drop when the tokens written up to position ``t`` end with
    a loop (:func:`repeat_copies` copies of one n-gram for the row's limit in ``limits``, n from
    1 to ``max_ngram``, the smallest n found): every copy but the row's first ``keeps``; 0 when
    they do not."""
    width = ops.shape(tokens)[1]
    back = ops.arange(width, dtype="int32")  # how far before t
    positions = t - back
    now = ops.take(tokens, ops.clip(positions, 0, width - 1), axis=1)
    found = ops.zeros((ops.shape(tokens)[0],), "int32")
    for n in range(max_ngram, 0, -1):  # the smallest n last, so it wins
        copies = ops.maximum(limits, -(-REPEAT_MIN_TOKENS // n))
        span = n * (copies - 1)
        before = ops.take(tokens, ops.clip(positions - n, 0, width - 1), axis=1)
        outside = ops.expand_dims(back, 0) >= ops.expand_dims(span, 1)
        same = ops.logical_and(ops.all(ops.logical_or(ops.equal(now, before), outside), axis=1),
                               t + 1 >= n * copies)
        found = ops.where(same, n * (copies - keeps), found)
    return found


def _make_greedy(step_fn, max_length, end_id, pad_id, repeat=False):
    def advance(t, log_probs, extras, tokens, scores, lengths, done, collected, cut, token_lps,
                limits, keeps):
        log_probs = ops.cast(log_probs, "float32")
        best = ops.cast(ops.argmax(log_probs, axis=-1), "int32")
        best_lp = ops.take_along_axis(log_probs, ops.expand_dims(best, 1), axis=1)[:, 0]
        best = ops.where(done, pad_id, best)
        best_lp = ops.where(done, 0.0, best_lp)
        scores = scores + best_lp
        lengths = lengths + ops.where(done, 0, 1)
        tokens = _put(tokens, t, best, axis=1)
        if not _empty(collected):
            alive = ops.reshape(ops.logical_not(done),
                                (-1,) + (1,) * (len(extras.shape) - 1))
            collected = _put(collected, t, ops.where(alive, extras, 0.0), axis=1)
        ended = ops.equal(best, end_id)
        if repeat:
            token_lps = _put(token_lps, t, best_lp, axis=1)
            drop = _tail_repeat(tokens, t, limits, keeps, REPEAT_MAX_NGRAM)
            looping = ops.logical_and(ops.logical_and(drop > 0, ops.logical_not(done)),
                                      ops.logical_not(ended))
            cut = ops.where(looping, drop, cut)
            # the score is that of the tokens kept: the dropped copies' log-probabilities out
            dropped = ops.logical_and(
                ops.expand_dims(ops.arange(max_length, dtype="int32"), 0) > t - ops.expand_dims(
                    drop, 1), ops.expand_dims(ops.arange(max_length, dtype="int32"), 0) <= t)
            removed = ops.sum(ops.where(dropped, token_lps, 0.0), axis=1)
            scores = scores - ops.where(looping, removed, 0.0)
            ended = ops.logical_or(ended, looping)
        done = ops.logical_or(done, ended)
        return best, tokens, scores, lengths, done, collected, cut, token_lps

    def run(state, start_ids, limits=None, keeps=None):
        batch = ops.shape(start_ids)[0]
        log_probs, state, extras = step_fn(start_ids, state)
        tokens = ops.full((batch, max_length), pad_id, dtype="int32")
        # () stands for "nothing collected": loop variables cannot be None.
        collected = () if extras is None else _time_buffer((batch,), max_length, extras,
                                                           "float32")
        token_lps = ops.zeros((batch, max_length) if repeat else (batch, 1), "float32")
        carry = advance(0, log_probs, extras, tokens, ops.zeros((batch,), "float32"),
                        ops.zeros((batch,), "int32"), ops.zeros((batch,), "bool"), collected,
                        ops.zeros((batch,), "int32"), token_lps, limits, keeps)

        def cond(t, state, last, tokens, scores, lengths, done, collected, cut, token_lps):
            return ops.logical_and(t < max_length, ops.logical_not(ops.all(done)))

        def body(t, state, last, tokens, scores, lengths, done, collected, cut, token_lps):
            log_probs, state, extras = step_fn(last, state)
            carry = advance(t, log_probs, extras, tokens, scores, lengths, done, collected, cut,
                            token_lps, limits, keeps)
            return (t + 1, state) + carry

        loop = ops.while_loop(cond, body, (ops.convert_to_tensor(1, "int32"), state) + carry)
        _, _, _, tokens, scores, lengths, done, collected, cut, _ = loop
        return tokens, lengths, scores, done, None if _empty(collected) else collected, cut

    return run


def greedy_decode(step_fn, state, start_ids, *, max_length, end_id, pad_id=0,
                  repeat_limit=None, repeat_keep=1):
    """Decode a batch by taking the most probable token at each step.

    Args:
        step_fn: the model's step function (see the module docstring).
        state: the initial decoder state (nested tensors, leading axis = batch).
        start_ids: int ids of shape ``(batch,)`` fed at the first step (the ``<s>`` token).
        max_length: the most tokens produced per sequence, the end token included.
        end_id: the token that ends a sequence; a sequence stops growing once it is produced.
        pad_id: the id written after the end token.
        repeat_limit: stop a sequence once it ends with this many copies in a row of one
            n-gram (n from 1 to :data:`REPEAT_MAX_NGRAM`; 2 or more; more copies of an n-gram
            shorter than :data:`REPEAT_MIN_TOKENS` / ``repeat_limit``, see
            :func:`repeat_copies`), the loop greedy search falls into when the model's most
            probable next token keeps leading back to the same tokens; the copies after the
            first are dropped, the row is marked ``repeated`` (and not ``finished``). One
            number for every row, or one per row. ``None``: run to the end token or
            ``max_length``.
        repeat_keep: the copies kept of a loop that was stopped (1 or more, fewer than
            ``repeat_limit``; one number or one per row): a translator whose source has k
            copies of an n-gram in a row (:func:`longest_repeat`) keeps k, a faithful repeat.

    Returns:
        A :class:`Decoded` with leading axis ``(batch,)``. The loop stops as soon as every
        sequence has ended. ``scores`` sum the log-probabilities of the tokens kept (those of
        dropped copies are taken out).

    Example:
        >>> table = np.log(np.array([[.1, .1, .8], [.1, .1, .8], [.1, .8, .1]], "float32"))
        >>> step = lambda ids, state: (ops.take(table, ids, axis=0), state, None)
        >>> out = greedy_decode(step, {"s": np.zeros((1, 1))}, [0], max_length=20, end_id=9,
        ...                     repeat_limit=3)
        >>> out.tokens[0, :out.lengths[0]].tolist(), bool(out.repeated[0])
        ([2, 1], True)
    """
    _check(max_length, end_id)
    start_ids, state = _start(start_ids, state)
    limits = _repeat_limits(repeat_limit, start_ids.shape[0])
    repeat = limits is not None
    keeps = _repeat_keeps(repeat_keep, limits) if repeat else None
    key = ("greedy", int(max_length), int(end_id), int(pad_id), repeat)
    run = _compiled(step_fn, key, lambda: _make_greedy(step_fn, int(max_length), int(end_id),
                                                       int(pad_id), repeat))
    tokens, lengths, scores, done, extras, cut = (
        run(state, start_ids, ops.convert_to_tensor(limits), ops.convert_to_tensor(keeps))
        if repeat
        else run(state, start_ids))
    tokens, lengths, cut = _numpy(tokens).copy(), _numpy(lengths).copy(), _numpy(cut)
    extras = _numpy(extras)
    finished = _numpy(done) & (cut == 0)
    for row in np.flatnonzero(cut):
        lengths[row] -= cut[row]
        tokens[row, lengths[row]:] = pad_id
        if extras is not None:
            extras = extras.copy() if not extras.flags.writeable else extras
            extras[row, lengths[row]:] = 0.0
    return Decoded(tokens=tokens, lengths=lengths, scores=_numpy(scores), finished=finished,
                   extras=extras, repeated=(cut > 0) if repeat else None)


def _repeat_limits(repeat_limit, batch):
    """``repeat_limit`` (``None``, one number, or one per row) as int32 limits per row."""
    if repeat_limit is None:
        return None
    values = repeat_limit if isinstance(repeat_limit, (list, tuple, np.ndarray)) \
        else [repeat_limit] * int(batch)
    if len(values) != batch or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) and 2 <= v <= 2**31 - 1
            for v in values):
        raise ConfigError(f"repeat_limit must be a whole number of at least 2 (or one per row, "
                          f"{batch} of them), or None; got {repeat_limit!r}")
    return np.asarray(values, dtype="int32")


def _repeat_keeps(repeat_keep, limits):
    """``repeat_keep`` (one number, or one per row) as int32 copies kept per row, each at least
    1 and below its row's limit."""
    values = repeat_keep if isinstance(repeat_keep, (list, tuple, np.ndarray)) \
        else [repeat_keep] * len(limits)
    if len(values) != len(limits) or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) and 1 <= v < limit
            for v, limit in zip(values, limits)):
        raise ConfigError(f"repeat_keep must be a whole number from 1 to repeat_limit - 1 (or "
                          f"one per row, {len(limits)} of them); got {repeat_keep!r}")
    return np.asarray(values, dtype="int32")


# -- beam search -------------------------------------------------------------------------------


def _make_beam(step_fn, beam_width, capacity, end_id, pad_id, alpha):
    k = beam_width

    def gather(x, batch, index):
        """``x`` of shape ``(batch, n, ...)``, rows ``index`` (shape ``(batch, m)``) of axis 1."""
        n = ops.shape(x)[1]
        flat = ops.reshape(x, (-1,) + tuple(ops.shape(x)[2:]))
        offsets = ops.expand_dims(ops.arange(batch, dtype="int32") * n, 1)
        return ops.take(flat, index + offsets, axis=0)

    def advance(t, log_probs, extras, alive, done):
        """One step: extend the alive beams, move ended candidates to the finished set."""
        a_scores, a_tokens, a_extras = alive
        d_scores, d_tokens, d_lengths, d_extras = done
        batch = ops.shape(a_scores)[0]
        log_probs = ops.cast(log_probs, "float32")
        vocab = ops.shape(log_probs)[-1]
        total = ops.expand_dims(a_scores, 2) + ops.reshape(log_probs, (-1, k, vocab))
        top_scores, top_index = ops.top_k(ops.reshape(total, (-1, k * vocab)), 2 * k)
        top_index = ops.cast(top_index, "int32")
        parent, token = top_index // vocab, top_index % vocab  # (batch, 2k)
        seqs = _put(gather(a_tokens, batch, parent), t, token, axis=2)
        if not _empty(a_extras):
            step_extras = gather(ops.reshape(extras, (-1, k) + tuple(ops.shape(extras)[1:])),
                                 batch, parent)
            ext_seqs = _put(gather(a_extras, batch, parent), t, step_extras, axis=2)
        ended = ops.logical_and(ops.equal(token, end_id), top_scores > NEG / 2)

        # finished: the best k of the old finished set and the candidates that just ended
        normalised = top_scores / gnmt_length_penalty(t + 1, alpha)
        pool_scores = ops.concatenate([d_scores, ops.where(ended, normalised, NEG)], axis=1)
        d_scores, best = ops.top_k(pool_scores, k)
        best = ops.cast(best, "int32")
        d_tokens = gather(ops.concatenate([d_tokens, seqs], axis=1), batch, best)
        new_lengths = ops.full(ops.shape(token), t + 1, dtype="int32")
        d_lengths = gather(ops.concatenate([d_lengths, new_lengths], axis=1), batch, best)
        if not _empty(d_extras):
            d_extras = gather(ops.concatenate([d_extras, ext_seqs], axis=1), batch, best)

        # alive: the best k candidates that did not end
        a_scores, best = ops.top_k(ops.where(ended, NEG, top_scores), k)
        best = ops.cast(best, "int32")
        a_tokens = gather(seqs, batch, best)
        if not _empty(a_extras):
            a_extras = gather(ext_seqs, batch, best)
        last = ops.reshape(ops.take_along_axis(token, best, axis=1), (-1,))
        parents = ops.take_along_axis(parent, best, axis=1)
        rows = ops.reshape(parents + ops.expand_dims(ops.arange(batch, dtype="int32") * k, 1),
                           (-1,))
        return last, rows, (a_scores, a_tokens, a_extras), (d_scores, d_tokens, d_lengths,
                                                              d_extras)

    def search_over(t, alive, done, final_penalty):
        """Whether no alive beam can still enter the finished top k, in every sentence."""
        best_alive = alive[0][:, 0]
        best_penalty = ops.maximum(gnmt_length_penalty(t + 1, alpha), final_penalty)
        bound = best_alive / best_penalty
        worst_done = done[0][:, k - 1]
        return ops.all(ops.logical_or(worst_done >= bound, best_alive <= NEG / 2))

    def run(state, start_ids, max_length):
        batch = ops.shape(start_ids)[0]
        final_penalty = gnmt_length_penalty(max_length, alpha)
        state = keras.tree.map_structure(lambda x: ops.repeat(x, k, axis=0), state)
        log_probs, state, extras = step_fn(ops.repeat(start_ids, k, axis=0), state)
        # Only the first beam is alive at the start, so the k beams do not repeat each other.
        first = ops.cast(ops.where(ops.arange(k) == 0, 0.0, NEG), "float32")
        a_scores = ops.zeros((batch, 1), "float32") + ops.expand_dims(first, 0)
        a_tokens = ops.full((batch, k, capacity), pad_id, dtype="int32")
        a_extras = ()  # "nothing collected": loop variables cannot be None
        if extras is not None:
            a_extras = _time_buffer((batch, k), capacity,
                                    ops.reshape(extras, (-1,) + tuple(ops.shape(extras)[1:])),
                                    "float32")
        done = (ops.full((batch, k), NEG, "float32"), a_tokens,
                ops.zeros((batch, k), "int32"), a_extras)
        last, rows, alive, done = advance(0, log_probs, extras, (a_scores, a_tokens, a_extras),
                                          done)
        state = keras.tree.map_structure(lambda x: _gather_rows(x, rows), state)

        def cond(t, state, last, alive, done):
            return ops.logical_and(t < max_length, ops.logical_not(
                search_over(t, alive, done, final_penalty)))

        def body(t, state, last, alive, done):
            log_probs, state, extras = step_fn(last, state)
            last, rows, alive, done = advance(t, log_probs, extras, alive, done)
            state = keras.tree.map_structure(lambda x: _gather_rows(x, rows), state)
            return t + 1, state, last, alive, done

        t, _, _, alive, done = ops.while_loop(
            cond, body, (ops.convert_to_tensor(1, "int32"), state, last, alive, done))

        # Rank finished hypotheses first, then the unfinished ones (cut at max_length).
        a_scores, a_tokens, a_extras = alive
        d_scores, d_tokens, d_lengths, d_extras = done
        d_ok = d_scores > NEG / 2
        a_ok = a_scores > NEG / 2
        a_norm = a_scores / gnmt_length_penalty(t, alpha)
        scores = ops.concatenate([d_scores, ops.where(a_ok, a_norm, NEG)], axis=1)
        rank = ops.concatenate([ops.where(d_ok, d_scores, 2 * NEG),
                                ops.where(a_ok, a_norm - 1e7, 2 * NEG)], axis=1)
        _, best = ops.top_k(rank, k)
        best = ops.cast(best, "int32")
        pick = lambda x: gather(x, batch, best)  # noqa: E731
        tokens = pick(ops.concatenate([d_tokens, a_tokens], axis=1))
        lengths = pick(ops.concatenate([d_lengths, ops.full(ops.shape(a_scores), t, "int32")],
                                       axis=1))
        finished = ops.take_along_axis(ops.concatenate([d_ok, ops.zeros_like(a_ok)], axis=1),
                                       best, axis=1)
        scores = ops.take_along_axis(scores, best, axis=1)
        extras = None
        if not _empty(d_extras):
            extras = pick(ops.concatenate([d_extras, a_extras], axis=1))
        return tokens, lengths, scores, finished, extras

    return run


def beam_search(step_fn, state, start_ids, *, beam_width=4, max_length, end_id, pad_id=0,
                length_penalty=0.6, capacity=None):
    """Decode a batch keeping the ``beam_width`` most probable hypotheses of each sentence.

    At every step each alive hypothesis is extended by every token; of the ``2 * beam_width``
    best extensions, those that end (produce ``end_id``) join the sentence's finished list, ranked
    by ``log P / length_penalty(length)`` (GNMT: ``((5 + length) / 6) ** alpha``, see
    gnmt_length_penalty), and the best ``beam_width`` that did not end stay alive. The decoder
    state (and the collected extras) follow their hypotheses: rows are reordered by the parent
    beam of each survivor. The search stops at ``max_length``, or earlier once no alive
    hypothesis of any sentence can beat the worst of its ``beam_width`` finished ones (exact for
    ``length_penalty >= 0``, and for negative ones too, since the penalty is monotone).

    Args:
        step_fn: the model's step function (see the module docstring).
        state: the initial decoder state, leading axis = batch; it is repeated per beam.
        start_ids: int ids of shape ``(batch,)`` fed at the first step.
        beam_width: hypotheses kept per sentence (1 is greedy search with length penalty).
        max_length: the most tokens per hypothesis, the end token included.
        end_id: the token that ends a hypothesis; ``None`` for none: every hypothesis runs to
            ``max_length`` (a text of a set length, as a language model's continuation), and
            with ``length_penalty=0`` they are ranked by their log-probability.
        pad_id: the id written after the end token.
        length_penalty: GNMT's ``alpha``; 0 ranks by raw log-probability.
        capacity: the length of the compiled search's buffers, at least ``max_length``
            (default ``max_length``): searches of any ``max_length`` up to it share one compiled
            loop (a caller whose lengths vary passes a few sizes, not one trace per length).

    Returns:
        A :class:`Decoded` with leading axes ``(batch, beam_width)``, best hypothesis first.
        When a sentence has fewer than ``beam_width`` finished hypotheses, unfinished ones
        (``finished`` False, cut at ``max_length``) fill the list after them.
    """
    _check(max_length, end_id, beam_width, fixed_length=True)
    end_id = -1 if end_id is None else end_id  # no token has id -1: nothing ends
    start_ids, state = _start(start_ids, state)
    capacity = int(max_length) if capacity is None else int(capacity)
    if capacity < int(max_length):
        raise ConfigError(f"capacity must be at least max_length ({max_length}), got {capacity}")
    key = ("beam", int(beam_width), capacity, int(end_id), int(pad_id), float(length_penalty))
    run = _compiled(step_fn, key, lambda: _make_beam(step_fn, int(beam_width), capacity,
                                                     int(end_id), int(pad_id),
                                                     float(length_penalty)))
    tokens, lengths, scores, finished, extras = run(
        state, start_ids, ops.convert_to_tensor(int(max_length), "int32"))
    cut = int(max_length)
    extras = _numpy(extras)
    return Decoded(tokens=_numpy(tokens)[..., :cut], lengths=_numpy(lengths),
                   scores=_numpy(scores), finished=_numpy(finished),
                   extras=None if extras is None else extras[:, :, :cut])
