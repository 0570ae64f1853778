"""Graph pieces for serving, shared by the task classes' SavedModel signatures (see
:mod:`zoo.export`): the image preprocessing in TensorFlow ops, and the ``encode`` /
``decode_step`` / greedy-loop signatures of an encoder-decoder. TensorFlow is imported when a
signature is made, never on import.
"""

from zoo.decoding import _make_greedy


def tf_preprocess(image, preprocessing, size):
    """One uint8 image ``(H, W, C)`` (C = 1 to 4) as the model's float32 input, in TensorFlow
    ops: the steps of :func:`zoo.images.to_model_input` (EXIF rotation aside)."""
    import tensorflow as tf

    height, width = int(size[0]), int(size[1])
    mode = preprocessing.get("color_mode", "RGB")
    x = tf.cast(image, tf.float32)
    channels = tf.shape(x)[-1]
    has_alpha = tf.logical_or(tf.equal(channels, 2), tf.equal(channels, 4))
    alpha = tf.cond(has_alpha, lambda: x[..., -1:] / 255.0, lambda: tf.ones_like(x[..., :1]))
    color = tf.cond(channels >= 3, lambda: x[..., :3], lambda: tf.tile(x[..., :1], [1, 1, 3]))
    rgb = tf.round(color * alpha + 255.0 * (1.0 - alpha))  # transparency onto white
    if mode == "L":
        # Pillow's ITU-R 601-2 luma, in its fixed-point weights
        gray = (rgb[..., 0] * 19595.0 + rgb[..., 1] * 38470.0 + rgb[..., 2] * 7471.0) / 65536.0
        img = tf.floor(gray + 0.5)[..., None]
        if preprocessing.get("invert_light_background"):
            border = tf.concat([img[0, :, 0], img[-1, :, 0], img[:, 0, 0], img[:, -1, 0]], 0)
            ordered = tf.sort(border)
            n = tf.size(ordered)
            median = (ordered[(n - 1) // 2] + ordered[n // 2]) / 2.0
            img = tf.cond(median > 127.5, lambda: 255.0 - img, lambda: img)
        if preprocessing.get("center_glyph") and height == width:
            img = _tf_fit_digit(img, height)
    else:
        img = rgb
    shape = tf.shape(img)
    img = tf.cond(tf.logical_and(tf.equal(shape[0], height), tf.equal(shape[1], width)),
                  lambda: img,
                  lambda: tf.clip_by_value(tf.round(tf.image.resize(
                      img, (height, width), method="bilinear", antialias=True)), 0.0, 255.0))
    img = tf.ensure_shape(img, (height, width, 1 if mode == "L" else 3))
    return img * float(preprocessing.get("scale", 1 / 255))


def _tf_fit_digit(img, size, box=20):
    """:func:`zoo.images.fit_digit` in TensorFlow ops: crop the ink, scale its longer side to
    ``box`` (Lanczos), paste it with its centre of mass at the centre of a ``size`` square."""
    import tensorflow as tf

    plane = img[..., 0]
    threshold = 0.1 * tf.maximum(tf.reduce_max(plane), 1.0)
    ink = plane > threshold
    rows = tf.where(tf.reduce_any(ink, axis=1))[:, 0]
    cols = tf.where(tf.reduce_any(ink, axis=0))[:, 0]

    def lanczos(x, h, w):
        return tf.clip_by_value(tf.round(tf.image.resize(x, tf.stack([h, w]), method="lanczos3",
                                                         antialias=True)), 0.0, 255.0)

    def empty():
        return lanczos(img, tf.constant(size), tf.constant(size))

    def glyph():
        top, bottom = tf.cast(rows[0], tf.int32), tf.cast(rows[-1], tf.int32) + 1
        left, right = tf.cast(cols[0], tf.int32), tf.cast(cols[-1], tf.int32) + 1
        crop = img[top:bottom, left:right]
        h, w = tf.cast(bottom - top, tf.float64), tf.cast(right - left, tf.float64)
        scale = box / tf.maximum(h, w)
        nh = tf.maximum(1, tf.cast(tf.round(h * scale), tf.int32))
        nw = tf.maximum(1, tf.cast(tf.round(w * scale), tf.int32))
        g = lanczos(crop, nh, nw)
        weights = tf.cast(g[..., 0], tf.float64)
        total = tf.reduce_sum(weights)
        total = tf.where(total > 0, total, 1.0)
        cy = tf.reduce_sum(tf.reduce_sum(weights, 1) * tf.range(nh, dtype=tf.float64)) / total
        cx = tf.reduce_sum(tf.reduce_sum(weights, 0) * tf.range(nw, dtype=tf.float64)) / total
        oy = tf.cast(tf.round(size / 2 - cy), tf.int32)
        ox = tf.cast(tf.round(size / 2 - cx), tf.int32)
        g = g[tf.maximum(-oy, 0):, tf.maximum(-ox, 0):]
        top, left = tf.clip_by_value(oy, 0, size), tf.clip_by_value(ox, 0, size)
        g = g[:size - top, :size - left]
        gh, gw = tf.shape(g)[0], tf.shape(g)[1]
        return tf.pad(g, [[top, size - top - gh], [left, size - left - gw], [0, 0]])

    return tf.cond(tf.size(rows) > 0, glyph, empty)



# -- encoder-decoder signatures --------------------------------------------------------------


def _flatten_state(state):
    """A decoding state (dict of tensors or lists of tensors) as a flat ``{name: tensor}``."""
    flat = {}
    for key in sorted(state):
        value = state[key]
        if isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                flat[f"{key}_{index}"] = item
        else:
            flat[key] = value
    return flat


def _unflatten_state(flat, template):
    state = {}
    for key in sorted(template):
        value = template[key]
        if isinstance(value, (list, tuple)):
            state[key] = [flat[f"{key}_{index}"] for index in range(len(value))]
        else:
            state[key] = flat[key]
    return state


def _state_specs(state):
    import tensorflow as tf

    return {name: tf.TensorSpec((None,) + tuple(value.shape[1:]), value.dtype, name=name)
            for name, value in _flatten_state(state).items()}


def decoder_endpoints(archive, encode, step, input_spec, sample, *, bos, eos, pad,
                       max_length, greedy_name):
    """``encode``, ``decode_step`` and a greedy decoding loop for an encoder-decoder."""
    import tensorflow as tf

    template = encode(tf.convert_to_tensor(sample))
    specs = _state_specs(template)
    greedy = _make_greedy(step, int(max_length), int(eos), int(pad))

    def encode_fn(inputs):
        return _flatten_state(encode(inputs))

    def step_fn(token_ids, **flat):
        log_probs, state, weights = step(token_ids, _unflatten_state(flat, template))
        out = {"log_probs": log_probs, **{f"next_{k}": v for k, v in
                                          _flatten_state(state).items()}}
        if weights is not None:
            out["attention"] = weights
        return out

    def greedy_fn(inputs):
        state = encode(inputs)
        start = tf.fill(tf.shape(inputs)[:1], tf.constant(int(bos), tf.int32))
        tokens, lengths, scores, finished, _ = greedy(state, start)
        return {"token_ids": tokens, "lengths": lengths, "scores": scores, "finished": finished}

    archive.add_endpoint("encode", encode_fn, [input_spec])
    archive.add_endpoint("decode_step", lambda token_ids, state: step_fn(token_ids, **state),
                         [tf.TensorSpec((None,), tf.int32, name="token_ids"), specs])
    archive.add_endpoint(greedy_name, greedy_fn, [input_spec])
    return ["encode", "decode_step", greedy_name]
