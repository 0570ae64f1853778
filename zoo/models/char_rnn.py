"""Character language models: an embedding, stacked recurrent layers and per-character logits.

The explainer's RNN example: read "Hell", predict "o". A model reads integer character ids of
shape ``(batch, time)`` and gives, at every position, the logits of the next character, shape
``(batch, time, vocab)``. The ids come from a character :class:`zoo.text.Vocabulary` built from
the training text (see :class:`zoo.tasks.TextGenerator`, which also generates text).

Read in this order: the block, the model builder, the step-model helper, then the registered
variants.
"""

import keras

from zoo.registry import register_model

RNN_LAYERS = {"simple": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM,
              "gru": keras.layers.GRU}


def recurrent_block(x, kind, units, *, dropout, name):
    """One recurrent layer over the whole sequence, then (dropout).

    The layer also returns its final state (``return_state=True``): training ignores it, the step
    model of :func:`build_step_model` feeds it back in to carry the text forward.
    """
    layer = RNN_LAYERS[kind](units, return_sequences=True, return_state=True, name=name)
    x = layer(x)[0]
    if dropout:
        x = keras.layers.Dropout(dropout, name=f"{name}_dropout")(x)
    return x


def build_char_lm(*, vocab_size=None, embedding_dim=64, rnn="lstm", units=256, num_layers=2,
                  dropout=0.2, name="char_lm"):
    """Build a character-level language model.

    Args:
        vocab_size: number of character ids, special tokens included; filled in from the
            training text by the task's ``prepare`` (``None`` until then).
        embedding_dim: size of the learned vector of each character.
        rnn: the recurrent layer: ``"simple"`` (Elman SimpleRNN), ``"lstm"`` or ``"gru"``.
        units: width of every recurrent layer.
        num_layers: how many recurrent layers are stacked.
        dropout: dropout rate after each recurrent layer (0 for none).
        name: the model's name.

    Returns:
        An uncompiled ``keras.Model`` mapping int ids ``(batch, time)`` to float32 logits
        ``(batch, time, vocab_size)`` of the next character.

    Example:
        >>> model = build_char_lm(vocab_size=60, rnn="gru", units=128, num_layers=1)
        >>> model.output_shape
        (None, None, 60)
    """
    if vocab_size is None:
        raise ValueError("vocab_size is not set: it comes from the training text's vocabulary "
                         "(train the model with `zoo train`, or pass vocab_size=N)")
    if int(vocab_size) < 3:
        raise ValueError(f"vocab_size must be at least 3 (two special tokens and a character), "
                         f"got {vocab_size}")
    if rnn not in RNN_LAYERS:
        raise ValueError(f"rnn must be one of {sorted(RNN_LAYERS)}, got {rnn!r}")
    if int(num_layers) < 1 or int(units) < 1 or int(embedding_dim) < 1:
        raise ValueError("num_layers, units and embedding_dim must be at least 1")
    if not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")

    inputs = keras.Input(shape=(None,), dtype="int32", name="ids")
    x = keras.layers.Embedding(int(vocab_size), int(embedding_dim), name="embedding")(inputs)
    for index in range(1, int(num_layers) + 1):
        x = recurrent_block(x, rnn, int(units), dropout=float(dropout), name=f"rnn{index}")
    # float32 logits keep the softmax and the loss exact under a mixed-precision policy.
    outputs = keras.layers.Dense(int(vocab_size), dtype="float32", name="logits")(x)
    return keras.Model(inputs, outputs, name=name)


def recurrent_layers(model):
    """The recurrent layers of a character model, first to last."""
    return [layer for layer in model.layers if isinstance(layer, keras.layers.RNN)]


def state_sizes(model):
    """The width of every state tensor the step model carries, in its input order."""
    sizes = []
    for layer in recurrent_layers(model):
        width = int(layer.cell.units)
        sizes += [width, width] if isinstance(layer, keras.layers.LSTM) else [width]
    return sizes


def build_step_model(model):
    """A model sharing ``model``'s layers that carries the recurrent states in and out.

    Inputs are ``[ids (batch, time), *states]`` (every state ``(batch, units)``, zeros to start;
    two per LSTM layer, one per GRU or SimpleRNN layer); outputs are
    ``[logits (batch, time, vocab), *new_states]``. Feeding the new states back with the next
    ids continues the text exactly where it stopped, so generation reads each character once.

    Example:
        >>> step = build_step_model(model)  # doctest: +SKIP
        >>> logits, *states = step(  # doctest: +SKIP
        ...     [ids, *[np.zeros((1, n)) for n in state_sizes(model)]])
    """
    ids = keras.Input(shape=(None,), dtype="int32", name="ids")
    states_in = [keras.Input(shape=(size,), name=f"state{index}")
                 for index, size in enumerate(state_sizes(model))]
    x, states_out, used = ids, [], 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.layers.RNN):
            count = 2 if isinstance(layer, keras.layers.LSTM) else 1
            x, *new = layer(x, initial_state=states_in[used:used + count])
            states_out += new
            used += count
        else:
            x = layer(x)
    return keras.Model([ids, *states_in], [x, *states_out], name=f"{model.name}_step")


_RECIPE = {"optimizer": "adam", "learning_rate": 2e-3, "batch_size": 128, "epochs": 20,
           "clipnorm": 5.0, "sequence_length": 100}

register_model(
    "char_rnn", family="char_rnn", task="language_model", builder=build_char_lm,
    defaults={"rnn": "simple", "units": 256, "num_layers": 2, "dropout": 0.1},
    description="Character language model with {num_layers:words} Elman SimpleRNN "
                "layer{num_layers:s} of {units} units: the "
                "plain recurrent net, which struggles to remember far back.",
    train=dict(_RECIPE, learning_rate=1e-3, sequence_length=50),
    reference="Elman 1990, Finding structure in time",
)
register_model(
    "char_lstm", family="char_rnn", task="language_model", builder=build_char_lm,
    defaults={"rnn": "lstm", "units": 256, "num_layers": 2, "dropout": 0.2},
    description="Character language model with {num_layers:words} LSTM layer{num_layers:s} of "
                "{units} units (Karpathy's "
                "char-rnn): reads text one character at a time and generates more of it.",
    train=_RECIPE,
    reference="Hochreiter & Schmidhuber 1997; Karpathy 2015, The unreasonable effectiveness "
              "of recurrent neural networks",
)
register_model(
    "char_gru", family="char_rnn", task="language_model", builder=build_char_lm,
    defaults={"rnn": "gru", "units": 256, "num_layers": 2, "dropout": 0.2},
    description="Character language model with {num_layers:words} GRU layer{num_layers:s} of "
                "{units} units: gated like the "
                "LSTM with one state instead of two.",
    train=_RECIPE,
    reference="Cho et al. 2014",
)
