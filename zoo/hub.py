"""Safe, verified downloads of weight files into a local cache.

This module only moves bytes and checks hashes; it never loads or runs anything it fetches.

- :func:`fetch_file` downloads one file (``http://``, ``https://`` or ``file://``) into a
  ``.part`` file, checks its size and SHA-256 and only then renames it onto the destination, so
  the destination is either absent or exactly the published file. An interrupted transfer is
  resumed with an HTTP ``Range`` request; transient failures (5xx, dropped connections,
  timeouts) are retried with exponential backoff; a file lock stops two processes from fetching
  the same file twice. Every cache hit is hashed again.
- :func:`cache_dir` is where files go: ``$ZOO_CACHE_DIR``, else the platform's user cache
  directory (weights live in ``cache_dir() / "weights"``). The fallback under the shared temp
  directory is private: created 0700, refused when another user owns it or others can write in it.
- Writes never follow links: a link (or any file the zoo did not write) planted where the
  ``.part`` file, the lock or the final file goes is removed, never written through; the
  ``.part`` file is opened with ``O_NOFOLLOW`` (and ``O_EXCL`` when started afresh).
- ``ZOO_OFFLINE=1`` forbids the network (``file://`` still works); ``ZOO_WEIGHTS_URL`` points
  :func:`base_url` at a mirror.

Every failure is a :class:`zoo.errors.DataError` with a one-line message saying what to do.

Example:
    >>> from zoo import hub
    >>> url = hub.base_url("https://example.org/zoo/v1") + "lenet5.weights.h5"
    >>> path = hub.fetch_file(url, hub.cache_dir() / "weights" / "lenet5.weights.h5",
    ...                       sha256="5f1c...e9", size=248_312)  # doctest: +SKIP
"""

import getpass
import http.client
import os
import pathlib
import re
import socket
import ssl
import stat
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings

import filelock
import platformdirs
from tqdm import tqdm

from zoo._hashing import sha256_file as sha256_of
from zoo._naming import shown
from zoo.errors import ConfigError, DataError

__all__ = ["cache_dir", "offline", "base_url", "sha256_of", "fetch_file"]

_CHUNK = 1 << 16
_USER_AGENT = "zoo-hub/0.1"
_RETRY_STATUS = {408, 429}  # 4xx codes that mean "try again later" rather than "wrong request"
_MIRROR_HINT = "set ZOO_WEIGHTS_URL to a mirror"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
TRUST_ON_FIRST_USE = "trust-on-first-use"  # fetch_file's sha256 for a file with no fixed hash


class _Transient(Exception):
    """A failure worth another attempt: 5xx, a dropped connection, a timeout."""


def cache_dir() -> pathlib.Path:
    """The zoo's cache directory (created if needed); weights go in ``cache_dir() / "weights"``.

    ``$ZOO_CACHE_DIR`` if set, else ``platformdirs.user_cache_dir("zoo")``. When that directory
    cannot be created or written to, a per-user directory under the system temp dir is used
    instead, with a warning.

    Example:
        >>> os.environ["ZOO_CACHE_DIR"] = "/data/zoo-cache"   # doctest: +SKIP
        >>> cache_dir()                                        # doctest: +SKIP
        PosixPath('/data/zoo-cache')
    """
    env = os.environ.get("ZOO_CACHE_DIR")
    chosen = pathlib.Path(env).expanduser() if env else pathlib.Path(
        platformdirs.user_cache_dir("zoo"))
    if _writable(chosen, mode=0o777):
        return chosen
    fallback = pathlib.Path(tempfile.gettempdir()) / f"zoo-cache-{_user_id()}"
    warnings.warn(f"the zoo cache directory {shown(chosen)} is not writable; using "
                  f"{shown(fallback)} instead (set ZOO_CACHE_DIR to a writable directory to "
                  "choose another)", stacklevel=2)
    problem = _private_dir_problem(fallback)  # the temp dir is shared with other users
    if problem:
        raise DataError(f"{shown(chosen)} is not writable and the fallback {shown(fallback)} "
                        f"{problem}; set ZOO_CACHE_DIR to a writable directory of your own")
    return fallback


def offline() -> bool:
    """Whether ``ZOO_OFFLINE`` forbids network access (``1``, ``true`` or ``yes``, any case).

    Example:
        >>> os.environ["ZOO_OFFLINE"] = "Yes"; offline()   # doctest: +SKIP
        True
    """
    return os.environ.get("ZOO_OFFLINE", "").strip().lower() in {"1", "true", "yes"}


def base_url(default: str) -> str:
    """``$ZOO_WEIGHTS_URL`` (a mirror) if set, else ``default``, ending in one ``/``.

    ``""`` when neither is set (there is no address to download from).

    Example:
        >>> base_url("https://example.org/zoo/v1")   # with ZOO_WEIGHTS_URL unset
        'https://example.org/zoo/v1/'
    """
    url = (os.environ.get("ZOO_WEIGHTS_URL", "").strip() or default or "").strip()
    return url.rstrip("/") + "/" if url else ""


def fetch_file(url: str, dest: pathlib.Path, *, sha256: str, size: int | None = None,
               progress: bool = True, timeout: float = 30.0, retries: int = 3,
               backoff: float = 1.0) -> pathlib.Path:
    """Make ``dest`` hold the file at ``url`` whose SHA-256 is ``sha256``; return ``dest``.

    A ``dest`` that already has the right hash is returned without touching the network (the
    hash is checked on every call). Otherwise the file is streamed into ``dest.part`` (resuming
    a previous partial transfer), checked against ``size`` and ``sha256``, and renamed onto
    ``dest``. ``timeout`` bounds the connect and each read; transient failures are tried
    ``retries`` times in all, waiting ``backoff``, ``2 * backoff``, ... seconds in between.

    ``sha256=TRUST_ON_FIRST_USE`` (said explicitly: ``None`` is refused) means *trust on first
    use*, only for a file its publisher rebuilds now and then, so that no fixed hash can be given: the first download is kept whatever its hash, and
    that hash is recorded beside it in ``dest.sha256`` (``sha256sum`` format); later calls check
    the cached file against the record (a damaged copy is fetched again) and never touch the
    network while it holds. Nothing proves that first download is the published file: pass the
    hash whenever one is known. A partial file left by an earlier call is not resumed then (it
    may belong to another version); delete ``dest`` to get the publisher's current file.

    Raises:
        DataError: offline with no valid copy, a network or HTTP failure, or a file whose size
            or hash does not match.

    Example:
        >>> fetch_file("https://example.org/zoo/v1/lenet5.weights.h5",
        ...            cache_dir() / "weights" / "lenet5.weights.h5",
        ...            sha256="5f1c...e9", size=248_312)   # doctest: +SKIP
        PosixPath('/home/me/.cache/zoo/weights/lenet5.weights.h5')
    """
    dest = pathlib.Path(dest)
    trust_first = sha256 == TRUST_ON_FIRST_USE
    sha256 = None if trust_first else sha256.strip().lower() if isinstance(sha256, str) else sha256
    if not trust_first and (not isinstance(sha256, str)
                            or not re.fullmatch(r"[0-9a-f]{64}", sha256)):
        raise ConfigError(f"sha256 must be 64 hex digits, got {shown(repr(sha256))}; pass the "
                          "SHA-256 the file was published with (or hub.TRUST_ON_FIRST_USE for a "
                          "file its publisher rebuilds)")
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https", "file"):
        raise DataError(f"cannot fetch {url}: only http://, https:// and file:// URLs are "
                        f"supported; {_MIRROR_HINT}")

    state = _cached_state(dest, _recorded(dest) if trust_first else sha256, size)
    if state == "ok":
        return dest
    if offline() and scheme != "file":
        what = "is not in the cache" if state == "missing" else "is damaged (wrong SHA-256)"
        raise DataError(f"{dest.name} {what} and ZOO_OFFLINE is set, so it was not downloaded "
                        f"from {url}; unset ZOO_OFFLINE, or download it elsewhere and put it at "
                        f"{dest}, or {_MIRROR_HINT}")

    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        lock_path = dest.with_name(dest.name + ".lock")
        _clear_planted(lock_path)  # an old filelock would open a planted link with O_TRUNC
        lock = filelock.FileLock(str(lock_path))
        lock.acquire()
    except OSError as err:
        raise DataError(f"cannot write to {dest.parent} ({err.strerror or err}); set "
                        "ZOO_CACHE_DIR to a writable directory") from None
    try:
        # Another process may have finished (or damaged) the file while we waited for the lock.
        state = _cached_state(dest, _recorded(dest) if trust_first else sha256, size)
        if state == "ok":
            return dest
        if trust_first:
            _part_path(dest).unlink(missing_ok=True)  # never resume what may be another version
        if state == "bad":
            warnings.warn(f"{dest} is damaged (its size or SHA-256 does not match); downloading "
                          "it again", stacklevel=2)
            dest.unlink(missing_ok=True)
        return _download(url, dest, sha256, size, progress, timeout, max(1, retries), backoff)
    finally:
        lock.release()


def _cached_state(dest, sha256, size):
    """``"ok"``, ``"bad"`` (present, wrong size or hash, or a link) or ``"missing"``."""
    try:
        info = os.lstat(dest)
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "bad"
    if not _own_file(info):
        return "bad"  # a link, or a file the zoo did not write: never read through it
    try:
        if size is not None and info.st_size != size:
            return "bad"
        return "ok" if sha256_of(dest) == sha256 else "bad"
    except OSError:
        return "bad"


def _download(url, dest, sha256, size, progress, timeout, retries, backoff):
    """Fetch into ``dest.part``, verify, rename; one fresh retry if a resumed file is wrong."""
    part = dest.with_name(dest.name + ".part")
    for fresh_retry in (False, True):
        have = _part_size(part)
        if have and size is not None and have >= size:
            resumed = True  # a complete partial file from an earlier run only needs checking
        else:
            resumed = _transfer(url, part, dest.name, size, progress, timeout, retries, backoff)
        problem = _problem(part, sha256, size)
        if problem is None:
            if sha256 is None or os.path.lexists(_record_path(dest)):  # fetched on trust before
                _record(dest, sha256 or sha256_of(part))  # before the rename: never unrecorded
            os.replace(part, dest)
            return dest
        part.unlink(missing_ok=True)
        if not resumed or fresh_retry:
            raise DataError(f"downloaded {url} but {problem}: the file there is not the "
                            f"published one; try again later, or {_MIRROR_HINT}")
    raise AssertionError("unreachable")


def _problem(part, sha256, size):
    """What is wrong with the downloaded ``part``, or None."""
    got_size = _part_size(part, missing=None)
    if got_size is None:
        return "nothing was received"
    if size is not None and got_size != size:
        return f"it has {got_size} bytes instead of {size}"
    if sha256 is None:
        return None  # trust on first use: nothing to compare with
    digest = sha256_of(part)
    if digest != sha256:
        return f"its SHA-256 does not match (got {digest}, expected {sha256})"
    return None


def _part_path(dest):
    return dest.with_name(dest.name + ".part")


def _record_path(dest):
    return dest.with_name(dest.name + ".sha256")


def _recorded(dest):
    """The SHA-256 recorded for a file fetched on trust (:data:`TRUST_ON_FIRST_USE`), or None."""
    path = _record_path(dest)
    try:
        if not _own_file(os.lstat(path)):
            return None
        found = re.match(r"([0-9a-f]{64}) ", path.read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError):
        return None
    return found.group(1) if found else None


def _record(dest, digest):
    """Write ``dest.sha256`` (``sha256sum`` format) through a new file and a rename."""
    path = _record_path(dest)
    part = _part_path(path)
    with _open_part(part, append=False) as out:
        out.write(f"{digest}  {dest.name}\n".encode("ascii"))
    os.replace(part, path)


def _transfer(url, part, name, size, progress, timeout, retries, backoff):
    """Run up to ``retries`` attempts; return whether the last one resumed a partial file."""
    for attempt in range(1, retries + 1):
        try:
            return _attempt(url, part, name, size, progress, timeout)
        except _Transient as err:
            reason = str(err)  # the next attempt resumes from what this one left in ``part``
        if attempt < retries:
            time.sleep(backoff * 2 ** (attempt - 1))
    times = "once" if retries == 1 else f"{retries} times"
    raise DataError(f"could not download {url}: {reason} (tried {times}); check the network "
                    f"connection and try again (a partial download is resumed), or {_MIRROR_HINT}")


def _attempt(url, part, name, size, progress, timeout):
    """One transfer into ``part``; return True when it resumed an existing partial file."""
    if urllib.parse.urlsplit(url).scheme.lower() == "file":
        return _copy_local(url, part, name, size, progress)

    offset = _part_size(part)
    headers = {"User-Agent": _USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                          timeout=timeout)
    except urllib.error.HTTPError as err:
        err.close()
        if err.code == 416 and offset:
            return True  # nothing left to send: the partial file is complete (or wrong)
        reason = f"HTTP {err.code} {err.reason}"
        if err.code >= 500 or err.code in _RETRY_STATUS:
            raise _Transient(reason) from None
        hint = "check the URL" if err.code == 404 else "check access to the URL"
        raise DataError(f"could not download {url}: {reason}; {hint}, or {_MIRROR_HINT}") from None
    except ssl.SSLCertVerificationError as err:
        raise DataError(f"could not download {url}: the server's certificate is not trusted "
                        f"({err.verify_message}); {_MIRROR_HINT}") from None
    except (OSError, http.client.HTTPException) as err:  # URLError is an OSError
        raise _Transient(_reason(err, timeout)) from None

    with response:
        resuming = offset > 0 and response.status == 206
        if resuming and not response.headers.get("Content-Range", "").startswith(
                f"bytes {offset}-"):
            part.unlink(missing_ok=True)
            raise _Transient("the server answered the resume request with another range")
        start = offset if resuming else 0  # a 200 to a Range request: start over
        length = response.headers.get("Content-Length", "")
        expected = start + int(length) if length.isdigit() else None
        received = _stream(response, part, "ab" if resuming else "wb", start,
                           expected if size is None else size, name, progress, timeout)
    if size is not None and received > size:
        return resuming  # too long: verification reports it
    if expected is not None and received < expected:
        raise _Transient(f"the connection closed after {received} of {expected} bytes")
    return resuming


def _stream(source, part, mode, start, total, name, progress, timeout):
    """Copy ``source`` into ``part``; return the bytes ``part`` holds afterwards."""
    received = start
    out = _open_part(part, append=mode == "ab")
    bar = tqdm(total=total, initial=start, unit="B", unit_scale=True, unit_divisor=1024,
               desc=name, file=sys.stderr, disable=None if progress and sys.stderr else True)
    with out, bar:
        while True:
            try:
                chunk = source.read(_CHUNK)
            except (OSError, http.client.HTTPException) as err:
                raise _Transient(_reason(err, timeout)) from None
            if not chunk:
                return received
            try:
                out.write(chunk)
            except OSError as err:
                raise DataError(f"cannot write {part} ({err.strerror or err}); free some space "
                                "or set ZOO_CACHE_DIR to another directory") from None
            received += len(chunk)
            bar.update(len(chunk))
            if total is not None and received > total:
                return received  # more than announced: stop, verification rejects it


def _copy_local(url, part, name, size, progress):
    """Copy a ``file://`` URL into ``part`` (from scratch: a local copy is cheap)."""
    parts = urllib.parse.urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise DataError(f"cannot fetch {url}: file:// URLs must name a local file "
                        "(file:///path/to/file)")
    source = pathlib.Path(urllib.request.url2pathname(parts.path))
    try:
        handle = open(source, "rb")
    except OSError as err:
        raise DataError(f"could not copy {url}: {err.strerror or err}; check the path, or "
                        f"{_MIRROR_HINT}") from None
    with handle:
        total = os.fstat(handle.fileno()).st_size if size is None else size
        _stream(handle, part, "wb", 0, total, name, progress, None)
    return False


def _reason(err, timeout):
    """A short human reason for a network error."""
    if isinstance(err, urllib.error.URLError) and isinstance(err.reason, BaseException):
        err = err.reason
    if isinstance(err, (TimeoutError, socket.timeout)):
        return f"no answer within {timeout:g} s (timed out)"
    if isinstance(err, socket.gaierror):
        return f"host not found ({err.strerror})"
    if isinstance(err, ConnectionRefusedError):
        return "connection refused"
    if isinstance(err, urllib.error.URLError):
        return str(err.reason)
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return str(err) or type(err).__name__


def _own_file(info):
    """Whether ``lstat`` facts describe a plain file of this user's with one name (not a link,
    not a hard link to a file elsewhere, not a FIFO or device)."""
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        return False
    return not hasattr(os, "getuid") or info.st_uid == os.getuid()


def _clear_planted(path):
    """Remove whatever is at ``path`` that the zoo would not have written there (a link, a hard
    link, a FIFO, another user's file), with a warning; the file a link points to is untouched."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if _own_file(info):
        return
    if stat.S_ISDIR(info.st_mode):
        raise DataError(f"{shown(path)} is a directory where the zoo keeps a file; remove it "
                        "and try again")
    warnings.warn(f"{shown(path)} was a link or a file the zoo did not write; removed it "
                  "(nothing was written through it)", stacklevel=3)
    os.unlink(path)


def _part_size(part, missing=0):
    """How many bytes the partial file holds (``missing`` when there is none); a planted link
    or foreign file there is removed first."""
    try:
        _clear_planted(part)
        return os.lstat(part).st_size
    except FileNotFoundError:
        return missing


def _open_part(part, append):
    """Open the partial file for writing without following links: appended to when resuming,
    else created afresh (``O_EXCL``) after removing whatever was there."""
    flags = os.O_WRONLY | os.O_CREAT | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0) | getattr(
        os, "O_BINARY", 0)
    try:
        _clear_planted(part)
        if append:
            flags |= os.O_APPEND
        else:
            part.unlink(missing_ok=True)
            flags |= os.O_EXCL
        fd = os.open(part, flags, 0o644)
    except OSError as err:
        raise DataError(f"cannot write {shown(part)} ({err.strerror or err}); set ZOO_CACHE_DIR "
                        "to a writable directory of your own") from None
    if not _own_file(os.fstat(fd)):  # swapped in between the check and the open
        os.close(fd)
        raise DataError(f"{shown(part)} was replaced while it was opened; someone else writes "
                        "in the cache: set ZOO_CACHE_DIR to a directory of your own")
    return os.fdopen(fd, "ab" if append else "wb")


def _private_dir_problem(directory):
    """Why ``directory`` cannot be this user's private cache, or None once it is one (created
    0700 if missing)."""
    try:
        directory.mkdir(mode=0o700)
    except FileExistsError:
        pass
    except OSError as err:
        return f"cannot be created ({err.strerror or err})"
    info = os.lstat(directory)
    if stat.S_ISLNK(info.st_mode):
        return "is a link (someone else may have planted it)"
    if not stat.S_ISDIR(info.st_mode):
        return "is not a directory"
    if hasattr(os, "getuid"):  # POSIX owners and modes (Windows keeps a per-user temp dir)
        if info.st_uid != os.getuid():
            return f"belongs to another user (uid {info.st_uid})"
        if info.st_mode & 0o022:
            return "can be written by other users"
    return None if _writable(directory, mode=0o700) else "is not writable"


def _writable(directory, mode):
    """Whether ``directory`` exists or can be created, and a file can be written in it."""
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=mode)
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".probe-")
        os.close(fd)
        os.unlink(probe)
        return True
    except OSError:
        return False


def _user_id():
    if hasattr(os, "getuid"):
        return str(os.getuid())

    return re.sub(r"[^A-Za-z0-9_.-]", "_", getpass.getuser())
