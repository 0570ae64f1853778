"""The `zoo` command line end to end, on the real MNIST digits committed under tests/data."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

import zoo
from zoo.cli import main
from zoo.data import read_idx

FIXTURE_ACCURACY = 0.85  # stated in the README: mnist_convnet on 540 fixture digits, 12 epochs


def _zoo(*args):
    """Run the CLI in a fresh process, as a user would."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-m", "zoo.cli", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=600)


def _one_line_error(capsys, *argv):
    assert main([str(a) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("zoo: error: ") and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    return err


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """mnist_convnet trained by the CLI on the fixture's 540 training digits."""
    out = tmp_path_factory.mktemp("run") / "mnist_convnet"
    data = os.path.join(os.path.dirname(__file__), "data", "mnist_small")
    assert main(["train", "mnist_convnet", "--dataset", "mnist", "--data-dir", data,
                 "--epochs", "12", "--batch-size", "32", "--out", str(out), "--verbose", "0"]) == 0
    return out, data


def test_train_writes_a_complete_run(trained):
    out, _ = trained
    for name in ("zoo.json", "model.weights.h5", "run.json", "history.json", "metrics.json",
                 "checkpoint/last.keras", "checkpoint/state.json"):
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    history = json.loads((out / "history.json").read_text())
    assert len(history["loss"]) == len(history["val_accuracy"]) == metrics["epochs_run"] == 12
    assert history["loss"][-1] < history["loss"][0]
    assert metrics["num_params"] == 34_826
    # 200 test digits the model never trained on.
    assert metrics["test_accuracy"] >= FIXTURE_ACCURACY
    config = json.loads((out / "zoo.json").read_text())
    assert config["class_names"] == [str(i) for i in range(10)]
    assert config["dataset"]["num_examples"] == {"train": 540, "validation": 60, "test": 200}


def test_evaluate_reproduces_the_test_figure(trained, capsys):
    out, data = trained
    assert main(["evaluate", str(out), "--data-dir", data]) == 0
    result = json.loads(capsys.readouterr().out)
    metrics = json.loads((out / "metrics.json").read_text())
    assert result["split"] == "test"
    assert result["test_accuracy"] == pytest.approx(metrics["test_accuracy"], abs=1e-6)
    assert (out / "eval_mnist_test.json").is_file()


def test_predict_image_files_as_a_user_draws_them(trained, tmp_path, capsys):
    out, data = trained
    images = read_idx(os.path.join(data, "t10k-images-idx3-ubyte.gz"))[:20]
    labels = read_idx(os.path.join(data, "t10k-labels-idx1-ubyte.gz"))[:20]
    paths = []
    for index, image in enumerate(images):
        big = Image.fromarray(image).resize((112, 112), Image.Resampling.BILINEAR)
        if index % 2:  # half of them dark ink on white paper, as people write
            big = Image.fromarray(255 - np.asarray(big))
        if index % 3 == 0:
            big = big.convert("RGB")
        paths.append(tmp_path / f"digit{index}.png")
        big.save(paths[-1])
    assert main(["predict", *map(str, paths), "--model", str(out), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["image"] for row in rows] == [str(p) for p in paths]
    assert all(len(row["top"]) == 3 for row in rows)
    correct = sum(row["label"] == str(label) for row, label in zip(rows, labels))
    assert correct >= 16, f"{correct}/20"


def test_rerunning_a_finished_run_changes_nothing(trained, capsys):
    out, data = trained
    before = (out / "model.weights.h5").stat().st_mtime_ns
    assert main(["train", "mnist_convnet", "--dataset", "mnist", "--data-dir", data,
                 "--epochs", "12", "--batch-size", "32", "--out", str(out)]) == 0
    assert "already trained for 12 epochs" in capsys.readouterr().out
    assert (out / "model.weights.h5").stat().st_mtime_ns == before


def test_another_run_into_the_same_directory_is_refused(trained, capsys):
    out, data = trained
    before = (out / "model.weights.h5").read_bytes()
    err = _one_line_error(capsys, "train", "lenet5", "--dataset", "mnist", "--data-dir", data,
                          "--out", out)
    assert "holds another run" in err and "--overwrite" in err
    assert (out / "model.weights.h5").read_bytes() == before


def test_resume_after_kill(mnist_small_dir, tmp_path):
    out = tmp_path / "run"
    command = ["train", "perceptron", "--dataset", "mnist", "--data-dir", mnist_small_dir,
               "--epochs", "40", "--batch-size", "16", "--out", out, "--verbose", "2"]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    process = subprocess.Popen([sys.executable, "-m", "zoo.cli", *map(str, command)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = out / "checkpoint" / "state.json"
    deadline = time.monotonic() + 300
    while not state.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert not (out / "metrics.json").exists()
    saved = json.loads(state.read_text())
    done = saved["epoch"]
    assert 1 <= done < 40
    assert len(saved["history"]["loss"]) == done  # the state names only epochs on disk

    result = _zoo(*command)
    assert result.returncode == 0, result.stderr
    assert f"Resuming perceptron from epoch {done} of 40" in result.stdout
    history = json.loads((out / "history.json").read_text())
    assert len(history["loss"]) == 40
    assert history["loss"][:done] == saved["history"]["loss"]  # kept, not trained again
    # The epochs before the kill are kept as they were, not trained again.
    assert history["loss"][:done] == saved["history"]["loss"]
    assert json.loads((out / "metrics.json").read_text())["epochs_run"] == 40


def test_unknown_model(capsys):
    err = _one_line_error(capsys, "train", "lenet", "--dataset", "mnist", "--out", "/tmp/x")
    assert "unknown model 'lenet'" in err and "lenet5" in err


def test_unknown_dataset(capsys, tmp_path):
    err = _one_line_error(capsys, "train", "lenet5", "--dataset", "mnsit", "--out", tmp_path / "o")
    assert "mnsit" in err and "mnist" in err


def test_missing_data_directory(capsys, tmp_path):
    err = _one_line_error(capsys, "train", "lenet5", "--dataset", "mnist", "--data-dir",
                          tmp_path / "nowhere", "--out", tmp_path / "o")
    assert "does not exist" in err and "fetch_data.py" in err
    assert not (tmp_path / "o").exists()


def test_input_shape_that_does_not_fit_the_dataset(capsys, mnist_small_dir, tmp_path):
    err = _one_line_error(capsys, "train", "alexnet_small", "--dataset", "mnist", "--data-dir",
                          mnist_small_dir, "--out", tmp_path / "o")
    assert "(32, 32, 3)" in err and "(28, 28, 1)" in err and "input_shape=28,28,1" in err


def test_option_override_from_the_command_line(capsys, mnist_small_dir, tmp_path):
    out = tmp_path / "o"
    assert main(["train", "alexnet_small", "--dataset", "mnist", "--data-dir",
                 str(mnist_small_dir), "--option", "input_shape=28,28,1", "--option",
                 "filters=[8,16]", "--option", "kernel_size=3", "--option", "dense_units=[32]",
                 "--epochs", "1", "--out", str(out), "--verbose", "0"]) == 0
    options = json.loads((out / "zoo.json").read_text())["options"]
    assert options["input_shape"] == [28, 28, 1] and options["filters"] == [8, 16]


def test_predict_refuses_a_file_that_is_not_an_image(trained, capsys, tmp_path):
    out, _ = trained
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    err = _one_line_error(capsys, "predict", text, "--model", out)
    assert "notes.png: not an image file" in err


def test_predict_without_a_trained_model(capsys, tmp_path):
    err = _one_line_error(capsys, "predict", "x.png", "--model", tmp_path)
    assert "holds no trained model" in err


@pytest.mark.parametrize("command, model, extra", [
    ("predict", "mnist_convnet.mnist", ["--top-k", "2"]),
    ("caption", "show_attend_tell.mnist_captions", []),
])
def test_predict_and_caption_take_the_model_first_or_with_model(command, model, extra,
                                                                 tmp_path, capsys):
    """Both commands take both forms (predict had only --model, caption only the first
    argument); the answers are the same, and every argument after --model is an image."""
    images, _ = zoo.samples.digits()
    paths = []
    for k in (0, 1):
        paths.append(str(tmp_path / f"digit{k}.png"))
        Image.fromarray(images[k]).save(paths[-1])
    outputs = []
    for argv in ([command, model, *paths, "--json", *extra],
                 [command, "--model", model, *paths, "--json", *extra],
                 [command, *paths, "--json", "--model", model, *extra]):
        assert main(argv) == 0, argv
        rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert [row["image"] for row in rows] == paths
        outputs.append(rows)
    assert outputs[0] == outputs[1] == outputs[2]
    # a lone argument without --model: what to give, in one line
    err = _one_line_error(capsys, command, paths[0])
    assert f"give a model and at least one image: `zoo {command} MODEL IMAGE...` (or `zoo " \
           f"{command} --model MODEL IMAGE...`)" in err
    # --help shows both forms
    with pytest.raises(SystemExit):
        main([command, "--help"])
    usage = capsys.readouterr().out
    assert f"zoo {command} MODEL IMAGE [IMAGE ...]" in usage
    assert f"zoo {command} --model MODEL IMAGE [IMAGE ...]" in usage


@pytest.mark.parametrize("command, model", [("predict", "mnist_convnet.mnist"),
                                            ("caption", "show_attend_tell.mnist_captions")])
def test_a_model_given_first_and_with_model_is_one_clear_error(command, model, tmp_path,
                                                               capsys):
    """`zoo caption M IMG --model M2`: the first argument is not read as an image (that said
    "no such file"); the model is asked for once, before anything is loaded."""
    image = tmp_path / "digit.png"
    Image.fromarray(zoo.samples.digits()[0][0]).save(image)
    run = tmp_path / "run"
    run.mkdir()
    (run / "zoo.json").write_text("{}")
    for first in (model, model.split(".")[0], str(run)):  # a weight, a model name, a run
        err = _one_line_error(capsys, command, first, image, "--model", model)
        assert f"give the model once: either first or with --model, not both (got {first!r} " \
               f"first and --model {model!r})" in err, err
    # an image whose name happens to be a model's is still an image
    named = tmp_path / model
    Image.fromarray(zoo.samples.digits()[0][0]).save(named, format="PNG")
    assert main([command, str(named), "--model", model, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["image"] == str(named)


def test_python_dash_m_zoo_and_a_reader_that_stops_early():
    """`python -m zoo` is the zoo command (it said "'zoo' is a package and cannot be directly
    executed"); `zoo weights list | head -1` ends quietly (it said "zoo: error: Broken pipe")."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    shown = subprocess.run([sys.executable, "-m", "zoo", "--help"], env=env,
                           capture_output=True, text=True, timeout=600)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("usage: zoo ") and "`zoo weights list`" in shown.stdout
    process = subprocess.Popen([sys.executable, "-m", "zoo", "weights", "list"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before the first line is written
    err = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=600) == 141 and err == ""


def test_process_level_error_has_no_traceback():
    result = _zoo("train", "nope", "--dataset", "mnist", "--out", "/tmp/never")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("zoo: error: unknown model 'nope'")
    assert "Traceback" not in result.stderr


def test_list_and_describe(capsys):
    assert main(["list", "*convnet"]) == 0
    assert capsys.readouterr().out.startswith("mnist_convnet")
    assert main(["describe", "mnist_convnet"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["num_params"] == 34_826 and info["train"]["epochs"] == 20
    assert main(["list", "--datasets"]) == 0
    assert "mnist" in capsys.readouterr().out.split()


def test_early_stopping_and_tensorboard_logs(mnist_small_dir, tmp_path):
    out = tmp_path / "run"
    # A learning rate far too large makes the validation loss worse at once, so patience 2 stops
    # the run after 3 epochs and keeps the best (first) epoch's weights.
    assert main(["train", "perceptron", "--dataset", "mnist", "--data-dir", str(mnist_small_dir),
                 "--optimizer", "sgd", "--learning-rate", "30", "--epochs", "20",
                 "--early-stopping", "2", "--tensorboard", "--out", str(out),
                 "--verbose", "0"]) == 0
    history = json.loads((out / "history.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_run"] == len(history["loss"]) < 20
    assert list((out / "logs").rglob("events.out.tfevents.*"))
