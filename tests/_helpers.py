"""Helpers shared by the test files: fake Debian packages and a run under another Keras backend."""

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path


def ar_archive(members):
    """The bytes of an ``ar`` archive (the outer layer of a ``.deb``) of ``(name, bytes)``."""
    out = io.BytesIO()
    out.write(b"!<arch>\n")
    for name, data in members:
        out.write(f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode())
        out.write(data + (b"\n" if len(data) % 2 else b""))
    return out.getvalue()


def write_deb(path, files, symlinks=()):
    """Write a ``.deb`` whose data.tar.xz holds ``files`` ({path: bytes}) and ``symlinks``
    ((path, target)), named ``./path`` with their folders before them, as dpkg-deb builds it."""
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w:xz") as tar:
        folders = sorted({str(parent) for name in files for parent in Path(name).parents})
        for folder in folders:
            info = tarfile.TarInfo("./" if folder == "." else f"./{folder}/")
            info.type = tarfile.DIRTYPE
            tar.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(f"./{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in symlinks:
            info = tarfile.TarInfo(f"./{name}")
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    path = Path(path)
    path.write_bytes(ar_archive([("debian-binary", b"2.0\n"), ("control.tar.xz", b"x"),
                                 ("data.tar.xz", tar_bytes.getvalue())]))
    return path


def run_under_backend(script, backend="jax", timeout=600):
    """Run ``script`` in a fresh Python under another Keras backend (on the CPU) and assert it
    ends well, printing ``ok`` last; the backend is chosen at import, hence the new process."""
    env = dict(os.environ, KERAS_BACKEND=backend, JAX_PLATFORMS="cpu")
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok"), result.stdout[-3000:]
