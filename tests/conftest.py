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


def load_script(name):
    """A script of ``scripts/`` as a module (``load_script("calibrate_familiarity")``)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        name, DATA_DIR.parents[1] / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# a captioner small enough to train in seconds
TINY_CAPTIONER = {"encoder_filters": [8, 16], "feature_dim": 32, "embedding_dim": 16,
                  "units": 32, "attention_units": 16, "dropout": 0.0, "batch_norm": False}


def emoji_data_dir(root):
    """A data directory as scripts/calibrate_familiarity.py reads it (``mnist/``, ``emoji/``,
    ``captions/``, ``photos/``), made of links to the small sets under tests/data."""
    root.mkdir(parents=True, exist_ok=True)
    for name, target in (("mnist", "mnist_small"), ("emoji", "emoji_small/emoji"),
                         ("captions", "tuxpaint_captions"), ("photos", "photos")):
        (root / name).symlink_to(DATA_DIR / target, target_is_directory=True)
    return root


@pytest.fixture(scope="session")
def tiny_emoji_captioner_run(tmp_path_factory):
    """A tiny English emoji captioner trained for one epoch on tests/data/emoji_small and
    calibrated for familiarity there by scripts/calibrate_familiarity.py (out of domain: the
    fixture stamps and photos, and MNIST from tests/data/mnist_small), once per session: a
    finished run directory named as the published weight (tests that change it must copy it
    first). About 10 s on the 2-core machine."""
    from zoo import training

    root = tmp_path_factory.mktemp("shared-emoji")
    out = root / "runs" / "show_attend_tell.emoji_en"
    training.train("show_attend_tell", dataset="emoji", data_dir=str(DATA_DIR / "emoji_small"),
                   out_dir=out, epochs=1, batch_size=8, options=TINY_CAPTIONER, verbose=0,
                   recipe={"eval_beam_width": 0})
    script = load_script("calibrate_familiarity")
    data = emoji_data_dir(root / "data")
    ood = {"tuxpaint_stamps": script.stamp_pictures(data / "captions"),
           "photos": script.photo_pictures(data / "photos")}
    directory, signal = script.calibrate(str(out), data, ood, far=0.05, command="test")
    signal.save(directory)
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
