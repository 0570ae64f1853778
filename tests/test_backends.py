"""Model code uses keras.layers / keras.ops only, so other Keras backends run it.

One process per backend (the backend is chosen at import): it trains image classifiers and a
character model, and checks the character model's compiled stateful step.
"""

from _helpers import run_under_backend

JAX_SCRIPT = """
import numpy as np, keras, zoo
from zoo.tasks import TextGenerator
from zoo.text import Vocabulary
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

# the character family: training, seeded generation, and the step model (two states per LSTM
# layer: the most to carry) agreeing with the full model
text = "Hello, said Emma. Hello again, said Mr. Knightley. " * 4
vocabulary = Vocabulary(sorted(set(text)))
ids = np.array(vocabulary.encode(text[:201]))
x, y = ids[:-1].reshape(10, 20), ids[1:].reshape(10, 20)
model = zoo.build("char_lstm", vocab_size=len(vocabulary), rnn="lstm", units=16, num_layers=2)
TextGenerator.compile_model(model, keras.optimizers.Adam(1e-2))
losses = model.fit(x, y, epochs=4, verbose=0).history["loss"]
assert losses[-1] < losses[0], losses
lm = TextGenerator(model, {"model": "char_lstm", "options": {}, "vocabulary":
                           vocabulary.to_dict()})
assert lm.generate("Hel", length=12, seed=3) == lm.generate("Hel", length=12, seed=3)
full = keras.ops.convert_to_numpy(model(np.array([vocabulary.encode("Hello, sa")])))[0, -1]
full[:2] = -np.inf
expected = np.exp(full - full.max()) / np.exp(full - full.max()).sum()
got = dict(lm.next_char_probabilities("Hello, sa"))
assert max(abs(got[c] - expected[vocabulary.id(c)]) for c in got) < 1e-5
print("ok")
"""


def test_models_train_and_generate_under_the_jax_backend():
    run_under_backend(JAX_SCRIPT, "jax")
