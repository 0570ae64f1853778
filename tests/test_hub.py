"""zoo.hub against a real HTTP server on 127.0.0.1 that can fail, stall and cut connections."""

import io
import json
import os
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import pytest

from zoo import hub
from zoo.errors import DataError

from _servers import sha

ZOO_DIR = pathlib.Path(hub.__file__).resolve().parent
FAST = {"progress": False, "backoff": 0.01}  # no progress bar, near-zero waits between retries


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("ZOO_OFFLINE", "ZOO_WEIGHTS_URL", "ZOO_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def payload():
    return random.Random(0).randbytes(300_000)  # several read chunks; the same bytes every run


@pytest.fixture
def dest(tmp_path):
    return tmp_path / "cache" / "weights" / "model.weights.h5"


def part_of(path):
    return path.with_name(path.name + ".part")


# 1. a plain download
def test_download_arrives_verified_with_one_get(server, payload, dest):
    digest = server.put("model.weights.h5", payload)
    # progress=True with a non-terminal stderr (pytest captures it) must not break anything
    got = hub.fetch_file(server.url("model.weights.h5"), dest, sha256=digest, size=len(payload))
    assert got == dest and dest.read_bytes() == payload and hub.sha256_of(dest) == digest
    assert len(server.requests) == 1 and "Range" not in server.requests[0]
    assert not part_of(dest).exists()


def test_progress_bar_on_a_terminal(server, payload, dest, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    digest = server.put("model.weights.h5", payload)
    hub.fetch_file(server.url("model.weights.h5"), dest, sha256=digest)
    bar = sys.stderr.getvalue()
    assert "model.weights.h5" in bar and "100%" in bar
    dest.unlink()
    monkeypatch.setattr(sys, "stderr", Terminal())
    hub.fetch_file(server.url("model.weights.h5"), dest, sha256=digest, progress=False)
    assert sys.stderr.getvalue() == ""


# 2. a cache hit needs no server
def test_cache_hit_with_the_server_stopped(server, payload, dest):
    digest = server.put("model.weights.h5", payload)
    url = server.url("model.weights.h5")
    hub.fetch_file(url, dest, sha256=digest, **FAST)
    server.stop()
    assert hub.fetch_file(url, dest, sha256=digest, size=len(payload), **FAST) == dest
    assert dest.read_bytes() == payload and len(server.requests) == 1


# 3. a damaged cached file is noticed on the next call and fetched again
def test_corrupted_cache_is_fetched_again(server, payload, dest):
    digest = server.put("model.weights.h5", payload)
    url = server.url("model.weights.h5")
    hub.fetch_file(url, dest, sha256=digest, **FAST)
    damaged = bytearray(payload)
    damaged[1000:1064] = bytes(b ^ 0xFF for b in damaged[1000:1064])  # same size, other bytes
    dest.write_bytes(damaged)
    with pytest.warns(UserWarning, match="damaged"):
        hub.fetch_file(url, dest, sha256=digest, size=len(payload), **FAST)
    assert dest.read_bytes() == payload and len(server.requests) == 2


# 4. resuming interrupted transfers
def test_cut_transfer_is_resumed_with_a_range_request(server, payload, dest):
    digest = server.put("model.weights.h5", payload)
    url = server.url("model.weights.h5")
    server.cut_after, server.cuts = 100_000, 1
    with pytest.raises(DataError, match="closed after 100000 of 300000 bytes"):
        hub.fetch_file(url, dest, sha256=digest, size=len(payload), retries=1, **FAST)
    assert not dest.exists() and part_of(dest).stat().st_size == 100_000
    hub.fetch_file(url, dest, sha256=digest, size=len(payload), **FAST)
    assert server.requests[1]["Range"] == "bytes=100000-"
    assert dest.read_bytes() == payload and not part_of(dest).exists()


def test_cut_transfer_is_resumed_within_one_call(server, payload, dest):
    digest = server.put("model.weights.h5", payload)
    server.cut_after, server.cuts = 70_000, 1
    hub.fetch_file(server.url("model.weights.h5"), dest, sha256=digest, **FAST)
    assert [r.get("Range") for r in server.requests] == [None, "bytes=70000-"]
    assert dest.read_bytes() == payload


def test_server_ignoring_range_still_ends_right(server, payload, dest):
    digest = server.put("model.weights.h5", payload)
    dest.parent.mkdir(parents=True)
    part_of(dest).write_bytes(payload[:50_000])
    server.ignore_range = True
    hub.fetch_file(server.url("model.weights.h5"), dest, sha256=digest, size=len(payload), **FAST)
    assert server.requests[0]["Range"] == "bytes=50000-"
    assert dest.read_bytes() == payload and len(server.requests) == 1


def test_wrong_partial_file_is_downloaded_again_from_scratch(server, payload, dest):
    digest = server.put("model.weights.h5", payload)
    dest.parent.mkdir(parents=True)
    part_of(dest).write_bytes(b"x" * 50_000)  # not the start of the file
    hub.fetch_file(server.url("model.weights.h5"), dest, sha256=digest, **FAST)
    assert [r.get("Range") for r in server.requests] == ["bytes=50000-", None]
    assert dest.read_bytes() == payload


def test_complete_partial_file_is_finished_without_a_transfer(server, payload, dest):
    digest = server.put("model.weights.h5", payload)
    dest.parent.mkdir(parents=True)
    part_of(dest).write_bytes(payload)
    url = server.url("model.weights.h5")
    hub.fetch_file(url, dest, sha256=digest, size=len(payload), **FAST)  # size known: no request
    assert dest.read_bytes() == payload and server.requests == []
    dest.rename(part_of(dest))
    hub.fetch_file(url, dest, sha256=digest, **FAST)  # size unknown: the server answers 416
    assert server.requests[0]["Range"] == f"bytes={len(payload)}-"
    assert dest.read_bytes() == payload and server.full_transfers == 0


# 5. HTTP errors, retries, stalls
def test_404_fails_at_once(server, dest):
    start = time.monotonic()
    with pytest.raises(DataError, match="404") as info:
        hub.fetch_file(server.url("missing.h5"), dest, sha256="0" * 64, progress=False,
                       backoff=30)  # a retry would sleep 30 s
    assert time.monotonic() - start < 10
    assert len(server.requests) == 1 and "missing.h5" in str(info.value)
    assert "\n" not in str(info.value) and not dest.exists()


def test_500_always_fails_after_all_attempts(server, payload, dest):
    digest = server.put("model.weights.h5", payload)
    server.status, server.fail_times = 500, -1
    with pytest.raises(DataError, match=r"HTTP 500 .*tried 4 times"):
        hub.fetch_file(server.url("model.weights.h5"), dest, sha256=digest, retries=4, **FAST)
    assert len(server.requests) == 4 and not dest.exists()


def test_500_twice_then_ok_succeeds(server, payload, dest):
    digest = server.put("model.weights.h5", payload)
    server.status, server.fail_times = 503, 2
    hub.fetch_file(server.url("model.weights.h5"), dest, sha256=digest, retries=3, **FAST)
    assert dest.read_bytes() == payload and len(server.requests) == 3


def test_stalled_server_times_out(server, payload, dest):
    digest = server.put("model.weights.h5", payload)
    server.stall = 30
    start = time.monotonic()
    with pytest.raises(DataError, match="timed out"):
        hub.fetch_file(server.url("model.weights.h5"), dest, sha256=digest, timeout=0.5,
                       retries=2, **FAST)
    assert time.monotonic() - start < 10  # a generous bound, not a benchmark
    assert len(server.requests) == 2


def test_connection_refused_is_a_data_error(server, dest):
    url = server.url("model.weights.h5")
    server.stop()
    with pytest.raises(DataError, match="connection refused"):
        hub.fetch_file(url, dest, sha256="0" * 64, retries=2, **FAST)


# 6. offline mode
@pytest.mark.parametrize("value, expected", [("1", True), ("TRUE", True), ("yes", True),
                                             ("0", False), ("", False), ("no", False)])
def test_offline_switch(monkeypatch, value, expected):
    monkeypatch.setenv("ZOO_OFFLINE", value)
    assert hub.offline() is expected


def test_offline_missing_file_names_it_and_makes_no_request(server, payload, dest, monkeypatch):
    digest = server.put("model.weights.h5", payload)
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    url = server.url("model.weights.h5")
    with pytest.raises(DataError) as info:
        hub.fetch_file(url, dest, sha256=digest, **FAST)
    message = str(info.value)
    assert "model.weights.h5" in message and url in message and str(dest) in message
    assert "ZOO_OFFLINE" in message and "ZOO_WEIGHTS_URL" in message and "\n" not in message
    assert server.requests == [] and not dest.exists()


def test_offline_valid_cache_still_returns(server, payload, dest, monkeypatch):
    digest = server.put("model.weights.h5", payload)
    url = server.url("model.weights.h5")
    hub.fetch_file(url, dest, sha256=digest, **FAST)
    monkeypatch.setenv("ZOO_OFFLINE", "yes")
    assert hub.fetch_file(url, dest, sha256=digest, **FAST) == dest
    dest.write_bytes(b"damaged")
    with pytest.raises(DataError, match="damaged"):
        hub.fetch_file(url, dest, sha256=digest, **FAST)
    assert len(server.requests) == 1


# 7. two processes, one transfer
CHILD = """
import sys, pathlib, time, json
sys.path.insert(0, sys.argv[1])
from zoo import hub  # light: `import zoo` does not import TensorFlow
assert "tensorflow" not in sys.modules
url, dest, digest, go = sys.argv[2:6]
pathlib.Path(go + "." + sys.argv[6]).touch()
while not all(pathlib.Path(go + "." + n).exists() for n in "ab"):  # start together
    time.sleep(0.01)
path = hub.fetch_file(url, pathlib.Path(dest), sha256=digest, progress=False)
print(json.dumps(hub.sha256_of(path)))
"""


def test_two_processes_share_one_download(server, payload, dest, tmp_path):
    digest = server.put("model.weights.h5", payload)
    server.delay = 1.0  # the first download is still running when the second process asks
    go = str(tmp_path / "ready")
    children = [subprocess.Popen([sys.executable, "-c", CHILD, str(ZOO_DIR.parent),
                                  server.url("model.weights.h5"), str(dest), digest, go, name],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for name in "ab"]
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        assert json.loads(out) == digest
    assert dest.read_bytes() == payload
    assert server.full_transfers == 1 and len(server.requests) == 1


# 8. the cache directory
def test_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path / "mine"))
    assert hub.cache_dir() == tmp_path / "mine" and (tmp_path / "mine").is_dir()
    monkeypatch.delenv("ZOO_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # keep the real home clean
    import platformdirs

    assert hub.cache_dir() == pathlib.Path(platformdirs.user_cache_dir("zoo"))


@pytest.fixture
def temp_root(tmp_path, monkeypatch):
    """Point tempfile.gettempdir() at a private directory, so the fallback lands in tmp_path."""
    root = tmp_path / "system-tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def _check_fallback(chosen, temp_root):
    with pytest.warns(UserWarning) as record:
        got = hub.cache_dir()
    message = str(record[0].message)
    assert str(chosen) in message and "ZOO_CACHE_DIR" in message and "not writable" in message
    assert got.parent == temp_root and got.name.startswith("zoo-cache-") and str(got) in message
    assert got.is_dir()
    return got


def test_read_only_cache_dir_falls_back_with_a_warning(tmp_path, monkeypatch, temp_root):
    """A cache directory nobody may write in. Root ignores modes, so as root the check runs in
    a child process with a mount namespace of its own, where the directory (inside this test's
    tmp_path) is a read-only tmpfs; the mount is gone with the child, and nothing outside
    tmp_path is touched or chmod-ed."""
    locked = tmp_path / "locked"
    locked.mkdir()
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        _read_only_fallback_as_root(locked, temp_root)
        return
    locked.chmod(0o500)
    try:
        monkeypatch.setenv("ZOO_CACHE_DIR", str(locked))
        _check_fallback(locked, temp_root)
    finally:
        locked.chmod(0o700)  # this test's own directory, so pytest can remove it


_IN_CHILD = """
import json, sys, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    from zoo import hub
    got = hub.cache_dir()
(got / "probe").write_bytes(b"ok")
print(json.dumps({"cache": str(got), "mode": oct(got.stat().st_mode & 0o777),
                  "warnings": [str(w.message) for w in caught]}))
"""
_MOUNT_READ_ONLY = 'mount -t tmpfs -o ro,size=64k zoo-test "$1" && shift && exec "$@"'


def _read_only_fallback_as_root(locked, temp_root):
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("run as root, where modes do not stop writes, and util-linux's unshare "
                    "(for a private read-only mount) is not installed")
    env = dict(os.environ, ZOO_CACHE_DIR=str(locked), TMPDIR=str(temp_root),
               TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([unshare, "--mount", "--propagation", "private", "sh", "-c",
                           _MOUNT_READ_ONLY, "sh", str(locked), sys.executable, "-c", _IN_CHILD],
                          env=env, capture_output=True, text=True, timeout=300)
    # only unshare's or mount's own refusal skips (a line of theirs names it); any other failure,
    # an empty stderr included, fails below
    refused = [line for line in done.stderr.splitlines()
               if line.startswith(("unshare:", "mount:"))]
    if done.returncode and refused:
        pytest.skip("run as root, where modes do not stop writes, and this machine refuses a "
                    f"private read-only mount: {refused[0][:200]}")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["cache"] == str(temp_root / f"zoo-cache-{hub._user_id()}")
    assert result["mode"] == "0o700"
    message = " ".join(result["warnings"])
    assert str(locked) in message and "not writable" in message and "ZOO_CACHE_DIR" in message
    assert list(locked.iterdir()) == []  # the mount is gone, and nothing was written beneath it


def test_uncreatable_cache_dir_falls_back_with_a_warning(tmp_path, monkeypatch, temp_root):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("ZOO_CACHE_DIR", str(blocker / "cache"))  # works as root too
    got = _check_fallback(blocker / "cache", temp_root)
    assert got.stat().st_mode & 0o777 == 0o700  # private: the temp dir is shared
    (got / "probe").write_bytes(b"ok")
    assert (got / "probe").read_bytes() == b"ok"


def test_no_writable_cache_dir_at_all_is_a_data_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("ZOO_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(tempfile, "tempdir", str(blocker / "tmp"))
    with pytest.warns(UserWarning), pytest.raises(DataError, match="set ZOO_CACHE_DIR"):
        hub.cache_dir()


# 8b. the fallback under the shared temp dir is private, or refused
def _planted_fallback(tmp_path, monkeypatch, temp_root):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("ZOO_CACHE_DIR", str(blocker / "cache"))
    return temp_root / f"zoo-cache-{hub._user_id()}"


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners and modes")
def test_world_writable_fallback_made_by_another_is_refused(tmp_path, monkeypatch, temp_root):
    fallback = _planted_fallback(tmp_path, monkeypatch, temp_root)
    fallback.mkdir()
    fallback.chmod(0o777)  # as another user would leave it for us
    with pytest.warns(UserWarning), pytest.raises(DataError, match="written by other users"):
        hub.cache_dir()
    assert list(fallback.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners and modes")
def test_fallback_owned_by_another_user_is_refused(tmp_path, monkeypatch, temp_root):
    fallback = _planted_fallback(tmp_path, monkeypatch, temp_root)
    fallback.mkdir(mode=0o700)
    real_uid = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real_uid + 1)  # the directory is now another's
    with pytest.warns(UserWarning), pytest.raises(DataError, match="belongs to another user"):
        hub.cache_dir()


def test_fallback_that_is_a_link_is_refused(tmp_path, monkeypatch, temp_root):
    fallback = _planted_fallback(tmp_path, monkeypatch, temp_root)
    target = tmp_path / "attacker"
    target.mkdir(mode=0o700)
    fallback.symlink_to(target, target_is_directory=True)
    with pytest.warns(UserWarning), pytest.raises(DataError, match="is a link"):
        hub.cache_dir()
    assert list(target.iterdir()) == []


# 8c. planted links and files in the cache are never written through
@pytest.fixture
def victim(tmp_path):
    path = tmp_path / "victim.txt"
    path.write_bytes(b"precious")
    return path


@pytest.mark.parametrize("where", ["part", "lock", "dest"])
def test_planted_symlink_is_never_followed(server, payload, dest, victim, where):
    digest = server.put("model.weights.h5", payload)
    dest.parent.mkdir(parents=True)
    planted = {"part": part_of(dest), "lock": dest.with_name(dest.name + ".lock"),
               "dest": dest}[where]
    planted.symlink_to(victim)
    with pytest.warns(UserWarning, match="link"):
        hub.fetch_file(server.url("model.weights.h5"), dest, sha256=digest, **FAST)
    assert victim.read_bytes() == b"precious"
    assert not dest.is_symlink() and dest.read_bytes() == payload
    assert not part_of(dest).exists()


def test_planted_symlink_to_a_right_file_is_not_trusted(server, payload, dest, tmp_path):
    """A link at the final name pointing at a file with the right bytes is still replaced by
    a file of the cache's own: what the cache holds is never somewhere else."""
    digest = server.put("model.weights.h5", payload)
    elsewhere = tmp_path / "elsewhere.h5"
    elsewhere.write_bytes(payload)
    dest.parent.mkdir(parents=True)
    dest.symlink_to(elsewhere)
    with pytest.warns(UserWarning):
        hub.fetch_file(server.url("model.weights.h5"), dest, sha256=digest, **FAST)
    assert not dest.is_symlink() and server.full_transfers == 1


def test_planted_hard_link_at_the_part_file_is_not_written_through(server, payload, dest,
                                                                   victim):
    digest = server.put("model.weights.h5", payload)
    dest.parent.mkdir(parents=True)
    os.link(victim, part_of(dest))  # a second name of the victim, where the resume would append
    with pytest.warns(UserWarning):
        hub.fetch_file(server.url("model.weights.h5"), dest, sha256=digest, **FAST)
    assert victim.read_bytes() == b"precious" and dest.read_bytes() == payload


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_planted_fifo_at_the_part_file_does_not_hang(server, payload, dest):
    digest = server.put("model.weights.h5", payload)
    dest.parent.mkdir(parents=True)
    os.mkfifo(part_of(dest))
    with pytest.warns(UserWarning):
        hub.fetch_file(server.url("model.weights.h5"), dest, sha256=digest, timeout=5, **FAST)
    assert dest.read_bytes() == payload


# 9. file:// URLs and mirrors
def test_file_url_is_copied_and_verified(tmp_path, payload, dest):
    source = tmp_path / "mirror dir" / "model.weights.h5"
    source.parent.mkdir()
    source.write_bytes(payload)
    url = source.as_uri()
    assert hub.fetch_file(url, dest, sha256=sha(payload), size=len(payload), **FAST) == dest
    assert dest.read_bytes() == payload and not part_of(dest).exists()
    other = dest.with_name("other.h5")
    with pytest.raises(DataError, match="does not match"):
        hub.fetch_file(url, other, sha256=sha(b"something else"), **FAST)
    assert not other.exists() and not part_of(other).exists()
    with pytest.raises(DataError, match="could not copy .*missing.h5"):
        hub.fetch_file((tmp_path / "missing.h5").as_uri(), other, sha256=sha(b""), **FAST)


def test_file_url_works_offline(tmp_path, payload, dest, monkeypatch):
    source = tmp_path / "model.weights.h5"
    source.write_bytes(payload)
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    hub.fetch_file(source.as_uri(), dest, sha256=sha(payload), **FAST)
    assert dest.read_bytes() == payload


def test_base_url_uses_a_mirror(monkeypatch):
    assert hub.base_url("https://example.org/zoo/v1") == "https://example.org/zoo/v1/"
    assert hub.base_url("https://example.org/zoo/v1//") == "https://example.org/zoo/v1/"
    monkeypatch.setenv("ZOO_WEIGHTS_URL", "file:///srv/zoo-mirror")
    assert hub.base_url("https://example.org/zoo/v1/") == "file:///srv/zoo-mirror/"
    monkeypatch.setenv("ZOO_WEIGHTS_URL", "")
    assert hub.base_url("https://example.org/zoo/v1") == "https://example.org/zoo/v1/"
    assert hub.base_url("") == ""  # no mirror and no default: no address at all


def test_mirror_url_is_fetched(server, payload, dest, monkeypatch):
    digest = server.put("model.weights.h5", payload)
    monkeypatch.setenv("ZOO_WEIGHTS_URL", server.url(""))
    url = hub.base_url("https://unreachable.invalid/zoo") + "model.weights.h5"
    hub.fetch_file(url, dest, sha256=digest, **FAST)
    assert dest.read_bytes() == payload and len(server.requests) == 1


# 10. the server sends other bytes
def test_wrong_hash_from_the_server_leaves_no_file(server, payload, dest):
    server.put("model.weights.h5", payload)
    with pytest.raises(DataError, match="SHA-256 does not match") as info:
        hub.fetch_file(server.url("model.weights.h5"), dest, sha256=sha(b"the published file"),
                       **FAST)
    assert server.url("model.weights.h5") in str(info.value)
    assert not dest.exists() and not part_of(dest).exists()
    assert len(server.requests) == 1  # a fresh download that is wrong is not repeated


def test_wrong_size_from_the_server_is_rejected(server, payload, dest):
    digest = server.put("model.weights.h5", payload)
    with pytest.raises(DataError, match="bytes instead of 1234"):
        hub.fetch_file(server.url("model.weights.h5"), dest, sha256=digest, size=1234, **FAST)
    assert not dest.exists() and not part_of(dest).exists()


def test_unsupported_scheme_and_bad_hash_argument(dest):
    with pytest.raises(DataError, match="only http"):
        hub.fetch_file("ftp://example.org/x.h5", dest, sha256="0" * 64)
    with pytest.raises(ValueError, match="64 hex digits"):
        hub.fetch_file("https://example.org/x.h5", dest, sha256="abc")


# 11. trust on first use (sha256=hub.TRUST_ON_FIRST_USE): for a file its publisher rebuilds now and then
def test_trust_on_first_use_records_the_hash_and_holds_the_copy(server, payload, dest,
                                                                monkeypatch):
    url = server.url("spa-eng.zip")
    record = dest.with_name(dest.name + ".sha256")
    part_of(dest).parent.mkdir(parents=True)
    part_of(dest).write_bytes(b"left by an earlier run, maybe of another version")
    digest = server.put("spa-eng.zip", payload)
    assert hub.fetch_file(url, dest, sha256=hub.TRUST_ON_FIRST_USE, **FAST) == dest
    assert dest.read_bytes() == payload and not part_of(dest).exists()
    assert record.read_text() == f"{digest}  {dest.name}\n"  # sha256sum's format
    assert "Range" not in server.requests[0]  # the leftover was not resumed

    server.put("spa-eng.zip", b"the publisher's next version")
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    assert hub.fetch_file(url, dest, sha256=hub.TRUST_ON_FIRST_USE, **FAST) == dest  # the recorded copy holds
    assert dest.read_bytes() == payload and len(server.requests) == 1
    monkeypatch.delenv("ZOO_OFFLINE")

    dest.write_bytes(payload[:-1] + bytes([payload[-1] ^ 0xFF]))  # damaged: last byte flipped
    with pytest.warns(UserWarning, match="damaged"):
        hub.fetch_file(url, dest, sha256=hub.TRUST_ON_FIRST_USE, **FAST)
    assert dest.read_bytes() == b"the publisher's next version"
    assert record.read_text().split()[0] == sha(b"the publisher's next version")

    record.unlink()  # a file with no record is not trusted: fetched again
    server.put("spa-eng.zip", payload)
    with pytest.warns(UserWarning, match="damaged"):
        hub.fetch_file(url, dest, sha256=hub.TRUST_ON_FIRST_USE, **FAST)
    assert dest.read_bytes() == payload and record.read_text().startswith(digest)
    with pytest.raises(DataError, match="bytes instead of 5"):
        hub.fetch_file(url, dest.with_name("other.zip"), sha256=hub.TRUST_ON_FIRST_USE, size=5, **FAST)
    assert not dest.with_name("other.zip.sha256").exists()
