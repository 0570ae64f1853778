"""Image classification data sets as batched ``tf.data`` pipelines: train, validation and test.

MNIST is read from its original IDX files when a data directory is given (``data_dir`` or the
``ZOO_DATA_DIR`` environment variable); otherwise it, Fashion-MNIST and CIFAR-10 come through
tensorflow-datasets. Every split yields ``(images, labels)`` batches: float32 images in [0, 1] of
shape ``(batch, H, W, C)`` and int32 labels.
"""

import copy
import dataclasses
import logging
import os
from pathlib import Path
import socket

import numpy as np
import tensorflow as tf

from zoo._naming import suggest
from zoo.data.idx import MNIST_FILES, find_mnist_files, read_idx
from zoo.errors import ConfigError, DataError, UnknownNameError
from zoo.hub import offline
from zoo.preprocessing import ImagePreprocessor

ENV_VAR = "ZOO_DATA_DIR"


@dataclasses.dataclass
class DatasetInfo:
    """What a model and an inference path need to know about a loaded data set.

    Attributes:
        name: the data set's name, e.g. ``"mnist"``.
        input_shape: ``(height, width, channels)`` of one image.
        num_classes: number of classes.
        class_names: one name per label index.
        source: where the examples came from: ``"idx:/abs/dir"``, ``"tfds"`` or ``"tfds:/abs/dir"``.
        num_examples: ``{"train": n, "validation": n, "test": n}`` as loaded.
        preprocessing: how to turn a user's image file into a model input: the config of its
            :class:`~zoo.preprocessing.ImagePreprocessor` (``color_mode``, ``size``, ``scale``,
            ``invert_light_background`` for light-on-dark data, ``center_glyph`` for digits).
    """

    name: str
    input_shape: tuple
    num_classes: int
    class_names: list
    source: str
    num_examples: dict
    preprocessing: dict

    def to_dict(self) -> dict:
        """Plain, JSON-serialisable data (tuples become lists)."""
        data = dataclasses.asdict(self)
        data["input_shape"] = list(self.input_shape)
        data["class_names"] = list(self.class_names)
        return data


@dataclasses.dataclass
class DatasetSplits:
    """The three splits of a data set, each a ``tf.data.Dataset`` of ``(images, labels)``."""

    train: tf.data.Dataset
    validation: tf.data.Dataset
    test: tf.data.Dataset
    info: DatasetInfo


@dataclasses.dataclass(frozen=True)
class _Spec:
    """A known data set: its shape, classes, preprocessing and where it can come from."""

    input_shape: tuple
    class_names: tuple
    preprocessing: dict
    reads_idx: bool = False  # MNIST's original IDX files can stand in for tensorflow-datasets


def _preprocessing(color_mode, size, *, invert_light_background, center_glyph):
    return ImagePreprocessor(size, color_mode=color_mode, scale=1 / 255,
                             invert_light_background=invert_light_background,
                             center_glyph=center_glyph).get_config()


_DATASETS = {
    "mnist": _Spec(
        input_shape=(28, 28, 1),
        class_names=tuple(str(digit) for digit in range(10)),
        preprocessing=_preprocessing("L", (28, 28), invert_light_background=True,
                                    center_glyph=True),
        reads_idx=True,
    ),
    "fashion_mnist": _Spec(
        input_shape=(28, 28, 1),
        class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                     "Sneaker", "Bag", "Ankle boot"),
        preprocessing=_preprocessing("L", (28, 28), invert_light_background=True,
                                    center_glyph=False),
    ),
    "cifar10": _Spec(
        input_shape=(32, 32, 3),
        class_names=("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                     "ship", "truck"),
        preprocessing=_preprocessing("RGB", (32, 32), invert_light_background=False,
                                    center_glyph=False),
    ),
}


def list_datasets() -> list:
    """Names of the data sets that :func:`load_dataset` knows, sorted."""
    return sorted(_DATASETS)


def dataset_preprocessor(name) -> ImagePreprocessor:
    """The :class:`~zoo.preprocessing.ImagePreprocessor` a model trained on the data set
    ``name`` reads pictures with (MNIST's: grey, inverted when light, centred like its digits)."""
    return ImagePreprocessor.from_config(_get_spec(name).preprocessing)


def _get_spec(name):
    try:
        return _DATASETS[name]
    except (KeyError, TypeError):
        raise UnknownNameError(
            f"unknown dataset {name!r}.{suggest(name, _DATASETS)} "
            f"The datasets are: {', '.join(list_datasets())}."
        ) from None


def _fetch_hint(root):
    return f"`python scripts/fetch_data.py mnist --out {root}`"


def resolve_data_dir(data_dir=None):
    """The data directory to read: ``data_dir``, else ``$ZOO_DATA_DIR``, else ``None``.

    Returns:
        An absolute ``pathlib.Path``, or ``None`` when neither is set (use tensorflow-datasets).

    Raises:
        DataError: the directory given does not exist or is not a directory.
    """
    from_env = data_dir is None or data_dir == ""
    value = os.environ.get(ENV_VAR, "") if from_env else data_dir
    if not value:
        return None
    path = Path(value).expanduser().absolute()
    where = f" (from {ENV_VAR})" if from_env else ""
    fallback = f"unset {ENV_VAR}" if from_env else "pass no data_dir"
    fallback += " to use tensorflow-datasets"
    if not path.exists():
        raise DataError(f"data directory {path}{where} does not exist; create it with "
                        f"{_fetch_hint(path)}, or {fallback}")
    if not path.is_dir():
        raise DataError(f"data directory {path}{where} is not a directory; point it at the folder "
                        f"that {_fetch_hint('DIR')} fills, or {fallback}")
    return path


def _load_mnist_idx(root):
    """The four checked MNIST arrays from ``root/mnist/`` or ``root/``, and their folder."""
    folder, paths = find_mnist_files(root)
    expected = ", ".join(f"{name}.gz" for name in MNIST_FILES.values())
    if not paths:
        raise DataError(f"{root} holds no MNIST IDX files: expected {expected} (gzipped or not) in "
                        f"{root / 'mnist'} or {root}; fetch them with {_fetch_hint(root)}")
    missing = [f"{MNIST_FILES[role]}.gz" for role in MNIST_FILES if role not in paths]
    if missing:
        raise DataError(f"{folder} lacks the MNIST file(s) {', '.join(missing)}; fetch them with "
                        f"{_fetch_hint(root)}")
    arrays = {role: read_idx(path) for role, path in paths.items()}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        image_file, label_file = paths[f"{split}_images"], paths[f"{split}_labels"]
        if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
            raise DataError(f"{image_file} holds {images.dtype} data of shape {images.shape}, "
                            "not 28x28 uint8 MNIST images")
        if labels.ndim != 1 or len(labels) != len(images):
            raise DataError(f"{label_file} holds labels of shape {labels.shape} for "
                            f"{len(images)} images in {image_file}")
        if len(labels) and not 0 <= labels.min() <= labels.max() <= 9:
            raise DataError(f"{label_file} holds labels outside 0..9")
    return arrays, folder


def _check_options(batch_size, validation_fraction, train_size, shuffle_buffer):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ConfigError(f"batch_size must be a positive integer, got {batch_size!r}")
    if not isinstance(validation_fraction, (int, float, np.floating)) \
            or not 0 <= validation_fraction < 1:
        raise ConfigError(f"validation_fraction must be in [0, 1), got {validation_fraction!r}")
    if train_size is not None and (not isinstance(train_size, (int, np.integer))
                                   or isinstance(train_size, bool) or train_size < 1):
        raise ConfigError(f"train_size must be a positive integer or None, got {train_size!r}")
    if shuffle_buffer is not None and (not isinstance(shuffle_buffer, (int, np.integer))
                                       or shuffle_buffer < 0):
        raise ConfigError(f"shuffle_buffer must be a non-negative integer, got {shuffle_buffer!r}")


def _take_train(name, available, train_size):
    """How many training examples to keep; a clear error when more are asked for than there are."""
    if train_size is None:
        return available
    if train_size > available:
        raise ConfigError(f"train_size={train_size} but {name} has only {available} training "
                          f"examples once the validation split is taken out")
    return int(train_size)


def _idx_splits(name, arrays, *, validation_fraction, seed, train_size):
    """Seeded, disjoint train / validation parts of the IDX training set, and the test set."""
    images = arrays["train_images"][..., np.newaxis]
    labels = arrays["train_labels"].astype(np.int32)
    order = np.random.default_rng(seed).permutation(len(labels))
    num_val = int(round(len(labels) * validation_fraction))
    val_index = np.sort(order[:num_val])
    train_index = np.sort(order[num_val:])
    train_index = train_index[:_take_train(name, len(train_index), train_size)]

    def dataset(x, y):
        return tf.data.Dataset.from_tensor_slices((x, y))

    return (
        dataset(images[train_index], labels[train_index]),
        dataset(images[val_index], labels[val_index]),
        dataset(arrays["test_images"][..., np.newaxis], arrays["test_labels"].astype(np.int32)),
    )


def _count(dataset):
    """The number of examples of an unbatched dataset (its cardinality when known)."""
    count = int(dataset.cardinality())
    if count >= 0:
        return count
    return int(dataset.reduce(np.int64(0), lambda n, _: n + 1))


def _network_reachable(host="storage.googleapis.com", port=443, timeout=3.0):
    """Whether the host tensorflow-datasets downloads from answers within ``timeout`` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_prepared_tfds(name, data_dir=None, *, other=""):
    """Fail fast, in one line, when a tensorflow-datasets set is not prepared and cannot be
    downloaded now (``ZOO_OFFLINE`` set, or no network within 3 seconds), instead of letting
    tfds retry a download for minutes. ``other`` names another way to get the data."""
    import tensorflow_datasets as tfds  # heavy (~0.6 s): only TFDS reads; tasks import this

    prepare = getattr(tfds.core.DatasetBuilder, "download_and_prepare", None)
    if not getattr(prepare, "__module__", "").startswith("tensorflow_datasets.core"):
        return  # replaced (tfds.testing.mock_data): no download will be tried
    logging.getLogger("absl").setLevel(logging.ERROR)  # "has no dataset_info.json" notices
    try:
        builder = tfds.builder(name, **({"data_dir": str(data_dir)} if data_dir else {}))
        prepared = builder.is_prepared()
    except Exception:  # noqa: BLE001  (an unknown or broken builder: let tfds.load say so)
        return
    if prepared:
        return
    why = "ZOO_OFFLINE is set" if offline() else None
    if why is None and not _network_reachable():
        why = "the download server cannot be reached"
    if why:
        raise DataError(
            f"tensorflow-datasets has no prepared {name!r} in {builder.data_dir_root} and {why}; "
            f"prepare it once with internet access (`python -c \"import tensorflow_datasets as "
            f"tfds; tfds.load('{name}')\"`, then copy ~/tensorflow_datasets) and pass "
            f"--data-dir{other}")


def _tfds_splits(name, root, *, validation_fraction, train_size):
    """Train / validation as complementary slices of the tfds train split, and the test split."""
    import tensorflow_datasets as tfds  # heavy (~0.6 s): only TFDS reads; tasks import this

    cut = f"{100 * (1 - validation_fraction):.6f}".rstrip("0").rstrip(".")
    splits = [f"train[:{cut}%]", "test"]
    if validation_fraction > 0:
        splits.append(f"train[{cut}%:]")
    kwargs = {"data_dir": str(root)} if root is not None else {}
    require_prepared_tfds(name, root, other=(
        f"; or fetch MNIST's files with {_fetch_hint('DIR')} and set {ENV_VAR}=DIR"
        if name == "mnist" else ""))
    try:
        loaded = tfds.load(name, split=splits, as_supervised=True, shuffle_files=False, **kwargs)
    except Exception as err:  # tfds raises many kinds; all mean the data is not there
        raise DataError(
            f"tensorflow-datasets could not load {name!r}: {str(err).rstrip('.')}. It downloads "
            "the data the first "
            "time, which needs internet access"
            + (f"; or fetch MNIST's files with {_fetch_hint('DIR')} and set {ENV_VAR}=DIR"
               if name == "mnist" else "")
        ) from err
    train, test = loaded[0], loaded[1]
    validation = loaded[2] if validation_fraction > 0 else train.take(0)
    available = _count(train)
    keep = _take_train(name, available, train_size)
    if keep < available:
        train = train.take(keep)
    return train.cache(), validation.cache(), test.cache()


def _pipeline(dataset, batch_size, preprocessor, *, shuffle_buffer=0, seed=None):
    """(Shuffle), batch, scale (the preprocessor's own op) and prefetch unbatched ``(uint8
    image, label)`` pairs."""
    if shuffle_buffer:
        dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size).map(
        lambda images, labels: (preprocessor.rescale(images), tf.cast(labels, tf.int32)),
        num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def load_dataset(name, *, batch_size=128, data_dir=None, validation_fraction=0.1, seed=0,
                 train_size=None, shuffle_buffer=10_000) -> DatasetSplits:
    """Load a data set as batched train / validation / test pipelines.

    Args:
        name: one of :func:`list_datasets`.
        batch_size: examples per batch.
        data_dir: a directory with MNIST's IDX files (in ``mnist/`` or at its top), also passed to
            tensorflow-datasets as its ``data_dir`` for the other sets; default ``$ZOO_DATA_DIR``.
        validation_fraction: the part of the training split held out for validation. From IDX
            files it is a random part chosen with ``seed``; through tensorflow-datasets it is the
            last part of the train split.
        seed: seeds the validation choice (IDX) and the shuffling of the training examples.
        train_size: keep only the first this many training examples (after the validation part
            is taken out); ``None`` keeps all.
        shuffle_buffer: size of the training shuffle buffer (0 does not shuffle).

    Returns:
        A :class:`DatasetSplits`; ``splits.info`` describes the data.

    Raises:
        UnknownNameError: an unknown data set name.
        DataError: the data directory or its files are missing or corrupt, or tfds cannot load.
        ConfigError: an option out of range, e.g. ``train_size`` larger than the data.

    Example:
        >>> splits = load_dataset("mnist", data_dir="tests/data/mnist_small", batch_size=32)
        >>> splits.info.input_shape, splits.info.num_examples
        ((28, 28, 1), {'train': 540, 'validation': 60, 'test': 200})
    """
    spec = _get_spec(name)
    _check_options(batch_size, validation_fraction, train_size, shuffle_buffer)
    root = resolve_data_dir(data_dir)
    if spec.reads_idx and root is not None:
        arrays, folder = _load_mnist_idx(root)
        train, validation, test = _idx_splits(name, arrays, validation_fraction=validation_fraction,
                                              seed=seed, train_size=train_size)
        source = f"idx:{folder}"
    else:
        train, validation, test = _tfds_splits(name, root, validation_fraction=validation_fraction,
                                               train_size=train_size)
        source = "tfds" if root is None else f"tfds:{root}"
    num_examples = {"train": _count(train), "validation": _count(validation), "test": _count(test)}
    info = DatasetInfo(
        name=name,
        input_shape=tuple(spec.input_shape),
        num_classes=len(spec.class_names),
        class_names=list(spec.class_names),
        source=source,
        num_examples=num_examples,
        preprocessing=copy.deepcopy(spec.preprocessing),
    )
    buffer = min(shuffle_buffer or 0, num_examples["train"])
    preprocessor = ImagePreprocessor.from_config(spec.preprocessing)
    return DatasetSplits(
        train=_pipeline(train, batch_size, preprocessor, shuffle_buffer=buffer, seed=seed),
        validation=_pipeline(validation, batch_size, preprocessor),
        test=_pipeline(test, batch_size, preprocessor),
        info=info,
    )


def mnist_arrays(data_dir=None):
    """All of MNIST as NumPy arrays: ``{"train": (images, labels), "test": (images, labels)}``.

    Images are uint8 ``(n, 28, 28)``, light on dark, labels int ``(n,)``. They are read from the
    IDX files in ``data_dir`` (or ``$ZOO_DATA_DIR``) when one is given, else from
    tensorflow-datasets' ``mnist`` (downloaded the first time, which needs internet access).
    """
    root = resolve_data_dir(data_dir)
    if root is not None:
        arrays, _ = _load_mnist_idx(root)
        return {split: (arrays[f"{split}_images"], arrays[f"{split}_labels"].astype(np.int64))
                for split in ("train", "test")}
    import tensorflow_datasets as tfds  # heavy (~0.6 s): only TFDS reads; tasks import this

    require_prepared_tfds("mnist", other=f"; or fetch MNIST's files with {_fetch_hint('DIR')}")
    try:
        loaded = tfds.load("mnist", split=["train", "test"], as_supervised=True, batch_size=-1)
    except Exception as err:  # tfds raises many kinds; all mean the data is not there
        raise DataError(f"tensorflow-datasets could not load 'mnist': {str(err).rstrip('.')}; "
                        f"fetch MNIST's files with {_fetch_hint('DIR')} and pass that folder"
                        ) from err
    out = {}
    for split, (images, labels) in zip(("train", "test"), tfds.as_numpy(loaded)):
        out[split] = (images[..., 0].astype(np.uint8), labels.astype(np.int64))
    return out
