"""Every Python snippet of the README runs as pasted: each in a fresh namespace, in an empty
working directory, with only what the package ships (no placeholder file, no run directory).

One call is not run again here: ``experiments.run(..., quick=True)`` trains for a minute, and
tests/test_experiments.py runs every quick experiment already. In its snippet the call is checked
instead (its arguments bind to the real signature, its ``data_dir`` holds MNIST's four files)
and answered with that experiment's shipped full-run result, so the rest of the snippet (reading
the figures, ``experiments.save``) runs for real."""

import inspect
import pathlib
import re

import pytest

import zoo
from zoo import experiments
from zoo.data.idx import find_mnist_files

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
SNIPPETS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_the_readme_has_python_snippets():
    assert len(SNIPPETS) >= 5


@pytest.mark.parametrize("index", range(len(SNIPPETS)))
def test_readme_snippet_runs_as_pasted(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    real_run = experiments.run
    calls = []

    def checked_run(*args, **kwargs):
        bound = inspect.signature(real_run).bind(*args, **kwargs)
        assert len(find_mnist_files(bound.arguments["data_dir"])[1]) == 4
        calls.append(bound.arguments["name"])
        return experiments.shipped(bound.arguments["name"])

    monkeypatch.setattr(zoo.experiments, "run", checked_run)
    exec(compile(SNIPPETS[index], f"README.md python snippet {index + 1}", "exec"), {})
    if calls:
        assert all((tmp_path / "out" / f"{name}.json").is_file() for name in calls)
