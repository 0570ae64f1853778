"""Growing a classifier's output layer: a copy with more classes that keeps what it knew.

Every classifier family of the zoo ends in a ``Dense`` layer named ``logits`` (then a softmax).
:func:`grow_output` copies the whole network into new variables, with ``extra`` more units in
that layer: the old units keep their weights and biases, each new unit starts as a fresh layer
would (the layer's own initialiser, zero bias). Used to teach a trained classifier a new class
(:mod:`zoo.tasks.new_class`) and by the experiment on incremental learning
(:mod:`zoo.experiments.incremental`).

Example:
    >>> from zoo.models.mlp import build_mlp
    >>> model = build_mlp(hidden_units=(8,), num_classes=4)
    >>> grow_output(model, seed=0).output_shape
    (None, 5)
"""

import keras
import numpy as np

from zoo.errors import ConfigError

OUTPUT_LAYER = "logits"


def grow_output(model, extra=1, *, seed=0):
    """A copy of ``model`` with ``extra`` more output units (see the module's docstring); the
    original model is left as it is and shares no variable with the copy.

    ``seed`` seeds the new units' initial weights alone (the process's global random state is
    left as it is); ``None`` draws them from Keras' global random state, as an unseeded layer
    would (the experiments seed it themselves with ``keras.utils.set_random_seed``)."""
    names = [layer.name for layer in model.layers]
    if OUTPUT_LAYER not in names or not isinstance(model.get_layer(OUTPUT_LAYER),
                                                   keras.layers.Dense):
        raise ConfigError(f"{model.name!r} has no Dense layer named {OUTPUT_LAYER!r} to grow; "
                          "only the zoo's classifiers (built by its families) can learn a class")
    extra = int(extra)
    if extra < 1:
        raise ConfigError(f"extra output units: give 1 or more, not {extra}")
    rng = None if seed is None else np.random.default_rng(seed)

    def clone(layer):
        config = layer.get_config()
        if layer.name == OUTPUT_LAYER:
            config["units"] = int(config["units"]) + extra
        if rng is not None:
            _seed_locally(config, rng)
        return layer.__class__.from_config(config)

    grown = keras.models.clone_model(model, clone_function=clone)
    for old, new in zip(model.layers, grown.layers):
        if old.name == OUTPUT_LAYER:
            kernel, bias = (np.array(w) for w in new.get_weights())
            old_kernel, old_bias = old.get_weights()
            kernel[:, :old_kernel.shape[1]] = old_kernel
            bias[:old_bias.shape[0]] = old_bias
            new.set_weights([kernel, bias])
        elif old.weights:
            new.set_weights(old.get_weights())
    return grown


def _seed_locally(config, rng):
    """Give a layer's unseeded random parts (its initialisers, a dropout's seed) seeds of their
    own drawn from ``rng``, so that building it neither reads nor moves the process's global
    random state (Keras' int seeds are 32-bit: drawn below 2**31, they stay distinct)."""
    for key, value in list(config.items()):
        if key == "seed" and value is None:
            config[key] = int(rng.integers(1, 2**31 - 1))
        elif (key.endswith("_initializer") and isinstance(value, dict)  # serialized
              and isinstance(value.get("config"), dict) and "seed" in value["config"]
              and value["config"]["seed"] is None):
            config[key] = dict(value, config=dict(value["config"],
                                                  seed=int(rng.integers(1, 2**31 - 1))))
