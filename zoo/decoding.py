"""Decoding for every autoregressive model in the zoo: sampling, greedy search, beam search.

A model plugs in through a *step function*::

    step(token_ids, state) -> (log_probs, new_state, extras)

``token_ids`` has shape ``(batch,)``; ``state`` is any nested structure of tensors whose leading
axis is the batch (recurrent states, encoder outputs, masks); ``log_probs`` has shape
``(batch, vocab)``; ``extras`` is a tensor per step to collect (such as attention weights, shape
``(batch, source_length)``) or ``None``. Everything here uses ``keras.ops`` only.
"""

import keras
from keras import ops


def sample_next(logits, *, temperature=1.0, top_k=None, seed=None):
    """Draw one token id per row of ``logits`` (shape ``(batch, vocab)``).

    Args:
        logits: unnormalised log-probabilities.
        temperature: below 1 sharpens the distribution, above 1 flattens it; 0 is greedy.
        top_k: sample only among the ``top_k`` most probable tokens.
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
    return ops.cast(keras.random.categorical(logits, 1, seed=seed)[:, 0], "int32")
