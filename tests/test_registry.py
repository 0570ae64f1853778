import inspect

import pytest

import zoo
from zoo.models.cnn import build_cnn
from zoo.models.mlp import build_mlp


def test_list_models_with_wildcards_and_filters():
    names = zoo.list_models()
    assert names == sorted(names)
    assert {"perceptron", "shallow_mlp", "deep_mlp", "lenet5", "mnist_convnet",
            "alexnet_small"} <= set(names)
    assert zoo.list_models("*mlp") == ["deep_mlp", "deep_sigmoid_mlp", "shallow_mlp"]
    assert zoo.list_models("lenet?") == ["lenet5"]
    assert zoo.list_models(family="cnn") == ["alexnet_small", "lenet5", "mnist_convnet"]
    assert zoo.list_models("nothing*") == []


def test_describe_shows_every_option_and_recipe():
    info = zoo.describe("deep_mlp")
    assert info["family"] == "mlp"
    assert info["options"]["hidden_units"] == (1024, 512, 256)
    assert set(inspect.signature(build_mlp).parameters) == set(info["options"])
    assert info["train"]["optimizer"] == "adam"
    assert zoo.describe("mnist_convnet")["options"]["input_shape"] == (28, 28, 1)


def test_builders_are_keyword_only():
    for builder in (build_mlp, build_cnn):
        params = inspect.signature(builder).parameters.values()
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params)
        with pytest.raises(TypeError):
            builder((28, 28, 1))


def test_unknown_names_get_a_suggestion():
    with pytest.raises(zoo.UnknownNameError, match="Did you mean 'lenet5'"):
        zoo.build("lenet")
    with pytest.raises(zoo.ConfigError, match="has no option 'dropuot'.*'dropout'"):
        zoo.build("deep_mlp", dropuot=0.5)


def test_bad_option_values_are_config_errors():
    with pytest.raises(zoo.ConfigError, match="num_classes must be at least 2"):
        zoo.build("mnist_convnet", num_classes=1)
    with pytest.raises(zoo.ConfigError, match="pooling must be"):
        zoo.build("mnist_convnet", pooling="median")
    with pytest.raises(zoo.ConfigError, match="kernel_size has 3 entries but there are 2"):
        zoo.build("mnist_convnet", kernel_size=(3, 3, 3))
