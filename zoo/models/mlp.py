"""Multi-layer perceptrons: from the perceptron (no hidden layer) to deep MLPs.

Read in this order: the block, the model builder, then the registered variants.
"""

import keras

from zoo.registry import register_model


def dense_block(x, units, *, activation, dropout, batch_norm, kernel_initializer, name):
    """Dense -> (batch norm) -> activation -> (dropout)."""
    x = keras.layers.Dense(units, use_bias=not batch_norm, kernel_initializer=kernel_initializer,
                           name=f"{name}_dense")(x)
    if batch_norm:
        x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    x = keras.layers.Activation(activation, name=f"{name}_act")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name=f"{name}_dropout")(x)
    return x


def build_mlp(*, input_shape=(28, 28, 1), num_classes=10, hidden_units=(512, 256),
              activation="relu", dropout=0.2, batch_norm=False,
              kernel_initializer="glorot_uniform", name="mlp"):
    """Build a multi-layer perceptron classifier.

    The input is flattened, passed through one dense block per entry of ``hidden_units`` and
    mapped to class probabilities. With ``hidden_units=()`` it is a perceptron (softmax
    regression): one layer of weights from pixels to classes.

    Args:
        input_shape: shape of one input, e.g. ``(28, 28, 1)``; it is flattened.
        num_classes: number of output classes.
        hidden_units: width of each hidden layer, first to last.
        activation: activation of the hidden layers (any Keras name: ``"relu"``, ``"sigmoid"``...).
        dropout: dropout rate after each hidden layer (0 for none).
        batch_norm: add batch normalization before each hidden activation.
        kernel_initializer: initializer of every dense kernel.
        name: the model's name.

    Returns:
        An uncompiled ``keras.Model`` mapping inputs in [0, 1] to class probabilities.

    Example:
        >>> model = build_mlp(hidden_units=(128,), num_classes=10)
        >>> model.output_shape
        (None, 10)
    """
    if int(num_classes) < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}")
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = keras.layers.Flatten(name="flatten")(inputs)
    for index, units in enumerate(hidden_units, start=1):
        x = dense_block(x, int(units), activation=activation, dropout=dropout,
                        batch_norm=batch_norm, kernel_initializer=kernel_initializer,
                        name=f"hidden{index}")
    x = keras.layers.Dense(int(num_classes), kernel_initializer=kernel_initializer,
                           name="logits")(x)
    # float32 output keeps the softmax exact under a mixed-precision policy.
    outputs = keras.layers.Activation("softmax", dtype="float32", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=name)


_RECIPE = {"optimizer": "adam", "learning_rate": 1e-3, "batch_size": 128, "epochs": 20}

register_model(
    "perceptron", family="mlp", task="image_classification", builder=build_mlp,
    defaults={"hidden_units": (), "dropout": 0.0},
    description="Single-layer perceptron (softmax regression): pixels straight to classes, "
                "no hidden layer.",
    train=dict(_RECIPE, epochs=10),
    reference="Rosenblatt 1958; multinomial logistic regression",
)
register_model(
    "shallow_mlp", family="mlp", task="image_classification", builder=build_mlp,
    defaults={"hidden_units": (512,), "dropout": 0.2},
    description="Shallow MLP: {hidden_units:words} hidden layer{hidden_units:s} of "
                "{hidden_units:dashes} ReLU units with dropout.",
    train=_RECIPE,
)
register_model(
    "deep_mlp", family="mlp", task="image_classification", builder=build_mlp,
    defaults={"hidden_units": (1024, 512, 256), "dropout": 0.3},
    description="Deep MLP: {hidden_units:words} hidden ReLU layer{hidden_units:s} "
                "({hidden_units:dashes}) with dropout.",
    train=dict(_RECIPE, epochs=30, schedule="cosine"),
)
register_model(
    "deep_sigmoid_mlp", family="mlp", task="image_classification", builder=build_mlp,
    defaults={"hidden_units": (256,) * 8, "activation": "sigmoid", "dropout": 0.0},
    description="{hidden_units:Words} sigmoid hidden layer{hidden_units:s}: the textbook case "
                "of vanishing gradients, to "
                "compare with deep_mlp (ReLU) or with batch_norm=True.",
    train=dict(_RECIPE, optimizer="sgd", learning_rate=0.1),
    reference="Glorot & Bengio 2010",
)
