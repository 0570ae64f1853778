"""Faults in the middle of work: a `zoo` command killed with SIGKILL mid-download and mid-export,
and a disk that fills up during a checkpoint write. Each time, nothing half-written is left
looking whole, and rerunning the same command finishes the work.

The kill points are found by watching the file system (the download's ``.part`` file, the
export's temporary directory), never by sleeping; the full disk is a file-size limit
(RLIMIT_FSIZE, with SIGXFSZ ignored so a write fails with EFBIG) set in the child process only.
(Batch inference killed and resumed: tests/test_batch.py.)
"""

import json
import os
import pathlib
import resource
import shutil
import signal
import subprocess
import sys
import time

import keras
import pytest

import zoo
from zoo import saving, training, weights
from zoo.cli import main

from conftest import DATA_DIR

ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
DEADLINE = 240  # seconds a child may take to reach the point where it is killed


def _wait_for(condition, process, what):
    """Poll the file system until ``condition()`` holds; fail if the child ends first."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the child ended (exit {process.returncode}) before {what}: "
                        f"{process.stderr.read()[-2000:] if process.stderr else ''}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"no {what} within {DEADLINE} s")
        time.sleep(0.01)


def _kill(process):
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


# -- SIGKILL during `zoo weights download` ---------------------------------------------------

WEIGHT = "mnist_convnet.mnist"  # its weights file (170 kB) spans several reads of 64 KiB

# The `zoo` CLI reading the weights table of a folder given first (a copy of a record that says
# "not bundled"), so the real table and the bundled copy are left alone.
CLI_WITH_TABLE = ("import pathlib, sys; import zoo.weights; "
                  "zoo.weights.PRETRAINED_DIR = pathlib.Path(sys.argv[1]); "
                  "from zoo.cli import main; sys.exit(main(sys.argv[2:]))")


def test_download_killed_mid_transfer_resumes(server, tmp_path, monkeypatch):
    record = dict(weights.get_weight(WEIGHT), bundled=False)
    table = tmp_path / "table"
    table.mkdir()
    (table / "weights.json").write_text(json.dumps([record]))
    (server.root / WEIGHT).mkdir()
    for entry in record["files"]:
        shutil.copy(weights.PRETRAINED_DIR / WEIGHT / entry["name"], server.root / WEIGHT)
    files = {entry["name"]: entry for entry in record["files"]}
    big = files[saving.WEIGHTS_FILE]
    cache = tmp_path / "cache"
    folder = cache / "weights" / WEIGHT
    final, part = folder / saving.WEIGHTS_FILE, folder / (saving.WEIGHTS_FILE + ".part")
    server.hold_after, server.holds = 100_000, 1  # the weights stop coming after 100 kB
    env = dict(ENV, ZOO_CACHE_DIR=str(cache), ZOO_WEIGHTS_URL=server.url(""))
    env.pop("ZOO_OFFLINE", None)
    child = subprocess.Popen([sys.executable, "-c", CLI_WITH_TABLE, str(table), "weights",
                              "download", WEIGHT], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: part.is_file() and part.stat().st_size > 0, child, "a partial download")
    _kill(child)

    # the cache holds the partial bytes under .part only; what is under a final name is whole
    have = part.stat().st_size
    assert 0 < have <= 100_000 < big["size"]
    assert not final.exists()
    for path in folder.iterdir():
        if path.name in files:
            assert weights.sha256_file(path) == files[path.name]["sha256"], path.name

    # the rerun asks only for the rest and ends with the verified file
    monkeypatch.setattr(weights, "PRETRAINED_DIR", table)
    for name, value in (("ZOO_CACHE_DIR", str(cache)), ("ZOO_WEIGHTS_URL", server.url(""))):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ZOO_OFFLINE", raising=False)
    seen = len(server.requests)
    assert main(["weights", "download", WEIGHT]) == 0
    # the weights file is asked for from where it stopped; the files after it (a familiarity
    # calibration) whole, once each
    asked = list(zip(server.paths[seen:], [r.get("Range") for r in server.requests[seen:]]))
    assert [(p, r) for p, r in asked if p.endswith(saving.WEIGHTS_FILE)] == [
        (f"/{WEIGHT}/{saving.WEIGHTS_FILE}", f"bytes={have}-")]
    assert all(r is None for p, r in asked if not p.endswith(saving.WEIGHTS_FILE))
    assert len(asked) == len({p for p, _ in asked})
    assert weights.sha256_file(final) == big["sha256"] and not part.exists()
    assert weights.verify(WEIGHT) == {"name": WEIGHT, "where": str(folder), "ok": True,
                                      "problems": []}


# -- SIGKILL during `zoo export` ---------------------------------------------------------------

def test_export_killed_mid_write_leaves_no_export_then_reruns(tmp_path):
    out = tmp_path / "exports"
    command = ["export", "sparse_autoencoder", "--format", "saved_model", "--out", str(out)]
    target = out / "sparse_autoencoder" / "1"
    child = subprocess.Popen([sys.executable, "-m", "zoo.cli", *command], env=ENV,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # killed once it has started writing: its temporary directory beside the target exists
    _wait_for(lambda: any(target.parent.glob(".partial-*")), child, "the export's writing")
    _kill(child)
    left = sorted(p.name for p in target.parent.iterdir())
    assert left == [f".partial-{child.pid}.1"]  # the target was never there, even half-written

    assert main(command) == 0
    assert sorted(p.name for p in target.parent.iterdir()) == ["1"]  # the leftover is gone
    meta = json.loads((target / "assets.extra" / "zoo_export.json").read_text())
    assert meta["path"] == str(target) and meta["check"]["max_abs_diff"] <= 1e-4
    import tensorflow as tf

    loaded = tf.saved_model.load(str(target))
    digits = tf.zeros((2, 28, 28, 1))
    assert tuple(loaded.serving_default(digits)["outputs"].shape) == (2, 28, 28, 1)


def test_flat_exports_replace_whole_files_only(tmp_path):
    """An ONNX or LiteRT file appears complete or not at all: an export being replaced stays
    whole when the new one fails, and the failed one leaves nothing behind."""
    task = zoo.load("perceptron")
    out = tmp_path / "exports"
    first = zoo.export.export(task, "onnx", out)
    onnx = pathlib.Path(first["path"])
    assert sorted(p.name for p in out.iterdir()) == ["perceptron.onnx", "perceptron.onnx.json"]
    before = onnx.read_bytes()
    # a model that does not fit its own record: the new export fails its check
    broken = zoo.load("perceptron")
    dense = [layer for layer in broken.model.layers if getattr(layer, "bias", None) is not None]
    dense[-1].bias.assign(keras.ops.full((10,), float("nan")))
    with pytest.raises(zoo.ZooError, match="differs"):
        zoo.export.export(broken, "onnx", out, overwrite=True)
    assert onnx.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["perceptron.onnx", "perceptron.onnx.json"]


# -- a full disk during a checkpoint write -----------------------------------------------------

def _file_size_limit(limit):
    def apply():  # in the child, before it runs: its writes past `limit` bytes fail (EFBIG)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_full_disk_at_a_checkpoint_keeps_the_last_one(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "perceptron", "--dataset", "mnist", "--data-dir",
            str(DATA_DIR / "mnist_small"), "--out", str(out), "--train-size", "200",
            "--verbose", "0"]
    assert main(args + ["--epochs", "1"]) == 0
    checkpoint = out / training.CHECKPOINT_DIR
    saved = {p.name: p.read_bytes() for p in checkpoint.iterdir()}
    assert set(saved) == {training.CHECKPOINT_MODEL, training.CHECKPOINT_STATE}
    assert len(saved[training.CHECKPOINT_MODEL]) > 32_768  # the next one cannot be written
    capsys.readouterr()

    # epoch 2 is trained, and its checkpoint does not fit under a 32 kB file-size limit
    done = subprocess.run([sys.executable, "-m", "zoo.cli", *args, "--epochs", "2"], env=ENV,
                          capture_output=True, text=True, timeout=300,
                          preexec_fn=_file_size_limit(32_768))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("zoo: error: could not write the epoch-2 checkpoint ")
    for words in (str(checkpoint), "file-size limit", "free some space",
                  "rerun the same command", "resumes from epoch 1"):
        assert words in lines[0]
    assert "bug" not in lines[0]
    # the epoch-1 checkpoint is as it was, and nothing half-written is left beside it
    assert {p.name: p.read_bytes() for p in checkpoint.iterdir()} == saved
    keras.saving.load_model(checkpoint / training.CHECKPOINT_MODEL, safe_mode=True)

    assert main(args + ["--epochs", "2"]) == 0  # the same command, with room again
    assert "Resuming perceptron from epoch 1 of 2" in capsys.readouterr().out
    assert json.loads((checkpoint / training.CHECKPOINT_STATE).read_text())["epoch"] == 2
    assert saving.read_json(out / "metrics.json")["epochs_run"] == 2
    assert zoo.load(out).config["metrics"]["epochs_run"] == 2


SAVE_WEIGHTS = """
import pathlib, sys
import keras
from zoo import saving
from zoo.errors import WriteError
model = keras.Sequential([keras.Input((100,)), keras.layers.Dense(100)])  # 40 kB of weights
try:
    saving.save_weights(model, pathlib.Path(sys.argv[1]))
except WriteError as err:
    print(err)
"""


def test_full_disk_while_saving_weights_is_one_error_not_a_crash(tmp_path):
    """HDF5 cannot survive a write that fails mid-file (h5py dies with SIGSEGV): the room is
    checked first, and the file there before is left as it was. (Keras on its NumPy backend:
    the same HDF5 writer, without TensorFlow's start-up time.)"""
    target = tmp_path / saving.WEIGHTS_FILE
    target.write_bytes(b"the weights saved before")
    done = subprocess.run([sys.executable, "-c", SAVE_WEIGHTS, str(target)],
                          env=dict(ENV, KERAS_BACKEND="numpy"), capture_output=True, text=True,
                          timeout=300, preexec_fn=_file_size_limit(8192))
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith(f"could not write {target}: the file is too large"), \
        done.stdout
    assert "free some space or lift the limit" in done.stdout
    assert target.read_bytes() == b"the weights saved before"
    assert sorted(p.name for p in tmp_path.iterdir()) == [saving.WEIGHTS_FILE]
