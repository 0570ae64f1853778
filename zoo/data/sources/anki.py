"""The Tatoeba English-Spanish sentence pairs, as manythings.org publishes them for Anki.

:func:`fetch_anki_spa_eng` downloads ``spa-eng.zip`` (about 140,000 pairs) from manythings.org
through :func:`zoo.hub.fetch_file` (resumable, locked, kept in ``cache_dir() / "data"``) and
writes ``OUT/translation/spa-eng.tsv``: ``English TAB Spanish TAB attribution`` lines. It needs
the web site (no package registry carries these pairs). Licence: CC-BY 2.0 France (Tatoeba).

manythings.org rebuilds the zip from Tatoeba now and then, so no fixed SHA-256 can be pinned:
the download is *trusted on first use* (``hub.TRUST_ON_FIRST_USE`` in
:func:`zoo.hub.fetch_file`), its hash is logged and recorded beside the cached zip (``spa-eng.zip.sha256``), and later runs use
that copy, checked against the record, without the network (a download that is not a zip of
pairs is dropped, not kept). Pass ``sha256=`` to insist on a known version.
"""

import logging
import os
import urllib.parse
import zipfile
from pathlib import Path, PurePosixPath

from zoo import hub
from zoo.errors import DataError

log = logging.getLogger(__name__)

ANKI_SPA_ENG_URL = "http://www.manythings.org/anki/spa-eng.zip"
ANKI_SPA_ENG_SHA256 = hub.TRUST_ON_FIRST_USE  # the published zip changes over time


def extract_anki_pairs(archive, dest):
    """Write ``dest/spa-eng.tsv`` from an Anki / manythings.org ``spa-eng.zip``.

    The zip holds ``spa.txt``: ``English TAB Spanish TAB attribution`` lines; the attribution
    column is kept (the pair reader ignores extra columns, and the CC-BY licence asks for it).
    """
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


def fetch_anki_spa_eng(out_dir, *, url=ANKI_SPA_ENG_URL, sha256=ANKI_SPA_ENG_SHA256) -> Path:
    """Download the Tatoeba English-Spanish pairs as published by manythings.org (Anki format,
    about 140,000 pairs, CC-BY 2.0 France) into ``out_dir/translation/spa-eng.tsv``.

    The zip goes through :func:`zoo.hub.fetch_file` into ``cache_dir() / "data"``; with
    the default ``sha256`` it is trusted on first use (see the module docstring). Needs access to the
    web site (not a package registry), unless the zip is already in the cache.

    Raises:
        DataError: the download failed, or the file is not the expected zip of pairs.
    """
    dest = Path(out_dir).expanduser().absolute() / "translation"
    name = PurePosixPath(urllib.parse.urlsplit(url).path).name or "spa-eng.zip"
    archive = hub.fetch_file(url, hub.cache_dir() / "data" / name, sha256=sha256)
    trusted = sha256 == hub.TRUST_ON_FIRST_USE
    log.info("%s: SHA-256 %s (%s)", name, hub.sha256_of(archive),
             f"trusted on first use, recorded in {name}.sha256" if trusted else "pinned")
    try:
        written = extract_anki_pairs(archive, dest)
    except DataError:
        if trusted:  # not the zip of pairs: do not keep trusting that download
            archive.unlink(missing_ok=True)
            archive.with_name(archive.name + ".sha256").unlink(missing_ok=True)
        raise
    log.info("the Anki spa-eng pairs are in %s", written)
    return dest
