"""Teaching the published digit CNN a new class, measured: ``ImageClassifier.learn_class`` both
ways (naive fine-tuning, rehearsal) on new symbols, with the accuracy on held-back examples of
the new class, the old digits' accuracy before and after, and the seconds each took.

The new classes:

- ``star``, ``triangle``: drawn by ``zoo.samples.drawn_symbols`` (10 to learn from, seed =
  the run's seed; 40 held back, drawn with another seed);
- letters (``A``, ``Z``) printed in the 81 faces of the six Debian font packages of
  ``zoo/data/sources/font_digits.py`` (SHA-256 checked, read without running anything), dark on
  light at 80 pixels: 10 faces (a seeded draw) to learn from, the other 71 held back.

The old digits: MNIST's 10,000 test digits from ``--mnist DIR`` (the four IDX files, e.g. from
``python scripts/fetch_data.py mnist --out DIR``), else the package's 200. The rehearsal buffer
is always the package's (300 of its 600 MNIST training digits). Run::

    python scripts/bench_learn_class.py --mnist data/mnist --debs DIR  # DIR: the font .debs
                                                                        # (else apt-get download)
"""

import argparse
import io
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

import zoo
from zoo.data.sources import font_digits, packages

LETTERS = ("A", "Z")
SYMBOLS = ("star", "triangle")
LEARN_FROM = 10


def font_faces(debs_dir, workdir):
    """``{face: font bytes}`` of the six font packages, each file checked first."""
    faces = {}
    for package in font_digits.FONT_PACKAGES:
        name, version = package.split("=")
        found = sorted(Path(debs_dir).glob(f"{name}_{version}_*.deb")) if debs_dir else []
        deb = found[0] if found else packages.apt_download(package, packages.work_subdir(
            workdir, name))
        font_digits.check_package(deb, package)
        faces.update(font_digits.font_faces(deb))
    return faces


def render_letter(font, letter, size=80):
    face = ImageFont.truetype(io.BytesIO(font), size)
    picture = Image.new("L", (2 * size, 2 * size), 255)
    ImageDraw.Draw(picture).text((size, size), letter, font=face, fill=0, anchor="mm")
    return np.asarray(picture)


def old_digits(classifier, mnist):
    images, labels = zoo.samples.digits(mnist)  # the package's own unless mnist holds the set
    shipped = len(labels) == len(zoo.samples.digits()[1])
    if mnist and shipped:
        raise SystemExit(f"{mnist}: no MNIST test files there; give the folder holding "
                         "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte")
    where = (f"the package's {len(labels)} MNIST test digits" if shipped
             else f"MNIST test, {len(labels):,} digits")
    batch = classifier.preprocessor.rescale(images[..., None]).numpy()  # as MNIST was measured
    return (batch, labels.astype(np.int64)), where


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mnist", help="a folder with the four MNIST files (the full test set)")
    parser.add_argument("--debs", help="a folder holding the six font .deb files")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=40)
    args = parser.parse_args(argv)

    classifier = zoo.load("mnist_convnet.mnist")
    old, where = old_digits(classifier, args.mnist)
    with tempfile.TemporaryDirectory(prefix="zoo-bench-") as workdir:
        faces = font_faces(args.debs, workdir)
    names = sorted(faces)
    print(f"mnist_convnet.mnist; old digits: {where}; {len(names)} font faces; "
          f"{args.steps} steps; seeds {args.seeds}; load average {os.getloadavg()[0]:.2f} "
          "at the start")
    print(f"{'class':10} {'method':10} {'new (held back)':>16} {'old before':>11} "
          f"{'old after':>10} {'seconds':>8}")
    for new_class in (*SYMBOLS, *LETTERS):
        for method in ("naive", "rehearsal"):
            rows = []
            for seed in args.seeds:
                if new_class in SYMBOLS:
                    examples = zoo.samples.drawn_symbols(new_class, LEARN_FROM, seed=seed)
                    held = zoo.samples.drawn_symbols(new_class, 40, seed=1000 + seed)
                else:
                    order = np.random.default_rng(seed).permutation(len(names))
                    pictures = [render_letter(faces[names[i]], new_class) for i in order]
                    examples, held = pictures[:LEARN_FROM], pictures[LEARN_FROM:]
                start = time.perf_counter()
                result = classifier.learn_class(examples, name=f"letter {new_class}"
                                                if new_class in LETTERS else new_class,
                                                method=method, held_out=held, old=old,
                                                steps=args.steps, seed=seed)
                whole = time.perf_counter() - start
                rows.append((result.new_accuracy, result.old_accuracy_before,
                             result.old_accuracy_after, result.seconds, whole, len(held)))
            new, before, after, seconds, whole, count = (np.array(c) for c in zip(*rows))
            print(f"{new_class:10} {method:10} {new.mean():>9.1%} of {count[0]:<3} "
                  f"{before.mean():>11.2%} {after.mean():>10.2%} {seconds.mean():>8.2f}"
                  f"  (per seed: new {', '.join(f'{v:.0%}' for v in new)}; old after "
                  f"{', '.join(f'{v:.1%}' for v in after)}; whole call "
                  f"{whole.mean():.1f} s)")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
