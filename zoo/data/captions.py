"""Caption data: images with one or more sentences each, split by image, as training pipelines.

Five sources give the same thing, a :class:`CaptionRecords` (images and their captions):

- a **caption folder**: ``captions.tsv`` (tab-separated, a header row with at least ``image`` and
  a caption column, ``caption_en`` by default; optional ``category``, ``caption_es``) and the
  image files it names by path relative to the folder or to its ``images/`` subfolder. Several rows for one image give it several captions.
  This is the layout of the Tux Paint stamps set
  (:func:`zoo.data.sources.tuxpaint.fetch_tuxpaint_captions`).
- the **Flickr8k** layout: ``Flickr8k.token.txt`` (lines ``image.jpg#N<TAB>caption``), the split
  files ``Flickr_8k.trainImages.txt`` / ``devImages`` / ``testImages``, and the images folder
  (``Flicker8k_Dataset``, ``Flickr8k_Dataset``, ``Images`` or ``images``), anywhere under a root.
- ``coco_captions`` through tensorflow-datasets (train / val / test, the Karpathy splits).
- ``mnist_captions``: canvases of real MNIST digits (:mod:`zoo.data.mnist_captions`).
- ``emoji``: the emoji folder ``DATA_DIR/emoji/`` (:mod:`zoo.data.sources.emoji`): trained on
  its ``train.tsv`` (validation cut from it by base emoji), tested on ``test_style.tsv`` (a
  drawing style never trained on); its ``test_emoji.tsv`` (held-out emoji of the training
  styles) is a second test set, measured with ``zoo evaluate --test-data``.

A ``group`` column in ``captions.tsv`` names what must stay on one side of a split (the emoji
drawn in several styles); without one, near-duplicate file names are grouped.

Captions are normalised the way captioning work usually does (Karpathy & Fei-Fei 2015): lower
case, word tokens, punctuation dropped (:func:`zoo.text.tokenize.caption_tokens`). The vocabulary
is built from the training captions only. Splits are by image: an image and all its captions are
on one side only; for a caption folder, near-duplicate stamps (``frog.png``, ``frog-1.png``) are
kept together as well.

Training batches are ``((images, caption_in), caption_out, weights)``: float32 images
``(batch, H, W, C)``, int32 ids ``<s> w1 .. wn`` and ``w1 .. wn </s>`` padded with 0 to the same
length, and weights 1 on real tokens, 0 on padding. Each training epoch shows every image once,
with one of its captions drawn at random; validation and test pipelines hold every
(image, caption) pair once.
"""

import csv
import dataclasses
import re
from pathlib import Path

import numpy as np
import tensorflow as tf

from zoo.errors import ConfigError, DataError
from zoo.preprocessing import ImagePreprocessor
from zoo.text.tokenize import caption_tokens, detokenize
from zoo.text.vocab import BOS, EOS, PAD, UNK, Vocabulary
from zoo.data.images import ENV_VAR, resolve_data_dir
from zoo.data.mnist_captions import CANVAS_SIZE, load_mnist_captions
from zoo.data.sources import emoji as emoji_source

CAPTION_SPECIALS = (PAD, UNK, BOS, EOS)
TSV_NAME = "captions.tsv"
FLICKR_TOKENS = "Flickr8k.token.txt"
FLICKR_SPLITS = {"train": "Flickr_8k.trainImages.txt", "validation": "Flickr_8k.devImages.txt",
                 "test": "Flickr_8k.testImages.txt"}
FLICKR_IMAGE_DIRS = ("Flicker8k_Dataset", "Flickr8k_Dataset", "Images", "images")
GENERATED = ("mnist_captions",)
FOLDER_SETS = ("emoji",)  # named sets read from a folder of the data directory
TFDS_SETS = ("coco_captions",)
DEFAULT_IMAGE_SIZE = 64  # side of the model input for photo sets, unless image_shape says
SPLITS = ("train", "validation", "test")


# -- caption text ------------------------------------------------------------------------------


def clean_caption(text):
    """A caption as the models write it, for references: ``"A frog."`` -> ``"a frog"``."""
    return detokenize(caption_tokens(text))


def build_caption_vocabulary(captions, *, min_count=1, max_size=None):
    """The vocabulary of a list of captions (strings): ``<pad> <unk> <s> </s>`` and the words
    seen at least ``min_count`` times, most frequent first."""
    return Vocabulary.build((token for caption in captions for token in caption_tokens(caption)),
                            specials=CAPTION_SPECIALS, min_count=int(min_count),
                            max_size=max_size)


def check_caption_vocabulary(vocabulary):
    """Refuse a vocabulary that cannot start and end captions."""
    missing = [t for t in CAPTION_SPECIALS if t not in vocabulary]
    if missing:
        raise DataError(f"the caption vocabulary lacks the special token(s) {missing}")


def encode_caption(vocabulary, text, max_length):
    """``[<s>, w1, .., wn, </s>]`` ids of a caption, the words cut at ``max_length``."""
    words = caption_tokens(text)[:int(max_length)]
    return [vocabulary.bos_id] + vocabulary.encode(words) + [vocabulary.eos_id]


# -- records -----------------------------------------------------------------------------------


@dataclasses.dataclass
class CaptionRecords:
    """Images and their captions.

    Attributes:
        images: one image per record: paths, or arrays (``ready`` ones are model inputs already,
            uint8 ``(H, W, C)``).
        captions: per image, the list of its captions (raw text).
        ids: a name per image (its relative path, or a generated name).
        groups: per image, the key that keeps near-duplicates on the same side of a split.
        ready: the images are already uint8 model inputs.
    """

    images: list
    captions: list
    ids: list
    groups: list = None
    ready: bool = False

    def __len__(self):
        return len(self.captions)

    def subset(self, index):
        index = [int(i) for i in index]
        images = self.images[index] if isinstance(self.images, np.ndarray) \
            else [self.images[i] for i in index]
        return CaptionRecords(images=images, captions=[self.captions[i] for i in index],
                              ids=[self.ids[i] for i in index],
                              groups=None if self.groups is None else
                              [self.groups[i] for i in index], ready=self.ready)


def _stem_group(relative):
    """``animals/frog-1.png`` and ``animals/frog.png`` -> ``animals/frog``."""
    path = Path(relative)
    stem = re.sub(r"[-_ ]?\d+$", "", path.stem) or path.stem
    return str(path.parent / stem)


def read_caption_tsv(path, *, column="caption_en") -> CaptionRecords:
    """Read a caption folder (or its ``captions.tsv``): one record per image, rows of the same
    image joined, the image paths checked.

    Args:
        path: the folder holding ``captions.tsv``, or the TSV file itself.
        column: the caption column (``caption_en``, ``caption_es``, ...).

    Raises:
        DataError: no TSV, a TSV without ``image`` or ``column``, no captions, or an image that
            is not there.
    """
    path = Path(path).expanduser()
    tsv = path / TSV_NAME if path.is_dir() else path
    if not tsv.is_file():
        raise DataError(f"{path}: no {TSV_NAME}; a caption folder holds {TSV_NAME} (columns "
                        "image, caption_en, ...) and the images it names")
    root = tsv.parent
    try:
        with open(tsv, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            fields = reader.fieldnames or []
            if "image" not in fields or column not in fields:
                raise DataError(f"{tsv}: the header must name an 'image' and a {column!r} "
                                f"column, it has {fields}")
            rows = list(reader)
    except UnicodeDecodeError as err:
        raise DataError(f"{tsv} is not UTF-8 text ({err.reason})") from None
    except csv.Error as err:
        raise DataError(f"{tsv}: not a readable TSV file ({err})") from None
    by_image, group_of = {}, {}
    for row in rows:
        image, caption = (row.get("image") or "").strip(), (row.get(column) or "").strip()
        if image and caption_tokens(caption):
            by_image.setdefault(image, []).append(caption)
            if (row.get("group") or "").strip():
                group_of[image] = row["group"].strip()
    if not by_image:
        raise DataError(f"{tsv} has no rows with an image and a {column!r} caption")
    found = {name: next((base / name for base in (root, root / "images")
                         if (base / name).is_file()), None) for name in by_image}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise DataError(f"{tsv} names {len(missing)} image(s) that are neither in {root} nor in "
                        f"{root / 'images'}, e.g. {missing[0]}")
    names = list(by_image)
    return CaptionRecords(images=[str(found[n]) for n in names],
                          captions=[by_image[n] for n in names], ids=names,
                          groups=[group_of.get(n) or _stem_group(n) for n in names])


def _read_lines(path):
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as err:
        raise DataError(f"{path} is not UTF-8 text ({err.reason})") from None


def read_flickr8k(root) -> dict:
    """The Flickr8k splits under ``root``: ``{"train", "validation", "test"}`` ->
    :class:`CaptionRecords` (five captions per image in the original set).

    Raises:
        DataError: the token file, a split file, the images folder or an image is missing, or a
            token line is malformed.
    """
    root = Path(root).expanduser()
    found = sorted(root.rglob(FLICKR_TOKENS)) if root.is_dir() else []
    if not found:
        raise DataError(f"{root}: no {FLICKR_TOKENS} in it; the Flickr8k layout has the token "
                        f"file, {', '.join(FLICKR_SPLITS.values())} and an images folder")
    text_dir = found[0].parent
    captions = {}
    for number, line in enumerate(_read_lines(found[0]), start=1):
        if not line.strip():
            continue
        key, sep, caption = line.partition("\t")
        name = key.split("#", 1)[0].strip()
        if not sep or not name:
            raise DataError(f"{found[0]}:{number}: expected 'image.jpg#N<TAB>caption', got "
                            f"{line[:80]!r}")
        if caption_tokens(caption):
            captions.setdefault(name, []).append(caption.strip())
    image_dir = next((d for name in FLICKR_IMAGE_DIRS for d in (root / name, text_dir / name)
                      if d.is_dir()), None)
    splits = {}
    for split, filename in FLICKR_SPLITS.items():
        split_file = text_dir / filename
        if not split_file.is_file():
            raise DataError(f"{text_dir}: {filename} is missing (the Flickr8k {split} split)")
        names = [n.strip() for n in _read_lines(split_file) if n.strip()]
        if image_dir is None and names:
            hits = sorted(root.rglob(names[0]))
            if not hits:
                raise DataError(f"{root}: no images folder ({', '.join(FLICKR_IMAGE_DIRS)}) "
                                f"and no {names[0]} anywhere under it")
            image_dir = hits[0].parent
        without = [n for n in names if n not in captions]
        if without:
            raise DataError(f"{split_file} names {without[0]}, which has no caption in "
                            f"{found[0].name}")
        missing = [n for n in names if not (image_dir / n).is_file()]
        if missing:
            raise DataError(f"{len(missing)} {split} image(s) are not in {image_dir}, e.g. "
                            f"{missing[0]}")
        splits[split] = CaptionRecords(images=[str(image_dir / n) for n in names],
                                       captions=[captions[n] for n in names], ids=names)
    seen = {}
    for split, records in splits.items():
        for name in records.ids:
            if seen.setdefault(name, split) != split:
                raise DataError(f"{name} is in both the {seen[name]} and the {split} split files")
    return splits


def load_coco_captions(split, preprocessor, *, data_dir=None, max_images=None):
    """One split of ``coco_captions`` from tensorflow-datasets, images already preprocessed.

    Args:
        split: ``"train"``, ``"validation"`` or ``"test"`` (tfds ``train``, ``val``, ``test``).
        preprocessor: see :func:`caption_preprocessing`.
        data_dir: the tensorflow-datasets data directory.
        max_images: read only the first this many images.
    """
    import tensorflow_datasets as tfds  # heavy (~0.6 s): only TFDS reads; tasks import this

    name = {"train": "train", "validation": "val", "test": "test"}[split]
    if max_images:
        name = f"{name}[:{int(max_images)}]"
    kwargs = {"data_dir": str(data_dir)} if data_dir else {}
    try:
        dataset = tfds.load("coco_captions", split=name, shuffle_files=False, **kwargs)
    except Exception as err:  # tfds raises many kinds; all mean the data is not there
        raise DataError(f"tensorflow-datasets could not load coco_captions ({split}): "
                        f"{str(err).rstrip('.')}. It downloads the data (about 38 GB) the first "
                        "time, which needs internet access") from err
    images, captions, ids = [], [], []
    for example in tfds.as_numpy(dataset):
        texts = [t.decode("utf-8") if isinstance(t, bytes) else str(t)
                 for t in example["captions"]["text"]]
        texts = [t for t in texts if caption_tokens(t)]
        if not texts:
            continue
        images.append(load_caption_image(example["image"], preprocessor))
        captions.append(texts)
        ids.append(str(example.get("image/id", len(ids))))
    if not images:
        raise DataError(f"coco_captions ({split}) gave no captioned images")
    return CaptionRecords(images=np.stack(images), captions=captions, ids=ids, ready=True)


def split_records(records, *, fractions, seed=0) -> list:
    """Cut records into disjoint parts by image (by ``groups`` when given).

    Args:
        records: a :class:`CaptionRecords`.
        fractions: the share of every part but the first, e.g. ``(0.1, 0.1)`` for
            train / validation / test; each non-empty share gets at least one image group.
        seed: seeds the random order of the groups.

    Returns:
        A list of :class:`CaptionRecords`, the first taking what the others leave.
    """
    keys = records.groups or records.ids
    unique = sorted(set(keys))
    order = [unique[i] for i in np.random.default_rng(seed).permutation(len(unique))]
    sizes = [max(1, int(round(len(unique) * float(f)))) if f > 0 else 0 for f in fractions]
    if sum(sizes) >= len(unique):
        raise DataError(f"{len(unique)} images (or groups of near-duplicates) are too few to "
                        f"hold out {sum(sizes)} and still train on some; give more images or a "
                        "smaller --validation-fraction")
    part_of, start = {}, len(unique) - sum(sizes)
    for key in order[:start]:
        part_of[key] = 0
    for part, size in enumerate(sizes, start=1):
        for key in order[start:start + size]:
            part_of[key] = part
        start += size
    return [records.subset([i for i, key in enumerate(keys) if part_of[key] == part])
            for part in range(len(fractions) + 1)]


# -- images ------------------------------------------------------------------------------------


def caption_preprocessing(image_shape, *, pad_to_square=True, invert_light_background=False):
    """The :class:`~zoo.preprocessing.ImagePreprocessor` of a captioning model's input images.

    ``pad_to_square`` pads a non-square picture with white (black for light-on-dark data) to a
    square before it is resized, so objects keep their proportions.
    """
    height, width, channels = (int(d) for d in image_shape)
    if channels not in (1, 3):
        raise ConfigError(f"image_shape must have 1 (grayscale) or 3 (RGB) channels, got "
                          f"{tuple(image_shape)}")
    return ImagePreprocessor([height, width], color_mode="L" if channels == 1 else "RGB",
                             scale=1 / 255, pad_to_square=bool(pad_to_square),
                             invert_light_background=bool(invert_light_background))


def load_caption_image(source, preprocessor):
    """One image as the uint8 model input ``(H, W, C)`` (the pixels before scaling), read by
    the captioner's ``preprocessor``."""
    return preprocessor.pixels(source)


def load_caption_images(records, preprocessor):
    """The images of ``records`` as one uint8 array ``(n, H, W, C)``."""
    if records.ready:
        return np.asarray(records.images, dtype=np.uint8)
    out = np.zeros((len(records),) + preprocessor.input_shape, dtype=np.uint8)
    for index, image in enumerate(records.images):
        out[index] = load_caption_image(image, preprocessor)
    return out


# -- pipelines ---------------------------------------------------------------------------------


@dataclasses.dataclass
class CaptionSplit:
    """One split ready for training and measuring.

    Attributes:
        images: uint8 model inputs ``(n, H, W, C)``.
        captions: int32 ids ``(n, max_captions, length + 2)``: ``<s> .. </s>`` padded with 0.
        counts: how many captions each image has.
        references: per image, its captions as the model should write them (normalised text).
        ids: the image names.
    """

    images: np.ndarray
    captions: np.ndarray
    counts: np.ndarray
    references: list
    ids: list

    def __len__(self):
        return len(self.images)


def encode_split(records, images, vocabulary, max_length) -> CaptionSplit:
    """Encode the captions of ``records`` (whose model-input ``images`` are given)."""
    encoded = [[encode_caption(vocabulary, c, max_length) for c in caps]
               for caps in records.captions]
    most = max(len(caps) for caps in encoded)
    longest = max(len(ids) for caps in encoded for ids in caps)
    table = np.zeros((len(encoded), most, longest), dtype=np.int32)
    for i, caps in enumerate(encoded):
        for j, ids in enumerate(caps):
            table[i, j, :len(ids)] = ids
    return CaptionSplit(images=images, captions=table,
                        counts=np.asarray([len(c) for c in encoded], dtype=np.int32),
                        references=[[clean_caption(c) for c in caps] for caps in records.captions],
                        ids=list(records.ids))


def _teacher_forcing(images, caption, preprocessor):
    caption_in, caption_out = caption[..., :-1], caption[..., 1:]
    weights = tf.cast(tf.not_equal(caption_out, 0), tf.float32)
    return (preprocessor.rescale(images), caption_in), caption_out, weights


def training_pipeline(split, preprocessor, *, batch_size, seed=0):
    """Shuffled batches, every image once per epoch with one of its captions drawn at random."""
    dataset = tf.data.Dataset.from_tensor_slices((split.images, split.captions, split.counts))
    dataset = dataset.shuffle(min(len(split), 20_000), seed=seed, reshuffle_each_iteration=True)

    def pick(image, captions, count):
        index = tf.random.uniform([], 0, count, dtype=tf.int32, seed=seed)
        return image, captions[index]

    return (dataset.map(pick, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size)
            .map(lambda x, c: _teacher_forcing(x, c, preprocessor),
                 num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))


def pairs_pipeline(split, preprocessor, *, batch_size):
    """Batches of every (image, caption) pair once, in order (for validation and test)."""
    image_index = np.repeat(np.arange(len(split)), split.counts)
    caption_index = np.concatenate([np.arange(n) for n in split.counts])
    captions = split.captions[image_index, caption_index]
    dataset = tf.data.Dataset.from_tensor_slices((image_index.astype(np.int32), captions))
    images = tf.constant(split.images)
    return (dataset.batch(batch_size)
            .map(lambda i, c: _teacher_forcing(tf.gather(images, i), c, preprocessor),
                 num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))


# -- everything together -----------------------------------------------------------------------


@dataclasses.dataclass
class CaptionData:
    """What :func:`load_caption_data` gives: pipelines, the encoded splits and the vocabulary."""

    train: object
    validation: object
    test: object
    splits: dict  # split name -> CaptionSplit
    vocabulary: Vocabulary
    preprocessor: ImagePreprocessor
    image_shape: tuple
    info: dict


def natural_image_shape(dataset):
    """The input shape a dataset's images have unless the model asks for another."""
    if str(dataset) == "mnist_captions":

        return (CANVAS_SIZE, CANVAS_SIZE, 1)
    return (DEFAULT_IMAGE_SIZE, DEFAULT_IMAGE_SIZE, 3)


def _read_path(dataset, *, column):
    """``(records, layout)`` of a caption folder, a captions.tsv or a Flickr8k root."""
    path = Path(str(dataset)).expanduser()
    if path.is_file() or (path.is_dir() and (path / TSV_NAME).is_file()):
        return read_caption_tsv(path, column=column), "captions.tsv"
    if path.is_dir() and any(path.rglob(FLICKR_TOKENS)):
        return read_flickr8k(path), "flickr8k"
    if path.is_dir():
        raise DataError(f"{path} is neither a caption folder ({TSV_NAME} + images) nor a "
                        f"Flickr8k folder ({FLICKR_TOKENS} + split files + images)")
    known = ", ".join(GENERATED + FOLDER_SETS + TFDS_SETS)
    raise DataError(f"{dataset}: no such caption folder; give a folder with {TSV_NAME}, a "
                    f"Flickr8k folder, or one of: {known}")


def emoji_folder(data_dir):
    """The emoji caption folder of a data directory (``data_dir`` or ``$ZOO_DATA_DIR``)."""
    fetch = "fetch it with `python scripts/fetch_data.py emoji --out DATA`"
    root = resolve_data_dir(data_dir)
    if root is None:
        raise DataError(f"no data directory: pass --data-dir or set {ENV_VAR} (the emoji set "
                        f"is read from its emoji/ folder; {fetch})")
    folder = root / emoji_source.FOLDER
    if not emoji_source.emoji_are_there(folder):
        raise DataError(f"the emoji set is not in {folder}: {fetch} and pass --data-dir DATA")
    return folder


def emoji_records(data_dir, *, column="caption_en", validation_fraction=0.1, seed=0):
    """The emoji splits as the captioners read them: ``({split: CaptionRecords}, source)``,
    train and validation (by base emoji, ``validation_fraction`` of them, seeded) from
    ``train.tsv``, test from ``test_style.tsv`` (the held-out drawing style)."""
    folder = emoji_folder(data_dir)
    train = read_caption_tsv(folder / emoji_source.SPLIT_FILES["train"], column=column)
    parts = split_records(train, fractions=(validation_fraction,), seed=seed)
    test = read_caption_tsv(folder / emoji_source.SPLIT_FILES["test_style"], column=column)
    return {"train": parts[0], "validation": parts[1], "test": test}, f"emoji:{folder}"


def _source_records(dataset, *, data_dir, recipe, validation_fraction, seed, test_data,
                    preprocessor, train_size):
    """``({split: CaptionRecords}, description)`` for any of the four sources."""
    column = recipe.get("caption_column", "caption_en")
    name = str(dataset)
    if name == "mnist_captions" and not Path(name).exists():

        canvases = load_mnist_captions(
            data_dir=data_dir, num_canvases=int(recipe.get("num_canvases", 10_000)),
            num_test_canvases=int(recipe.get("num_test_canvases", 2_000)),
            validation_fraction=validation_fraction, seed=seed)
        records = {split: CaptionRecords(images=list(c.images), captions=c.captions, ids=c.ids)
                   for split, c in canvases.items()}
        source = "mnist:" + str(Path(data_dir or "").expanduser().absolute()) if data_dir \
            else "mnist:$ZOO_DATA_DIR"
    elif name == "emoji" and not Path(name).exists():
        records, source = emoji_records(data_dir, column=column,
                                         validation_fraction=validation_fraction, seed=seed)
    elif name in TFDS_SETS and not Path(name).exists():
        cap = recipe.get("max_eval_images")
        records = {split: load_coco_captions(split, preprocessor, data_dir=data_dir,
                                             max_images=train_size if split == "train" else cap)
                   for split in SPLITS}
        source = "tfds"
    else:
        found, layout = _read_path(dataset, column=column)
        if isinstance(found, dict):  # Flickr8k keeps its own splits
            records = found
        else:
            parts = split_records(found, fractions=(validation_fraction,) if test_data else
                                  (validation_fraction, validation_fraction), seed=seed)
            records = dict(zip(SPLITS, parts))
        source = f"{layout}:{Path(str(dataset)).expanduser().absolute()}"
    if test_data:
        test, layout = _read_path(test_data, column=column)
        records["test"] = test["test"] if isinstance(test, dict) else test
    return records, source


def load_caption_data(dataset, *, image_shape=None, batch_size=64, data_dir=None,
                      validation_fraction=0.1, seed=0, vocabulary=None, recipe=None,
                      test_data=None, train_size=None) -> CaptionData:
    """Load a caption set as batched pipelines, split by image, with its vocabulary.

    Args:
        dataset: ``"mnist_captions"``, ``"coco_captions"``, a caption folder (or its
            ``captions.tsv``) or a Flickr8k folder.
        image_shape: ``(H, W, C)`` of the model input (default: :func:`natural_image_shape`).
        batch_size: examples per batch.
        data_dir: the MNIST files (``mnist_captions``) or the tensorflow-datasets directory.
        validation_fraction: the part held out for validation, and as much again for test when
            a caption folder has no ``test_data`` (Flickr8k and COCO keep their own splits).
        seed: seeds the split, the canvases and the shuffling.
        vocabulary: a restored model's vocabulary, used instead of building one.
        recipe: data settings: ``caption_column``, ``min_word_count``, ``max_caption_length``
            (words kept per caption), ``num_canvases`` and ``num_test_canvases``
            (``mnist_captions``), ``max_eval_images`` (COCO).
        test_data: another caption folder whose images are the test split.
        train_size: train on only the first this many training images.
    """
    recipe = dict(recipe or {})
    if not 0.0 < float(validation_fraction) < 0.5:
        raise ConfigError(f"validation_fraction must be between 0 and 0.5, got "
                          f"{validation_fraction}")
    if int(batch_size) < 1:
        raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
    image_shape = tuple(int(d) for d in (image_shape or natural_image_shape(dataset)))
    generated = str(dataset) in GENERATED
    named = generated or str(dataset) in TFDS_SETS + FOLDER_SETS
    preprocessor = caption_preprocessing(image_shape, pad_to_square=not generated,
                                         invert_light_background=generated)
    records, source = _source_records(dataset, data_dir=data_dir, recipe=recipe,
                                      validation_fraction=float(validation_fraction),
                                      seed=int(seed), test_data=test_data,
                                      preprocessor=preprocessor, train_size=train_size)
    if train_size is not None:
        if int(train_size) < 1:
            raise ConfigError(f"train_size must be at least 1, got {train_size}")
        if int(train_size) < len(records["train"]):
            records["train"] = records["train"].subset(range(int(train_size)))
    for split in SPLITS:
        if not len(records[split]):
            raise DataError(f"the {split} split of {dataset} has no images")
    if vocabulary is None:
        vocabulary = build_caption_vocabulary(
            [c for caps in records["train"].captions for c in caps],
            min_count=int(recipe.get("min_word_count", 1)))
    check_caption_vocabulary(vocabulary)
    max_length = int(recipe.get("max_caption_length", 20))
    if max_length < 1:
        raise ConfigError(f"max_caption_length must be at least 1, got {max_length}")
    splits = {split: encode_split(records[split], load_caption_images(records[split],
                                                                      preprocessor),
                                  vocabulary, max_length)
              for split in SPLITS}
    pipelines = {
        "train": training_pipeline(splits["train"], preprocessor, batch_size=int(batch_size),
                                   seed=int(seed)),
        "validation": pairs_pipeline(splits["validation"], preprocessor,
                                     batch_size=int(batch_size)),
        "test": pairs_pipeline(splits["test"], preprocessor, batch_size=int(batch_size)),
    }
    words = {split: [t for caps in records[split].captions for c in caps
                     for t in caption_tokens(c)] for split in SPLITS}
    longest = max(len(caption_tokens(c)) for caps in records["train"].captions for c in caps)
    info = {
        "name": str(dataset) if named else Path(str(dataset)).name,
        "source": source,
        "images": {split: len(records[split]) for split in SPLITS},
        "captions": {split: int(splits[split].counts.sum()) for split in SPLITS},
        "vocabulary_size": len(vocabulary),
        "unknown_word_rate": {split: round(sum(vocabulary.id(w) == vocabulary.unk_id
                                               for w in words[split]) / max(1, len(words[split])),
                                           4) for split in SPLITS},
        "longest_train_caption": int(longest),
        "max_caption_length": max_length,
        "image_shape": list(image_shape),
        "test_data": str(test_data) if test_data else None,
    }
    if generated:
        info["num_canvases"] = {split: len(records[split]) for split in SPLITS}
    return CaptionData(train=pipelines["train"], validation=pipelines["validation"],
                       test=pipelines["test"], splits=splits, vocabulary=vocabulary,
                       preprocessor=preprocessor, image_shape=image_shape, info=info)
