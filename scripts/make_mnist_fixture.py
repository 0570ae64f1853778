"""Make the small MNIST test fixture: 60 training and 20 test digits per class, in IDX gz files.

Usage:
    python scripts/make_mnist_fixture.py --src DIR [--out tests/data/mnist_small] [--seed 0]

``DIR`` holds the full MNIST IDX files (in ``DIR/mnist/`` or ``DIR/``), e.g. as written by
``python scripts/fetch_data.py mnist --out DIR``. The digits are drawn with a fixed seed and kept in
their original order; the gzip output carries no time stamp, so the same input gives the same bytes.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zoo.data.idx import MNIST_FILES, find_mnist_files, read_idx, write_idx  # noqa: E402


def per_class_sample(labels, per_class, rng):
    """Indices of `per_class` examples of every class, drawn by `rng`, in ascending order."""
    chosen = [rng.choice(np.flatnonzero(labels == label), per_class, replace=False)
              for label in np.unique(labels)]
    return np.sort(np.concatenate(chosen))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", required=True, type=Path, help="data directory with full MNIST")
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "mnist_small")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-per-class", type=int, default=60)
    parser.add_argument("--test-per-class", type=int, default=20)
    args = parser.parse_args(argv)

    folder, paths = find_mnist_files(args.src)
    if len(paths) != len(MNIST_FILES):
        sys.exit(f"error: {args.src} does not hold the four MNIST IDX files")
    rng = np.random.default_rng(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    for split, per_class in (("train", args.train_per_class), ("test", args.test_per_class)):
        images = read_idx(paths[f"{split}_images"])
        labels = read_idx(paths[f"{split}_labels"])
        keep = per_class_sample(labels, per_class, rng)
        for role, array in ((f"{split}_images", images), (f"{split}_labels", labels)):
            out = write_idx(args.out / f"{MNIST_FILES[role]}.gz", array[keep])
            print(f"{out}: {array[keep].shape}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
