"""The docstring examples (``>>>``) in zoo/ run, in this process, and print what they show.

Each module's examples see its own names plus ``zoo`` and ``np``, and run in a temporary
directory where ``tests/data`` is the fixtures' folder (the examples name it so). An example that
needs data beyond the fixtures, the network, a trained run or files of its own, or minutes, is
marked ``# doctest: +SKIP``.
"""

import doctest
import importlib
import io
from pathlib import Path

import numpy as np
import pytest

import zoo

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "zoo"


def _module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runs_examples(path):
    """Whether the file has an example (``>>>`` and its ``...`` lines) not marked +SKIP."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    for index, line in enumerate(lines):
        if line.startswith(">>>"):
            example = [line]
            for more in lines[index + 1:]:
                if not more.startswith("..."):
                    break
                example.append(more)
            if not any("doctest: +SKIP" in part for part in example):
                return True
    return False


# the modules with examples to run, found by reading the files (collecting imports nothing)
MODULES = sorted(_module_name(path) for path in PACKAGE.rglob("*.py") if _runs_examples(path))


def test_the_examples_are_found():
    assert {"zoo", "zoo.registry", "zoo.text.vocab", "zoo.models.cnn"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    # in a directory of its own, where tests/data is the fixtures' folder
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "data").symlink_to(ROOT / "tests" / "data")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ZOO_WEIGHTS_URL", raising=False)  # examples show the defaults
    module = importlib.import_module(name)
    tests = doctest.DocTestFinder().find(module, name, extraglobs={"zoo": zoo, "np": np})
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = io.StringIO()
    for test in tests:
        runner.run(test, out=report.write)
    failed, attempted = runner.summarize(verbose=False)
    assert attempted and not failed, report.getvalue()
