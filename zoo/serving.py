"""Graph pieces for serving, shared by the task classes' SavedModel signatures (see
:mod:`zoo.export`): the ``encode`` / ``decode_step`` / greedy-loop signatures of an
encoder-decoder (the image preprocessing's graph is the task's preprocessor's,
:mod:`zoo.preprocessing`).
"""

import tensorflow as tf

from zoo.decoding import _make_greedy


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
    return {name: tf.TensorSpec((None,) + tuple(value.shape[1:]), value.dtype, name=name)
            for name, value in _flatten_state(state).items()}


def decoder_endpoints(archive, encode, step, input_spec, sample, *, bos, eos, pad,
                       max_length, greedy_name):
    """``encode``, ``decode_step`` and a greedy decoding loop for an encoder-decoder."""
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
        tokens, lengths, scores, finished, _, _ = greedy(state, start)  # no repeat stop
        return {"token_ids": tokens, "lengths": lengths, "scores": scores, "finished": finished}

    archive.add_endpoint("encode", encode_fn, [input_spec])
    archive.add_endpoint("decode_step", lambda token_ids, state: step_fn(token_ids, **state),
                         [tf.TensorSpec((None,), tf.int32, name="token_ids"), specs])
    archive.add_endpoint(greedy_name, greedy_fn, [input_spec])
    return ["encode", "decode_step", greedy_name]
