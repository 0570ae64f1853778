"""Write the first N MNIST test digits as PNG files named after their label (for `zoo predict`).

    python scripts/export_digits.py --data-dir data --count 5 --out runs/digits
"""

import argparse
import pathlib

from PIL import Image

from zoo.data import read_idx
from zoo.data.idx import find_mnist_files


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="directory with the MNIST IDX files")
    parser.add_argument("--count", type=int, default=5)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    _, files = find_mnist_files(pathlib.Path(args.data_dir))
    if "test_images" not in files or "test_labels" not in files:
        parser.error(f"no MNIST test files in {args.data_dir}; run scripts/fetch_data.py first")
    images = read_idx(files["test_images"])[: args.count]
    labels = read_idx(files["test_labels"])[: args.count]
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for index, (image, label) in enumerate(zip(images, labels)):
        path = out / f"test{index:04d}_label{label}.png"
        Image.fromarray(image).save(path)
        print(path)


if __name__ == "__main__":
    main()
