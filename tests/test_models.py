"""One harness for every registered model: build, train a few steps, save and restore."""

import numpy as np
import pytest

import keras
import zoo
from zoo import saving
from zoo.tasks import ImageClassifier

MODELS = zoo.list_models(task="image_classification")


def _batch(model, n=16, seed=0):
    rng = np.random.default_rng(seed)
    shape = (n,) + tuple(model.input_shape[1:])
    x = rng.random(shape, dtype=np.float32)
    y = rng.integers(0, model.output_shape[-1], size=n).astype("int32")
    return x, y


@pytest.mark.parametrize("name", MODELS)
def test_build_train_save_restore(name, tmp_path):
    model = zoo.build(name)
    x, y = _batch(model)
    probabilities = model.predict_on_batch(x)
    assert probabilities.shape == (len(x), model.output_shape[-1])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)

    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    loss = model.train_on_batch(x, y)
    loss = model.train_on_batch(x, y)
    assert np.isfinite(loss)
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))
    expected = model.predict_on_batch(x)

    # get_config round trip: the same architecture, given the same weights, predicts the same.
    clone = keras.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict_on_batch(x), expected, rtol=1e-5, atol=1e-6)

    # .keras round trip.
    model.save(tmp_path / "model.keras")
    restored = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    np.testing.assert_allclose(restored.predict_on_batch(x), expected, rtol=1e-5, atol=1e-6)

    # The zoo's own format: registry name + options + weights, no code.
    options = saving.to_plain(zoo.describe(name)["options"])
    config = {"task": "image_classification", "model": name, "options": options,
              "class_names": [str(i) for i in range(model.output_shape[-1])],
              "preprocessing": {"color_mode": "L", "size": [28, 28], "scale": 1 / 255}}
    ImageClassifier(model, config).save(tmp_path / "artifact")
    loaded = zoo.load(tmp_path / "artifact")
    np.testing.assert_allclose(loaded.predict_proba(x), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", MODELS)
def test_output_stays_float32_under_mixed_precision(name):
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = zoo.build(name)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert model.get_layer("probabilities").dtype_policy.compute_dtype == "float32"
    assert model.get_layer("logits").dtype_policy.compute_dtype == "float16"


def test_documented_parameter_counts():
    assert zoo.build("mnist_convnet").count_params() == 34_826
    assert zoo.build("lenet5").count_params() == 61_706
    assert zoo.build("perceptron").count_params() == 28 * 28 * 10 + 10


def test_mlp_depths():
    dense = lambda m: [l for l in m.layers if isinstance(l, keras.layers.Dense)]  # noqa: E731
    assert len(dense(zoo.build("perceptron"))) == 1
    assert len(dense(zoo.build("shallow_mlp"))) == 2
    assert len(dense(zoo.build("deep_mlp"))) >= 3


def test_overrides_reach_the_builder():
    model = zoo.build("deep_mlp", hidden_units=(64, 32), dropout=0.0, batch_norm=True,
                      activation="tanh", input_shape=(8, 8, 1), num_classes=3,
                      kernel_initializer="he_normal")
    assert model.output_shape == (None, 3)
    assert model.get_layer("hidden1_dense").units == 64
    assert model.get_layer("hidden2_act").activation.__name__ == "tanh"
    assert model.get_layer("hidden1_bn") is not None
    assert not any(isinstance(l, keras.layers.Dropout) for l in model.layers)

    cnn = zoo.build("mnist_convnet", filters=(8, (16, 16)), kernel_size=(5, 3), padding="same",
                    batch_norm=True, pooling="avg", input_shape=(32, 32, 3), num_classes=4)
    assert cnn.get_layer("block2_conv2").filters == 16
    assert cnn.get_layer("block1_conv1").kernel_size == (5, 5)
    assert isinstance(cnn.get_layer("block1_pool"), keras.layers.AveragePooling2D)
    assert cnn.output_shape == (None, 4)


def test_feature_maps_show_convolution_and_pooling():
    model = zoo.build("mnist_convnet")
    image = np.zeros((28, 28, 1), dtype="float32")
    image[10:18, 12:16] = 1.0
    maps = zoo.feature_maps(model, image)
    assert list(maps)[:3] == ["block1_conv1", "block1_act1", "block1_pool"]
    assert maps["block1_conv1"].shape == (1, 26, 26, 32)
    assert maps["block1_pool"].shape == (1, 13, 13, 32)
    assert maps["block2_pool"].shape == (1, 5, 5, 64)
    # Max pooling keeps each 2x2 window's largest activation.
    act = maps["block1_act1"][0]
    np.testing.assert_allclose(maps["block1_pool"][0, 3, 4], act[6:8, 8:10].max(axis=(0, 1)),
                               rtol=1e-5)
    only = zoo.feature_maps(model, image[None], layer_names=["block2_conv1"])
    assert list(only) == ["block2_conv1"]
    with pytest.raises(ValueError, match="no layer 'nope'"):
        zoo.feature_maps(model, image, layer_names=["nope"])
