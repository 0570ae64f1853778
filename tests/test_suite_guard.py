"""The guard in conftest.py: a test that changes a guarded directory's mode fails, and the mode
is put back. Checked on a directory of this test's own (added to the guarded list through
ZOO_TEST_GUARD_EXTRA), in an inner pytest session."""

import os
import pathlib
import shutil
import subprocess
import sys

INNER = """
import os

def test_changes_the_guarded_directory():
    os.chmod(os.environ["GUARDED_DIR"], 0o700)

def test_leaves_it_alone():
    assert os.path.isdir(os.environ["GUARDED_DIR"])
"""


def test_a_test_that_changes_a_guarded_directory_fails_and_is_undone(tmp_path):
    guarded = tmp_path / "guarded"
    guarded.mkdir(mode=0o755)
    guarded.chmod(0o755)
    inner = tmp_path / "inner"
    inner.mkdir()
    shutil.copy(pathlib.Path(__file__).with_name("conftest.py"), inner / "conftest.py")
    (inner / "test_inner.py").write_text(INNER)
    env = dict(os.environ, ZOO_TEST_GUARD_EXTRA=str(guarded), GUARDED_DIR=str(guarded))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "--rootdir", str(inner), str(inner)], cwd=inner, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout
    assert "test_changes_the_guarded_directory changed the machine" in done.stdout
    assert f"{guarded}: mode 755 -> 700" in done.stdout
    assert "2 passed, 1 error" in done.stdout  # the change is caught in its teardown
    assert guarded.stat().st_mode & 0o777 == 0o755  # put back
