"""Every `zoo` subcommand and weights action, typed as a user types it: one minimal valid
command line each, through the installed console script in a fresh process, must exit 0, print
what it is for, and never reach the "this is a bug, please report it" boundary. Plus a parser
check that no option of a subcommand stores into the name argparse keeps the subcommand in.

The command lines run in a dependency order (train before evaluate, publish before download)
and two at a time, so the suite pays about half their start-up.
"""

import argparse
import concurrent.futures
import functools
import http.server
import json
import os
import pathlib
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest
from PIL import Image

from zoo import cli
from zoo.data import read_idx

from conftest import DATA_DIR

MNIST_SMALL = DATA_DIR / "mnist_small"
SCRIPT = shutil.which("zoo", path=str(pathlib.Path(sys.executable).parent)) or shutil.which("zoo")
BUG = "please report"


def _subparsers(parser):
    return [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]


def _every_parser(parser, path=()):
    """(the words that reach it, the parser) for the top parser and every sub-parser."""
    yield path, parser
    for action in _subparsers(parser):
        for name, child in action.choices.items():
            yield from _every_parser(child, path + (name,))


def test_no_option_stores_into_a_subcommand_name():
    top = cli.build_parser()
    reserved = {a.dest for _, p in _every_parser(top) for a in _subparsers(p)}
    reserved |= {a.dest for a in top._actions if a.dest != "help"}
    for path, parser in _every_parser(top):
        if not path:
            continue
        own = {a.dest for a in _subparsers(parser)}
        for action in parser._actions:
            if action.dest in ("help",) or action in _subparsers(parser):
                continue
            assert action.dest not in reserved - own, (
                f"`zoo {' '.join(path)}` option {action.option_strings or action.dest} stores "
                f"into {action.dest!r}, which names a subcommand or a top-level option")


def _every_command_word():
    return {path for path, parser in _every_parser(cli.build_parser())
            if path and not _subparsers(parser)}


def _zoo(argv, env=None, script=None):
    base = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", ZOO_OFFLINE="1")
    base.update(env or {})
    command = [SCRIPT, *map(str, argv)] if script is None else [sys.executable, "-c", script,
                                                                *map(str, argv)]
    done = subprocess.run(command, env=base, capture_output=True, text=True, timeout=600)
    return done.returncode, done.stdout, done.stderr


# `zoo weights download` needs a weight that is not bundled: the same console entry point, run
# with the records table swapped for one that says "download perceptron.contract from a mirror".
_WITH_TABLE = """
import pathlib, sys
from importlib.metadata import entry_points
from zoo import weights
weights.PRETRAINED_DIR = pathlib.Path(sys.argv.pop(1))
main, = [e for e in entry_points(group="console_scripts") if e.name == "zoo"]
sys.argv[0] = "zoo"
sys.exit(main.load()())
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("contract")
    digits = read_idx(MNIST_SMALL / "t10k-images-idx3-ubyte.gz")[:2]
    for index, digit in enumerate(digits):
        Image.fromarray(digit).save(root / f"digit{index}.png")
    return root


def _serve(folder):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.skipif(SCRIPT is None, reason="the zoo console script is not installed")
def test_every_command_line_works_as_typed(files):
    run, exported = files / "run", files / "exported"
    published, analysis = files / "published", files / "analysis"
    digit = files / "digit0.png"
    label = str(read_idx(MNIST_SMALL / "t10k-labels-idx1-ubyte.gz")[0])
    # (words, argv, what the output must hold); each stage runs after the one before
    stages = [
        [(("--help",), ["--help"], "usage: zoo"),
         (("--version",), ["--version"], "0."),
         (("list",), ["list"], "mnist_convnet"),
         (("describe",), ["describe", "mnist_convnet"], "\"num_params\": 34826"),
         (("train",), ["train", "perceptron", "--dataset", "mnist", "--data-dir", MNIST_SMALL,
                       "--epochs", "1", "--out", run, "--verbose", "0"], "test_accuracy"),
         (("weights", "list"), ["weights", "list"], "mnist_convnet.mnist"),
         (("weights", "verify"), ["weights", "verify", "perceptron.mnist"],
          "perceptron.mnist: ok"),
         (("experiment",), ["experiment"], "vanishing"),
         (("predict",), ["predict", digit, "--model", "mnist_convnet"], f"{label} "),
         (("generate",), ["generate", "char_lstm", "--prefix", "Hell", "--next"], "o"),
         (("translate",), ["translate", "seq2seq_gru_bahdanau", "Hello."], ""),
         (("caption",), ["caption", "show_attend_tell", digit], "a "),
         (("analyze",), ["analyze", "conv_autoencoder", "--out", analysis, "--dataset",
                         "mnist", "--data-dir", MNIST_SMALL, "--labeled", "0", "--images",
                         "100", "--units", "4", "--top-k", "2"], "")],
        [(("evaluate",), ["evaluate", run, "--data-dir", MNIST_SMALL], "test_accuracy"),
         (("export",), ["export", run, "--format", "saved_model", "--out", exported],
          "signatures serving_default"),
         (("weights", "publish"), ["weights", "publish", run, published, "--name",
                                   "perceptron.contract", "--data-source", "the fixture digits",
                                   "--data-license", "CC BY-SA 3.0", "--command",
                                   "zoo train perceptron --epochs 1", "--not-bundled"],
          "published perceptron.contract")],
    ]
    seen = set()
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for stage in stages:
            results = list(pool.map(lambda case: (case, _zoo(case[1])), stage))
            for (words, argv, expected), (code, out, err) in results:
                seen.add(words)
                shown = f"zoo {' '.join(map(str, argv))}\n--- stdout\n{out[-2000:]}\n--- stderr\n{err[-2000:]}"
                assert code == 0, shown
                assert BUG not in err and "Traceback" not in err, shown
                assert expected in out + err, shown
    # the mirror serves what publish wrote; a table that says "not bundled" downloads it
    server = _serve(published)
    try:
        code, out, err = _zoo([published, "weights", "download", "perceptron.contract"],
                              env={"ZOO_OFFLINE": "0", "ZOO_CACHE_DIR": str(files / "cache"),
                                   "ZOO_WEIGHTS_URL": f"http://127.0.0.1:{server.server_port}/"},
                              script=_WITH_TABLE)
    finally:
        server.shutdown()
        server.server_close()
    seen.add(("weights", "download"))
    assert code == 0 and BUG not in err, err
    cached = files / "cache" / "weights" / "perceptron.contract"
    assert f"perceptron.contract: {cached}" in out
    assert (cached / "model.weights.h5").read_bytes() == (
        published / "perceptron.contract" / "model.weights.h5").read_bytes()
    # what each command left behind is what it said
    assert json.loads((run / "metrics.json").read_text())["epochs_run"] == 1
    assert (exported / "perceptron" / "1" / "saved_model.pb").is_file()
    assert (analysis / "analysis.json").is_file()
    assert json.loads((published / "weights.json").read_text())[0]["name"] == "perceptron.contract"
    # every subcommand and action of the parser was typed once
    assert _every_command_word() <= seen | {("--help",), ("--version",)}, (
        _every_command_word() - seen)
