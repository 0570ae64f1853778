"""Fixtures shared by the tests."""

from pathlib import Path

import pytest

DATA_DIR = Path(__file__).resolve().parent / "data"


@pytest.fixture
def mnist_small_dir():
    """A data directory with 600 training / 200 test real MNIST digits (tests/data/README.md)."""
    return DATA_DIR / "mnist_small"
