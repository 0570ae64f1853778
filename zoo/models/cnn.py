"""Convolutional networks: stacks of convolution + pooling blocks, and their feature maps.

Read in this order: the block, the model builder, the feature-map helper, then the registered
variants.
"""

import math

import keras
import numpy as np

from zoo.checks import check_array, check_kind, check_texts
from zoo.errors import ConfigError
from zoo.registry import register_model


def conv_block(x, filters, *, kernel_size, padding, activation, batch_norm, pooling, pool_size,
               dropout, kernel_initializer, name):
    """One or more convolutions -> (batch norm) -> activation, then pooling and (dropout)."""
    for index, width in enumerate(filters, start=1):
        x = keras.layers.Conv2D(int(width), kernel_size, padding=padding, use_bias=not batch_norm,
                                kernel_initializer=kernel_initializer,
                                name=f"{name}_conv{index}")(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(name=f"{name}_bn{index}")(x)
        x = keras.layers.Activation(activation, name=f"{name}_act{index}")(x)
    if pooling == "max":
        x = keras.layers.MaxPooling2D(pool_size, name=f"{name}_pool")(x)
    elif pooling == "avg":
        x = keras.layers.AveragePooling2D(pool_size, name=f"{name}_pool")(x)
    elif pooling is not None:
        raise ValueError(f"pooling must be 'max', 'avg' or None, got {pooling!r}")
    if dropout:
        x = keras.layers.Dropout(dropout, name=f"{name}_dropout")(x)
    return x


def _per_block(value, count, what):
    """Expand a single value to one per block, or check a per-block list has `count` items."""
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            raise ValueError(f"{what} has {len(value)} entries but there are {count} blocks")
        return list(value)
    return [value] * count


def build_cnn(*, input_shape=(28, 28, 1), num_classes=10, filters=(32, 64), kernel_size=3,
              padding="valid", activation="relu", batch_norm=False, pooling="max", pool_size=2,
              block_dropout=0.0, dense_units=(), dropout=0.5, global_pooling=False,
              kernel_initializer="glorot_uniform", name="cnn"):
    """Build a convolutional classifier from blocks of convolution and pooling.

    Each entry of ``filters`` is one block: an int is one convolution, a list of ints several
    convolutions before the block's pooling (``(64, (128, 128))`` = one block of one conv, one of
    two). Then the feature map is flattened (or globally averaged), passed through optional dense
    layers, dropout, and a softmax.

    Args:
        input_shape: ``(height, width, channels)`` of one image.
        num_classes: number of output classes.
        filters: convolution widths per block, see above.
        kernel_size: convolution kernel size, one for all blocks or one per block.
        padding: ``"valid"`` or ``"same"``, one for all blocks or one per block.
        activation: activation after each convolution and dense layer.
        batch_norm: batch normalization before each convolution's activation.
        pooling: ``"max"``, ``"avg"`` or ``None`` after each block.
        pool_size: pooling window (and stride).
        block_dropout: dropout rate after each block's pooling.
        dense_units: widths of the dense layers between the features and the output.
        dropout: dropout rate before each dense layer and the output layer.
        global_pooling: global average pooling instead of flattening the last feature map.
        kernel_initializer: initializer of every kernel.
        name: the model's name.

    Returns:
        An uncompiled ``keras.Model`` mapping images in [0, 1] to class probabilities.

    Example:
        >>> model = build_cnn(filters=(32, 64), kernel_size=3, dropout=0.5)
        >>> model.count_params()
        34826
    """
    if int(num_classes) < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}")
    blocks = [list(f) if isinstance(f, (list, tuple)) else [f] for f in filters]
    if not blocks:
        raise ValueError("filters must name at least one block")
    kernels = _per_block(kernel_size, len(blocks), "kernel_size")
    paddings = _per_block(padding, len(blocks), "padding")

    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = inputs
    for index, widths in enumerate(blocks, start=1):
        x = conv_block(x, widths, kernel_size=kernels[index - 1], padding=paddings[index - 1],
                       activation=activation, batch_norm=batch_norm, pooling=pooling,
                       pool_size=pool_size, dropout=block_dropout,
                       kernel_initializer=kernel_initializer, name=f"block{index}")
    if global_pooling:
        x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
    else:
        x = keras.layers.Flatten(name="flatten")(x)
    for index, units in enumerate(dense_units, start=1):
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dense{index}_dropout")(x)
        x = keras.layers.Dense(int(units), activation=activation,
                               kernel_initializer=kernel_initializer, name=f"dense{index}")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    x = keras.layers.Dense(int(num_classes), kernel_initializer=kernel_initializer,
                           name="logits")(x)
    outputs = keras.layers.Activation("softmax", dtype="float32", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=name)


_MAP_LAYERS = (keras.layers.Conv2D, keras.layers.Activation, keras.layers.MaxPooling2D,
               keras.layers.AveragePooling2D)


def feature_map_layers(model):
    """Names of the layers of ``model`` whose outputs are 2-D feature maps, input to output."""
    return [layer.name for layer in model.layers
            if isinstance(layer, _MAP_LAYERS) and len(layer.output.shape) == 4]


MAX_BATCH = 1024  # images whose feature maps one call computes (about 400 kB of maps each)


def feature_maps(model, images, layer_names=None):
    """Intermediate feature maps of a CNN for a batch of images.

    Args:
        model: a built model (any functional ``keras.Model`` with 2-D convolutions).
        images: array of shape ``(batch, height, width, channels)`` (or one image without the
            batch axis), preprocessed as the model expects (for image files, a task's
            ``preprocess([...])`` makes that array).
        layer_names: which layers to read; default: every convolution, activation and pooling
            layer with a 2-D output (:func:`feature_map_layers`).

    Returns:
        A dict ``{layer_name: array of shape (batch, h, w, channels)}`` in network order.

    Example:
        >>> maps = feature_maps(zoo.build("mnist_convnet"), np.zeros((1, 28, 28, 1)))
        >>> maps["block1_conv1"].shape
        (1, 26, 26, 32)
    """
    model = check_kind(model, "feature_maps' model", keras.Model,
                       "a keras.Model (zoo.build(...), or a task's .model)")
    shape = tuple(model.input_shape[1:])
    if isinstance(images, np.ndarray) and images.ndim == len(shape):
        images = images[None]
    images = check_array(images, "feature_maps' images", shape=(None,) + shape,
                         max_items=MAX_BATCH * math.prod(shape),  # the maps are ~100x larger
                         hint="for image files, a task's preprocess([...]) makes this array")
    if layer_names is None:
        layer_names = feature_map_layers(model)
    layer_names = check_texts(layer_names, "layer_names")
    if not layer_names:
        raise ConfigError(f"layer_names is empty; name layers of {feature_map_layers(model)}")
    known = {layer.name for layer in model.layers}
    missing = [n for n in layer_names if n not in known]
    if missing:
        raise ConfigError(f"model {model.name!r} has no layer {missing[0]!r}; "
                         f"feature-map layers: {feature_map_layers(model)}")
    probe = keras.Model(model.input, [model.get_layer(n).output for n in layer_names])
    outputs = probe(images, training=False)
    if len(layer_names) == 1:
        outputs = [outputs]
    return {n: keras.ops.convert_to_numpy(o) for n, o in zip(layer_names, outputs)}


_RECIPE = {"optimizer": "adam", "learning_rate": 1e-3, "batch_size": 128, "epochs": 15}

register_model(
    "mnist_convnet", family="cnn", task="image_classification", builder=build_cnn,
    defaults={"filters": (32, 64), "kernel_size": 3, "dropout": 0.5, "dense_units": ()},
    description="The classic Keras MNIST convnet: two conv(3x3)+max-pool blocks"
                "{dense_units:dense}, dropout, softmax (inputs 28x28x1, 10 classes).",
    # keras.io trains 15 epochs at a constant rate (99.16% test accuracy in our run); a cosine
    # decay and random shifts of up to 2 pixels lift it above 99.2% (README, "Figures").
    train=dict(_RECIPE, epochs=20, schedule="cosine", augment_shift=2),
    reference="keras.io/examples/vision/mnist_convnet",
)
register_model(
    "lenet5", family="cnn", task="image_classification", builder=build_cnn,
    defaults={"filters": (6, 16), "kernel_size": 5, "padding": ("same", "valid"),
              "activation": "tanh", "pooling": "avg", "dense_units": (120, 84), "dropout": 0.0},
    description="LeNet-5: two tanh conv(5x5)+average-pool blocks and dense 120-84 "
                "(61,706 parameters at 28x28x1).",
    train=dict(_RECIPE, epochs=10),
    reference="LeCun et al. 1998, Gradient-based learning applied to document recognition",
)
register_model(
    "alexnet_small", family="cnn", task="image_classification", builder=build_cnn,
    defaults={"input_shape": (32, 32, 3), "filters": (64, 192, (384, 256, 256)),
              "kernel_size": (5, 5, 3), "padding": "same", "batch_norm": True,
              "dense_units": (512, 512), "dropout": 0.5},
    description="A small AlexNet for 32x32 colour images: five convolutions in three "
                "max-pooled blocks, batch norm, two dropout dense layers.",
    train=dict(_RECIPE, epochs=30),
    reference="Krizhevsky, Sutskever & Hinton 2012 (scaled to 32x32)",
)
