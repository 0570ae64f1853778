import keras
import pytest

import zoo
from zoo import runtime


def test_configure_picks_the_gpu_when_there_is_one_else_falls_back_to_cpu():
    assert runtime.configure(device="cpu") == "cpu"
    if runtime.gpus():
        assert runtime.configure(device="auto") == "gpu"
        assert runtime.configure(device="gpu") == "gpu"
        return
    assert runtime.configure(device="auto") == "cpu"
    with pytest.raises(zoo.ConfigError, match="no GPU is visible"):
        runtime.configure(device="gpu")


def test_mixed_precision_only_on_a_gpu(caplog):
    try:
        runtime.configure(mixed_precision=True)
        if runtime.gpus():
            assert keras.mixed_precision.global_policy().name == "mixed_float16"
        else:
            assert keras.mixed_precision.global_policy().name == "float32"
            assert "mixed precision needs a GPU" in caplog.text
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_unknown_device_is_a_config_error():
    with pytest.raises(zoo.ConfigError, match="device must be one of"):
        runtime.configure(device="tpu9")


def test_seed_makes_initialisation_repeatable():
    runtime.configure(seed=7)
    a = zoo.build("perceptron").get_weights()[0]
    runtime.configure(seed=7)
    b = zoo.build("perceptron").get_weights()[0]
    assert (a == b).all()
