"""Autoencoders: networks that learn to reconstruct their input through a narrow code.

No labels are used: the target is the input itself. What the code layer learns can then be read
out as features (see :mod:`zoo.analysis`: linear probes, the inputs each unit likes best, the
first layer's filters).

- **dense**: the image is flattened, squeezed through dense layers to a ``code`` layer and
  expanded back (Hinton & Salakhutdinov 2006).
- **convolutional**: strided convolutions down to a dense code, transposed convolutions back up.
- **denoising**: the input is corrupted during training only (Gaussian noise, or masking noise
  that sets a random fraction of the pixels to zero), the target stays clean (Vincent et al. 2008).
- **sparse**: an L1 penalty on the code's activations makes each input use few code units
  (Ng 2011; Le et al. 2012, the "cat neuron").

Every model names its layers the same way: ``corruption`` (only with noise), ``code`` (the
features), ``reconstruction`` (the float32 sigmoid output in [0, 1], the input's shape).
:func:`encoder_of` cuts the image-to-code half out as a model of its own, :func:`decoder_of` the
code-to-image half.

Read in this order: the blocks (with the masking-noise layer), the two builders, the helpers
(encoder, decoder), then the registered variants.
"""

import math

import keras

from zoo.registry import register_model
from zoo.errors import ConfigError
from zoo.preprocessing.patches import DEFAULT_IMAGE_SIZE

NOISE_TYPES = ("masking", "gaussian")
CODE_LAYER = "code"
OUTPUT_LAYER = "reconstruction"


@keras.saving.register_keras_serializable(package="zoo")
class MaskingNoise(keras.layers.Layer):
    """Masking noise: during training, set each input value to zero with probability ``rate``.

    Unlike ``Dropout`` the values that are kept are not scaled up, so a corrupted image looks like
    the clean one with pixels missing, as in denoising autoencoders. At inference it does nothing.

    Args:
        rate: the fraction of input values set to zero, in [0, 1).
        seed: seeds the masks (``None``: from the global seed).
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"masking noise rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0.0:
            return inputs
        draw = keras.random.uniform(keras.ops.shape(inputs), seed=self.seed_generator)
        keep = keras.ops.cast(keras.ops.greater_equal(draw, self.rate), inputs.dtype)
        return inputs * keep

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


def corruption(x, *, noise, noise_type, name="corruption"):
    """Input corruption used in training only: masking (fraction zeroed) or Gaussian (stddev)."""
    if noise_type not in NOISE_TYPES:
        raise ValueError(f"noise_type must be one of {NOISE_TYPES}, got {noise_type!r}")
    if not noise:
        return x
    if float(noise) < 0:
        raise ValueError(f"noise must be non-negative, got {noise}")
    if noise_type == "masking":
        return MaskingNoise(float(noise), name=name)(x)
    return keras.layers.GaussianNoise(float(noise), name=name)(x)


def kernel_settings(kernel_initializer, weight_decay):
    """The keyword arguments every kernel of a model gets: its initializer and its L2 penalty."""
    if float(weight_decay) < 0:
        raise ValueError(f"weight_decay must be non-negative, got {weight_decay}")
    regularizer = keras.regularizers.L2(float(weight_decay)) if weight_decay else None
    return {"kernel_initializer": kernel_initializer, "kernel_regularizer": regularizer}


def code_layer(x, code_size, *, activation, sparsity, kernel, name=CODE_LAYER):
    """The code: a dense layer whose activations are the learned features.

    ``sparsity > 0`` adds ``sparsity * sum(|code|)`` (averaged over the batch) to the loss.
    ``kernel`` holds the kernel's initializer and regularizer (:func:`kernel_settings`).
    """
    if int(code_size) < 1:
        raise ValueError(f"code_size must be at least 1, got {code_size}")
    if float(sparsity) < 0:
        raise ValueError(f"sparsity must be non-negative, got {sparsity}")
    regularizer = keras.regularizers.L1(float(sparsity)) if sparsity else None
    return keras.layers.Dense(int(code_size), activation=activation,
                              activity_regularizer=regularizer, name=name, **kernel)(x)


def _dense(x, units, *, activation, batch_norm, kernel, name):
    """Dense -> (batch norm) -> activation."""
    x = keras.layers.Dense(int(units), use_bias=not batch_norm, name=f"{name}_dense",
                           **kernel)(x)
    if batch_norm:
        x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.Activation(activation, name=f"{name}_act")(x)


def _check_input_shape(input_shape):
    shape = tuple(int(d) for d in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"input_shape must be (height, width, channels), got {input_shape}")
    return shape


def build_dense_autoencoder(*, input_shape=(28, 28, 1), code_size=64, hidden_units=(256,),
                            activation="relu", code_activation="relu", noise=0.0,
                            noise_type="masking", sparsity=0.0, weight_decay=0.0,
                            batch_norm=False, kernel_initializer="glorot_uniform",
                            name="dense_autoencoder"):
    """Build a dense autoencoder: image -> hidden layers -> code -> mirrored layers -> image.

    With ``hidden_units=()`` it is the classic single-layer autoencoder: one layer of weights from
    the pixels to the code, whose rows :func:`zoo.analysis.first_layer_filters` shows as images.

    Args:
        input_shape: ``(height, width, channels)`` of one image; values in [0, 1].
        code_size: number of code units (the features).
        hidden_units: widths of the encoder's hidden layers, first to last; the decoder mirrors
            them.
        activation: activation of the hidden layers.
        code_activation: activation of the code layer (``"relu"`` gives non-negative, sparse-able
            codes; ``"sigmoid"`` the classic logistic units; ``"linear"`` an unconstrained code).
        noise: input corruption in training only: the fraction of values zeroed
            (``noise_type="masking"``) or the noise's standard deviation (``"gaussian"``);
            0 for a plain autoencoder.
        noise_type: ``"masking"`` or ``"gaussian"``.
        sparsity: weight of the L1 penalty on the code's activations (0 for none).
        weight_decay: weight of the L2 penalty on every kernel (0 for none). With a sparsity
            penalty it stops the decoder from growing while the code shrinks, and it clears the
            random initial weights that no input ever trains (an MNIST digit's empty border).
        batch_norm: batch normalization in the hidden layers.
        kernel_initializer: initializer of every kernel.
        name: the model's name.

    Returns:
        An uncompiled ``keras.Model`` from images to reconstructions of the same shape, with
        a layer named ``"code"``.

    Example:
        >>> model = build_dense_autoencoder(code_size=32, hidden_units=(128,))
        >>> model.output_shape, model.get_layer("code").output.shape
        ((None, 28, 28, 1), (None, 32))
    """
    shape = _check_input_shape(input_shape)
    kernel = kernel_settings(kernel_initializer, weight_decay)
    inputs = keras.Input(shape=shape, name="image")
    x = corruption(inputs, noise=noise, noise_type=noise_type)
    x = keras.layers.Flatten(name="flatten")(x)
    for index, units in enumerate(hidden_units, start=1):
        x = _dense(x, units, activation=activation, batch_norm=batch_norm, kernel=kernel,
                   name=f"encoder{index}")
    x = code_layer(x, code_size, activation=code_activation, sparsity=sparsity, kernel=kernel)
    for index, units in enumerate(reversed(tuple(hidden_units)), start=1):
        x = _dense(x, units, activation=activation, batch_norm=batch_norm, kernel=kernel,
                   name=f"decoder{index}")
    x = keras.layers.Dense(math.prod(shape), name="decoder_output", **kernel)(x)
    x = keras.layers.Reshape(shape, name="decoder_reshape")(x)
    # float32 output keeps the reconstruction and its loss exact under mixed precision.
    outputs = keras.layers.Activation("sigmoid", dtype="float32", name=OUTPUT_LAYER)(x)
    return keras.Model(inputs, outputs, name=name)


def build_conv_autoencoder(*, input_shape=(28, 28, 1), filters=(32, 64), kernel_size=3,
                           code_size=64, activation="relu", code_activation="relu", noise=0.0,
                           noise_type="masking", sparsity=0.0, weight_decay=0.0,
                           batch_norm=False, kernel_initializer="glorot_uniform",
                           name="conv_autoencoder"):
    """Build a convolutional autoencoder with a dense code.

    The encoder is one stride-2 convolution per entry of ``filters`` (each halves the height and
    width), then a dense ``code`` layer. The decoder maps the code back to the last feature map,
    mirrors the convolutions with stride-2 transposed convolutions and ends in a sigmoid
    convolution with the input's channels.

    Args:
        input_shape: ``(height, width, channels)``; height and width must be divisible by
            ``2 ** len(filters)``.
        filters: the encoder's convolution widths, first to last.
        kernel_size: the convolution kernel size.
        code_size: number of code units (the features).
        activation: activation after each convolution.
        code_activation, noise, noise_type, sparsity, weight_decay: as in
            :func:`build_dense_autoencoder`.
        batch_norm: batch normalization before each convolution's activation.
        kernel_initializer: initializer of every kernel.
        name: the model's name.

    Returns:
        An uncompiled ``keras.Model`` from images to reconstructions of the same shape, with
        a layer named ``"code"``.

    Example:
        >>> model = build_conv_autoencoder(filters=(16, 32), code_size=32)
        >>> model.get_layer("code").output.shape
        (None, 32)
    """
    shape = _check_input_shape(input_shape)
    kernel = kernel_settings(kernel_initializer, weight_decay)
    filters = [int(f) for f in filters]
    if not filters:
        raise ValueError("filters must name at least one convolution")
    factor = 2 ** len(filters)
    if shape[0] % factor or shape[1] % factor:
        raise ValueError(f"input height and width {shape[:2]} must be divisible by {factor} "
                         f"for {len(filters)} stride-2 convolutions; change input_shape or "
                         "filters")

    def conv(x, width, name, transpose=False):
        layer = keras.layers.Conv2DTranspose if transpose else keras.layers.Conv2D
        x = layer(width, kernel_size, strides=2, padding="same", use_bias=not batch_norm,
                  name=f"{name}_conv", **kernel)(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
        return keras.layers.Activation(activation, name=f"{name}_act")(x)

    inputs = keras.Input(shape=shape, name="image")
    x = corruption(inputs, noise=noise, noise_type=noise_type)
    for index, width in enumerate(filters, start=1):
        x = conv(x, width, f"encoder{index}")
    map_shape = (shape[0] // factor, shape[1] // factor, filters[-1])
    x = keras.layers.Flatten(name="flatten")(x)
    x = code_layer(x, code_size, activation=code_activation, sparsity=sparsity, kernel=kernel)
    x = keras.layers.Dense(math.prod(map_shape), activation=activation, name="decoder_dense",
                           **kernel)(x)
    x = keras.layers.Reshape(map_shape, name="decoder_reshape")(x)
    for index, width in enumerate(reversed(filters), start=1):
        x = conv(x, width, f"decoder{index}", transpose=True)
    x = keras.layers.Conv2D(shape[-1], kernel_size, padding="same", name="decoder_output",
                            **kernel)(x)
    outputs = keras.layers.Activation("sigmoid", dtype="float32", name=OUTPUT_LAYER)(x)
    return keras.Model(inputs, outputs, name=name)


def _code_index(model):
    names = [layer.name for layer in model.layers]
    if CODE_LAYER not in names:

        raise ConfigError(f"model {model.name!r} has no {CODE_LAYER!r} layer; encoder_of and "
                          "decoder_of work on the autoencoder family (zoo list --family "
                          "autoencoder)")
    return names.index(CODE_LAYER)


def encoder_of(model):
    """The image-to-code half of an autoencoder, as a ``keras.Model`` sharing its layers.

    The corruption layer (if any) is part of it but does nothing outside training.

    Example:
        >>> encoder = encoder_of(zoo.build("conv_autoencoder"))
        >>> encoder.output_shape
        (None, 64)
    """
    _code_index(model)
    return keras.Model(model.input, model.get_layer(CODE_LAYER).output,
                       name=f"{model.name}_encoder")


def decoder_of(model):
    """The code-to-image half of an autoencoder, as a ``keras.Model`` sharing its layers.

    Example:
        >>> decoder = decoder_of(zoo.build("dense_autoencoder"))
        >>> decoder.input_shape, decoder.output_shape
        ((None, 64), (None, 28, 28, 1))
    """
    index = _code_index(model)
    code = model.layers[index]
    inputs = keras.Input(shape=(code.units,), name="code_input")
    x = inputs
    for layer in model.layers[index + 1:]:
        x = layer(x)
    return keras.Model(inputs, x, name=f"{model.name}_decoder")


def code_size_of(model):
    """The number of code units of an autoencoder."""
    return int(model.layers[_code_index(model)].units)


_RECIPE = {"optimizer": "adam", "learning_rate": 1e-3, "batch_size": 128, "epochs": 10}

register_model(
    "dense_autoencoder", family="autoencoder", task="autoencoder",
    builder=build_dense_autoencoder,
    defaults={"hidden_units": (256,), "code_size": 64},
    description="Dense autoencoder: 784-256-64-256-784, ReLU, sigmoid output; the 64-unit code "
                "is a learned feature vector.",
    train=_RECIPE,
    reference="Hinton & Salakhutdinov 2006, Reducing the dimensionality of data with neural "
              "networks",
)
register_model(
    "denoising_autoencoder", family="autoencoder", task="autoencoder",
    builder=build_dense_autoencoder,
    defaults={"hidden_units": (256,), "code_size": 64, "noise": 0.3, "noise_type": "masking"},
    description="Denoising autoencoder: dense_autoencoder trained to restore digits with 30% of "
                "their pixels masked to zero (masking noise in training only).",
    train=_RECIPE,
    reference="Vincent, Larochelle, Bengio & Manzagol 2008, Extracting and composing robust "
              "features with denoising autoencoders",
)
register_model(
    "sparse_autoencoder", family="autoencoder", task="autoencoder",
    builder=build_dense_autoencoder,
    defaults={"hidden_units": (), "code_size": 256, "sparsity": 1e-4, "weight_decay": 1e-6},
    description="Sparse autoencoder: one layer of {code_size} ReLU code units with an L1 "
                "penalty on their activations (and a light weight decay); its weights look like "
                "pen strokes and parts of digits.",
    train=_RECIPE,
    reference="Ng 2011, Sparse autoencoder (CS294A lecture notes); Le et al. 2012",
)
register_model(
    "conv_autoencoder", family="autoencoder", task="autoencoder",
    builder=build_conv_autoencoder,
    defaults={"filters": (32, 64), "kernel_size": 3, "code_size": 64},
    description="Convolutional autoencoder: {filters:words} stride-2 convolutions ({filters}) "
                "to a {code_size}-unit code, transposed convolutions back.",
    train=dict(_RECIPE, epochs=5),  # 5 epochs: most of the gain, ~2 minutes an epoch on 2 cores
    reference="Masci et al. 2011, Stacked convolutional auto-encoders",
)
register_model(
    "patch_autoencoder", family="autoencoder", task="autoencoder",
    builder=build_dense_autoencoder,
    defaults={"input_shape": (12, 12, 1), "hidden_units": (), "code_size": 64,
              "sparsity": 3e-5, "weight_decay": 1e-5},
    description="Sparse autoencoder for {input_shape:hw} grayscale patches of photos (train it "
                "on a folder of photos): {code_size} ReLU code units with an L1 penalty and "
                "weight decay; its units respond to oriented edges.",
    train=dict(_RECIPE, epochs=10, patch_size=12, patches_per_image=2000,
               normalize_patches=True, patch_image_size=DEFAULT_IMAGE_SIZE),
    reference="Olshausen & Field 1996; Ng 2011, Sparse autoencoder",
)
