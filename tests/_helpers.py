"""Helpers shared by the test files: fake Debian packages, a fake package index, tarballs and
a run under another Keras backend."""

import hashlib
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


def simple_index(root, project, archives):
    """A package index in the folder ``root`` (PEP 503 HTML): ``root/simple/<project>/index.html``
    links each of ``archives`` ({file name: bytes}, stored in ``root/files/``) with its SHA-256;
    the index URL (``file://``)."""
    files = Path(root) / "files"
    page = Path(root) / "simple" / project
    files.mkdir(parents=True, exist_ok=True)
    page.mkdir(parents=True, exist_ok=True)
    links = []
    for name, data in archives.items():
        (files / name).write_bytes(data)
        links.append(f'<a href="../../files/{name}#sha256={hashlib.sha256(data).hexdigest()}">'
                     f"{name}</a><br>")
    (page / "index.html").write_text("<!DOCTYPE html><html><body>\n" + "\n".join(links)
                                     + "\n</body></html>\n", encoding="utf-8")
    return (Path(root) / "simple").as_uri()


def use_pip_index(monkeypatch, index_url, extra="", find_links=""):
    """Make pip's configuration (as ``pip config list`` and the environment give it) name only
    ``index_url`` and the space-separated ``extra`` indexes and ``find_links``: no
    configuration file is read."""
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", index_url)
    for name, value in (("PIP_EXTRA_INDEX_URL", extra), ("PIP_FIND_LINKS", find_links)):
        if value:
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name, raising=False)


def tar_gz(members, links=()):
    """The bytes of a ``.tar.gz`` holding ``members`` ({name: bytes}) and symbolic ``links``
    ((name, target)), with fixed times (the same bytes every run)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in links:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return out.getvalue()


def write_tar_gz(path, members, links=()):
    """:func:`tar_gz` written to ``path``; returns ``path`` (a ``Path``)."""
    path = Path(path)
    path.write_bytes(tar_gz(members, links))
    return path
