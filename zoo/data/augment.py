"""Training augmentation for digits as people draw them: stroke weight, slant and elastic
distortion, in TensorFlow ops for ``tf.data``.

:func:`augment_strokes` maps batches of preprocessed digit images (the float32 model inputs of
an :class:`~zoo.preprocessing.ImagePreprocessor`) to distorted copies, each drawn anew every
epoch from a seeded stream:

1. the digit is enlarged twice (56x56), so that strokes can grow or shrink by half a pixel;
2. a random slant (a horizontal shear, up to ``max_shear``) and an elastic distortion (a random
   displacement field smoothed by a Gaussian of ``elastic_sigma`` pixels and scaled to
   ``elastic_alpha``, after Simard, Steinkraus and Platt 2003) move its pixels;
3. a random stroke weight: grey-scale erosion or dilation with a disk-like element of radius
   ``-1`` to ``max_radius`` (at the doubled size);
4. it is shrunk back and put through the preprocessor's own graph, so the digit is cropped,
   scaled into MNIST's 20-pixel box and centred by its mass exactly as a user's drawing is.

Validation and test data are never augmented. It is the recipe setting ``augment: "strokes"``
of the image classifiers (see :data:`STYLES`).

Example:
    >>> import numpy as np, tensorflow as tf
    >>> from zoo.preprocessing import ImagePreprocessor
    >>> pre = ImagePreprocessor(size=[28, 28], color_mode="L", invert_light_background=True,
    ...                         center_glyph=True)
    >>> digits = np.zeros((4, 28, 28, 1), np.float32); digits[:, 6:22, 12:16] = 1.0
    >>> batches = tf.data.Dataset.from_tensor_slices((digits, np.arange(4))).batch(2)
    >>> x, y = next(iter(augment_strokes(batches, pre, seed=0)))
    >>> x.shape, x.dtype.name, y.numpy().tolist()
    (TensorShape([2, 28, 28, 1]), 'float32', [0, 1])
"""

import math

import tensorflow as tf

STYLES = ("strokes",)  # the values of the recipe setting ``augment``

UPSCALE = 2


def _gaussian_kernel(sigma):
    radius = max(1, int(math.ceil(3 * sigma)))
    x = tf.range(-radius, radius + 1, dtype=tf.float32)
    kernel = tf.exp(-0.5 * (x / sigma) ** 2)
    return kernel / tf.reduce_sum(kernel)


def _smooth(field, sigma):
    """Blur ``field`` (B, H, W, C) with a separable Gaussian of ``sigma`` pixels."""
    kernel = _gaussian_kernel(sigma)
    channels = field.shape[-1]
    size = int(kernel.shape[0])
    rows = tf.tile(tf.reshape(kernel, (size, 1, 1, 1)), [1, 1, channels, 1])
    cols = tf.tile(tf.reshape(kernel, (1, size, 1, 1)), [1, 1, channels, 1])
    field = tf.nn.depthwise_conv2d(field, rows, [1, 1, 1, 1], "SAME")
    return tf.nn.depthwise_conv2d(field, cols, [1, 1, 1, 1], "SAME")


def _sample(images, src_y, src_x):
    """Bilinear samples of ``images`` (B, H, W, 1) at float positions (B, H, W); zero outside."""
    shape = tf.shape(images)
    batch, height, width = shape[0], shape[1], shape[2]
    y0, x0 = tf.floor(src_y), tf.floor(src_x)
    wy, wx = src_y - y0, src_x - x0
    y0, x0 = tf.cast(y0, tf.int32), tf.cast(x0, tf.int32)
    flat = tf.reshape(images, [-1])
    base = tf.reshape(tf.range(batch) * height * width, (-1, 1, 1))

    def at(y, x):
        inside = (y >= 0) & (y < height) & (x >= 0) & (x < width)
        index = base + tf.clip_by_value(y, 0, height - 1) * width \
            + tf.clip_by_value(x, 0, width - 1)
        return tf.where(inside, tf.gather(flat, index), 0.0)

    top = at(y0, x0) * (1 - wx) + at(y0, x0 + 1) * wx
    bottom = at(y0 + 1, x0) * (1 - wx) + at(y0 + 1, x0 + 1) * wx
    return (top * (1 - wy) + bottom * wy)[..., None]


def _grow(images, step):
    """One step of grey-scale dilation: a 3x3 square on even steps, a plus on odd ones (the
    steps together grow an octagon, close to a disk)."""
    if step % 2 == 0:
        return tf.nn.max_pool2d(images, 3, 1, "SAME")
    padded = tf.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]])
    return tf.reduce_max(tf.stack([images, padded[:, :-2, 1:-1], padded[:, 2:, 1:-1],
                                   padded[:, 1:-1, :-2], padded[:, 1:-1, 2:]]), axis=0)


def _stroke_weights(images, radius, max_radius):
    """Each image eroded (radius -1) or dilated (radius 1 to ``max_radius``) by its own radius."""
    versions = [-_grow(-images, 1), images]
    grown = images
    for step in range(max_radius):
        grown = _grow(grown, step)
        versions.append(grown)
    stacked = tf.stack(versions, axis=1)  # (B, radii, H, W, 1)
    return tf.gather(stacked, radius + 1, axis=1, batch_dims=1)


def distort(pixels, seed, *, max_shear=0.35, elastic_alpha=1.0, elastic_sigma=4.0,
            max_radius=5):
    """Distorted copies of a batch of light-on-dark digits ``pixels`` (B, H, W, 1), float
    0-255, with the stateless random ``seed`` (two int32 numbers): slant, elastic distortion
    and stroke weight (see the module's docstring). Sizes and distances are in pixels of the
    images as given; the result has their size (not yet re-centred)."""
    size = tf.shape(pixels)[1:3]
    batch = tf.shape(pixels)[0]
    big = tf.image.resize(pixels, size * UPSCALE, method="bilinear")
    height, width = tf.shape(big)[1], tf.shape(big)[2]
    seeds = tf.random.experimental.stateless_split(seed, 5)
    shear = tf.random.stateless_uniform((batch, 1, 1), seeds[0], -max_shear, max_shear)
    strength = tf.random.stateless_uniform((batch, 1, 1, 1), seeds[1], 0.0, 1.0)
    noise = tf.random.stateless_uniform((batch, height, width, 2), seeds[2], -1.0, 1.0)
    field = _smooth(noise, elastic_sigma * UPSCALE)
    field = field / (tf.math.reduce_std(field) + 1e-6) * strength * elastic_alpha * UPSCALE
    ys = tf.cast(tf.range(height), tf.float32)[None, :, None]
    xs = tf.cast(tf.range(width), tf.float32)[None, None, :]
    centre_y = (tf.cast(height, tf.float32) - 1) / 2
    src_y = ys + field[..., 0]
    src_x = xs + shear * (ys - centre_y) + field[..., 1]
    warped = _sample(big[..., 0], src_y, src_x)
    radius = tf.random.stateless_uniform((batch,), seeds[3], -1, max_radius + 1, tf.int32)
    thick = _stroke_weights(warped, radius, max_radius)
    small = tf.image.resize(thick, size, method="area")
    return tf.clip_by_value(small, 0.0, 255.0)


def augment_strokes(dataset, preprocessor, *, seed, fraction=1.0, **settings):
    """Map a batched ``(images, labels)`` dataset of the ``preprocessor``'s float32 inputs to
    distorted, re-centred copies (see :func:`distort` for ``settings``); a new distortion for
    every image in every epoch, the same sequence for the same ``seed``. ``fraction`` of the
    images (drawn anew each time) are distorted, the others left as they are."""
    scale = preprocessor.scale

    def centre(image):
        return preprocessor.graph_pixels(image)[0]

    def augment(batch, draw):
        (images, labels), number = batch, draw
        pair = tf.stack([tf.cast(number % 2**31, tf.int32), tf.constant(int(seed) % 2**31,
                                                                       tf.int32)])
        pixels = distort(images / scale, pair, **settings)
        centred = tf.map_fn(centre, tf.round(pixels),
                            fn_output_signature=tf.TensorSpec(preprocessor.input_shape,
                                                              tf.float32))
        chosen = tf.random.stateless_uniform((tf.shape(images)[0], 1, 1, 1),
                                             tf.random.experimental.stateless_fold_in(pair, 1))
        return tf.where(chosen < fraction, preprocessor.rescale(centred), images), labels

    draws = tf.data.Dataset.random(seed=int(seed), rerandomize_each_iteration=True)
    return tf.data.Dataset.zip((dataset, draws)).map(
        augment, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
