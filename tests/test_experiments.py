"""The explainer's experiments: each quick version, on the real MNIST digits of tests/data, shows
the effect in the expected direction; the full-run results shipped with the package are complete,
true to their own curves and protocol, and hold no machine path."""

import json

import numpy as np
import pytest
from PIL import Image

from zoo import experiments
from zoo.cli import main
from zoo.experiments import _common, depth, incremental, scaling, vanishing

NAMES = experiments.list_experiments()


@pytest.fixture(scope="module")
def digits():
    from conftest import DATA_DIR

    return _common.load_digits(DATA_DIR / "mnist_small", quick=True, seed=0)


@pytest.fixture(scope="module")
def quick(digits):
    """Each quick result, run once for the module."""
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = experiments.run(name, quick=True, digits=digits)
        return cache[name]

    return get


def test_the_quick_data_is_balanced_real_mnist(digits):
    assert digits.x_train.shape == (600, 28, 28, 1) and digits.x_test.shape == (200, 28, 28, 1)
    assert digits.x_train.dtype == np.float32 and 0 <= digits.x_train.min() < digits.x_train.max() <= 1
    assert np.bincount(digits.y_train).tolist() == [60] * 10
    assert np.bincount(digits.y_test).tolist() == [20] * 10


def test_vanishing_gradients(quick):
    result = quick("vanishing")
    f, epochs = result["figures"], result["settings"]["epochs"]
    # sigmoid: the first layer's gradient is orders of magnitude smaller than the output layer's
    assert f["sigmoid: first/last gradient norm at init"] < 1e-3
    assert f["relu: first/last gradient norm at init"] > 1e-2
    assert f["tanh: first/last gradient norm at init"] > 1e-2
    # plain sigmoid stays near chance on 10 classes; ReLU, tanh and pretrained sigmoid learn
    assert f[f"sigmoid: test accuracy after {epochs} epochs"] < 0.2
    assert f[f"relu: test accuracy after {epochs} epochs"] > 0.4
    assert f[f"sigmoid + pretraining: test accuracy after {epochs} epochs"] > 0.4
    # per layer, sigmoid's norms fall towards the input (each of the 9 dense layers measured)
    norms = result["series"]["sigmoid"]["gradient_norms"][0]
    assert len(norms) == 9 and norms[0] < norms[4] < norms[-1]
    assert all(result["holds"].values()), result["holds"]


def test_pretraining_gives_layers_that_carry_the_input():
    """Each pretrained layer's codes still vary with the input: none collapsed to a constant."""
    import keras

    from zoo.models.mlp import build_mlp

    rng = np.random.default_rng(0)
    x = (rng.random((256, 28, 28, 1)) < 0.2).astype("float32")
    model = build_mlp(hidden_units=(32,) * 4, activation="sigmoid", dropout=0.0)
    vanishing.pretrain_layers(model, x, epochs=3, batch_size=32, seed=0)
    codes = x.reshape(256, -1)
    for layer in vanishing._dense_layers(model)[:-1]:
        codes = np.asarray(keras.ops.sigmoid(codes @ layer.kernel.numpy() + layer.bias.numpy()))
        assert codes.std(axis=0).mean() > 0.05, layer.name


def test_dropout_narrows_the_gap(quick):
    f = quick("dropout")["figures"]
    assert f["no dropout: train accuracy"] >= 0.999  # memorised
    assert f["dropout: accuracy gap"] < f["no dropout: accuracy gap"]
    assert f["dropout: test accuracy"] > f["no dropout: test accuracy"]
    assert f["parameters"] == 784 * 1024 + 1024 + 1024 * 1024 + 1024 + 1024 * 10 + 10


def test_shallow_vs_deep_budgets_and_the_cnn(quick):
    result = quick("depth")
    f = result["figures"]
    for kind in depth.KINDS:
        assert abs(f[f"{kind} @ 100k: parameters"] - 100_000) <= 5_000
    assert result["series"]["shallow MLP @ 100k"]["shape"]["hidden_units"] == [126]
    assert len(result["series"]["deep MLP @ 100k"]["shape"]["hidden_units"]) == 3
    assert f["CNN @ 100k: test accuracy"] > max(f["shallow MLP @ 100k: test accuracy"],
                                                f["deep MLP @ 100k: test accuracy"])
    assert all(result["holds"].values()), result["holds"]


def test_budget_helpers_match_the_built_models():
    from zoo.models.cnn import build_cnn
    from zoo.models.mlp import build_mlp

    for budget in (100_000, 400_000):
        for layers in (1, 3):
            width = _common.width_for_budget(layers, budget)
            built = build_mlp(hidden_units=(width,) * layers, dropout=0.0).count_params()
            assert built == _common.mlp_params((width,) * layers)
            assert abs(built - budget) < 0.01 * budget
        dense = _common.cnn_dense_for_budget(budget)
        built = build_cnn(filters=(32, 64), dense_units=(dense,), dropout=0.0).count_params()
        assert abs(built - budget) < 0.01 * budget


def test_accuracy_grows_with_data(quick):
    result = quick("scaling")
    series = result["series"]
    assert set(series) == set(scaling.METHODS)
    for kind, s in series.items():
        assert s["sizes"] == [60, 200, 600]
        assert s["test_accuracy"][-1] > s["test_accuracy"][0] + 0.1, kind
    assert series["CNN"]["test_accuracy"][-1] > series["logistic regression"]["test_accuracy"][-1]
    # about the same optimiser steps at each size: more epochs for the small sets
    assert series["CNN"]["epochs"][0] > series["CNN"]["epochs"][-1]


def test_nested_training_sets_are_balanced_prefixes():
    labels = np.repeat(np.arange(10), 50)
    order = _common.nested_order(labels, np.random.default_rng(0))
    assert sorted(order.tolist()) == list(range(500))
    for n in (10, 100, 300):
        assert np.bincount(labels[order[:n]], minlength=10).tolist() == [n // 10] * 10


def test_adding_a_class(quick):
    result = quick("incremental")
    s = result["series"]
    a, b, c = (s[way] for way in incremental.WAYS)
    assert s["base"]["old_accuracy"] > 0.8
    assert a["old_accuracy"] < 0.3  # forgotten
    assert b["old_accuracy"] > 0.8 and c["old_accuracy"] > 0.8  # kept / relearned
    assert min(a["new_accuracy"], b["new_accuracy"], c["new_accuracy"]) > 0.8
    assert b["examples"] < c["examples"]
    assert all(result["holds"].values()), result["holds"]


def test_grown_output_keeps_the_old_units(digits):
    from zoo.models.grow import grow_output
    from zoo.models.mlp import build_mlp

    base = build_mlp(hidden_units=(16,), num_classes=4, dropout=0.0)
    grown = grow_output(base, 1, seed=0)
    x = digits.x_test[:8]
    old_logits = np.asarray(base.get_layer("logits")(base.get_layer("hidden1_act")(
        base.get_layer("hidden1_dense")(x.reshape(8, -1)))))
    new_logits = np.asarray(grown.get_layer("logits")(grown.get_layer("hidden1_act")(
        grown.get_layer("hidden1_dense")(x.reshape(8, -1)))))
    assert new_logits.shape == (8, 5)
    np.testing.assert_allclose(new_logits[:, :4], old_logits, rtol=1e-5, atol=1e-6)


def test_the_same_seed_gives_the_same_figures(quick, digits):
    first = quick("incremental")
    second = experiments.run("incremental", quick=True, digits=digits, seed=first["seed"])
    for key, value in first["figures"].items():
        if not key.endswith("seconds"):
            assert second["figures"][key] == value, key


# --- the shipped full runs -------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_shipped_full_run(name):
    result = experiments.shipped(name)
    assert result is not None, f"no shipped result for {name}: python scripts/run_experiments.py"
    mod = experiments.module(name)
    assert result["experiment"] == name and result["quick"] is False
    assert result["settings"] == json.loads(json.dumps(mod.FULL)), "rerun it: the protocol changed"
    assert result["data"]["train"] == 60_000 and result["data"]["test"] == 10_000
    assert "CC BY-SA" in result["data"]["license"]
    assert result["command"].startswith(f"zoo experiment {name} --seed ")
    assert result["wall_seconds"] > 0 and len(result["load_average"]) == 3
    # the recorded checks are the ones the figures give, and the effect was seen
    assert mod.holds(result) == result["holds"]
    assert all(result["holds"].values()), result["holds"]
    text = json.dumps(result)
    for machine in ("/work/", "/tmp/", "/home/", "shared/data"):
        assert machine not in text
    plot = experiments.shipped_plot(name)
    with Image.open(plot) as image:
        assert image.format == "PNG" and image.width >= 600 and image.height >= 300


def test_shipped_figures_are_read_off_their_curves():
    v = experiments.shipped("vanishing")
    for label, data in v["series"].items():
        norms = data["gradient_norms"][0]
        assert v["figures"][f"{label}: first/last gradient norm at init"] == \
            pytest.approx(norms[0] / norms[-1])
        assert len(data["test_accuracy"]) == v["settings"]["epochs"] + 1
    d = experiments.shipped("dropout")
    last = d["figures"]["epochs averaged"]
    for label, curve in d["series"].items():
        assert d["figures"][f"{label}: test accuracy"] == \
            pytest.approx(np.mean(curve["test_accuracy"][-last:]))
    s = experiments.shipped("scaling")
    for kind, curve in s["series"].items():
        assert curve["sizes"] == s["settings"]["sizes"]
        assert s["figures"][f"{kind}: test accuracy at 60000"] == curve["test_accuracy"][-1]


# --- the command line ------------------------------------------------------------------------

def test_cli_writes_json_and_png(tmp_path, capsys, mnist_small_dir):
    out = tmp_path / "out"
    assert main(["experiment", "incremental", "--quick", "--data-dir", str(mnist_small_dir),
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "yes  fine-tuning on the new class alone forgets the old ones" in printed
    result = json.loads((out / "incremental.json").read_text())
    assert result["quick"] is True and result["data"]["train"] == 600
    with Image.open(out / "incremental.png") as image:
        assert image.format == "PNG"


def test_cli_lists_experiments_with_shipped_checks(capsys):
    assert main(["experiment"]) == 0
    printed = capsys.readouterr().out
    for name in NAMES:
        assert f"{name}: " in printed
    assert "yes  " in printed


@pytest.mark.parametrize("argv, words", [
    (["experiment", "dropuot"], "did you mean 'dropout'"),
    (["experiment", "dropout", "--seed", "-1"], "--seed"),
    (["experiment", "dropout", "--quick", "--data-dir", "/nonexistent/mnist"], "does not exist"),
])
def test_cli_bad_input_is_one_line(capsys, argv, words):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("zoo: error: ") and len(err.strip().splitlines()) == 1, err
    assert words.lower() in err.lower()


def test_cli_refuses_a_file_as_out_before_running(tmp_path, capsys, mnist_small_dir):
    target = tmp_path / "taken"
    target.write_text("keep me")
    assert main(["experiment", "depth", "--quick", "--data-dir", str(mnist_small_dir),
                 "--out", str(target)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert target.read_text() == "keep me"
