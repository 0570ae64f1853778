"""Batch inference (zoo/batch.py and the CLI's --output modes) on real fixture data: MNIST test
digits written as PNG files, Tux Paint stamps and sentences, with a damaged file, an empty one
and a text file among them; resumed after a torn last line and after a SIGKILL."""

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
from zoo import batch
from zoo.cli import main
from zoo.data import read_idx
from zoo.errors import DataError

from conftest import DATA_DIR


@pytest.fixture(scope="module")
def classifier():
    return zoo.load("mnist_convnet")


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory):
    """30 real digits (10 of them in a subfolder, 5 as JPEG), a truncated PNG, an empty
    file and a text file."""
    root = tmp_path_factory.mktemp("images")
    (root / "more").mkdir()
    digits = read_idx(DATA_DIR / "mnist_small" / "t10k-images-idx3-ubyte.gz")[:30]
    for index, digit in enumerate(digits):
        folder = root / "more" if index >= 20 else root
        suffix = "jpg" if index % 6 == 5 else "png"
        Image.fromarray(digit).save(folder / f"digit{index:02d}.{suffix}")
    (root / "torn.png").write_bytes((root / "digit00.png").read_bytes()[:70])
    (root / "empty.png").write_bytes(b"")
    (root / "notes.txt").write_text("not an image\n")
    (root / ".hidden.png").write_bytes((root / "digit00.png").read_bytes())
    return root


def _lines(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def test_predict_files_counts_skips_and_equals_predict(classifier, image_dir, tmp_path):
    out = tmp_path / "results.jsonl"
    summary = batch.predict_files(classifier, [image_dir], out, batch_size=8, top_k=3,
                                  progress=False)
    assert summary.done == 30 and summary.resumed == 0
    assert dict(summary.skipped) == {"damaged": 1, "empty file": 1, "not an image": 1}
    assert summary.line() == "30 done, 3 skipped (1 damaged, 1 empty file, 1 not an image)"
    lines = _lines(out)
    assert len(lines) == 33 and len({l["path"] for l in lines}) == 33
    assert not any(".hidden" in l["path"] for l in lines)
    good = [l for l in lines if "skipped" not in l]
    # the task's own predict on the same files: the same labels, probabilities, top-k and
    # familiarity (up to float rounding: the batch size changes the last bits)
    want = classifier.predict([l["path"] for l in good], top_k=3)
    for line, prediction in zip(good, want):
        assert line["label"] == prediction.label
        assert abs(line["probability"] - prediction.probability) < 1e-6
        assert [t["label"] for t in line["top"]] == [label for label, _ in prediction.top]
        assert (line["familiar"], line["note"]) == (prediction.familiar, prediction.note)
        assert prediction.familiarity is not None  # the shipped weight is calibrated
        assert abs(line["familiarity"] - prediction.familiarity) < 1e-5
    labels = read_idx(DATA_DIR / "mnist_small" / "t10k-labels-idx1-ubyte.gz")[:30]
    by_name = {os.path.basename(l["path"]).split(".")[0]: l["label"] for l in good}
    correct = sum(by_name[f"digit{i:02d}"] == str(labels[i]) for i in range(30))
    assert correct >= 28  # the bundled model is 99.37% accurate on the test set
    skipped = {os.path.basename(l["path"]): l for l in lines if "skipped" in l}
    assert skipped["notes.txt"]["skipped"] == "not an image"
    assert "notes.txt" in skipped["notes.txt"]["error"]


def test_resume_after_a_torn_line_does_every_file_once(classifier, image_dir, tmp_path):
    out = tmp_path / "results.jsonl"
    batch.predict_files(classifier, [image_dir], out, batch_size=4, progress=False)
    first = out.read_bytes()
    lines = first.split(b"\n")
    cut = len(b"\n".join(lines[:12])) + 1 + len(lines[12]) // 2  # 12 lines and half of one
    out.write_bytes(first[:cut])
    summary = batch.predict_files(classifier, [image_dir], out, batch_size=4, progress=False)
    assert summary.resumed == 12 and summary.total == 33
    assert summary.done + sum(summary.skipped.values()) == 21
    again = _lines(out)
    assert sorted(l["path"] for l in again) == sorted(json.loads(l)["path"]
                                                      for l in lines if l)
    assert out.read_bytes() == first  # same order, same answers: the kill left no trace
    summary = batch.predict_files(classifier, [image_dir], out, progress=False)
    # a finished run is not redone; only the three skipped files are read again
    assert summary.done == 0 and summary.resumed == 30 and summary.retried == 3
    assert dict(summary.skipped) == {"damaged": 1, "empty file": 1, "not an image": 1}
    assert sorted(_lines(out), key=lambda l: l["path"]) == sorted(
        (json.loads(l) for l in lines if l), key=lambda l: l["path"])


def test_a_rerun_reads_the_skipped_files_again_and_counts_them(classifier, image_dir,
                                                                tmp_path, capsys):
    """A rerun reports the files an earlier run skipped again, by reason (it reported none
    before: they were taken as done), and answers one that was fixed since; every file is in
    the output once."""
    folder = tmp_path / "images"
    folder.mkdir()
    for name in ("digit00.png", "digit01.png", "digit02.png", "torn.png", "empty.png",
                 "notes.txt"):
        (folder / name).write_bytes((image_dir / name).read_bytes())
    out = tmp_path / "results.jsonl"
    first = batch.predict_files(classifier, [folder], out, progress=False)
    reasons = {"damaged": 1, "empty file": 1, "not an image": 1}
    assert (first.done, dict(first.skipped), first.retried) == (3, reasons, 0)
    again = batch.predict_files(classifier, [folder], out, progress=False)
    assert (again.done, again.resumed, dict(again.skipped), again.retried) == (0, 3, reasons, 3)
    assert again.line() == (f"0 done, 3 already in {again.output} from an earlier run, "
                            "3 skipped (1 damaged, 1 empty file, 1 not an image); 3 skipped "
                            "by an earlier run, read again")
    lines = _lines(out)
    assert sorted(l["path"] for l in lines) == sorted(str(p) for p in folder.iterdir())
    assert sum("skipped" in l for l in lines) == 3
    # the empty file is a picture now: answered, the two others still skipped
    (folder / "empty.png").write_bytes((image_dir / "digit03.png").read_bytes())
    fixed = batch.predict_files(classifier, [folder], out, progress=False)
    assert (fixed.done, fixed.resumed, fixed.retried) == (1, 3, 3)
    assert dict(fixed.skipped) == {"damaged": 1, "not an image": 1}
    by_path = {l["path"]: l for l in _lines(out)}
    assert len(by_path) == 6 and len(_lines(out)) == 6
    assert by_path[str(folder / "empty.png")]["label"] == \
        classifier.predict([str(folder / "empty.png")])[0].label
    # through the CLI: the summary line says the same
    assert main(["predict", "mnist_convnet", str(folder), "--output", str(out),
                 "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "0 done, 4 already in" in err
    assert "2 skipped (1 damaged, 1 not an image); 2 skipped by an earlier run, read again" \
        in err


def test_resume_after_sigkill(image_dir, tmp_path):
    """The CLI killed with SIGKILL mid-run, then rerun: every file exactly once."""
    many = tmp_path / "many"
    many.mkdir()
    data = (image_dir / "digit01.png").read_bytes()
    for index in range(400):
        (many / f"copy{index:03d}.png").write_bytes(data)
    out = tmp_path / "killed.jsonl"
    command = [sys.executable, "-m", "zoo.cli", "predict", str(many), "--model", "mnist_convnet",
               "--output", str(out), "--batch-size", "1", "--no-progress"]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline and (not out.exists() or out.stat().st_size < 2000):
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    partial = len(out.read_bytes().split(b"\n")) - 1
    assert 0 < partial < 400, partial  # killed mid-run
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "already in" in done.stderr and "0 skipped" in done.stderr
    paths = [l["path"] for l in _lines(out)]
    assert len(paths) == 400 and len(set(paths)) == 400


def test_cli_predict_batch_mode_and_errors(classifier, image_dir, tmp_path, capsys):
    out = tmp_path / "cli.jsonl"
    pattern = str(image_dir / "**" / "digit*.png")
    assert main(["predict", pattern, "--model", "mnist_convnet", "--output", str(out),
                 "--top-k", "2", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "25 done, 0 skipped" in err
    lines = _lines(out)
    assert len(lines) == 25 and all(len(l["top"]) == 2 for l in lines)
    # the old behaviour without --output is unchanged
    assert main(["predict", str(image_dir / "digit00.png"), "--model", "mnist_convnet"]) == 0
    assert capsys.readouterr().out.startswith(f"{image_dir / 'digit00.png'}: ")
    (tmp_path / "other.jsonl").write_text("not json\n")
    for argv in (["predict", str(tmp_path / "nothing"), "--model", "mnist_convnet",
                  "--output", str(out)],
                 ["predict", str(image_dir), "--model", "mnist_convnet", "--output",
                  str(tmp_path / "other.jsonl")],
                 ["predict", str(image_dir), "--model", "mnist_convnet", "--output",
                  str(out), "--batch-size", "0"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("zoo: error: ") and len(err.strip().splitlines()) == 1
    assert main(["predict", str(image_dir), "--model", "mnist_convnet"]) == 2
    assert "is a directory; add --output FILE" in capsys.readouterr().err
    with pytest.raises(DataError, match="matches no file"):
        batch.expand_inputs([str(image_dir / "*.webp")])


@pytest.fixture(scope="module")
def translator():
    return zoo.load("seq2seq_gru_bahdanau.software_es")


def test_translate_file_resumes_and_equals_translate(translator, tmp_path, capsys):
    pairs = (DATA_DIR / "translation" / "tuxpaint_pairs_small.tsv").read_text("utf-8")
    sources = [line.split("\t")[0] for line in pairs.splitlines()[:20]]
    sources[7] = ""  # a blank line translates to an empty line
    source = tmp_path / "sentences.txt"
    source.write_text("\n".join(sources) + "\n", encoding="utf-8")
    want = translator.translate(sources)
    out = tmp_path / "out.jsonl"
    summary = batch.translate_file(translator, source, out, batch_size=6, progress=False)
    assert summary.done == 20
    lines = _lines(out)
    assert [l["line"] for l in lines] == list(range(1, 21))
    assert [l["translation"] for l in lines] == want and lines[7]["translation"] == ""
    assert [l["source"] for l in lines] == sources
    whole = out.read_bytes()
    out.write_bytes(whole[:whole.index(b'"line": 10') + 5])  # torn inside line 10
    summary = batch.translate_file(translator, source, out, batch_size=6, progress=False)
    assert summary.resumed == 9 and summary.done == 11
    assert [l["line"] for l in _lines(out)] == list(range(1, 21))
    assert [l["translation"] for l in _lines(out)] == want
    # text output through the CLI: one translation a line
    text = tmp_path / "out.txt"
    assert main(["translate", "seq2seq_gru_bahdanau.software_es", "--input", str(source),
                 "--output", str(text), "--no-progress", "--batch-size", "8"]) == 0
    assert text.read_text("utf-8").split("\n")[:-1] == want
    assert "20 done" in capsys.readouterr().err
    # this word-level weight reads texts whole (its config has no sentences setting);
    # sentence by sentence on request: two sentences a line, each translated as alone
    assert translator.preprocessor.sentences == "whole"
    alone = translator.translate(sources[8:])
    twos = [f"{a} {b}" for a, b in zip(sources[8::2], sources[9::2])]
    two_source = tmp_path / "twos.txt"
    two_source.write_text("\n".join(twos) + "\n", encoding="utf-8")
    out = tmp_path / "split.jsonl"
    batch.translate_file(translator, two_source, out, batch_size=4, progress=False,
                         sentences=True)
    lines = _lines(out)
    assert [l["translation"] for l in lines] == [f"{a} {b}" for a, b in
                                                 zip(alone[::2], alone[1::2])]
    assert [l["sentences"] for l in lines] == [2] * 6
    assert [l["too_long"] for l in lines] == [0] * 6
    # a line with a sentence over the model's length says so, as `zoo translate --json` does
    long_source = tmp_path / "long.txt"
    long_source.write_text(f"{sources[0]} " + "File " * (translator.max_tokens + 2) + "\n",
                           encoding="utf-8")
    out = tmp_path / "long.jsonl"
    batch.translate_file(translator, long_source, out, progress=False, sentences=True)
    line, = _lines(out)
    assert (line["sentences"], line["too_long"], line["pieces"]) == (2, 1, 3)
    assert translator.translate(twos) != [l["translation"] for l in lines]  # read whole
    assert main(["translate", "seq2seq_gru_bahdanau.software_es", "--input",
                 str(source)]) == 2  # --input needs --output
    assert "needs --output" in capsys.readouterr().err


def test_caption_files_equal_caption(tmp_path, capsys):
    captioner = zoo.load("show_attend_tell.mnist_captions")
    images = DATA_DIR / "tuxpaint_captions" / "images"
    out = tmp_path / "captions.jsonl"
    assert main(["caption", "show_attend_tell.mnist_captions", str(images), "--output",
                 str(out), "--batch-size", "5", "--no-progress"]) == 0
    assert "12 done, 0 skipped" in capsys.readouterr().err
    lines = _lines(out)
    want = captioner.caption([l["path"] for l in lines])
    assert [l["caption"] for l in lines] == [c.text for c in want]
    assert [(l["note"], l["familiar"]) for l in lines] == [(c.note, c.familiar) for c in want]
    assert np.allclose([l["score"] for l in lines], [c.score for c in want], atol=1e-4)
