"""Plain data and files, the ground floor of saving: JSON-ready values, atomic file writing,
bounded JSON reading, output-folder checks, opening a text input that must be a regular file,
and the one line of a failed write.

A ground module: it imports nothing of the zoo but its errors and names.
"""

import errno
import fcntl
import json
import os
import pathlib
import re
import stat
import tempfile

from zoo._naming import shown
from zoo.errors import ConfigError, DataError, WriteError


def to_plain(value):
    """Convert tuples (and nested containers) into JSON-friendly lists and dicts."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # NumPy scalars
        return value.item()
    return value


def _file_mode():
    """The permissions of a newly created file under the process's umask (as the weights get);
    ``tempfile.mkstemp`` alone would make them 0600."""
    try:  # read without changing it: other threads (the demo's) may be creating files
        with open("/proc/self/status", encoding="ascii") as status:
            mask = next(int(line.split()[1], 8) for line in status if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError, IndexError):
        mask = os.umask(0o022)
        os.umask(mask)
    return 0o666 & ~mask


def check_writable_dir(out_dir, flag="--out"):
    """Refuse an output path that cannot become a directory of results, before any work."""
    out_dir = pathlib.Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"{shown(out_dir)} is a file, not a directory; choose another {flag} "
                          "directory")
    parent = out_dir
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK) or \
            str(out_dir.resolve()).startswith(("/proc/", "/sys/")):
        raise ConfigError(f"{shown(out_dir)}: cannot write there (no permission, or not a place "
                          f"for files); choose another {flag} directory")


_NO_ROOM = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up"}


_NOT_REGULAR = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                (stat.S_ISDIR, "a directory"))


def open_text_file(path, what="a text file"):
    """Open a UTF-8 text file to read, refusing what is not a regular file before reading a
    byte: a named pipe nobody writes would block forever, and a device such as ``/dev/zero``
    never ends. Raises :class:`DataError` saying what the path is and what to give instead
    (``what``); a missing file is a :class:`DataError` too."""

    try:  # without blocking: opening a FIFO waits for a writer
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise DataError(f"{shown(path)}: no such file; give {what}") from None
    except IsADirectoryError:
        raise DataError(f"{shown(path)}: a directory, not a file; give {what}") from None
    try:
        mode = os.fstat(fd).st_mode
        kind = next((name for test, name in _NOT_REGULAR if test(mode)), None)
        if kind is not None:
            raise DataError(f"{shown(path)} is {kind}, not a regular file; save the text to a "
                            f"file and give that ({what})")
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        return open(fd, encoding="utf-8", newline="", closefd=True)
    except BaseException:
        os.close(fd)
        raise


def write_failure(err, path, then="try again", *, what=None):
    """The :class:`WriteError` for an ``OSError`` raised while writing ``path`` (``what``, e.g.
    "the checkpoint"): what happened, where, and what to do, ending with ``then`` (e.g.
    "rerun the same command to resume")."""
    code = err.errno
    if code is None:  # HDF5 reports the system's errno inside its message
        found = re.search(r"errno = (\d+)", str(err))
        code = int(found.group(1)) if found else None
    if code in _NO_ROOM:
        reason, fix = _NO_ROOM[code], "free some space"
    elif code == errno.EFBIG:
        reason = ("the file is too large: larger than a file-size limit (ulimit -f) or the "
                  "file system allows")
        fix = "free some space or lift the limit"
    else:
        reason = err.strerror or (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
        fix = "fix that"
    where = f"{what} {shown(path)}" if what else shown(path)
    return WriteError(f"could not write {where}: {reason}; {fix} and {then}", path, err)


def write_bytes(path, data, *, then="try again"):
    """Write ``data`` atomically: into a new temporary file in the same folder, flushed to the
    disk, then renamed over ``path``, with the permissions a new file gets under the umask. A
    crash mid-write never leaves a half-written file; a failed write (a full disk) raises
    :class:`WriteError` and leaves the old file as it was."""
    path = pathlib.Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), _file_mode())
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as err:
        raise write_failure(err, path, then) from None
    finally:
        if tmp is not None:
            pathlib.Path(tmp).unlink(missing_ok=True)


def write_json(path, data, *, then="try again"):
    """Write JSON atomically (:func:`write_bytes`), indented, UTF-8, ending with a newline."""
    text = json.dumps(to_plain(data), indent=2, ensure_ascii=False) + "\n"
    write_bytes(path, text.encode("utf-8"), then=then)


MAX_JSON_BYTES = 64_000_000  # a model config with a large vocabulary is a few megabytes
MAX_JSON_DEPTH = 32


def _no_constant(name):
    raise ValueError(f"{name} is not a finite number; zoo files hold finite numbers only")


def _finite_float(text):
    value = float(text)
    if value in (float("inf"), float("-inf")):
        _no_constant(text)
    return value


def _depth(value, limit):
    """The nesting depth of plain JSON data, stopping at ``limit + 1``."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return depth
            deepest = max(deepest, depth)
            todo.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict)
                                                 else item))
    return deepest


def read_json(path, what="file"):
    """Read a JSON file, with a clear error when it is missing, damaged, absurdly large or
    nested, or holds NaN or infinite numbers (which JSON itself does not allow)."""
    path = pathlib.Path(path)
    name = shown(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_JSON_BYTES + 1)
    except FileNotFoundError:
        raise DataError(f"{name}: no such {what}") from None
    except IsADirectoryError:
        raise DataError(f"{name}: a directory, not a {what}") from None
    if len(raw) > MAX_JSON_BYTES:
        raise DataError(f"{name}: damaged {what}, larger than {MAX_JSON_BYTES:,} bytes")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constant,
                          parse_float=_finite_float)
    except RecursionError:
        raise DataError(f"{name}: damaged {what}, nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as err:  # JSONDecodeError is a ValueError
        raise DataError(f"{name}: damaged {what}, not valid JSON ({err})") from None
    if _depth(data, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise DataError(f"{name}: damaged {what}, nested more than {MAX_JSON_DEPTH} deep")
    return data
