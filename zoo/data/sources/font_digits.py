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

A second set, for training, is drawn the same way from the faces of 18 *other* Debian font
packages (:data:`PRINTED_PACKAGES`: none of them is a test package, and none holds a test face
or a metric clone of one), at four stroke weights from the face's own to 6%
(:data:`PRINTED_WEIGHTS`): :func:`fetch_printed_digits` writes ``OUT/printed_digits/``, and the
image classifiers' recipe setting ``printed_digits`` mixes it into MNIST's training split
(``printed_fraction`` of the training images). The test set's figures then say how a model
trained on printed digits does on faces it never saw.

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
# The training set's packages (package=version -> SHA-256 of the .deb, licence of its fonts, as
# the package's debian/copyright gives it). Left out: fonts-noto-core (12 MB for its 16 Latin
# text faces); fonts-hack (a DejaVu Sans Mono derivative) and fonts-texgyre (URW clones): the
# test faces' designs.
PRINTED_PACKAGES = {
    "fonts-adf-accanthis=0.20190904-2": (
        "7e43456f11cad9fcbf486050ba979e446934a4be38a5d22bb3489d9dcb5244c5",
        "GPL-2+ with the font exception"),
    "fonts-cantarell=0.303.1-1": (
        "8fdf5687d9e2ce70456664519025a6b48fbaaadbc5b1cfbf8b09f72c2dc5f09b", "SIL OFL 1.1"),
    "fonts-crosextra-caladea=20200211-1": (
        "dd51af7629df5a2f3799f889cdf63d5abdda32e94e5de59398f728d98604a240", "Apache-2.0"),
    "fonts-crosextra-carlito=20220224-1": (
        "673689e3a887cd150ca5018c26e1a4162709add3a1bdc0a2527af6fd073980d7", "SIL OFL 1.1"),
    "fonts-ebgaramond=0.016+git20210310.42d4f9f2-1": (
        "2780e32df19b909823425b3e21c2f2f2a1717bbdd96f33fc59a252a308903fa2", "SIL OFL 1.1"),
    "fonts-firacode=6.2-2": (
        "a69952a1556e7635d029b35dbc903593a3b78cbd39d3899bf0c4fdfbc8d55245", "SIL OFL 1.1"),
    "fonts-inconsolata=001.010-6": (
        "bb5015c631cd47aa7d9d6e0ecd101f0e1234300f935e7719ea32ed9b640f0ac4", "SIL OFL 1.0"),
    "fonts-jetbrains-mono=2.242+ds-3": (
        "516b8e3bacc9a30cf615543fa1fdaf0c5312284f2c4459b7838fd008fd9936bc", "Apache-2.0"),
    "fonts-lato=2.0-2.1": (
        "86f50af146a7df9eca4e69f0262e73e708908435ebfa833df797adfa08843bc5", "SIL OFL 1.1"),
    "fonts-league-spartan=2.210-1": (
        "4d1fc96447aa615855e8b7a0afc534c761446ef2ddc6a6259382ec99f1f8929e", "SIL OFL 1.1"),
    "fonts-linuxlibertine=5.3.0-6": (
        "5c77471e910189b3e4e2eda2b1c5f549ddcaf4de8f9640b97773643970d29087",
        "GPL-2+ with the font exception and SIL OFL 1.1"),
    "fonts-noto-mono=20201225-1": (
        "0807ec6454a6f66892159e7939a5c919ac28332e11d54ea78778577d9c569a59", "SIL OFL 1.1"),
    "fonts-open-sans=1.11-2": (
        "ed8c4258af6c23e5105fa18940544f060f3c9664fbe881f25130fe0c65bc1485", "Apache-2.0"),
    "fonts-oxygen=4:5.4.3-4": (
        "9f048938d1bb7f4ac8da0490773f0073dcc8a8a9e103d2b3aa3343796af8825b",
        "GPL-3+ with the font exception, or SIL OFL 1.1"),
    "fonts-quicksand=0.2016-2.1": (
        "1175e5c64f116887b37ec3c8faea1f411bdef356580bc22298c3c9da75fac120", "SIL OFL 1.1"),
    "fonts-roboto-unhinted=2:0~20170802-3": (
        "f89cf7d8a589489daecf750031ec50456ab3e648d49ff544f0f08753268fbd91", "Apache-2.0"),
    "fonts-sil-charis=6.101-1": (
        "bc1a774ed29af7be47aea74b0afbcffb1e379c9e61e3f322ccf60c9325ff88af", "SIL OFL 1.1"),
    "fonts-sil-gentium=20081126:1.03-4": (
        "bca4b254f57957dcedf2385ae7ceb813f6436130f746c6e40a654561145ec77b", "SIL OFL 1.1"),
}
_FONT_FOLDER = "usr/share/fonts/"
_FONT_SUFFIXES = (".ttf", ".otf")
SYMBOL_FACES = ("D050000L", "StandardSymbolsPS")  # no ordinary digits in them

# stroke weight -> Pillow's stroke_width as a fraction of the font size
WEIGHTS = {"regular": 0.0, "outline": 0.03, "bold outline": 0.06}
# the training set's stroke weights
PRINTED_WEIGHTS = {"regular": 0.0, "outline 2%": 0.02, "outline 4%": 0.04, "outline 6%": 0.06}
SIZES = (24, 80)  # font sizes, pixels
PLACES = ((0.5, 0.5), (0.38, 0.44))  # where the digit's middle goes, as fractions of the canvas
CANVAS = (2.0, 1.6)  # canvas width and height, in font sizes

FOLDER = "font_digits"
PRINTED_FOLDER = "printed_digits"
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


def render_digit(font, digit, *, size, weight, place=PLACES[0], dark_on_light=True,
                 weights=WEIGHTS):
    """One digit drawn with Pillow: a uint8 grey picture ``(height, width)``.

    ``font`` is a font file's bytes, ``size`` the font size in pixels, ``weight`` a key of
    ``weights`` (:data:`WEIGHTS`), ``place`` where the digit's middle goes (fractions of the
    canvas).
    """
    face = ImageFont.truetype(io.BytesIO(font), size)
    width, height = round(CANVAS[0] * size), round(CANVAS[1] * size)
    paper, ink = (255, 0) if dark_on_light else (0, 255)
    picture = Image.new("L", (width, height), paper)
    ImageDraw.Draw(picture).text(
        (place[0] * width, place[1] * height), str(int(digit)), font=face, fill=ink,
        anchor="mm", stroke_width=round(weights[weight] * size), stroke_fill=ink)
    return np.asarray(picture)


def render_font_digits(faces, preprocessor, *, weights=WEIGHTS):
    """Every digit of every face in ``faces`` (``{name: font bytes}``) at every weight of
    ``weights`` (:data:`WEIGHTS`), size, place and polarity, through ``preprocessor`` (an MNIST
    :class:`~zoo.preprocessing.ImagePreprocessor`): a dict of arrays (see the module's
    docstring). A picture whose ink touches the canvas' edge is an error (the canvas is too
    small for the face)."""
    images, rows = [], []
    for name, font in faces.items():
        for digit in range(10):
            for weight in weights:
                for size in SIZES:
                    for place_index, place in enumerate(PLACES):
                        for dark in (True, False):
                            picture = render_digit(font, digit, size=size, weight=weight,
                                                   place=place, dark_on_light=dark,
                                                   weights=weights)
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


def read_font_digits(folder, *, name=FOLDER):
    """The arrays :func:`fetch_font_digits` wrote into ``folder`` (``OUT/font_digits``), or
    :func:`fetch_printed_digits` (``name``: :data:`PRINTED_FOLDER`, the fetch command's)."""
    path = Path(folder) / DATA_FILE
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError) as err:
        raise DataError(f"cannot read {path}: {err}; fetch it with `python scripts/fetch_data.py "
                        f"{name} --out DIR`") from None
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


def extract_font_digits(debs, dest, preprocessor, *, table=FONT_PACKAGES, weights=WEIGHTS,
                        use="A test set: train nothing on it.") -> Path:
    """Write the folder ``dest`` from the font package files ``debs`` (``{package: path}``,
    the keys of ``table``, :data:`FONT_PACKAGES`), drawn at ``weights`` (:data:`WEIGHTS`),
    built under a temporary name and renamed; nothing is written when a package is not the
    pinned file. ``use`` ends its README."""
    dest = Path(dest)
    faces, origin = {}, {}
    for package, deb in debs.items():
        check_package(deb, package, table)
        for name, font in font_faces(deb).items():
            faces[name], origin[name] = font, package
    if not faces:
        raise DataError("the font packages hold no font face")
    arrays = render_font_digits(faces, preprocessor, weights=weights)
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
        f"{', '.join(f'{w} ({f:.0%} of the font size)' for w, f in weights.items())}, "
        f"font sizes {', '.join(map(str, SIZES))} px, two places, both polarities, through "
        f"the zoo's MNIST image preprocessor {preprocessor.get_config()}. {use}\n",
        encoding="utf-8")
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
    return _fetch(out_dir, FOLDER, preprocessor, table, WEIGHTS,
                  "A test set: train nothing on it.")


def fetch_printed_digits(out_dir, *, preprocessor=None, table=PRINTED_PACKAGES) -> Path:
    """Fetch the 18 training font packages (:data:`PRINTED_PACKAGES`, ``apt-get download``,
    20 MB, SHA-256 checked) and write their rendered digits, at :data:`PRINTED_WEIGHTS`, into
    ``out_dir/printed_digits/`` (the arrays and files of the test set's folder). Does nothing
    when the set is there. For training (the recipe setting ``printed_digits``); the test set
    :func:`fetch_font_digits` shares no package with it."""
    return _fetch(out_dir, PRINTED_FOLDER, preprocessor, table, PRINTED_WEIGHTS,
                  "A training set: none of its packages is one of the font digit test set's.")


def _fetch(out_dir, folder, preprocessor, table, weights, use):
    dest = Path(out_dir).expanduser().absolute() / folder
    if font_digits_are_there(dest):
        log.info("%s already holds %s; nothing to do", dest, DATA_FILE)
        return dest
    if preprocessor is None:
        preprocessor = dataset_preprocessor("mnist")
    with tempfile.TemporaryDirectory(prefix="zoo-fetch-") as workdir:
        debs = {package: packages.apt_download(package, packages.work_subdir(
            workdir, package.split("=")[0])) for package in table}
        extract_font_digits(debs, dest, preprocessor, table=table, weights=weights, use=use)
    log.info("the rendered digits are in %s", dest)
    return dest
