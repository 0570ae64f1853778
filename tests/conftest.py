"""Fixtures shared by the tests, and a guard that the suite never changes the machine."""

import os
import stat
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).resolve().parent / "data"

# Directories a test must never change: their mode and owner are recorded before the session and
# each test and compared afterwards (a test that chmod-ed /proc as root once cost every other
# user of the machine their /proc).
# ZOO_TEST_GUARD_EXTRA adds directories (os.pathsep-separated): the guard's own test uses it.
GUARDED = tuple(dict.fromkeys(
    p for p in ("/", "/proc", "/tmp", os.path.expanduser("~"),
                *os.environ.get("ZOO_TEST_GUARD_EXTRA", "").split(os.pathsep))
    if p and os.path.isdir(p)))


def _snapshot():
    """``{path: (permission bits, owner, group)}`` of the guarded directories."""
    facts = {}
    for path in GUARDED:
        info = os.stat(path)
        facts[path] = (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)
    return facts


def _changes(before, after):
    return [f"{path}: mode {before[path][0]:o} -> {after[path][0]:o}, owner:group "
            f"{before[path][1]}:{before[path][2]} -> {after[path][1]}:{after[path][2]}"
            for path in before if before[path] != after[path]]


def _restore(before, after):
    for path in before:
        if before[path] != after[path]:
            try:
                os.chown(path, before[path][1], before[path][2])
                os.chmod(path, before[path][0])
            except OSError:
                pass


_AT_START = _snapshot()


@pytest.fixture(autouse=True)
def _machine_unchanged(request):
    """Fail the test that changed a guarded directory's mode or owner (and put it back)."""
    before = _snapshot()
    yield
    after = _snapshot()
    changed = _changes(before, after)
    if changed:
        _restore(before, after)
        pytest.fail(f"{request.node.nodeid} changed the machine outside its temporary "
                    f"directories (restored): {'; '.join(changed)}", pytrace=False)


def pytest_sessionfinish(session, exitstatus):
    """Fail the session if anything (a fixture's teardown included) changed a guarded dir."""
    changed = _changes(_AT_START, _snapshot())
    if changed:
        _restore(_AT_START, _snapshot())
        session.config.get_terminal_writer().line(
            "the test session changed the machine outside its temporary directories "
            f"(restored): {'; '.join(changed)}", red=True)
        session.exitstatus = 1


@pytest.fixture
def mnist_small_dir():
    """A data directory with 600 training / 200 test real MNIST digits (tests/data/README.md)."""
    return DATA_DIR / "mnist_small"


@pytest.fixture(scope="session")
def tiny_perceptron_run(tmp_path_factory):
    """A perceptron trained for one epoch on the fixture digits, once per session (a finished
    `zoo train --out` directory; tests that change it must copy it first)."""
    from zoo import training

    out = tmp_path_factory.mktemp("shared-run") / "perceptron"
    training.train("perceptron", dataset="mnist", data_dir=str(DATA_DIR / "mnist_small"),
                   out_dir=out, epochs=1, verbose=0)
    return out


@pytest.fixture
def server(tmp_path):
    """A :class:`_servers.FileServer` on 127.0.0.1 serving ``tmp_path / "served"``."""
    from _servers import FileServer  # here: this file alone is copied by test_suite_guard.py

    root = tmp_path / "served"
    root.mkdir()
    srv = FileServer(root)
    yield srv
    srv.stop()
