"""Encoder-decoder translation: one RNN reads the source sentence, a second writes the target.

The explainer's translator. The encoder (a GRU or LSTM, optionally bidirectional) reads the
source token ids; its final state starts the decoder, which is trained with teacher forcing: it
reads the target sentence shifted right (``<s> y1 y2 ...``) and predicts it (``y1 y2 ... </s>``).
Without attention the whole source must pass through that one state (Sutskever et al. 2014, who
also fed the source reversed); with attention the decoder looks back at every encoder output at
every step:

- ``"bahdanau"`` (additive, Bahdanau et al. 2015): the previous decoder state scores each encoder
  output with ``v . tanh(W_q s + W_k h)``; the context vector is fed into the recurrent cell with
  the target embedding, and the output layer reads the new state and the context.
- ``"luong"`` (multiplicative, "general" score of Luong et al. 2015): the new decoder state
  ``h_t`` scores each encoder output with ``h_t . W_a h_s``; the attentional state
  ``tanh(W_c [context; h_t])`` feeds the output layer (no input feeding).

Padding in the source (id 0) is masked in the encoder and in the attention.

A model maps ``[source_ids (batch, S), target_in_ids (batch, T)]`` to float32 logits
``(batch, T, target_vocab_size)``. For inference, :func:`encoder_function` and
:func:`decoder_step_function` share the trained layers and plug into :mod:`zoo.decoding`.

Read in this order: the attention blocks, the recurrent decoder, the model builder, the inference
helpers, then the registered variants.
"""

import keras
from keras import ops

from zoo.registry import register_model

RNN_CELLS = {"gru": keras.layers.GRUCell, "lstm": keras.layers.LSTMCell}
RNN_LAYERS = {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM}
ATTENTIONS = (None, "bahdanau", "luong")


def _attend(scores, memory, mask):
    """Softmax of ``scores`` (batch, S) over the unmasked source positions, and the context."""
    scores = ops.where(mask, ops.cast(scores, "float32"), -1e9)
    weights = ops.softmax(scores, axis=-1)
    context = ops.sum(ops.expand_dims(ops.cast(weights, memory.dtype), -1) * memory, axis=1)
    return context, weights


@keras.saving.register_keras_serializable(package="zoo")
class BahdanauAttention(keras.layers.Layer):
    """Additive attention: ``score(s, h_j) = v . tanh(W_q s + W_k h_j)``.

    ``keys(memory)`` computes ``W_k h_j`` once per sentence; ``call(query, keys, memory, mask)``
    returns the context vector ``(batch, memory_dim)`` and the weights ``(batch, S)``.
    """

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.query_dense = keras.layers.Dense(self.units, use_bias=False, name="query")
        self.key_dense = keras.layers.Dense(self.units, name="key")
        self.score_dense = keras.layers.Dense(1, use_bias=False, name="score")

    def build(self, query_shape, memory_shape):
        self.query_dense.build(tuple(query_shape))
        self.key_dense.build(tuple(memory_shape))
        self.score_dense.build((None, None, self.units))
        self.built = True

    def keys(self, memory):
        return self.key_dense(memory)

    def call(self, query, keys, memory, mask):
        hidden = ops.tanh(ops.expand_dims(self.query_dense(query), 1) + keys)
        return _attend(ops.squeeze(self.score_dense(hidden), -1), memory, mask)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="zoo")
class LuongAttention(keras.layers.Layer):
    """Multiplicative ("general") attention: ``score(h_t, h_s) = h_t . W_a h_s``.

    ``keys(memory)`` computes ``W_a h_s`` once per sentence (its width is the query's, ``units``).
    """

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.key_dense = keras.layers.Dense(self.units, use_bias=False, name="key")

    def build(self, query_shape, memory_shape):
        self.key_dense.build(tuple(memory_shape))
        self.built = True

    def keys(self, memory):
        return self.key_dense(memory)

    def call(self, query, keys, memory, mask):
        scores = ops.sum(ops.expand_dims(query, 1) * keys, axis=-1)
        return _attend(scores, memory, mask)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="zoo")
class RecurrentDecoder(keras.layers.Layer):
    """The decoder RNN with optional attention, one cell shared by training and inference.

    ``call([target_embeddings, memory, source_ids, *initial_states])`` runs the decoder over the
    whole (teacher-forced) target sequence with ``keras.ops.scan`` and returns its outputs
    ``(batch, T, output_dim)``; :meth:`step` runs one step of the same computation for decoding.

    Args:
        rnn: ``"gru"`` or ``"lstm"``.
        units: width of the recurrent state.
        attention: ``None``, ``"bahdanau"`` or ``"luong"``.
        attention_units: width of the additive attention's hidden layer (Bahdanau).
    """

    def __init__(self, rnn="gru", units=256, attention=None, attention_units=None, **kwargs):
        super().__init__(**kwargs)
        if rnn not in RNN_CELLS:
            raise ValueError(f"rnn must be one of {sorted(RNN_CELLS)}, got {rnn!r}")
        if attention not in ATTENTIONS:
            raise ValueError(f"attention must be one of {list(ATTENTIONS)}, got {attention!r}")
        self.rnn = rnn
        self.units = int(units)
        self.attention = attention
        self.attention_units = int(attention_units or units)
        self.cell = RNN_CELLS[rnn](self.units, name="cell")
        self.attention_layer = None
        if attention == "bahdanau":
            self.attention_layer = BahdanauAttention(self.attention_units, name="attention")
        elif attention == "luong":
            self.attention_layer = LuongAttention(self.units, name="attention")
            self.combine = keras.layers.Dense(self.units, activation="tanh", name="combine")
        self.memory_dim = None

    @property
    def num_states(self):
        return 2 if self.rnn == "lstm" else 1

    def build(self, input_shape):
        target_shape, memory_shape = input_shape[0], input_shape[1]
        embedding_dim, self.memory_dim = int(target_shape[-1]), int(memory_shape[-1])
        cell_input = embedding_dim + (self.memory_dim if self.attention == "bahdanau" else 0)
        self.cell.build((None, cell_input))
        if self.attention_layer is not None:
            self.attention_layer.build((None, self.units), tuple(memory_shape))
        if self.attention == "luong":
            self.combine.build((None, self.units + self.memory_dim))
        self.built = True

    @property
    def output_dim(self):
        if self.attention == "bahdanau":
            return self.units + self.memory_dim
        return self.units

    def keys(self, memory):
        """What the attention precomputes from the encoder outputs (``None`` without one)."""
        return None if self.attention_layer is None else self.attention_layer.keys(memory)

    def step(self, inputs, states, memory=None, keys=None, mask=None, training=False):
        """One decoder step.

        Args:
            inputs: the embedding of the previous target token, ``(batch, embedding_dim)``.
            states: the recurrent states, a list (``[h]`` for a GRU, ``[h, c]`` for an LSTM).
            memory, keys, mask: the encoder outputs, :meth:`keys` of them, and the source
                mask ``(batch, S)`` (True on real tokens); unused without attention.

        Returns:
            ``(output, new_states, attention_weights)``; the weights are ``None`` without
            attention.
        """
        states = list(states)
        if self.attention == "bahdanau":
            context, weights = self.attention_layer(states[0], keys, memory, mask)
            hidden, new_states = self.cell(ops.concatenate([inputs, context], axis=-1), states,
                                           training=training)
            return ops.concatenate([hidden, context], axis=-1), list(new_states), weights
        hidden, new_states = self.cell(inputs, states, training=training)
        if self.attention == "luong":
            context, weights = self.attention_layer(hidden, keys, memory, mask)
            output = self.combine(ops.concatenate([context, hidden], axis=-1))
            return output, list(new_states), weights
        return hidden, list(new_states), None

    def call(self, inputs, training=None, mask=None):
        # ``mask`` (the embedding's padding mask riding on the encoder outputs) is not needed:
        # the source mask comes from the source ids, and the loss masks the target padding.
        target, memory, source_ids, *states = inputs
        mask = ops.not_equal(source_ids, 0)
        keys = self.keys(memory)

        def one_step(carry, x):
            output, new_states, _ = self.step(x, list(carry[1:]), memory, keys, mask,
                                              training=training)
            carry = (output, *new_states)
            return carry, carry  # the TensorFlow scan wants outputs shaped like the carry

        batch = ops.shape(target)[0]
        first = ops.zeros((batch, self.output_dim), dtype=states[0].dtype)
        _, outputs = ops.scan(one_step, (first, *states), ops.transpose(target, (1, 0, 2)))
        return ops.transpose(outputs[0], (1, 0, 2))

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        target_shape = input_shape[0]
        return (target_shape[0], target_shape[1], self.output_dim)

    def get_config(self):
        return {**super().get_config(), "rnn": self.rnn, "units": self.units,
                "attention": self.attention, "attention_units": self.attention_units}


def build_translator(*, source_vocab_size=8000, target_vocab_size=8000, embedding_dim=128,
                     units=256, rnn="gru", attention=None, attention_units=None,
                     bidirectional=False, dropout=0.2, reverse_source=False, lowercase=False,
                     max_tokens=20, min_count=2, tokenizer="words", subword_model="unigram",
                     name="translator"):
    """Build an RNN encoder-decoder translator (teacher forcing in training).

    Args:
        source_vocab_size: number of source token ids, special tokens included. The
            translation task builds the vocabulary from the training split, keeps at most this
            many tokens, and sets this option to the size it got.
        target_vocab_size: the same for the target language.
        embedding_dim: size of the learned vector of each token (source and target).
        units: width of the encoder and decoder states.
        rnn: ``"gru"`` or ``"lstm"`` (for both encoder and decoder).
        attention: ``None``, ``"bahdanau"`` (additive) or ``"luong"`` (multiplicative).
        attention_units: width of the additive attention's hidden layer (default ``units``).
        bidirectional: read the source in both directions (as Bahdanau et al. did); the two
            final states are concatenated and mapped by a dense tanh "bridge" to the decoder's
            initial state, and the attention sees both directions.
        dropout: dropout rate on the embeddings and the decoder outputs.

    Preprocessing options: the layers do not use them, the translation task does (they are saved
    with the model, so a restored translator preprocesses exactly as in training):

    Args:
        reverse_source: feed the source tokens in reverse order (Sutskever et al. 2014).
        lowercase: lower-case source and target text (BLEU is then case-insensitive; words
            only: refused with ``tokenizer="sentencepiece"``, as are ``min_count`` and
            ``source_vocab_size``).
        max_tokens: the longest sentence (in tokens) used in training; also the longest input
            :meth:`zoo.tasks.Translator.translate` accepts without ``truncate=True``.
        min_count: a token enters a vocabulary when it occurs at least this often in the
            training split; rarer ones become ``<unk>``.
        tokenizer: ``"words"`` (words and punctuation, one vocabulary per language) or
            ``"sentencepiece"`` (subword pieces of one SentencePiece model shared by both
            languages, of at most ``target_vocab_size`` pieces; ``max_tokens`` then counts
            pieces; see :class:`zoo.preprocessing.SubwordPreprocessor`).
        subword_model: the SentencePiece algorithm, ``"unigram"`` or ``"bpe"``.
        name: the model's name.

    Returns:
        An uncompiled ``keras.Model`` mapping ``[source_ids (batch, S), target_in_ids
        (batch, T)]`` (int32, 0 = padding) to float32 logits ``(batch, T, target_vocab_size)``.

    Example:
        >>> model = build_translator(source_vocab_size=500, target_vocab_size=600, units=64,
        ...                          attention="bahdanau")
        >>> model.output_shape
        (None, None, 600)
    """
    for what, value in (("source_vocab_size", source_vocab_size),
                        ("target_vocab_size", target_vocab_size)):
        if int(value) < 5:
            raise ValueError(f"{what} must be at least 5 (4 special tokens and a word), "
                             f"got {value}")
    if rnn not in RNN_LAYERS:
        raise ValueError(f"rnn must be one of {sorted(RNN_LAYERS)}, got {rnn!r}")
    if attention not in ATTENTIONS:
        raise ValueError(f"attention must be one of {list(ATTENTIONS)}, got {attention!r}")
    if int(units) < 1 or int(embedding_dim) < 1:
        raise ValueError("units and embedding_dim must be at least 1")
    if not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    if int(max_tokens) < 1 or int(min_count) < 1:
        raise ValueError("max_tokens and min_count must be at least 1")
    if tokenizer not in ("words", "sentencepiece") or subword_model not in ("unigram", "bpe"):
        raise ValueError(f"tokenizer must be 'words' or 'sentencepiece' and subword_model "
                         f"'unigram' or 'bpe', got {tokenizer!r} and {subword_model!r}")
    units, embedding_dim = int(units), int(embedding_dim)

    source = keras.Input(shape=(None,), dtype="int32", name="source")
    target_in = keras.Input(shape=(None,), dtype="int32", name="target_in")

    x = keras.layers.Embedding(int(source_vocab_size), embedding_dim, mask_zero=True,
                               name="source_embedding")(source)
    if dropout:
        x = keras.layers.Dropout(float(dropout), name="source_dropout")(x)
    encoder = RNN_LAYERS[rnn](units, return_sequences=True, return_state=True, name="encoder_rnn")
    if bidirectional:
        memory, *states = keras.layers.Bidirectional(encoder, name="encoder")(x)
        half = len(states) // 2  # forward states, then backward ones
        states = [keras.layers.Dense(units, activation="tanh", name=f"bridge{index}")(
                      keras.layers.Concatenate(name=f"bridge{index}_concat")(
                          [states[index], states[half + index]]))
                  for index in range(half)]
    else:
        memory, *states = encoder(x)

    y = keras.layers.Embedding(int(target_vocab_size), embedding_dim, name="target_embedding")(
        target_in)
    if dropout:
        y = keras.layers.Dropout(float(dropout), name="target_dropout")(y)
    decoder = RecurrentDecoder(rnn=rnn, units=units, attention=attention,
                               attention_units=attention_units, name="decoder")
    h = decoder([y, memory, source, *states])
    if dropout:
        h = keras.layers.Dropout(float(dropout), name="decoder_dropout")(h)
    logits = keras.layers.Dense(int(target_vocab_size), name="output_projection")(h)
    # float32 logits keep the softmax and the loss exact under a mixed-precision policy.
    logits = keras.layers.Activation("linear", dtype="float32", name="logits")(logits)
    return keras.Model([source, target_in], logits, name=name)


def encoder_function(model):
    """A function ``source_ids (batch, S) -> decoder state`` sharing ``model``'s layers.

    The state is a dict of tensors with the batch first, as :mod:`zoo.decoding` wants it:
    ``rnn`` (the decoder's initial recurrent states) and, with attention, ``memory`` (the encoder
    outputs), ``keys`` (the attention's precomputed keys) and ``mask`` (True on real tokens).
    """
    decoder = model.get_layer("decoder")
    source = model.get_layer("source").output
    _, memory, _, *states = decoder.input
    encoder = keras.Model(source, [memory, *states], name=f"{model.name}_encoder")

    def encode(source_ids):
        memory, *states = encoder(source_ids, training=False)
        state = {"rnn": list(states)}
        if decoder.attention is not None:
            state.update(memory=memory, keys=decoder.keys(memory),
                         mask=ops.not_equal(source_ids, 0))
        return state

    return encode


def decoder_step_function(model):
    """The step function of ``model``'s decoder (the contract of :mod:`zoo.decoding`).

    ``step(token_ids (batch,), state) -> (log_probs (batch, vocab), new_state, attention)``,
    where ``state`` comes from :func:`encoder_function` and ``attention`` is ``(batch, S)`` (or
    ``None`` without attention). Dropout is off.
    """
    embedding = model.get_layer("target_embedding")
    decoder = model.get_layer("decoder")
    projection = model.get_layer("output_projection")

    def step(token_ids, state):
        output, states, weights = decoder.step(
            embedding(token_ids), state["rnn"], state.get("memory"), state.get("keys"),
            state.get("mask"))
        log_probs = ops.log_softmax(ops.cast(projection(output), "float32"), axis=-1)
        return log_probs, {**state, "rnn": states}, weights

    return step


_RECIPE = {"optimizer": "adam", "learning_rate": 2e-3, "batch_size": 64, "epochs": 20,
           "clipnorm": 1.0}

register_model(
    "seq2seq_lstm", family="translation", task="translation", builder=build_translator,
    defaults={"rnn": "lstm", "attention": None, "reverse_source": True},
    description="Sutskever-style encoder-decoder: an LSTM reads the reversed source sentence, "
                "its final state starts an LSTM that writes the translation; no attention.",
    train=_RECIPE,
    reference="Sutskever, Vinyals & Le 2014, Sequence to sequence learning with neural networks",
)
register_model(
    "seq2seq_gru_bahdanau", family="translation", task="translation", builder=build_translator,
    defaults={"rnn": "gru", "attention": "bahdanau", "bidirectional": True},
    description="Bahdanau-style translator: a bidirectional GRU encoder and a GRU decoder with "
                "additive attention over the encoder outputs.",
    train=_RECIPE,
    reference="Bahdanau, Cho & Bengio 2015, Neural machine translation by jointly learning to "
              "align and translate",
)
register_model(
    "seq2seq_lstm_luong", family="translation", task="translation", builder=build_translator,
    defaults={"rnn": "lstm", "attention": "luong"},
    description="Luong-style translator: an LSTM encoder and an LSTM decoder with "
                "multiplicative (general) attention and an attentional tanh layer.",
    train=_RECIPE,
    reference="Luong, Pham & Manning 2015, Effective approaches to attention-based neural "
              "machine translation",
)
