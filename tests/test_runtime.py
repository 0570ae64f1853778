import keras
import pytest

import zoo
from zoo import runtime


def test_configure_on_this_machine_falls_back_to_cpu_without_a_gpu():
    if runtime.gpus():
        pytest.skip("this test describes a machine without a GPU")
    assert runtime.configure(device="auto") == "cpu"
    assert runtime.configure(device="cpu") == "cpu"
    with pytest.raises(zoo.ConfigError, match="no GPU is visible"):
        runtime.configure(device="gpu")


def test_mixed_precision_is_refused_on_cpu_and_the_policy_stays_float32(caplog):
    if runtime.gpus():
        pytest.skip("this test describes a machine without a GPU")
    runtime.configure(mixed_precision=True)
    assert keras.mixed_precision.global_policy().name == "float32"
    assert "mixed precision needs a GPU" in caplog.text


def test_unknown_device_is_a_config_error():
    with pytest.raises(zoo.ConfigError, match="device must be one of"):
        runtime.configure(device="tpu9")


def test_seed_makes_initialisation_repeatable():
    runtime.configure(seed=7)
    a = zoo.build("perceptron").get_weights()[0]
    runtime.configure(seed=7)
    b = zoo.build("perceptron").get_weights()[0]
    assert (a == b).all()
