"""A task and a model family the zoo does not ship, defined here and nowhere else, go through
everything the zoo does with a model: train (the real trainer), save, load (``zoo.load``),
batch inference, export, publish. This is the proof that a task owns its facts: adding one
means one task class and one family module registered through the public tables
(``zoo.tasks.register_task``, ``zoo.registry.register_model``), no edit of the package.

The task: the brightness of a small greyscale picture (the mean of its pixels, 0 to 1), a
regression on images. The family: a two-layer perceptron. The data: a few dozen 8x8 PNG files
written into the test's temporary directory. Everything registered is removed afterwards, so no
other test sees it.
"""

import contextlib
import json
import os
import pathlib

import keras
import numpy as np
import pytest
from PIL import Image

import zoo
from zoo import batch, export, publish, registry, saving, training
from zoo.errors import ConfigError, DataError
from zoo.preprocessing import ImagePreprocessor
from zoo.tasks import register_task, task_names, unregister_task
from zoo.tasks.base import Headline, Prepared, Task

PREPROCESSOR = ImagePreprocessor([8, 8], color_mode="L")  # one of the zoo's input kinds
MODEL = "tiny_brightness"


# -- the family: a builder and its named variant ------------------------------------------------

def build_tiny_regressor(*, input_shape=(8, 8, 1), units=8, name="tiny_regressor"):
    """A perceptron with one hidden layer and one output: images in, one number out."""
    inputs = keras.Input(tuple(input_shape))
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(int(units), activation="relu")(x)
    outputs = keras.layers.Dense(1)(x)
    return keras.Model(inputs, outputs, name=name)


# -- the task ---------------------------------------------------------------------------------

class Brightness(Task):
    """Pictures in, their brightness (0 black to 1 white) out."""

    task = "brightness"
    noun = "a brightness model"
    headline = Headline("test_mae", "test mean absolute error", "min")
    config_schema = {"preprocessor": "preprocessor"}
    recipe_settings = {"max_images": ("int", 1, 10_000)}
    memory_hint = "give fewer pictures at a time"
    batch_input = "images"

    @property
    def input_shape(self):
        return tuple(self.model.input_shape[1:])

    def predict(self, images):
        """The brightness of each image (paths, arrays or an already preprocessed batch)."""
        batch_ = self.preprocessor(images)  # a preprocessed float32 batch passes as it is
        return [float(v) for v in self.model.predict_on_batch(batch_)[:, 0]]

    @classmethod
    def prepare(cls, model_name, options, request, assets=None):
        import tensorflow as tf

        files = sorted(pathlib.Path(request.dataset).glob("*.png"))
        files = files[:int(request.recipe.get("max_images", len(files)))]
        x = PREPROCESSOR(files)
        y = x.reshape(len(x), -1).mean(axis=1, keepdims=True)
        cut_val, cut_test = int(len(x) * 0.6), int(len(x) * 0.8)

        def split(a, b):
            return tf.data.Dataset.from_tensor_slices((x[a:b], y[a:b])).batch(request.batch_size)

        return Prepared(train=split(0, cut_val), validation=split(cut_val, cut_test),
                        test=split(cut_test, len(x)), options=dict(options),
                        assets={"preprocessor": PREPROCESSOR.to_dict()},
                        data_info={"name": str(request.dataset), "examples": len(x)},
                        summary=f"{len(x)} pictures")

    @staticmethod
    def compile_model(model, optimizer):
        model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])

    def batch_load(self, path):
        return self.preprocessor([path])[0]

    def batch_answerer(self):
        return self.predict

    @staticmethod
    def answer_json(value):
        return {"brightness": value}


@contextlib.contextmanager
def registered(task_cls=Brightness, model=MODEL):
    """The task and the model in the zoo's tables for the block, removed afterwards."""
    register_task(task_cls.task, task_cls)
    try:
        registry.register_model(
            model, family="tiny", task=task_cls.task, builder=build_tiny_regressor,
            description="A tiny perceptron that tells how bright a picture is.",
            train={"optimizer": "adam", "learning_rate": 0.02, "batch_size": 4, "epochs": 6})
        try:
            yield
        finally:
            registry.unregister_model(model)
    finally:
        unregister_task(task_cls.task)


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    """40 greyscale 8x8 pictures of every brightness, with a little noise."""
    folder = tmp_path_factory.mktemp("pictures")
    rng = np.random.default_rng(0)
    for i in range(40):
        level = rng.uniform(10, 245)
        pixels = np.clip(level + rng.normal(0, 8, (8, 8)), 0, 255).astype(np.uint8)
        Image.fromarray(pixels, "L").save(folder / f"p{i:02d}.png")
    return folder


@pytest.fixture(scope="module")
def run(pictures, tmp_path_factory):
    """The task and the model registered for this module, and one finished training run."""
    with registered():
        out = tmp_path_factory.mktemp("run") / "brightness"
        metrics = training.train(MODEL, dataset=str(pictures), out_dir=out, verbose=0, seed=0,
                                 recipe={"max_images": 40})
        yield out, metrics


def test_registration_is_undone():
    probe = type("Probe", (Brightness,), {"task": "probe_brightness"})
    with registered(probe, "tiny_probe"):
        assert "probe_brightness" in task_names()
        assert zoo.list_models(task="probe_brightness") == ["tiny_probe"]
        assert zoo.describe("tiny_probe")["family"] == "tiny"
    assert "probe_brightness" not in task_names()
    assert "tiny_probe" not in zoo.list_models()
    with pytest.raises(ValueError, match="zoo's own"):
        unregister_task("image_classification")
    with pytest.raises(ValueError, match="must set task"):
        register_task("other", Brightness)


def test_train_save_load_answer(run, pictures):
    out, metrics = run
    assert metrics["epochs_run"] == 6 and "test_mae" in metrics and "validation_mae" in metrics
    config = saving.read_json(out / saving.CONFIG_FILE)
    assert config["task"] == "brightness" and config["preprocessor"] == PREPROCESSOR.to_dict()
    model = zoo.load(out)
    assert isinstance(model, Brightness)
    files = sorted(pictures.glob("*.png"))[:6]
    got = model.predict(files)
    truth = [float(PREPROCESSOR([p])[0].mean()) for p in files]
    # learned, not guessed: the loss fell, and the answers are closer than the middle grey
    loss = saving.read_json(out / "history.json")["loss"]
    assert loss[-1] < 0.5 * loss[0]
    assert np.mean(np.abs(np.subtract(got, truth))) < np.mean(np.abs(np.subtract(truth, 0.5)))
    model.save(out.parent / "copy")
    assert zoo.load(out.parent / "copy").predict(files) == got


def test_its_recipe_settings_and_its_schema_are_its_own(run, tmp_path, pictures):
    with pytest.raises(ConfigError, match="unknown recipe setting 'augment_shift'"):
        training.train(MODEL, dataset=str(pictures), out_dir=tmp_path / "x",
                       recipe={"augment_shift": 1})
    with pytest.raises(ConfigError, match="recipe setting max_images"):
        training.train(MODEL, dataset=str(pictures), out_dir=tmp_path / "x",
                       recipe={"max_images": 0})
    out, _ = run
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / saving.WEIGHTS_FILE).write_bytes((out / saving.WEIGHTS_FILE).read_bytes())
    config = saving.read_json(out / saving.CONFIG_FILE)
    config["preprocessor"]["size"] = [8]
    saving.write_json(damaged / saving.CONFIG_FILE, config)
    with pytest.raises(DataError, match="'preprocessor.size' must be"):
        zoo.load(damaged)


def test_batch_inference(run, pictures, tmp_path):
    out, _ = run
    model = zoo.load(out)
    (pictures.parent / "not_a_picture.png").write_bytes(b"hello")
    inputs = [str(pictures), str(pictures.parent / "not_a_picture.png")]
    summary = batch.answer_files(model, inputs, tmp_path / "answers.jsonl", batch_size=16,
                                 progress=False)
    assert summary.done == 40 and sum(summary.skipped.values()) == 1
    lines = [json.loads(line) for line in
             (tmp_path / "answers.jsonl").read_text(encoding="utf-8").splitlines()]
    answered = {line["path"]: line["brightness"] for line in lines if "brightness" in line}
    files = sorted(pictures.glob("*.png"))
    assert np.allclose([answered[str(p)] for p in files], model.predict(files), atol=1e-5)
    with pytest.raises(ConfigError, match="the classifier must be an image classifier"):
        batch.predict_files(model, inputs, tmp_path / "o.jsonl", progress=False)


def test_export_and_publish(run, tmp_path):
    """SavedModel (the base class's serving_default) and ONNX, then a published record."""
    import tensorflow as tf

    out, _ = run
    model = zoo.load(out)
    result = export.export(model, "saved_model", tmp_path / "serving")
    assert result["signatures"] == ["serving_default"]
    assert result["check"]["max_abs_diff"] <= export.TOLERANCE
    loaded = tf.saved_model.load(result["path"])
    x = model.sample_inputs(3, seed=1)
    served = loaded.serving_default(tf.constant(x))["outputs"].numpy()[:, 0]
    assert np.allclose(served, model.predict(x), atol=1e-5)
    meta = json.loads((tmp_path / "serving" / MODEL / "1" / "assets.extra" /
                       "zoo_export.json").read_text(encoding="utf-8"))
    assert meta["task"] == "brightness" and meta["preprocessor"] == PREPROCESSOR.to_dict()

    log_level = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
    flat = export.export(model, "onnx", tmp_path / "serving")
    # tf2onnx's import sets it to 3; left so, it would silence later processes' native errors
    assert os.environ.get("TF_CPP_MIN_LOG_LEVEL") == log_level
    assert flat["input"] == {"shape": [None, 8, 8, 1], "dtype": "float32"}
    assert np.allclose(export.run_onnx(flat["path"], x)[:, 0], model.predict(x), atol=1e-5)

    record = publish.publish(out, tmp_path / "mirror", name=f"{MODEL}.pictures",
                             data_source="random pictures made by the test",
                             data_license="CC0", command="pytest tests/test_new_task.py")
    assert record["task"] == "brightness" and record["family"] == "tiny"
    assert record["preprocessing"] == PREPROCESSOR.get_config()
    assert record["headline"]["metric"] == "test_mae"
