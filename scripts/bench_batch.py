"""How fast `zoo predict DIR --output FILE` classifies image files, against a plain loop that
decodes the same files one by one and calls ``model.predict`` on them.

Usage:
    python scripts/bench_batch.py --data-dir DIR [--count 10000] [--batch-size 128]
                                  [--model mnist_convnet]

DIR holds MNIST's IDX files (``python scripts/fetch_data.py mnist --out DIR``). The first
``--count`` test digits are written as PNG files into a temporary directory (with zoo's own IDX
reader and Pillow), then classified twice, each pass timed from file names to answers (decode
included):

- ``model.predict``: each file read with the task's preprocessing (``classifier.preprocessor``)
  in a Python loop, the stacked array given to ``model.predict(batch_size=...)``;
- ``zoo.batch.predict_files``: the tf.data pipeline (parallel decode, batching, prefetch) with a
  JSON line per image written as it goes.

A first untimed pass over 256 files warms both up. Prints images per second, how many answers
agree and the accuracy against the MNIST labels.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import zoo  # noqa: E402
from zoo import batch  # noqa: E402
from zoo.data import read_idx  # noqa: E402


def write_digits(data_dir, count, out):
    images = read_idx(Path(data_dir) / "t10k-images-idx3-ubyte.gz")[:count]
    labels = read_idx(Path(data_dir) / "t10k-labels-idx1-ubyte.gz")[:count]
    paths = []
    for index, image in enumerate(images):
        path = os.path.join(out, f"{index:05d}.png")
        Image.fromarray(image).save(path)
        paths.append(path)
    return paths, labels


def plain_predict(classifier, paths, batch_size):
    arrays = classifier.preprocessor(paths)
    probs = classifier.model.predict(arrays, batch_size=batch_size, verbose=0)
    return [classifier.class_names[i] for i in np.argmax(probs, axis=1)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--model", default="mnist_convnet")
    args = parser.parse_args()

    classifier = zoo.load(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "digits")
        os.mkdir(folder)
        paths, labels = write_digits(args.data_dir, args.count, folder)
        print(f"{len(paths)} MNIST test digits written as PNG files "
              f"({sum(os.path.getsize(p) for p in paths) / 1e6:.1f} MB)")

        warm = os.path.join(tmp, "warm")
        os.mkdir(warm)
        for p in paths[:256]:
            os.link(p, os.path.join(warm, os.path.basename(p)))
        plain_predict(classifier, paths[:256], args.batch_size)
        batch.predict_files(classifier, [warm], os.path.join(tmp, "warm.jsonl"),
                            batch_size=args.batch_size, progress=False)

        start = time.perf_counter()
        plain = plain_predict(classifier, paths, args.batch_size)
        plain_seconds = time.perf_counter() - start

        output = os.path.join(tmp, "results.jsonl")
        start = time.perf_counter()
        summary = batch.predict_files(classifier, [folder], output, batch_size=args.batch_size,
                                      progress=False)
        batch_seconds = time.perf_counter() - start
        lines = {json.loads(line)["path"]: json.loads(line) for line in open(output)}
        piped = [lines[p]["label"] for p in paths]

    truth = [str(int(label)) for label in labels]
    n = len(paths)
    print(f"model.predict after a decode loop: {n / plain_seconds:8.1f} images/s "
          f"({plain_seconds:.1f} s)")
    print(f"zoo.batch.predict_files (tf.data): {n / batch_seconds:8.1f} images/s "
          f"({batch_seconds:.1f} s; {summary.line()})")
    print(f"speed-up {plain_seconds / batch_seconds:.2f}x; the same label for "
          f"{sum(a == b for a, b in zip(plain, piped))} of {n} images; accuracy "
          f"{np.mean([a == t for a, t in zip(piped, truth)]):.2%} (batch), "
          f"{np.mean([a == t for a, t in zip(plain, truth)]):.2%} (plain)")
    print(f"batch size {args.batch_size}, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
