"""Tux Paint's stamps, from Debian's ``tuxpaint-stamps-default`` package: English-Spanish pairs
and a small captioned-picture set.

Every stamp is a PNG cut-out with transparency and a ``.txt`` description: the English text on
its first line, then one ``LANG.utf8=text`` line per translation.

- :func:`fetch_tuxpaint_stamps_es` writes the ``English TAB Spanish`` pairs of the descriptions
  into ``OUT/translation/tuxpaint_stamps_es.tsv`` (804 short phrases such as "A badger." /
  "Un tejón.", SHA-256 checked), for the translators (see :mod:`zoo.data.translation`).
- :func:`fetch_tuxpaint_captions` writes the pictures, downscaled to at most 128 px, and their
  captions into ``OUT/captions/`` in the caption-folder layout of :mod:`zoo.data.captions`
  (``captions.tsv``: image, category, caption_en, caption_es; ``images/``).

Both run ``apt-get download tuxpaint-stamps-default=2022.06.04-1`` (161 MB).
Licence: GPL-2 (copyright 2002-2022 Bill Kendrick and the Tux Paint contributors).
"""

import io
import logging
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from PIL import Image, UnidentifiedImageError

from zoo._hashing import sha256_bytes
from zoo.data.sources import packages
from zoo.errors import DataError

log = logging.getLogger(__name__)

TUXPAINT_DEB = "tuxpaint-stamps-default=2022.06.04-1"
_TUXPAINT_STAMPS = "usr/share/tuxpaint/stamps/"

# SHA-256 of the file fetch_tuxpaint_stamps_es writes (804 pairs)
TUXPAINT_SHA256 = "b3f340f301488c527b41597190e80ee7ad9fca671f0bb66e665dfed9e552d703"

TUXPAINT_CAPTIONS_MAX_SIZE = 128  # the longer side of the stored pictures, in pixels


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


def extract_tuxpaint_stamps(deb, dest, *, sha256=TUXPAINT_SHA256):
    """Write ``dest/tuxpaint_stamps_es.tsv`` from the ``tuxpaint-stamps-default`` package file.

    Checks the result's SHA-256 (``None`` skips the check); nothing is written when it differs.
    """
    files = packages.read_deb_data(deb, _TUXPAINT_STAMPS)
    pairs = tuxpaint_pairs(files)
    if not pairs:
        raise DataError(f"{Path(deb).name} holds no stamp description with a Spanish line")
    payload = "".join(f"{en}\t{es}\n" for en, es in pairs).encode("utf-8")
    digest = sha256_bytes(payload)
    if sha256 and digest != sha256:
        raise DataError(f"the pairs read from {Path(deb).name} have SHA-256 {digest}, "
                        f"not the expected {sha256}: another version of the package?")
    return packages.write_pairs(pairs, Path(dest) / "tuxpaint_stamps_es.tsv")


def extract_tuxpaint_captions(deb, dest, *, max_size=TUXPAINT_CAPTIONS_MAX_SIZE) -> Path:
    """Write the caption folder ``dest`` from the ``tuxpaint-stamps-default`` package file.

    Every picture is stored as an RGBA PNG, downscaled (never enlarged) so that its longer side
    is at most ``max_size`` pixels. The folder is built under a temporary name and renamed, so
    an interrupted run leaves nothing half-written.
    """
    dest = Path(dest)
    files = packages.read_deb_data(deb, _TUXPAINT_STAMPS)
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


def tuxpaint_stamps_are_valid(dest, *, sha256=TUXPAINT_SHA256) -> bool:
    """Whether ``dest`` holds ``tuxpaint_stamps_es.tsv`` with the expected SHA-256."""
    return packages.files_match(dest, {"tuxpaint_stamps_es.tsv": sha256})


def tuxpaint_captions_are_there(dest) -> bool:
    """Whether ``dest`` already holds a caption folder (its ``captions.tsv``; the pictures are
    re-encoded by Pillow, so no hash is kept for them)."""
    return (Path(dest) / "captions.tsv").is_file()


def fetch_tuxpaint_stamps_es(out_dir) -> Path:
    """Fetch Tux Paint's English-Spanish stamp descriptions into
    ``out_dir/translation/tuxpaint_stamps_es.tsv`` (804 pairs, GPL-2, SHA-256 verified).

    Runs ``apt-get download tuxpaint-stamps-default=2022.06.04-1`` (161 MB) and reads the
    ``.txt`` description files. Does nothing when a verified file is already there.
    """
    dest = Path(out_dir).expanduser().absolute() / "translation"
    target = dest / "tuxpaint_stamps_es.tsv"
    if tuxpaint_stamps_are_valid(dest):
        log.info("%s is already there (SHA-256 verified); nothing to do", target)
        return dest
    with tempfile.TemporaryDirectory(prefix="zoo-fetch-") as workdir:
        extract_tuxpaint_stamps(packages.apt_download(TUXPAINT_DEB, workdir), dest)
    log.info("Tux Paint stamp descriptions are in %s", target)
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
    if tuxpaint_captions_are_there(dest):
        log.info("%s already holds captions.tsv; nothing to do", dest)
        return dest
    if dest.exists() and any(dest.iterdir()):
        raise DataError(f"{dest} is not empty and holds no captions.tsv; move it away first")
    with tempfile.TemporaryDirectory(prefix="zoo-fetch-") as workdir:
        extract_tuxpaint_captions(packages.apt_download(TUXPAINT_DEB, workdir), dest,
                                  max_size=max_size)
    log.info("Tux Paint caption folder is in %s", dest)
    return dest
