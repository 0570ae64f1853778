"""Model code uses keras.layers / keras.ops only, so other Keras backends run it."""

import os
import subprocess
import sys

SCRIPT = """
import numpy as np, keras, zoo
assert keras.backend.backend() == "jax", keras.backend.backend()
rng = np.random.default_rng(0)
for name in ("mnist_convnet", "deep_mlp"):
    model = zoo.build(name)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = rng.random((32, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 32)
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    after = model.evaluate(x, y, verbose=0)
    assert np.isfinite(after) and after < before, (name, before, after)
print("ok")
"""


def test_train_steps_under_the_jax_backend():
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    result = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")
