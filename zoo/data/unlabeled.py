"""Unlabeled image data for autoencoders: batched ``(x, x)`` pipelines (the input is the target).

Three sources, chosen by :func:`load_unlabeled`'s ``source`` and ``patches`` arguments:

1. **A named dataset** (``"mnist"``, or any name of :func:`zoo.data.list_datasets`): read by
   :func:`zoo.data.load_dataset`, labels dropped. Validation is a seeded part of the training
   split, test is the canonical test split.
2. **A folder of images** (any other ``source``: a directory path), searched recursively; hidden
   files and folders (names starting with ``.``) are ignored. Every file Pillow reads is converted
   to the model's channels (1: grayscale ``L``, 3: ``RGB``; transparency composited on white) and
   resized to its height and width. Files that are **not images, truncated, or too large** are
   **skipped and counted**: ``info["num_skipped"]`` and ``info["skipped"]`` (the first 20 with
   the reason) say which; a folder with no readable image, or too few to split, is refused with
   a :class:`~zoo.errors.DataError`. The readable files are split **by file**, seeded, into
   train / validation / test (``validation_fraction``, ``test_fraction``).
3. **Random patches of photos** (a folder and ``patches=PatchOptions(size=12, ...)``): the
   photos are split by file first (so validation and test patches come from photos never seen
   in training), each is converted to the model's channels and downscaled so its longer side is
   at most ``image_size``, then ``per_image`` square patches are cut from each at seeded random
   places. With ``normalize=True`` each patch has its mean removed and is divided by one scale
   (three standard deviations of the training patches' pixels), clipped to [-1, 1] and mapped to
   [0.1, 0.9], so it fits a sigmoid output (Ng's sparse-autoencoder recipe); the scale is saved
   with the model and reused on new patches. Reading, cutting and normalising are the
   :class:`~zoo.preprocessing.PatchPreprocessor`'s, which ``info["preprocessor"]`` saves.

Every split yields ``(images, images)`` batches of float32 in [0, 1], shape
``(batch, height, width, channels)``. The ``info`` dict is plain data (JSON-ready) saved with a
trained model.
"""

import dataclasses
import os
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

from zoo._naming import suggest
from zoo.errors import ConfigError, DataError
from zoo.preprocessing import ImagePreprocessor, PatchPreprocessor
from zoo.preprocessing import from_config as preprocessor_from_config
from zoo.preprocessing.patches import DEFAULT_IMAGE_SIZE, DEFAULT_PER_IMAGE
from zoo.data import list_datasets, load_dataset

COLOR_MODES = {1: "L", 3: "RGB"}
MAX_LISTED_SKIPS = 20
_SPLIT_IDS = {"train": 0, "validation": 1, "test": 2}


@dataclasses.dataclass(frozen=True)
class PatchOptions:
    """How to cut patches from photos.

    Attributes:
        size: the patch's height and width in pixels (the model's input must be
            ``(size, size, channels)``).
        per_image: how many patches to cut from each photo.
        normalize: remove each patch's mean and scale it into [0.1, 0.9] (see the module doc).
        image_size: downscale each photo so its longer side is at most this many pixels before
            cutting (``None``: keep its size). Smaller photos make patches hold more structure.
        scale: the normalisation scale; ``None`` computes it from the training patches.
    """

    size: int
    per_image: int = DEFAULT_PER_IMAGE
    normalize: bool = True
    image_size: object = DEFAULT_IMAGE_SIZE
    scale: object = None

    def __post_init__(self):
        for key in ("size", "per_image"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ConfigError(f"patch {key} must be a positive integer, got {value!r}")
        if self.image_size is not None and (not isinstance(self.image_size, (int, np.integer))
                                            or self.image_size < self.size):
            raise ConfigError(f"patch_image_size must be an integer of at least the patch size "
                              f"{self.size}, or None, got {self.image_size!r}")
        if self.scale is not None and not float(self.scale) > 0:
            raise ConfigError(f"patch normalisation scale must be positive, got {self.scale!r}")

    def to_dict(self):
        return dataclasses.asdict(self)

    def preprocessor(self, channels):
        """The :class:`~zoo.preprocessing.PatchPreprocessor` of these options."""
        return PatchPreprocessor([self.size, self.size], color_mode=color_mode(channels),
                                 per_image=self.per_image, image_size=self.image_size,
                                 normalize=self.normalize, normalization_scale=self.scale)

    @classmethod
    def of(cls, preprocessor):
        """The options a saved :class:`~zoo.preprocessing.PatchPreprocessor` was cut with."""
        return cls(size=preprocessor.size[0], per_image=preprocessor.per_image,
                   normalize=preprocessor.normalize_patches, image_size=preprocessor.image_size,
                   scale=preprocessor.normalization_scale)


@dataclasses.dataclass
class UnlabeledSplits:
    """Train / validation / test pipelines of ``(x, x)`` batches and a plain-data ``info``."""

    train: tf.data.Dataset
    validation: tf.data.Dataset
    test: tf.data.Dataset
    info: dict


# -- reading folders ------------------------------------------------------------------------------

def list_files(folder):
    """Every regular file under ``folder`` (recursively), sorted; hidden names are ignored."""
    folder = Path(folder)
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root) / name for name in sorted(files) if not name.startswith("."))
    return sorted(found)


def _check_folder(folder):
    folder = Path(folder).expanduser()
    if not folder.exists():
        raise DataError(f"{folder}: no such folder of images")
    if not folder.is_dir():
        raise DataError(f"{folder} is a file; give a folder of images (or a dataset name)")
    return folder.absolute()


def color_mode(channels):
    """The Pillow mode for a number of channels (1: ``"L"``, 3: ``"RGB"``)."""
    if int(channels) not in COLOR_MODES:
        raise ConfigError(f"images can be read with 1 (grayscale) or 3 (RGB) channels, not "
                          f"{channels}; set the model's input_shape accordingly")
    return COLOR_MODES[int(channels)]


def _reason(error, path):
    """Why a file was skipped: the error's message without the file name it starts with."""
    return str(error).removeprefix(f"{path}: ")


def read_image_folder(folder, *, input_shape):
    """Read every image under ``folder`` at the model's size and channels.

    Returns:
        ``(images, paths, skipped)``: a uint8 array ``(n, height, width, channels)``, the paths
        it was read from, and ``[(path, reason), ...]`` for the files that were not readable
        images (not images, truncated, too large).
    """
    height, width, channels = (int(d) for d in input_shape)
    preprocessor = ImagePreprocessor([height, width], color_mode=color_mode(channels))
    arrays, paths, skipped = [], [], []
    for path in list_files(_check_folder(folder)):
        try:
            arrays.append(preprocessor.pixels(path))
        except DataError as err:
            skipped.append((path, _reason(err, path)))
            continue
        paths.append(path)
    images = np.stack(arrays) if arrays else np.zeros((0, height, width, channels), np.uint8)
    return images, paths, skipped


def split_by_file(paths, *, validation_fraction, test_fraction, seed):
    """Seeded, disjoint train / validation / test lists of files (each sorted).

    Validation and test get at least one file each when their fraction is above 0; training must
    keep at least one.
    """
    if not 0 <= validation_fraction < 1 or not 0 <= test_fraction < 1 \
            or validation_fraction + test_fraction >= 1:
        raise ConfigError(f"validation and test fractions must be in [0, 1) and leave some "
                          f"training data, got {validation_fraction} and {test_fraction}")
    paths = sorted(paths)
    n = len(paths)
    num_test = max(1, round(n * test_fraction)) if test_fraction > 0 else 0
    num_val = max(1, round(n * validation_fraction)) if validation_fraction > 0 else 0
    if n - num_test - num_val < 1:
        raise DataError(f"{n} readable image(s) cannot be split into train, validation and "
                        f"test; add images (at least {num_test + num_val + 1} are needed)")
    order = np.random.default_rng(seed).permutation(n)
    pick = lambda index: sorted(paths[i] for i in index)  # noqa: E731
    return {"test": pick(order[:num_test]),
            "validation": pick(order[num_test:num_test + num_val]),
            "train": pick(order[num_test + num_val:])}


# -- patches --------------------------------------------------------------------------------------

def patch_scale(patches):
    """The normalisation scale of a set of float patches: 3 standard deviations of their pixels
    once each patch's mean is removed."""
    centered = patches - patches.mean(axis=(1, 2, 3), keepdims=True)
    return float(3.0 * centered.std()) or 1.0


def read_photos(folder, preprocessor):
    """Every readable photo under ``folder`` at least a patch on each side, read by the patch
    ``preprocessor`` (downscaled to its ``image_size``).

    Returns:
        ``(photos, skipped)``: ``{path: uint8 array}`` and ``[(path, reason), ...]``.
    """
    photos, skipped = {}, []
    size = preprocessor.size[0]
    for path in list_files(folder):
        try:
            photo = preprocessor.read_photo(path)
        except DataError as err:
            skipped.append((path, _reason(err, path)))
            continue
        if min(photo.shape[:2]) < size:
            skipped.append((path, f"{photo.shape[1]}x{photo.shape[0]} pixels is smaller than "
                                  f"a {size}x{size} patch"))
            continue
        photos[path] = photo
    return photos, skipped


def _patch_split(photos, paths, split, preprocessor, seed):
    """The patches of one split: ``per_image`` from each of its photos, in file order."""
    rng = np.random.default_rng([int(seed), _SPLIT_IDS[split]])
    parts = [preprocessor.cut(photos[path], preprocessor.per_image, rng) for path in paths]
    if not parts:
        channels = next(iter(photos.values())).shape[-1]
        size = preprocessor.size[0]
        return np.zeros((0, size, size, channels), np.uint8)
    return np.concatenate(parts)


# -- pipelines ------------------------------------------------------------------------------------

def _as_pairs(array, batch_size, preprocessor, *, shuffle, seed):
    """Batched, prefetched ``(x, x)`` float32 pipeline of a uint8 array (scaled by the
    preprocessor's own op) or of a float32 array (as it is)."""
    dataset = tf.data.Dataset.from_tensor_slices(array)
    if shuffle and len(array):
        dataset = dataset.shuffle(min(len(array), 10_000), seed=seed,
                                  reshuffle_each_iteration=True)
    scaled = array.dtype == np.uint8

    def pair(x):
        x = preprocessor.rescale(x) if scaled else tf.cast(x, tf.float32)
        return x, x

    dataset = dataset.batch(batch_size).map(pair, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def _relative(paths, folder):
    return [str(Path(p).relative_to(folder)) for p in paths]


def _skip_info(skipped, folder):
    return {"num_skipped": len(skipped),
            "skipped": [{"file": str(Path(p).relative_to(folder)), "reason": reason}
                        for p, reason in skipped[:MAX_LISTED_SKIPS]]}


def _take(array, train_size):
    if train_size is None:
        return array
    if train_size > len(array):
        raise ConfigError(f"train_size={train_size} but there are only {len(array)} training "
                          "examples")
    return array[:int(train_size)]


def _from_dataset(name, *, input_shape, batch_size, data_dir, validation_fraction, seed,
                  train_size):

    splits = load_dataset(name, batch_size=batch_size, data_dir=data_dir,
                          validation_fraction=validation_fraction, seed=seed,
                          train_size=train_size)
    if tuple(input_shape) != tuple(splits.info.input_shape):
        wanted = ",".join(str(d) for d in splits.info.input_shape)
        raise ConfigError(f"the model takes inputs of shape {tuple(input_shape)} but {name} "
                          f"images are {tuple(splits.info.input_shape)}; add `--option "
                          f"input_shape={wanted}` to build it for this dataset")
    drop = lambda x, y: (x, x)  # noqa: E731  (the labels are not used)
    info = splits.info.to_dict()
    for key in ("num_classes", "class_names"):
        info.pop(key)
    info["preprocessor"] = {"kind": "image", **info.pop("preprocessing")}
    info.update(kind="dataset", validation_fraction=validation_fraction, seed=seed)
    return UnlabeledSplits(train=splits.train.map(drop), validation=splits.validation.map(drop),
                           test=splits.test.map(drop), info=info)


def _from_folder(folder, *, input_shape, batch_size, validation_fraction, test_fraction, seed,
                 train_size):
    images, paths, skipped = read_image_folder(folder, input_shape=input_shape)
    if not len(images):
        raise DataError(f"{folder} holds no readable image ({len(skipped)} file(s) skipped"
                        + (f", e.g. {skipped[0][1]}" if skipped else "") + ")")
    parts = split_by_file(paths, validation_fraction=validation_fraction,
                          test_fraction=test_fraction, seed=seed)
    index = {path: i for i, path in enumerate(paths)}
    arrays = {split: images[[index[p] for p in files]] for split, files in parts.items()}
    arrays["train"] = _take(arrays["train"], train_size)
    height, width, channels = input_shape
    preprocessor = ImagePreprocessor([height, width], color_mode=color_mode(channels))
    info = {
        "name": str(folder), "kind": "images", "source": f"folder:{folder}",
        "input_shape": list(input_shape),
        "num_examples": {split: int(len(a)) for split, a in arrays.items()},
        "preprocessor": preprocessor.to_dict(),
        "validation_fraction": validation_fraction, "test_fraction": test_fraction, "seed": seed,
        **_skip_info(skipped, folder),
    }
    return _pipelines(arrays, batch_size, seed, info)


def _from_patches(folder, options, *, input_shape, batch_size, validation_fraction,
                  test_fraction, seed, train_size):
    height, width, channels = input_shape
    if (height, width) != (options.size, options.size):
        raise ConfigError(f"the model takes {height}x{width} inputs but the patches are "
                          f"{options.size}x{options.size}; add `--option input_shape="
                          f"{options.size},{options.size},{channels}` or `--recipe "
                          f"patch_size={height}`")
    preprocessor = options.preprocessor(channels)
    photos, skipped = read_photos(folder, preprocessor)
    if not photos:
        raise DataError(f"{folder} holds no readable photo of at least {options.size}x"
                        f"{options.size} pixels ({len(skipped)} file(s) skipped"
                        + (f", e.g. {skipped[0][1]}" if skipped else "") + ")")
    used = split_by_file(list(photos), validation_fraction=validation_fraction,
                         test_fraction=test_fraction, seed=seed)
    arrays = {split: _patch_split(photos, paths, split, preprocessor, seed)
              for split, paths in used.items()}
    arrays["train"] = _take(arrays["train"], train_size)
    if options.normalize:
        if preprocessor.normalization_scale is None:
            scale = patch_scale(np.asarray(preprocessor.rescale(arrays["train"])))
            preprocessor = preprocessor.with_scale(scale)
        arrays = {s: preprocessor.from_pixels(a) for s, a in arrays.items()}
    info = {
        "name": str(folder), "kind": "patches", "source": f"folder:{folder}",
        "input_shape": list(input_shape),
        "num_examples": {split: int(len(a)) for split, a in arrays.items()},
        "preprocessor": preprocessor.to_dict(),
        "files": {split: _relative(paths, folder) for split, paths in used.items()},
        "validation_fraction": validation_fraction, "test_fraction": test_fraction, "seed": seed,
        **_skip_info(skipped, folder),
    }
    return _pipelines(arrays, batch_size, seed, info)


def _pipelines(arrays, batch_size, seed, info):
    preprocessor = preprocessor_from_config(info["preprocessor"])
    return UnlabeledSplits(
        train=_as_pairs(arrays["train"], batch_size, preprocessor, shuffle=True, seed=seed),
        validation=_as_pairs(arrays["validation"], batch_size, preprocessor, shuffle=False,
                             seed=seed),
        test=_as_pairs(arrays["test"], batch_size, preprocessor, shuffle=False, seed=seed),
        info=info)


def load_unlabeled(source, *, input_shape, batch_size=128, data_dir=None,
                   validation_fraction=0.1, test_fraction=0.1, seed=0, train_size=None,
                   patches=None) -> UnlabeledSplits:
    """Unlabeled train / validation / test pipelines of ``(x, x)`` batches.

    Args:
        source: a dataset name (``"mnist"``, see :func:`zoo.data.list_datasets`) or a folder of
            images (a path). A name wins over a folder of the same name: write ``./mnist``.
        input_shape: the model's ``(height, width, channels)``: folder images are converted to
            it; a named dataset must already have it.
        batch_size: examples per batch.
        data_dir: where a named dataset's files are (see :func:`zoo.data.load_dataset`).
        validation_fraction: the part held out for validation (of the training split for a named
            dataset; of the files for a folder).
        test_fraction: the part of a folder's files held out for the test figures (named
            datasets use their canonical test split).
        seed: seeds the splits, the patches and the shuffling.
        train_size: keep only this many training examples (images or patches).
        patches: a :class:`PatchOptions` to cut patches from the folder's photos instead of
            using whole images.

    Returns:
        An :class:`UnlabeledSplits`.

    Example:
        >>> splits = load_unlabeled("tests/data/photos", input_shape=(12, 12, 1),
        ...                         patches=PatchOptions(size=12, per_image=100))
        >>> x, target = next(iter(splits.train))
    """

    input_shape = tuple(int(d) for d in input_shape)
    if len(input_shape) != 3:
        raise ConfigError(f"input_shape must be (height, width, channels), got {input_shape}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ConfigError(f"batch_size must be a positive integer, got {batch_size!r}")
    if train_size is not None and (isinstance(train_size, bool) or train_size < 1):
        raise ConfigError(f"train_size must be a positive integer or None, got {train_size!r}")
    source = str(source)
    if source in list_datasets():
        if patches is not None:
            raise ConfigError(f"patches are cut from a folder of photos, not from {source!r}; "
                              "give --dataset a folder, or drop the patch_size setting")
        return _from_dataset(source, input_shape=input_shape, batch_size=batch_size,
                             data_dir=data_dir, validation_fraction=validation_fraction,
                             seed=seed, train_size=train_size)
    if not Path(source).expanduser().exists():
        raise DataError(f"{source!r} is neither a dataset name nor a folder of images."
                        f"{suggest(source, list_datasets())} The datasets are: "
                        f"{', '.join(list_datasets())}.")
    folder = _check_folder(source)
    color_mode(input_shape[-1])
    kwargs = dict(input_shape=input_shape, batch_size=batch_size,
                  validation_fraction=validation_fraction, test_fraction=test_fraction,
                  seed=seed, train_size=train_size)
    if patches is not None:
        return _from_patches(folder, patches, **kwargs)
    return _from_folder(folder, **kwargs)


def report_skipped(info, stream=None):
    """Print one line about the files a folder source skipped (nothing when none was)."""
    count = info.get("num_skipped", 0)
    if not count:
        return
    stream = stream or sys.stderr
    listed = "; ".join(f"{s['file']}: {s['reason']}" for s in info.get("skipped", [])[:3])
    more = f" (and {count - 3} more, listed in zoo.json)" if count > 3 else ""
    print(f"skipped {count} file(s) that are not readable images: {listed}{more}", file=stream)
