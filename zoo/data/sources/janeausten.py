"""Jane Austen's six novels as plain UTF-8 text, from Debian's ``r-cran-janeaustenr`` package.

:func:`fetch_janeausten` runs ``apt-get download r-cran-janeaustenr=1.0.0-1`` (the R package
janeaustenr), reads the novels out of the package's R lazy-load database with the ``rdata``
package (``pip install 'zoo[fetch]'``; nothing in the package is run) and writes one text file per
novel into ``OUT/text/janeausten/``, each checked against its known SHA-256: 4.03 M characters.
Licence: the novels are in the public domain; the R package is MIT.
"""

import bz2
import logging
import lzma
import struct
import tempfile
import warnings
import zlib
from pathlib import Path

from zoo._hashing import sha256_bytes
from zoo.data.sources import packages
from zoo.errors import DataError

log = logging.getLogger(__name__)

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


def _r_unserialize(raw, what):
    """An R object from R's serialization format (or a compressed .rds/.rda), as Python data."""
    try:
        import rdata  # optional extra [fetch]: only this source needs it
    except ImportError:
        raise DataError("reading R data files needs the rdata package: "
                        "pip install 'zoo[fetch]' (or pip install rdata)") from None
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
    files = packages.read_deb_data(deb, _JANEAUSTEN_DATA)
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
        digest = sha256_bytes(data)
        if digest != expected:
            raise DataError(f"{name} from {deb.name} has SHA-256 {digest}, not the "
                            f"expected {expected}: another version of the package?")
        payloads[f"{name}.txt"] = data
    return packages.write_files(dest, payloads)


def janeausten_is_valid(dest, *, sha256s=JANEAUSTEN_SHA256) -> bool:
    """Whether ``dest`` holds every novel with the expected SHA-256."""
    return packages.files_match(dest, {f"{name}.txt": sha for name, sha in sha256s.items()})


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
    with tempfile.TemporaryDirectory(prefix="zoo-fetch-") as workdir:
        extract_janeausten(packages.apt_download(JANEAUSTEN_DEB, workdir), dest, sha256s=sha256s)
    log.info("Jane Austen from Debian's %s is in %s (SHA-256 verified)", JANEAUSTEN_DEB, dest)
    return dest
