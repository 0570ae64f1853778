"""Where the zoo runs: device choice, GPU memory growth, mixed precision and seeding.

Call :func:`configure` once, before building models. On a machine without a GPU everything runs on
the CPU in float32; on a GPU the TensorFlow backend allocates memory as it needs it instead of
taking the whole card, and ``mixed_precision=True`` computes in float16 with float32 outputs.
"""

import logging

import keras
import tensorflow as tf
from zoo.errors import ConfigError

log = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "gpu")


def gpus():
    """The GPUs the current Keras backend can see (an empty list on a CPU-only machine)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return tf.config.list_physical_devices("GPU")
    if backend == "jax":
        import jax  # optional extra [dev]: the JAX backend only

        return [d for d in jax.devices() if d.platform == "gpu"]
    if backend == "torch":
        import torch  # optional: not a dependency, the torch backend only

        return list(range(torch.cuda.device_count()))
    return []


def configure(*, device="auto", mixed_precision=False, seed=None):
    """Set up the device and numeric policy for this process.

    Args:
        device: ``"auto"`` (a GPU when there is one, else the CPU), ``"cpu"`` (hide GPUs) or
            ``"gpu"`` (fail clearly when there is none).
        mixed_precision: compute in float16 on a GPU (the models keep float32 outputs). Ignored,
            with a warning, on the CPU, where float16 is slower than float32.
        seed: seed Python, NumPy and the backend for reproducible runs.

    Returns:
        ``"gpu"`` or ``"cpu"``: where the computation will run.
    """

    if device not in DEVICES:
        raise ConfigError(f"device must be one of {DEVICES}, got {device!r}")
    found = gpus()
    if device == "gpu" and not found:
        raise ConfigError("--device gpu was asked for but no GPU is visible to "
                          f"{keras.backend.backend()}; use --device auto or cpu, or install the "
                          "GPU build (see the README).")
    if keras.backend.backend() == "tensorflow":
        _configure_tensorflow(found, hide_gpus=device == "cpu")
    where = "gpu" if found and device != "cpu" else "cpu"
    if mixed_precision and where == "gpu":
        keras.mixed_precision.set_global_policy("mixed_float16")
    else:
        if mixed_precision:
            log.warning("mixed precision needs a GPU; running in float32 on the CPU")
        keras.mixed_precision.set_global_policy("float32")
    if seed is not None:
        keras.utils.set_random_seed(int(seed))
    return where


def _configure_tensorflow(found, *, hide_gpus):
    try:
        if hide_gpus:
            tf.config.set_visible_devices([], "GPU")
        else:
            for gpu in found:
                tf.config.experimental.set_memory_growth(gpu, True)
    except RuntimeError as err:  # the runtime was already initialised: settings are fixed now
        log.warning("GPU settings unchanged (%s)", err)


def compile_function(fn):
    """Compile a function of tensors with the backend's graph compiler.

    TensorFlow traces it into a ``tf.function`` (without XLA, which is slower on the CPU), JAX
    jit-compiles it, other backends run it eagerly. Use it for per-token inference steps, which
    cost well under a millisecond compiled and tens of milliseconds through ``model.predict``.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return tf.function(fn, reduce_retracing=True)
    if backend == "jax":
        import jax  # optional extra [dev]: the JAX backend only

        return jax.jit(fn)
    return fn
