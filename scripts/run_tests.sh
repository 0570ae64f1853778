#!/usr/bin/env bash
# Set up a virtualenv with the package and its dev extras, then run the whole test suite.
# Works on a fresh machine with Python 3.10+; needs only the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup_venv.sh
zoo_setup_venv dev  # skipped when .venv/ already holds this pyproject.toml's install
# two worker processes, each test file on one of them (its module fixtures trained once)
python -m pytest -q -n 2 --dist loadfile "$@"
