"""Image data for the zoo: batched train / validation / test pipelines of the classic data sets.

Example:
    >>> from zoo.data import load_dataset
    >>> splits = load_dataset("mnist", data_dir="tests/data/mnist_small", batch_size=32)
    >>> images, labels = next(iter(splits.train))
    >>> images.shape, splits.info.class_names[:3]
    (TensorShape([32, 28, 28, 1]), ['0', '1', '2'])

MNIST's original files come from ``python scripts/fetch_data.py mnist --out DIR`` (see
:mod:`zoo.data.sources.mnist`; every other source has its module in :mod:`zoo.data.sources`);
point ``data_dir`` or ``ZOO_DATA_DIR`` at ``DIR``.
"""

from zoo.data.idx import read_idx, write_idx
from zoo.data.images import (DatasetInfo, DatasetSplits, list_datasets, load_dataset,
                             resolve_data_dir)

__all__ = ["load_dataset", "list_datasets", "DatasetSplits", "DatasetInfo", "resolve_data_dir",
           "read_idx", "write_idx"]
