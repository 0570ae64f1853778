"""Emoji pictures in several drawing styles, captioned with their CLDR names in English and
Spanish, from npm packages: a real captioning set whose captions are compositional
("woman biking: medium skin tone", "cat with wry smile").

Styles (each ``npm pack``-ed at a pinned version, the tarball checked against its SHA-256; the
image licences read in each tarball's README / LICENSE):

============  ==================================  ==========================================
style         package                             images, licence
============  ==================================  ==========================================
``google``    ``emoji-datasource-google@16.0.0``  64 px PNG, Noto Emoji: Apache-2.0
``twitter``   ``emoji-datasource-twitter@16.0.0`` 64 px PNG, Twemoji: CC-BY-4.0
``openmoji``  ``openmoji@17.0.0``                 SVG (``color/svg``), OpenMoji: CC-BY-SA-4.0
============  ==================================  ==========================================

Refused (:data:`REFUSED_STYLES`): ``apple`` (the emoji-datasource README: "Apple images,
Copyright (c) Apple Inc., are not licensed for commercial usage") and ``facebook`` ("Facebook
images, (c) Facebook, Inc., have no clear licensing"); the packages' MIT licence covers
emoji-datasource's code and data, not those pictures. Asking for them is a one-line error.

Names: ``emojibase-data@17.0.0`` (MIT; the names are Unicode CLDR annotations): ``en/data.json``
and ``es/data.json``, one entry per emoji with its skin-tone variants under ``skins``. An image
is kept when its code points (``FE0F`` dropped) have an English name; the Spanish caption is
empty where es/data.json has none. Captions are the names as written; the caption pipeline
lower-cases them and drops punctuation (``"woman biking: medium skin tone"`` -> ``woman biking
medium skin tone``).

**Skin tones are kept**, every variant: the name says the tone ("waving hand: dark skin tone")
and the picture shows it, so they teach the model a compositional part of the caption (an
object + a tone); sampling a subset would drop exactly those pairs. They are about half of the
images, so a model that only learns them still scores low on the other half.

**The split, chosen before any training** (:func:`split_of`):

- ``openmoji`` is the **held-out style** (``test_style``): line art with black outlines, never
  trained on; every OpenMoji picture with a CLDR name is in that test.
- ``google`` and ``twitter`` are the training styles. **Held-out emoji** (``test_emoji``): an
  emoji whose *base* code points (the emojibase entry, tone variants included, so
  "waving hand" and "waving hand: dark skin tone" go together) hash into the lowest 10 of 100
  buckets of SHA-256(``"emoji-heldout-v1:" + base``), in both training styles; they are never
  trained on.
- ``train``: the rest of the two training styles. Validation is cut from it by
  :mod:`zoo.data.captions` by base emoji too (``group`` column), so a validation emoji is in
  neither training style.

:func:`fetch_emoji` writes ``OUT/emoji/``: ``images/STYLE/HEXCODE.png`` (64x64 RGB, the alpha
composited on white, Pillow Lanczos), ``captions.tsv`` (image, style, hexcode, group, split,
caption_en, caption_es), one TSV per split (``train.tsv``, ``test_emoji.tsv``,
``test_style.tsv``, same columns, usable as caption folders with ``--dataset`` /
``--test-data``) and ``README.txt`` (sources, licences, attribution). Train on it with
``zoo train show_attend_tell --dataset emoji --data-dir OUT`` (English) or ``--recipe
caption_column=caption_es`` (Spanish). Rendering OpenMoji's SVG needs CairoSVG
(``pip install 'zoo[fetch]'``).

Figures of the fetched set (``scripts/fetch_data.py emoji``, packages as pinned above):
- 1,949 emoji (3,979 with their skin-tone variants) have a CLDR name, in English and in Spanish
  (every one of them: 11,551 captions in each language); 11,551 pictures: Google 3,786,
  Twitter 3,786, OpenMoji 3,979 (one of its SVGs, a subdivision flag without a CLDR name, does
  not render and is skipped).
- train 6,820 pictures (3,410 emoji x 2 styles), test_emoji 752 (376 emoji of 191 base emoji
  x 2 styles), test_style 3,979. The captioners cut 804 validation pictures from train (seed
  0), leaving 6,016.
- Vocabulary of those 6,016 training captions (with the 4 specials): 1,506 words in English,
  1,542 in Spanish; longest caption 11 / 17 words. Words never trained on: 13.6% (en) and
  12.7% (es) of the test_emoji words (many are country names of flags), 2.7% / 2.2% of the
  test_style words. Only 54.8% (en) / 50.0% (es) of the test_emoji captions can be written
  with the training words (none of them is a training caption); 75.6% of the test_style
  captions are training captions of the same emoji in another style.
"""

import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from zoo._hashing import sha256_file
from zoo.data.sources import packages
from zoo.errors import DataError
from zoo.text.tokenize import caption_tokens

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Style:
    """One drawing style: its npm package (pinned), the tarball's SHA-256, the folder of its
    pictures in the tarball, their format, and the pictures' licence."""

    package: str
    sha256: str
    folder: str
    kind: str  # "png" or "svg"
    licence: str


STYLES = {
    "google": Style("emoji-datasource-google@16.0.0",
                    "fb5fd131b362aab7a55542d2a147a79708cce0a8b1c1bbacd470172708b5c438",
                    "package/img/google/64/", "png",
                    "Apache-2.0 (Noto Emoji, Google; emoji-datasource's README)"),
    "twitter": Style("emoji-datasource-twitter@16.0.0",
                     "f64a530c63bca463bd8317fdc4615ce63a53a0c65018e4ce2d848aaba7a28877",
                     "package/img/twitter/64/", "png",
                     "CC-BY-4.0 (Twemoji, copyright Twitter, Inc. and other contributors; "
                     "emoji-datasource's README)"),
    "openmoji": Style("openmoji@17.0.0",
                      "55ee7d13485dec86e9f38c1f3a645a13382d33ff97c0cd845ee824b0aef45e68",
                      "package/color/svg/", "svg",
                      "CC-BY-SA-4.0 (OpenMoji, HfG Schwaebisch Gmuend; its LICENSE.txt)"),
}
# styles whose pictures are not openly licensed: never fetched, never trained on
REFUSED_STYLES = {
    "apple": "emoji-datasource's README: Apple images, Copyright Apple Inc., are not licensed "
             "for commercial usage",
    "facebook": "emoji-datasource's README: Facebook images, (c) Facebook, Inc., have no clear "
                "licensing",
}
NAMES_PACKAGE = "emojibase-data@17.0.0"
NAMES_SHA256 = "d01d0e2ca4e22cb402679532155342c71e2e871f25c32223c013b8b166ebdf5a"
NAMES_MEMBERS = {"en": "package/en/data.json", "es": "package/es/data.json"}
NAMES_LICENCE = "MIT (emojibase-data, Miles Johnson); the names are Unicode CLDR annotations"

TRAIN_STYLES = ("google", "twitter")
TEST_STYLE = "openmoji"
HELDOUT_SALT = "emoji-heldout-v1:"
HELDOUT_BUCKETS = 10  # of 100: the share of base emoji held out of training
IMAGE_SIZE = 64
FOLDER = "emoji"
COLUMNS = ("image", "style", "hexcode", "group", "split", "caption_en", "caption_es")
SPLIT_FILES = {"train": "train.tsv", "test_emoji": "test_emoji.tsv",
               "test_style": "test_style.tsv"}


# -- names and the split -------------------------------------------------------------------------

def normalize_hexcode(hexcode):
    """Code points as one key: upper case, ``-`` separated, ``FE0F`` (the emoji presentation
    selector, which image sets write or leave out inconsistently) dropped."""
    parts = str(hexcode).replace("_", "-").upper().split("-")
    return "-".join(p for p in parts if p and p != "FE0F")


def read_names(data):
    """``{hexcode: (name, base hexcode)}`` from an emojibase ``data.json`` (bytes), skin-tone
    variants included (their base is the emoji they vary)."""
    try:
        entries = json.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise DataError(f"the emoji names are not JSON ({err})") from None
    if not isinstance(entries, list):
        raise DataError("the emoji names must be a JSON list of emojibase entries")
    names = {}
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("hexcode") or not entry.get("label"):
            continue
        base = normalize_hexcode(entry["hexcode"])
        names[base] = (" ".join(str(entry["label"]).split()), base)
        for skin in entry.get("skins") or []:
            if isinstance(skin, dict) and skin.get("hexcode") and skin.get("label"):
                names[normalize_hexcode(skin["hexcode"])] = (" ".join(str(skin["label"]).split()),
                                                              base)
    return names


def is_heldout_emoji(base):
    """Whether the base emoji ``base`` (normalised hexcode) is held out of training."""
    digest = hashlib.sha256((HELDOUT_SALT + base).encode("ascii")).digest()
    return int.from_bytes(digest[:8], "big") % 100 < HELDOUT_BUCKETS


def split_of(style, base):
    """The split of one picture: ``test_style`` for the held-out style, ``test_emoji`` for a
    held-out emoji of a training style, else ``train``."""
    if style == TEST_STYLE:
        return "test_style"
    return "test_emoji" if is_heldout_emoji(base) else "train"


def check_styles(styles):
    """Refuse a style that is not openly licensed or not known."""
    for style in styles:
        if style in REFUSED_STYLES:
            raise DataError(f"the {style!r} emoji style is not openly licensed "
                            f"({REFUSED_STYLES[style]}); use {', '.join(STYLES)}")
        if style not in STYLES:
            raise DataError(f"unknown emoji style {style!r}; known: {', '.join(STYLES)}")


# -- pictures ------------------------------------------------------------------------------------

def render_svg(data, size):
    """An SVG picture as a PNG of ``size`` x ``size`` pixels (CairoSVG, not ``unsafe``: no
    file or URL the picture names is read, no XML entity resolved)."""
    try:
        import cairosvg  # optional extra [fetch]: only the SVG styles need it
    except ImportError:
        raise DataError("rendering the SVG emoji (OpenMoji) needs CairoSVG: "
                        "pip install 'zoo[fetch]' (or pip install cairosvg)") from None
    try:
        return cairosvg.svg2png(bytestring=data, output_width=size, output_height=size,
                                unsafe=False)
    except Exception as err:  # CairoSVG raises many kinds on a damaged file
        raise DataError(f"cannot render an SVG picture: {err}") from None


def to_rgb(data, size=IMAGE_SIZE):
    """A PNG (bytes) as a ``size`` x ``size`` RGB picture, its transparency composited on
    white."""
    try:
        image = Image.open(io.BytesIO(data))
        image = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise DataError(f"not a readable picture ({err})") from None
    if image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.LANCZOS)
    white = Image.new("RGBA", image.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, image).convert("RGB")


def style_pictures(style, archive, size=IMAGE_SIZE):
    """``{hexcode: RGB picture}`` of one style's package file."""
    spec = STYLES[style]
    files = packages.read_archive_folder(archive, spec.folder, "." + spec.kind)
    if not files:
        raise DataError(f"{Path(archive).name} holds no {spec.kind} picture under {spec.folder}")
    pictures = {}
    for name, data in sorted(files.items()):
        try:
            if spec.kind == "svg":
                data = render_svg(data, size)
            pictures[normalize_hexcode(name.rsplit(".", 1)[0])] = to_rgb(data, size)
        except DataError as err:
            log.warning("skipping %s/%s: %s", style, name, err)
    return pictures


# -- the folder ----------------------------------------------------------------------------------

def emoji_rows(pictures, names_en, names_es):
    """The caption rows, one per (style, picture with an English name), sorted."""
    rows = []
    for style in sorted(pictures):
        for hexcode in sorted(pictures[style]):
            if hexcode not in names_en:
                continue
            english, base = names_en[hexcode]
            spanish = names_es.get(hexcode, ("", base))[0]
            rows.append({"image": f"images/{style}/{hexcode}.png", "style": style,
                         "hexcode": hexcode, "group": base, "split": split_of(style, base),
                         "caption_en": english, "caption_es": spanish})
    return rows


def _tsv(rows):
    lines = ["\t".join(COLUMNS)] + ["\t".join(str(row[c]).replace("\t", " ") for c in COLUMNS)
                                    for row in rows]
    return "\n".join(lines) + "\n"


def emoji_figures(rows):
    """Counts of a folder's rows: pictures and distinct emoji per style and split, captions
    per language, distinct words of the training captions per language."""
    figures = {"pictures": len(rows), "emoji": len({r["hexcode"] for r in rows}),
               "base_emoji": len({r["group"] for r in rows}), "styles": {}, "splits": {}}
    for row in rows:
        figures["styles"][row["style"]] = figures["styles"].get(row["style"], 0) + 1
        split = figures["splits"].setdefault(row["split"], {"pictures": 0, "emoji": set()})
        split["pictures"] += 1
        split["emoji"].add(row["hexcode"])
    for split in figures["splits"].values():
        split["emoji"] = len(split["emoji"])
    for lang in ("en", "es"):
        captions = [r[f"caption_{lang}"] for r in rows if r[f"caption_{lang}"]]
        figures[f"captions_{lang}"] = len(captions)
        figures[f"train_words_{lang}"] = len({t for r in rows if r["split"] == "train"
                                              for t in caption_tokens(r[f"caption_{lang}"])})
    return figures


def extract_emoji(archives, names_archive, dest, *, size=IMAGE_SIZE, styles=None):
    """Write the emoji caption folder ``dest`` from package files.

    Args:
        archives: ``{style: tarball}`` of the picture packages.
        names_archive: the ``emojibase-data`` tarball.
        dest: the folder to write (built under a temporary name, then renamed).
        size: the side of the stored pictures.
        styles: the styles to read (default: every one in ``archives``); each must be open.
    """
    styles = tuple(styles or archives)
    check_styles(styles)
    names = packages.read_archive_members(names_archive, NAMES_MEMBERS.values())
    if NAMES_MEMBERS["en"] not in names:
        raise DataError(f"{Path(names_archive).name} holds no {NAMES_MEMBERS['en']}")
    names_en = read_names(names[NAMES_MEMBERS["en"]])
    names_es = read_names(names[NAMES_MEMBERS["es"]]) if NAMES_MEMBERS["es"] in names else {}
    pictures = {style: style_pictures(style, archives[style], size) for style in styles}
    rows = emoji_rows(pictures, names_en, names_es)
    if not rows:
        raise DataError("no emoji picture has an English name: are these the right packages?")
    dest = Path(dest)
    part = dest.with_name(f".{dest.name}.part")
    shutil.rmtree(part, ignore_errors=True)
    for row in rows:
        target = part / row["image"]
        target.parent.mkdir(parents=True, exist_ok=True)
        pictures[row["style"]][row["hexcode"]].save(target)
    (part / "captions.tsv").write_text(_tsv(rows), encoding="utf-8")
    for split, file in SPLIT_FILES.items():
        (part / file).write_text(_tsv([r for r in rows if r["split"] == split]),
                                 encoding="utf-8")
    figures = emoji_figures(rows)
    (part / "figures.json").write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    licences = "\n".join(f"- {style}: npm {STYLES[style].package}, {STYLES[style].licence}"
                         for style in styles)
    (part / "README.txt").write_text(
        f"Emoji pictures ({size}x{size} RGB on white) captioned with their Unicode CLDR names "
        f"(npm {NAMES_PACKAGE}: {NAMES_LICENCE}).\n{licences}\n"
        f"Split: {TEST_STYLE} is the held-out style (test_style); base emoji hashed into "
        f"{HELDOUT_BUCKETS} of 100 buckets are held out of the training styles (test_emoji).\n"
        f"Figures: {json.dumps(figures)}\n", encoding="utf-8")
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(part, dest)
    return dest


def emoji_are_there(dest) -> bool:
    """Whether ``dest`` already holds a finished emoji folder (its split files; the pictures
    are re-encoded by Pillow, so no hash is kept for them)."""
    return all((Path(dest) / name).is_file() for name in ("captions.tsv", *SPLIT_FILES.values()))


def _packed(package, sha256, workdir):
    archive = packages.npm_pack(package, packages.work_subdir(workdir, package.replace("/", "_")))
    digest = sha256_file(archive)  # in blocks: the Google pack is 74 MB
    if digest != sha256:
        raise DataError(f"npm {package} has SHA-256 {digest}, not the pinned {sha256}")
    return archive


def fetch_emoji(out_dir, *, styles=TRAIN_STYLES + (TEST_STYLE,), size=IMAGE_SIZE) -> Path:
    """Fetch the emoji caption folder into ``out_dir/emoji/`` (see the module docstring).

    Runs ``npm pack`` of the style packages (Google 74 MB, Twitter 62 MB, OpenMoji 4 MB) and
    of ``emojibase-data`` (7 MB), each checked against its pinned SHA-256. Does nothing when
    the folder is already there.
    """
    check_styles(styles)
    dest = Path(out_dir).expanduser().absolute() / FOLDER
    if emoji_are_there(dest):
        log.info("%s already holds the emoji captions; nothing to do", dest)
        return dest
    with tempfile.TemporaryDirectory(prefix="zoo-fetch-") as workdir:
        names = _packed(NAMES_PACKAGE, NAMES_SHA256, workdir)
        archives = {style: _packed(STYLES[style].package, STYLES[style].sha256, workdir)
                    for style in styles}
        extract_emoji(archives, names, dest, size=size, styles=styles)
    log.info("emoji caption folder is in %s", dest)
    return dest
