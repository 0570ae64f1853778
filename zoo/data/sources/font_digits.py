"""A test set of digits rendered from fonts in Debian packages, at several stroke weights.

MNIST's digits were written with thin pens; people drawing in a canvas often use a thick one.
This set measures a digit classifier on printed shapes it never saw, from thin to bold:
every digit 0-9 of every font face below is drawn with Pillow

- at three stroke weights (:data:`WEIGHTS`): the face's own ("regular"), an outline of 3% of
  the font size around every stroke and a bold outline of 6% (Pillow's ``stroke_width``; at 6%
  the bold faces' digits are as heavy as they can be with their holes still open);
- at two font sizes (24 and 80 pixels), two places on the canvas (the middle, up and to the
  left) and both polarities (dark on light, as in the demo's canvas, and light on dark),

then put through the MNIST image preprocessor of :mod:`zoo.preprocessing` (the ink cropped,
scaled into a 20-pixel box and centred by its mass in 28x28, as a user's picture is), so the
figures are what a user of the zoo gets. 81 faces x 10 digits x 3 weights x 2 sizes x 2 places
x 2 polarities = 19,440 images.

The fonts (81 faces: the ordinary text faces of six packages; the URW symbol faces D050000L and
Standard Symbols PS are left out, they hold no ordinary digits):

=====================================  ============  =============================================
package                                faces         licence
=====================================  ============  =============================================
``fonts-dejavu-core 2.37-6``           6             Bitstream Vera licence (permissive)
``fonts-liberation2 2.1.5-1``          12            SIL OFL 1.1
``fonts-freefont-ttf 20120503-10``     12            GPL-3+ with the font exception
``fonts-croscore 20201225-1``          12            SIL OFL 1.1 (Arimo, Cousine, Tinos)
``fonts-comic-neue 2.51-4``            6             SIL OFL 1.1
``fonts-urw-base35 20200910-7``        33            AGPL-3 with the font exception
=====================================  ============  =============================================

Each package file is checked against its SHA-256 (:data:`FONT_PACKAGES`) before a byte of it
is read; the fonts are read from the ``.deb`` with the standard library and handed to
FreeType as data; nothing in a package is run. The set is for testing only: no model of the zoo
is trained on it.

:func:`fetch_font_digits` writes ``OUT/font_digits/``: ``font_digits.npz`` (``images`` uint8
``(n, 28, 28)`` light on dark, ``labels``, ``weights``, ``faces``, ``sizes``, ``places``,
``dark_on_light``), ``faces.tsv`` (face, package, licence) and ``README.txt``.
:func:`font_digit_accuracy` measures a classifier on it, per stroke weight.
"""

import io
import logging
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from zoo._hashing import sha256_bytes
from zoo.data.images import dataset_preprocessor
from zoo.data.sources import packages
from zoo.errors import DataError

log = logging.getLogger(__name__)

# package=version -> (SHA-256 of the .deb, licence of its fonts)
FONT_PACKAGES = {
    "fonts-dejavu-core=2.37-6": (
        "8892669e51aab4dc56682c8e39d8ddb7d70fad83c369344e1e240bf3ca22bb76",
        "Bitstream Vera licence"),
    "fonts-liberation2=2.1.5-1": (
        "35ffaa54f117e633e89a5da89af235a073b34dbe582726fbf6989568f7fd9bda", "SIL OFL 1.1"),
    "fonts-freefont-ttf=20120503-10": (
        "4ca1c21ebc479198a3a5879d236c8317d6f7b2f1c403f7890e24c02eead05615",
        "GPL-3+ with the font exception"),
    "fonts-croscore=20201225-1": (
        "64904820b729ff40038f85683004e3b94b328d969bc0fbba263c58d635452923", "SIL OFL 1.1"),
    "fonts-comic-neue=2.51-4": (
        "6f002dc90d62fde01a2b51f333c09dc6c21ffbfc6ca22d05a84cc049b083c826", "SIL OFL 1.1"),
    "fonts-urw-base35=20200910-7": (
        "93e4997c99c4c31ea88c5d37e2259af0a0c826b9358931d5a69f794f7f0c73ac",
        "AGPL-3 with the font exception"),
}
_FONT_FOLDER = "usr/share/fonts/"
_FONT_SUFFIXES = (".ttf", ".otf")
SYMBOL_FACES = ("D050000L", "StandardSymbolsPS")  # no ordinary digits in them

# stroke weight -> Pillow's stroke_width as a fraction of the font size
WEIGHTS = {"regular": 0.0, "outline": 0.03, "bold outline": 0.06}
SIZES = (24, 80)  # font sizes, pixels
PLACES = ((0.5, 0.5), (0.38, 0.44))  # where the digit's middle goes, as fractions of the canvas
CANVAS = (2.0, 1.6)  # canvas width and height, in font sizes

FOLDER = "font_digits"
DATA_FILE = "font_digits.npz"


# -- readers -------------------------------------------------------------------------------------

def font_faces(deb):
    """The font faces of a font package file: ``{face name: font bytes}`` (TrueType and
    OpenType files, the symbol faces left out), sorted by name."""
    faces = {}
    for path, data in packages.read_deb_data(deb, _FONT_FOLDER).items():
        path = PurePosixPath(path)
        if path.suffix.lower() in _FONT_SUFFIXES and path.stem not in SYMBOL_FACES:
            faces[path.stem] = data
    return dict(sorted(faces.items()))


def render_digit(font, digit, *, size, weight, place=PLACES[0], dark_on_light=True):
    """One digit drawn with Pillow: a uint8 grey picture ``(height, width)``.

    ``font`` is a font file's bytes, ``size`` the font size in pixels, ``weight`` a key of
    :data:`WEIGHTS`, ``place`` where the digit's middle goes (fractions of the canvas).
    """
    face = ImageFont.truetype(io.BytesIO(font), size)
    width, height = round(CANVAS[0] * size), round(CANVAS[1] * size)
    paper, ink = (255, 0) if dark_on_light else (0, 255)
    picture = Image.new("L", (width, height), paper)
    ImageDraw.Draw(picture).text(
        (place[0] * width, place[1] * height), str(int(digit)), font=face, fill=ink,
        anchor="mm", stroke_width=round(WEIGHTS[weight] * size), stroke_fill=ink)
    return np.asarray(picture)


def render_font_digits(faces, preprocessor):
    """Every digit of every face in ``faces`` (``{name: font bytes}``) at every weight, size,
    place and polarity, through ``preprocessor`` (an MNIST
    :class:`~zoo.preprocessing.ImagePreprocessor`): a dict of arrays (see the module's
    docstring). A picture whose ink touches the canvas' edge is an error (the canvas is too
    small for the face)."""
    images, rows = [], []
    for name, font in faces.items():
        for digit in range(10):
            for weight in WEIGHTS:
                for size in SIZES:
                    for place_index, place in enumerate(PLACES):
                        for dark in (True, False):
                            picture = render_digit(font, digit, size=size, weight=weight,
                                                   place=place, dark_on_light=dark)
                            edges = np.concatenate([picture[0], picture[-1], picture[:, 0],
                                                    picture[:, -1]])
                            if np.any(edges != (255 if dark else 0)):
                                raise DataError(f"{name}: the digit {digit} does not fit its "
                                                "canvas")
                            images.append(preprocessor.pixels(picture)[..., 0])
                            rows.append((digit, weight, name, size, place_index, dark))
    labels, weights, names, sizes, places, darks = zip(*rows)
    return {"images": np.stack(images).astype(np.uint8),
            "labels": np.asarray(labels, np.int64), "weights": np.asarray(weights),
            "faces": np.asarray(names), "sizes": np.asarray(sizes, np.int64),
            "places": np.asarray(places, np.int64), "dark_on_light": np.asarray(darks)}


def read_font_digits(folder):
    """The arrays :func:`fetch_font_digits` wrote into ``folder`` (``OUT/font_digits``)."""
    path = Path(folder) / DATA_FILE
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError) as err:
        raise DataError(f"cannot read {path}: {err}; fetch it with `python scripts/fetch_data.py "
                        "font_digits --out DIR`") from None
    if arrays.get("images") is None or arrays["images"].shape[1:] != (28, 28):
        raise DataError(f"{path} holds no 28x28 digit images")
    return arrays


def sample_font_digits(arrays, per_digit, *, seed=0):
    """A smaller set drawn from ``arrays``: ``per_digit`` images of every digit at every stroke
    weight, without replacement, with ``numpy.random.default_rng(seed)``, in their order."""
    rng = np.random.default_rng(seed)
    chosen = []
    for weight in WEIGHTS:
        for digit in range(10):
            found = np.flatnonzero((arrays["weights"] == weight) & (arrays["labels"] == digit))
            chosen.append(rng.choice(found, size=min(per_digit, len(found)), replace=False))
    keep = np.sort(np.concatenate(chosen))
    return {key: value[keep] for key, value in arrays.items()}


def font_digit_accuracy(classifier, arrays, *, batch_size=512):
    """A digit classifier's accuracy on the font digits, ``{weight: accuracy}`` and ``"all"``.

    ``classifier`` is an image classifier task (``zoo.load("mnist_convnet.mnist")``); the
    images are already preprocessed, so they are only scaled as its preprocessor says.
    """
    scale = classifier.preprocessor.scale
    images = arrays["images"][..., None].astype(np.float32) * scale
    found = np.concatenate([
        np.argmax(classifier.model.predict_on_batch(images[i:i + batch_size]), axis=-1)
        for i in range(0, len(images), batch_size)])
    names = np.asarray(classifier.class_names)
    right = names[found] == arrays["labels"].astype(str)
    out = {weight: float(right[arrays["weights"] == weight].mean()) for weight in WEIGHTS
           if np.any(arrays["weights"] == weight)}
    out["all"] = float(right.mean())
    return out


# -- extract, check, fetch -----------------------------------------------------------------------

def metric_names(figures):
    """:func:`font_digit_accuracy`'s figures as a run's test metrics:
    ``test_font_digits_accuracy`` (all) and ``test_font_digits_WEIGHT_accuracy`` per weight."""
    return {("test_font_digits_accuracy" if weight == "all" else
             f"test_font_digits_{weight.replace(' ', '_')}_accuracy"): value
            for weight, value in figures.items()}


def check_package(deb, package, table=FONT_PACKAGES):
    """Refuse a package file whose SHA-256 is not the pinned one (before reading it)."""
    expected = table[package][0]
    digest = sha256_bytes(Path(deb).read_bytes())
    if digest != expected:
        raise DataError(f"{Path(deb).name} has SHA-256 {digest}, not the expected {expected} "
                        f"of {package}: another version of the package?")


def extract_font_digits(debs, dest, preprocessor, *, table=FONT_PACKAGES) -> Path:
    """Write the folder ``dest`` from the font package files ``debs`` (``{package: path}``,
    the keys of ``table``, :data:`FONT_PACKAGES`), built under a temporary name and renamed;
    nothing is written when a package is not the pinned file."""
    dest = Path(dest)
    faces, origin = {}, {}
    for package, deb in debs.items():
        check_package(deb, package, table)
        for name, font in font_faces(deb).items():
            faces[name], origin[name] = font, package
    if not faces:
        raise DataError("the font packages hold no font face")
    arrays = render_font_digits(faces, preprocessor)
    part = dest.with_name(f".{dest.name}.part")
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir(parents=True)
    np.savez_compressed(part / DATA_FILE, **arrays)
    (part / "faces.tsv").write_text("face\tpackage\tlicence\n" + "".join(
        f"{name}\t{origin[name].replace('=', ' ')}\t{table[origin[name]][1]}\n"
        for name in faces), encoding="utf-8")
    (part / "README.txt").write_text(
        f"{len(arrays['labels'])} digits rendered with Pillow from {len(faces)} font faces of "
        f"the Debian packages {', '.join(p.replace('=', ' ') for p in debs)} (faces.tsv: each "
        "face's package and licence), at the stroke weights "
        f"{', '.join(f'{w} ({f:.0%} of the font size)' for w, f in WEIGHTS.items())}, "
        f"font sizes {', '.join(map(str, SIZES))} px, two places, both polarities, through "
        f"the zoo's MNIST image preprocessor {preprocessor.get_config()}. A test set: train "
        "nothing on it.\n", encoding="utf-8")
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(part, dest)
    return dest


def font_digits_are_there(dest) -> bool:
    """Whether ``dest`` already holds the set (its ``font_digits.npz``; the pictures depend
    on Pillow's and FreeType's versions, so no hash is kept for them)."""
    return (Path(dest) / DATA_FILE).is_file()


def fetch_font_digits(out_dir, *, preprocessor=None, table=FONT_PACKAGES) -> Path:
    """Fetch the six font packages (``apt-get download``, 18 MB, SHA-256 checked) and write
    the rendered digits into ``out_dir/font_digits/``. Does nothing when the set is there.

    ``preprocessor`` defaults to MNIST's (:func:`zoo.data.images.dataset_preprocessor`).
    """
    dest = Path(out_dir).expanduser().absolute() / FOLDER
    if font_digits_are_there(dest):
        log.info("%s already holds %s; nothing to do", dest, DATA_FILE)
        return dest
    if preprocessor is None:
        preprocessor = dataset_preprocessor("mnist")
    with tempfile.TemporaryDirectory(prefix="zoo-fetch-") as workdir:
        debs = {package: packages.apt_download(package, packages.work_subdir(
            workdir, package.split("=")[0])) for package in table}
        extract_font_digits(debs, dest, preprocessor, table=table)
    log.info("the font digits are in %s", dest)
    return dest
