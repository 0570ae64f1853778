"""Character language modelling: text in, the next character's distribution and new text out."""

import math

import keras
import numpy as np
import tensorflow as tf

from zoo import decoding, limits, runtime
from zoo.checks import check_number, check_text, kind_of
from zoo.errors import ConfigError, DataError
from zoo.tasks.base import Headline, Prepared, Task
from zoo.data.text import load_char_data, windows_dataset
from zoo.preprocessing import CharPreprocessor
from zoo.preprocessing.chars import DEFAULT_SEQUENCE_LENGTH, NORMALIZATION
from zoo.models.char_rnn import build_step_model, state_sizes
from zoo.registry import MAX_SIZE, get_spec

LN2 = math.log(2.0)
START = "\n"  # what an empty prefix stands for: the start of a paragraph
READ_CHUNK = 4096  # characters of a prefix read per compiled call
GENERATE_CHUNK = 64  # characters sampled per compiled call (TensorFlow: see TextGenerator._stream)
METHODS = limits.GENERATION_METHODS  # how generate picks each next character
DEFAULT_BEAM_WIDTH = limits.DEFAULT_BEAM_WIDTH


def _scores(logits, targets, weights):
    """``(nats, correct, count)`` of a batch of next-character logits, weight 0 left out."""
    logits = np.asarray(keras.ops.convert_to_numpy(logits), dtype=np.float64)
    targets = np.asarray(targets).astype(np.int64)
    weights = np.asarray(weights, dtype=np.float64)
    top = logits.max(axis=-1, keepdims=True)
    log_norm = np.log(np.exp(logits - top).sum(axis=-1)) + top[..., 0]
    picked = np.take_along_axis(logits, targets[..., None], axis=-1)[..., 0]
    return (float(((log_norm - picked) * weights).sum()),
            float(((logits.argmax(axis=-1) == targets) * weights).sum()), float(weights.sum()))


def _figures(nats, correct, count):
    if count == 0:
        raise DataError("no characters to measure")
    mean = nats / count
    return {"bits_per_char": mean / LN2, "perplexity": math.exp(mean),
            "accuracy": correct / count, "characters": int(count)}


class TextGenerator(Task):
    """A trained character language model that reads and writes raw strings.

    Generation carries the recurrent states forward one character at a time in a compiled step
    (a model sharing the trained layers, with the states as inputs and outputs, see
    :func:`zoo.models.char_rnn.build_step_model`): the prefix is read in one call, then each new
    character costs one step, however long the text grows. Under TensorFlow the steps and the
    sampling run in a compiled loop, :data:`GENERATE_CHUNK` characters per call, so Python (and
    its interpreter lock) is not involved per character; the text is the same as the
    character-by-character loop's (other backends) for the same seed.

    Special tokens are never predicted: ``<pad>`` and ``<unk>`` get probability 0 and the other
    probabilities are renormalised. Characters the training text did not contain are read as
    ``<unk>``. An empty prefix stands for the start of a paragraph: the model reads a newline
    (or, if the training text had none, its most frequent character) from a zero state.

    :meth:`generate` picks each next character by ``method``: ``"greedy"`` (the most probable),
    ``"sample"`` (drawn, with ``temperature``, ``top_k`` and ``top_p``) or ``"beam"`` (the most
    probable whole continuation that :func:`zoo.decoding.beam_search` finds keeping
    ``beam_width`` candidates, their recurrent states batched: one model call per character for
    all of them).

    Args:
        model: a ``keras.Model`` mapping ids ``(batch, time)`` to logits ``(batch, time, vocab)``.
        config: plain data saved with it: ``model`` (registered name), ``options`` and
            ``preprocessor`` (a :class:`~zoo.preprocessing.CharPreprocessor`'s config: the
            character vocabulary and the training window ``sequence_length``).

    Example:
        >>> lm = TextGenerator.from_dir("runs/char_lstm")  # doctest: +SKIP
        >>> lm.next_char_probabilities("Hell", top_k=3)  # doctest: +SKIP
        [('o', 0.93), ('e', 0.02), ('i', 0.01)]
        >>> lm.generate("Emma ", length=40, seed=1)  # doctest: +SKIP
        >>> lm.generate("Emma ", length=40, method="sample", temperature=0.8, top_p=0.9,
        ...             seed=1)  # doctest: +SKIP
        >>> lm.generate("Emma ", length=40, method="beam", beam_width=4)  # doctest: +SKIP
    """

    noun = "a character language model"
    task = "language_model"
    test_file_alone = True
    headline = Headline("test_bits_per_char", "test bits/char", "min")
    config_schema = {"preprocessor": "preprocessor"}
    recipe_settings = {"sequence_length": ("int", 1, MAX_SIZE)}
    command = "generate"
    memory_hint = "use a shorter --prefix"
    input_dtype = "int32"

    def __init__(self, model, config):
        super().__init__(model, config)
        if not isinstance(self.preprocessor, CharPreprocessor):
            raise ConfigError("a character model needs a character preprocessor (its zoo.json "
                              "was changed: restore it or retrain)")
        self.vocabulary = self.preprocessor.vocabulary
        if len(self.vocabulary) != model.output_shape[-1]:
            raise ConfigError(f"a vocabulary of {len(self.vocabulary)} characters for a model "
                              f"with {model.output_shape[-1]} outputs; the vocabulary must be "
                              "the one it was trained with (in a saved run: restore its "
                              "zoo.json or retrain)")
        self._step = None
        self._step_model = None
        self._beam_step = None
        self._logits = None
        self._read_on = None
        self._chunks = {}
        special = np.zeros(len(self.vocabulary), dtype=np.float32)
        special[[self.vocabulary.id(token) for token in self.vocabulary.specials]] = -1e9
        self._special_bias = special
        start = START if START in self.vocabulary else self.vocabulary.tokens[
            len(self.vocabulary.specials)]
        self.start_character = start

    # -- reading text ---------------------------------------------------------------------------

    def encode(self, text):
        """The ids of the characters of ``text`` (unknown characters become ``<unk>``)."""
        return self.preprocessor(check_text(text, "the text", limit=decoding.MAX_PREFIX)).tolist()

    def unknown_characters(self, text):
        """The characters of ``text`` the model reads as ``<unk>``, sorted (after its
        preprocessor's normalisation: a typographic quote it maps to ``"`` is not unknown)."""
        text = self.preprocessor.normalize(check_text(text, "the text",
                                                      limit=decoding.MAX_PREFIX))
        return sorted({char for char in text if char not in self.vocabulary})

    def _prefix_ids(self, prefix):
        prefix = check_text(prefix, "the prefix", limit=decoding.MAX_PREFIX)
        return self.encode(prefix or self.start_character)

    def _step_function(self):
        """The compiled step: ``(ids (1, time), states) -> (last logits (1, vocab), states)``."""
        if self._step is None:

            step_model = self._carrying_model()
            bias = keras.ops.convert_to_tensor(self._special_bias)

            def step(ids, states):
                logits, *new_states = step_model([ids, *states], training=False)
                return logits[:, -1, :] + bias, new_states

            self._step = runtime.compile_function(step)
            self._state_sizes = state_sizes(self.model)
        return self._step

    def _carrying_model(self):
        """The model with its recurrent states in and out (built once, sharing the weights)."""
        if self._step_model is None:
            self._step_model = build_step_model(self.model)
        return self._step_model

    def initial_states(self, batch_size=1):
        """Zero recurrent states, the state before any text is read."""
        self._step_function()
        return [keras.ops.zeros((batch_size, size), dtype="float32")
                for size in self._state_sizes]

    def read(self, text, states=None):
        """Read ``text`` in one compiled call; ``(logits of the next character, states)``.

        Pass the returned states back to continue where it stopped.
        """
        if isinstance(text, str) and len(text) > decoding.MAX_PREFIX:
            raise ConfigError(f"the prefix has {len(text):,} characters; at most "
                              f"{decoding.MAX_PREFIX:,} are read")
        ids = self._prefix_ids(text)
        states = self._check_states(states) if states is not None else self.initial_states()
        return self._read_ids(ids, states)

    def _read_ids(self, ids, states):
        """:meth:`read` of character ids (at least one), from ``states``."""
        step = self._step_function()
        ids = np.asarray(ids, dtype=np.int32)
        # read in chunks, carrying the states: the memory stays that of one chunk
        for start in range(0, len(ids), READ_CHUNK):
            chunk = ids[None, start:start + READ_CHUNK]
            logits, states = step(keras.ops.convert_to_tensor(chunk), states)
        return logits, states

    def _check_states(self, states):
        """States as :meth:`read` returned them: one ``(1, size)`` array per recurrent state."""
        self._step_function()  # sets the state sizes
        sizes = self._state_sizes
        shapes = [tuple(getattr(s, "shape", ())) for s in states] \
            if isinstance(states, (list, tuple)) else None
        if shapes != [(1, size) for size in sizes] or not all(
                "float32" in str(getattr(s, "dtype", "")) for s in states):
            raise ConfigError(f"states must be what read(...) returned: {len(sizes)} float32 "
                              f"arrays of shapes {[(1, n) for n in sizes]}, got "
                              f"{kind_of(states) if shapes is None else shapes}")
        return list(states)

    # -- answers --------------------------------------------------------------------------------

    def _distribution(self, logits):
        logits = np.asarray(keras.ops.convert_to_numpy(logits), dtype=np.float64).reshape(-1)
        probs = np.exp(logits - logits.max())
        return probs / probs.sum()

    def next_char_probabilities(self, prefix, top_k=None):
        """The distribution of the character that follows ``prefix``, most probable first.

        Args:
            prefix: any string (see the class docstring for empty and unknown characters).
            top_k: keep only the ``top_k`` most probable characters (``None``: all of them).

        Returns:
            A list of ``(character, probability)`` pairs.
        """
        probs = self._distribution(self.read(prefix)[0])
        order = [int(i) for i in np.argsort(-probs, kind="stable")
                 if self.vocabulary.tokens[int(i)] not in self.vocabulary.specials]
        _, _, top_k, _ = decoding.check_sampling(top_k=top_k)
        if top_k is not None:
            order = order[:top_k]
        return [(self.vocabulary.tokens[i], float(probs[i])) for i in order]

    def generate(self, prefix, *, length, method=None, temperature=None, top_k=None,
                 top_p=None, beam_width=None, seed=None):
        """Continue ``prefix`` with ``length`` characters.

        Args:
            prefix: the text to continue (read once, in one compiled call).
            length: how many characters to generate.
            method: ``"greedy"``: the most probable character each time; ``"sample"``: each
                drawn from the model's distribution (shaped by the three settings below);
                ``"beam"``: the most probable whole continuation beam search finds (at most
                :data:`zoo.decoding.MAX_BEAM_GENERATE_LENGTH` characters). ``None`` (the
                default): ``"sample"``, or ``"greedy"`` when ``temperature`` is 0.
            temperature: for sampling: below 1 is more conservative, above 1 more adventurous
                (default 1).
            top_k: for sampling: draw only among the ``top_k`` most probable characters.
            top_p: for sampling: draw only among the most probable characters whose
                probabilities (after the temperature) add up to ``top_p``, in ``(0, 1]``
                (nucleus sampling, see :func:`zoo.decoding.nucleus`).
            beam_width: for beam search: the candidates kept (default 4; 1 is greedy).
            seed: for sampling, an int makes the text reproducible (same seed, same text);
                greedy and beam search give the same text every time (a seed is refused).

        Returns:
            The generated characters only (the prefix is not repeated).
        """
        return "".join(self.stream(prefix, length=length, method=method,
                                   temperature=temperature, top_k=top_k, top_p=top_p,
                                   beam_width=beam_width, seed=seed))

    def stream(self, prefix, *, length, method=None, temperature=None, top_k=None, top_p=None,
               beam_width=None, seed=None):
        """:meth:`generate`, yielding each character as soon as it is written (a long sampled
        text shows progress; beam search knows its text only at the end). The settings are
        checked at once, before the first character: ``length`` 0 to
        :data:`zoo.decoding.MAX_GENERATE_LENGTH`, ``temperature`` above 0 (0 with no ``method``:
        greedy) to :data:`zoo.decoding.MAX_TEMPERATURE`, ``top_k`` at least 1, ``top_p`` in
        ``(0, 1]``, ``beam_width`` 1 to :data:`zoo.decoding.MAX_BEAM`, ``seed`` 0 to 2**32 - 1;
        a sampling setting or ``seed`` with ``method="greedy"`` or ``"beam"``, or ``beam_width``
        without ``method="beam"``, is refused (:func:`zoo.limits.check_generation`, which the
        CLI calls before loading the model)."""
        method, length, temperature, top_k, top_p, beam_width, seed = self._settings(
            method, length, temperature, top_k, top_p, beam_width, seed)
        self._prefix_ids(prefix)  # a prefix that is not a string is refused now, not later
        if method == "beam":
            return self._stream_beam(prefix, length, beam_width)
        return self._stream(prefix, length, temperature if method == "sample" else 0.0,
                            top_k, top_p, seed)

    def _settings(self, method, length, temperature, top_k, top_p, beam_width, seed):
        """The generation settings checked (:func:`zoo.limits.check_generation`), with their
        defaults filled and ``top_k`` at most the vocabulary's size."""
        method, length, temperature, top_k, top_p, beam_width, seed = limits.check_generation(
            method, temperature, top_k, top_p, beam_width, length, seed)
        if top_k is not None:
            top_k = min(top_k, len(self.vocabulary))
        return method, length, temperature, top_k, top_p, beam_width, seed

    def _chunk_function(self, mode):
        """The compiled loop that writes up to :data:`GENERATE_CHUNK` characters in one call:
        ``(logits (1, vocab), states, uniforms (GENERATE_CHUNK,) float64, count, temperature,
        top_k, top_p) -> (ids (GENERATE_CHUNK,), logits, states)``; each character is the argmax
        (``mode`` ``"greedy"``) or drawn with :func:`zoo.decoding.sample_from_uniform` from the
        next uniform (``"sample"``; ``"nucleus"`` with ``top_p`` too: a loop of its own, so
        plain sampling does not pay for the nucleus's sort), then read by the step, so the
        returned logits and states continue the text. Only the first ``count`` ids are
        written."""
        if mode not in self._chunks:
            step = self._step_function()
            positions = keras.ops.arange(GENERATE_CHUNK, dtype="int32")
            vocab, sizes = len(self.vocabulary), self._state_sizes

            def run(logits, states, uniforms, count, temperature, top_k, top_p):
                def cond(t, logits, states, ids):
                    return t < count

                def body(t, logits, states, ids):
                    if mode == "greedy":
                        token = keras.ops.cast(keras.ops.argmax(logits[0]), "int32")
                    else:
                        token = decoding.sample_from_uniform(
                            logits[0], uniforms[t], temperature=temperature, top_k=top_k,
                            top_p=top_p if mode == "nucleus" else None)
                    ids = keras.ops.where(positions == t, token, ids)
                    logits, states = step(keras.ops.reshape(token, (1, 1)), states)
                    # the step's trace may leave the batch unknown (once beam search called it
                    # with several rows); the loop needs the shapes it started with
                    return (t + 1, keras.ops.reshape(logits, (1, vocab)),
                            [keras.ops.reshape(s, (1, n)) for s, n in zip(states, sizes)], ids)

                start = (keras.ops.convert_to_tensor(0, "int32"), logits, list(states),
                         keras.ops.zeros((GENERATE_CHUNK,), "int32"))
                _, logits, states, ids = keras.ops.while_loop(cond, body, start)
                return ids, logits, states

            self._chunks[mode] = runtime.compile_function(run)
        return self._chunks[mode]

    def _stream(self, prefix, length, temperature, top_k, top_p, seed):
        """Greedy (``temperature`` 0) or sampled characters, yielded one by one."""
        if length == 0:
            return
        rng = np.random.default_rng(seed)  # the same seed, the same text
        if keras.backend.backend() == "tensorflow":
            yield from self._stream_compiled(prefix, length, temperature, top_k, top_p, rng)
        else:  # JAX computes in float32 unless told otherwise: NumPy samples the same text
            yield from self._stream_stepwise(prefix, length, temperature, top_k, top_p, rng)

    def _stream_stepwise(self, prefix, length, temperature, top_k, top_p, rng):
        """One compiled step per character, each drawn on the host with
        :func:`zoo.decoding.sample_next_numpy`."""
        step = self._step_function()
        logits, states = self.read(prefix)
        for index in range(length):
            token = decoding.sample_next_numpy(keras.ops.convert_to_numpy(logits),
                                               temperature=temperature, top_k=top_k,
                                               top_p=top_p, rng=rng)
            yield "".join(self.vocabulary.decode([token]))
            if index + 1 < length:
                logits, states = step(np.array([[token]], dtype="int32"), states)

    def _stream_compiled(self, prefix, length, temperature, top_k, top_p, rng):
        """:meth:`_stream` in compiled chunks: the uniforms the NumPy loop would draw one per
        character are drawn per chunk from the same generator (``rng.random(n)`` is ``n``
        draws of ``rng.random()``), and the loop samples as :func:`decoding.sample_next_numpy`
        does, so the text is the same; the interpreter lock is released while a chunk runs."""
        greedy = float(temperature) <= 0.0
        mode = "greedy" if greedy else "nucleus" if top_p is not None and top_p < 1 else "sample"
        run = self._chunk_function(mode)
        logits, states = self.read(prefix)
        settings = (keras.ops.convert_to_tensor(float(temperature) if not greedy else 1.0,
                                                "float64"),
                    keras.ops.convert_to_tensor(top_k or len(self.vocabulary), "int32"),
                    keras.ops.convert_to_tensor(1.0 if top_p is None else top_p, "float64"))
        uniforms = np.zeros(GENERATE_CHUNK, np.float64)
        for done in range(0, length, GENERATE_CHUNK):
            count = min(GENERATE_CHUNK, length - done)
            if not greedy:
                uniforms[:count] = rng.random(count)
            ids, logits, states = run(logits, states, keras.ops.convert_to_tensor(uniforms),
                                      keras.ops.convert_to_tensor(count, "int32"), *settings)
            ids = keras.ops.convert_to_numpy(ids)[:count]
            for token in ids:
                yield "".join(self.vocabulary.decode([int(token)]))

    def _beam_step_function(self):
        """The step :func:`zoo.decoding.beam_search` calls: ``(ids (beams,), states) ->
        (log-probabilities (beams, vocab), states, None)``, the beams' states one batch, so
        every step is one call of the step model for all of them. One object per model:
        the decoding module keeps its compiled searches on it."""
        if self._beam_step is None:
            step = self._step_function()
            vocab, sizes = len(self.vocabulary), self._state_sizes

            def beam_step(token_ids, states):
                logits, states = step(keras.ops.reshape(token_ids, (-1, 1)), states)
                # the step's trace may leave the batch unknown; the search's loop needs the
                # shapes it started with
                beams = token_ids.shape[0] or -1
                return (keras.ops.reshape(keras.ops.log_softmax(logits, axis=-1), (beams, vocab)),
                        [keras.ops.reshape(s, (beams, n)) for s, n in zip(states, sizes)], None)

            self._beam_step = beam_step
        return self._beam_step

    def beam(self, prefix, *, length, beam_width=DEFAULT_BEAM_WIDTH):
        """The ``beam_width`` continuations of ``prefix`` beam search finds, best first: a list
        of ``(text, log-probability)`` pairs, the natural log of each text's probability under
        the model after ``prefix`` (:meth:`generate` with ``method="beam"`` is the first text).

        An empty prefix is the start of a paragraph, as for greedy and sampled text (the model
        reads :attr:`start_character` from a zero state). Beam search looks for the most
        probable text, and for a model trained on indented or padded text that can be a run of
        spaces: ``char_gru.english_broad`` after an empty prefix gives 40 spaces, log-probability
        -10.0, where the greedy text scores -30.9 (a prefix of a few words avoids it).
        """
        _, length, _, _, _, beam_width, _ = self._settings(
            "beam", length, None, None, None, beam_width, None)
        ids = self._prefix_ids(prefix)
        if length == 0:
            return [("", 0.0)]
        # the prefix but its last character read at once; the search starts from the last
        states = self.initial_states()
        if len(ids) > 1:
            states = self._read_ids(ids[:-1], states)[1]
        # lengths share compiled searches by powers of two (a trace is seconds, a step of the
        # longer buffer microseconds)
        capacity = max(GENERATE_CHUNK, 1 << (length - 1).bit_length())
        found = decoding.beam_search(self._beam_step_function(), list(states), [ids[-1]],
                                     beam_width=beam_width, max_length=length, end_id=None,
                                     length_penalty=0.0, capacity=capacity)
        # the search's tokens are cut at max_length (= length): no end token ends a text
        return [("".join(self.vocabulary.decode([int(t) for t in tokens])),
                 float(score)) for tokens, score in zip(found.tokens[0], found.scores[0])
                if score > decoding.NEG / 2]  # fewer candidates than beams: no filler

    def _stream_beam(self, prefix, length, beam_width):
        if length == 0:
            return
        yield from self.beam(prefix, length=length, beam_width=beam_width)[0][0]

    def bits_per_char(self, text, *, batch_size=64, read_on=False):
        """Cross-entropy of a raw text under the model, in bits per character.

        By default the text is measured as the held-out splits are: in windows of the training
        sequence length, each read from a zero state, each character after the first predicted
        once. ``read_on=True`` reads it on as generation does, the recurrent state carried from
        one window to the next: the text is cut into at most ``batch_size`` consecutive parts
        (each at least a window long, as equal as can be) read side by side, so every character
        but a part's first is predicted with all of its part before it. A model that uses more
        than a window of context scores lower this way.
        """

        batch_size = check_number(batch_size, "batch_size", whole=True, low=1, high=65_536)
        if not isinstance(text, str) or len(text) < 2:
            raise DataError("bits_per_char needs a text of at least two characters")
        if not isinstance(read_on, bool):
            raise ConfigError(f"read_on must be True or False, got {kind_of(read_on)}")
        length = self.preprocessor.sequence_length
        ids = self.preprocessor(text)
        if len(ids) < 2:
            raise DataError(f"after normalisation the text has {len(ids)} character(s) "
                            "(control and format characters are removed); bits_per_char needs "
                            "at least two")
        if read_on:
            return self._read_on_measure(np.asarray(ids, dtype=np.int32), length,
                                         batch_size)["bits_per_char"]
        dataset = windows_dataset(ids, sequence_length=length, batch_size=batch_size)
        return self.evaluate(dataset)["bits_per_char"]

    def _read_on_measure(self, ids, length, batch_size):
        """:meth:`evaluate`'s figures of ``ids`` read on (see :meth:`bits_per_char`)."""
        predicted = len(ids) - 1
        parts = max(1, min(batch_size, predicted // length))
        # part k gets predicted // parts predictions, one more for the first predicted % parts
        sizes = [predicted // parts + (k < predicted % parts) for k in range(parts)]
        span = math.ceil(sizes[0] / length) * length  # read in whole windows, the rest weight 0

        def cut(values):
            rows = np.zeros((parts, span), dtype=values.dtype)
            for row, piece in zip(rows, np.split(values, np.cumsum(sizes)[:-1])):
                row[:len(piece)] = piece
            return rows

        inputs, targets = cut(ids[:-1]), cut(ids[1:])
        weights = cut(np.ones(predicted, dtype=np.float32))
        if self._read_on is None:
            carrying = self._carrying_model()
            self._read_on = runtime.compile_function(
                lambda window, states: carrying([window, *states], training=False))
        states = self.initial_states(parts)
        totals = np.zeros(3)
        for start in range(0, span, length):
            window = slice(start, start + length)
            logits, *states = self._read_on(keras.ops.convert_to_tensor(inputs[:, window]),
                                            states)
            totals += _scores(logits, targets[:, window], weights[:, window])
        return _figures(*totals)

    # -- training hooks (see zoo.training) ------------------------------------------------------

    @classmethod
    def prepare(cls, model_name, options, request, assets=None):
        """Read the text, build (or reuse) the character vocabulary and fill ``vocab_size``."""

        # the sequence length is a recipe setting: the run's, a saved model's, else the default
        recipe = dict(get_spec(model_name).train)
        recipe.update((assets or {}).get("train") or {})
        recipe.update(getattr(request, "recipe", None) or {})
        # a saved model's vocabulary and normalisation; a new model normalises (plain-1)
        vocabulary, normalization = None, NORMALIZATION
        if (assets or {}).get("preprocessor"):
            saved = CharPreprocessor.from_config(assets["preprocessor"])
            vocabulary, normalization = saved.vocabulary, saved.normalization
        length = int(recipe.get("sequence_length", DEFAULT_SEQUENCE_LENGTH))
        data = load_char_data(request.dataset, sequence_length=length,
                              batch_size=request.batch_size,
                              validation_fraction=request.validation_fraction,
                              test_data=request.test_data, data_dir=request.data_dir,
                              vocabulary=vocabulary, train_size=request.train_size,
                              seed=request.seed, normalization=normalization)
        options = dict(options)
        size = len(data.vocabulary)
        if options.get("vocab_size") not in (None, size):
            raise ConfigError(f"{model_name} was asked for vocab_size={options['vocab_size']} "
                              f"but the text has {size} characters (specials included); leave "
                              "vocab_size out, the data sets it")
        options["vocab_size"] = size
        info = data.info
        chars = info["characters"]
        test = f"{info['test_name']} ({chars['test']:,})" if info.get("test_name") \
            else f"{chars.get('test', 0):,}"
        if request.dataset is None:  # a saved model on a test text alone
            return Prepared(train=None, validation=None, test=data.test, options=options,
                            assets={"preprocessor": saved.to_dict()}, data_info=info,
                            summary=f"{test} test characters alone, windows of {length}")
        return Prepared(
            train=data.train, validation=data.validation, test=data.test, options=options,
            assets={"preprocessor": CharPreprocessor(data.vocabulary, length,
                                                     normalization=normalization).to_dict()},
            data_info=info,
            summary=f"{info['name']} [{info['source']}], {size} characters in the vocabulary, "
                    f"{chars['train']:,} train / {chars.get('validation', 0):,} validation / "
                    f"{test} test characters, windows of {info['sequence_length']}")

    @staticmethod
    def compile_model(model, optimizer):
        model.compile(optimizer=optimizer,
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      weighted_metrics=["sparse_categorical_accuracy"])

    def _logits_function(self):
        if self._logits is None:
            model = self.model
            self._logits = runtime.compile_function(lambda ids: model(ids, training=False))
        return self._logits

    def evaluate(self, dataset):
        """Bits per character, perplexity, accuracy and character count of a batched dataset of
        ``(inputs, targets, weights)`` windows; padding (weight 0) is left out."""
        logits_of = self._logits_function()
        totals = np.zeros(3)
        for inputs, targets, weights in dataset:
            totals += _scores(logits_of(inputs), targets, weights)
        return _figures(*totals)

    # -- export (see zoo.export) ----------------------------------------------------------------

    def export_refusal(self, format):
        if format == "litert":
            return ("litert cannot hold the character model's recurrent loop without "
                    "TensorFlow's Flex ops, which the LiteRT interpreter lacks; export --format "
                    "onnx or saved_model")
        return None

    def sample_inputs(self, count=4, seed=0):
        rng = np.random.default_rng(seed)
        low = len(self.vocabulary.specials)
        return rng.integers(low, len(self.vocabulary), size=(count, 24)).astype(np.int32)

    def export_meta(self):
        vocab = self.vocabulary
        return {**super().export_meta(), "vocabularies": {"vocabulary": "vocab.json"},
                "special_ids": {t: vocab.id(t) for t in vocab.specials}}

    def export_files(self):
        return {"vocab.json": list(self.vocabulary.tokens)}

    def export_endpoints(self, archive):
        model = self.model
        step_model = build_step_model(model)
        sizes = state_sizes(model)
        archive.add_endpoint("serving_default",
                             lambda ids: {"logits": model(ids, training=False)},
                             [tf.TensorSpec((None, None), tf.int32, name="ids")])

        def step(ids, states):
            logits, *new = step_model([ids, *[states[f"state{i}"] for i in range(len(sizes))]],
                                      training=False)
            return {"logits": logits, **{f"next_state{i}": s for i, s in enumerate(new)}}

        archive.add_endpoint("step", step, [
            tf.TensorSpec((None, None), tf.int32, name="ids"),
            {f"state{i}": tf.TensorSpec((None, n), tf.float32, name=f"state{i}")
             for i, n in enumerate(sizes)}])
        return ["serving_default", "step"]

    def export_check(self, loaded):
        x = self.sample_inputs()
        return loaded.serving_default(tf.constant(x))["logits"].numpy(), self.keras_output(x)
