"""One harness for every registered model (build, parameter count, output shapes, a training step,
the zoo's own save format, mixed precision), then what only the image classifiers do.

The harness walks ``zoo.list_models()``: a newly registered model is tested with no edit here.
Family-specific behaviour (the autoencoder's encoder/decoder split, the recurrent step models,
attention) is tested in the family's own file.
"""

import json

import keras
import numpy as np
import pytest

import zoo
from zoo import registry, saving
from zoo.tasks import task_class

MODELS = zoo.list_models()
INDEX = json.loads(registry.INDEX_FILE.read_text(encoding="utf-8"))["models"]
BATCH, STEPS = 2, 6  # examples per batch, and time steps of a sequence input

# Build options whose size comes from the data (left unset, None, by default): the smallest
# size every family takes (a captioner's vocabulary holds four special tokens and a word; four
# encoder blocks halve 16 pixels to one).
DATA_SIZES = {"vocab_size": 5, "image_shape": [16, 16, 1]}

# What each task's model gives for a batch (``x``: its inputs), from the build options.
EXPECTED_OUTPUT = {
    "image_classification": lambda options, x: (BATCH, options["num_classes"]),
    "autoencoder": lambda options, x: x.shape,
    "language_model": lambda options, x: (BATCH, STEPS, options["vocab_size"]),
    "translation": lambda options, x: (BATCH, STEPS, options["target_vocab_size"]),
    "captioning": lambda options, x: (BATCH, STEPS, options["vocab_size"]),
}


def _options(name):
    """The default options, with the smallest data-derived sizes filled in."""
    options = registry.resolve_options(name)
    return {key: (DATA_SIZES[key] if value is None and key in DATA_SIZES else value)
            for key, value in options.items()}


def _inputs(model, seed=0):
    """A batch of random inputs of the model's shapes: ids every vocabulary here holds for
    integer inputs, values in [0, 1) for images."""
    rng = np.random.default_rng(seed)
    arrays = []
    for tensor in model.inputs:
        shape = (BATCH,) + tuple(STEPS if d is None else d for d in tensor.shape[1:])
        if "int" in str(tensor.dtype):
            arrays.append(rng.integers(1, DATA_SIZES["vocab_size"], size=shape).astype("int32"))
        else:
            arrays.append(rng.random(shape, dtype=np.float32))
    return arrays[0] if len(arrays) == 1 else arrays


def _targets(model, x, output, seed=1):
    """Training targets: the input itself for a model that reconstructs it, else class (token)
    ids for every output position."""
    if not isinstance(x, list) and output.shape == x.shape:
        return x
    rng = np.random.default_rng(seed)
    return rng.integers(1, output.shape[-1], size=output.shape[:-1]).astype("int32")


def _predict(model, x):
    # eager: cheaper than tracing a predict function for one tiny batch
    return keras.ops.convert_to_numpy(model(x, training=False))


def _assets(task, model, x):
    """Plain-data assets of the kinds the task's saved config must hold (its config_schema)."""
    assets = {}
    for key, kind in task_class(task).config_schema.items():
        if kind == "names":
            assets[key] = [str(i) for i in range(model.output_shape[-1])]
        elif kind == "vocab":
            assets[key] = {"specials": ["<pad>"], "tokens": ["a", "b"]}
        elif kind == "preprocessor":
            vocab = {"specials": ["<pad>"], "tokens": ["a", "b"]}
            if task == "language_model":
                assets[key] = {"kind": "characters", "vocabulary": vocab, "sequence_length": 8}
            elif task == "translation":
                assets[key] = {"kind": "word_tokens", "source_vocab": vocab,
                               "target_vocab": vocab, "max_tokens": 8}
            else:
                image = x[0] if isinstance(x, list) else x
                assets[key] = {"kind": "image", "size": list(image.shape[1:3]), "scale": 1 / 255,
                               "color_mode": "L" if image.shape[-1] == 1 else "RGB"}
    return assets


@pytest.mark.parametrize("name", MODELS)
def test_every_model_builds_trains_and_round_trips(name, tmp_path):
    task = zoo.describe(name)["task"]
    options = _options(name)
    model = zoo.build(name, **options)
    if INDEX[name]["num_params"] is not None:
        assert model.count_params() == INDEX[name]["num_params"]
    else:  # a data-derived size: the index says so by the option left unset
        assert any(INDEX[name]["options"].get(key) is None for key in DATA_SIZES)

    x = _inputs(model)
    output = _predict(model, x)
    assert output.shape == tuple(EXPECTED_OUTPUT[task](options, x))
    assert output.dtype == np.float32 and np.isfinite(output).all()

    # one training step with the task's own loss: finite, and the weights move
    task_class(task).compile_model(model, keras.optimizers.Adam(1e-3))
    model.run_eagerly = True  # one step: tracing a train function costs 5-20 times more
    before = [w.copy() for w in model.get_weights()]
    values = model.train_on_batch(x, _targets(model, x, output), return_dict=True)
    assert np.isfinite(values["loss"])
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    expected = _predict(model, x)

    # the zoo's own format: registry name + options + plain weights, rebuilt with no code run
    config = {"task": task, "model": name, "options": saving.to_plain(options),
              **_assets(task, model, x)}
    saving.save_artifact(tmp_path / "artifact", model, config)
    restored, saved = saving.load_artifact(tmp_path / "artifact")
    assert saved == dict(config, format=saving.FORMAT)
    np.testing.assert_allclose(_predict(restored, x), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", MODELS)
def test_every_model_computes_in_float16_and_answers_in_float32(name):
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = zoo.build(name, **_options(name))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert any(getattr(layer.dtype_policy, "compute_dtype", None) == "float16"
               for layer in model.layers)
    output = _predict(model, _inputs(model))
    assert output.dtype == np.float32 and np.isfinite(output).all()


# -- the image classifiers -------------------------------------------------------------------------

def test_classifiers_give_probabilities():
    for name in zoo.list_models(task="image_classification"):
        model = zoo.build(name)
        probabilities = _predict(model, _inputs(model))
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


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
