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
    assert info["options"]["hidden_units"] == [1024, 512, 256]
    assert set(inspect.signature(build_mlp).parameters) == set(info["options"])
    assert info["train"]["optimizer"] == "adam"
    assert zoo.describe("mnist_convnet")["options"]["input_shape"] == [28, 28, 1]


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


def test_the_model_index_is_the_live_registry():
    """zoo/models/index.json (what `zoo list` and `zoo describe` read without Keras) says what
    the registered models say; after a change, run scripts/update_model_index.py."""
    import json
    import pathlib
    import sys

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "scripts"))
    try:
        from update_model_index import live_index
    finally:
        sys.path.pop(0)
    shipped = json.loads(zoo.registry.INDEX_FILE.read_text())["models"]
    live = live_index()
    assert sorted(shipped) == sorted(live), "run scripts/update_model_index.py"
    for name in live:
        assert shipped[name] == live[name], f"{name}: run scripts/update_model_index.py"
        assert zoo.describe(name) == {k: v for k, v in live[name].items()
                                      if k not in ("module", "num_params")}


LIGHT_COMMANDS = [["--help"], ["--version"], ["list"], ["list", "--pretrained"],
                  ["describe", "mnist_convnet"], ["weights", "list"],
                  ["weights", "verify", "perceptron.mnist"], ["experiment"]]


def test_light_commands_never_import_tensorflow():
    """`import zoo` and the commands that only read plain data start without TensorFlow or
    Keras (a fraction of a second instead of seconds); checked in sys.modules at exit."""
    import json
    import os
    import subprocess
    import sys

    probe = ("import atexit, json, sys\n"
             "atexit.register(lambda: sys.__stdout__.write('\\nMODULES ' + json.dumps("
             "sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', "
             "'jax', 'numpy'))) + '\\n'))\n"
             "from zoo.cli import main\n"
             "sys.argv[0] = 'zoo'\n"
             "code = main()\n"
             "sys.exit(code)\n")
    env = dict(os.environ, ZOO_OFFLINE="1")
    for argv in LIGHT_COMMANDS:
        done = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True,
                              text=True, env=env, timeout=120)
        assert done.returncode == 0, (argv, done.stderr)
        heavy = json.loads(done.stdout.rsplit("MODULES ", 1)[1])
        assert not [m for m in heavy if not m.startswith("numpy")], (argv, heavy[:5])
