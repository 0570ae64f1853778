"""Text corpora for the character language models, as batched windows of character ids.

A corpus is any plain UTF-8 text: a file, a directory (its ``*.txt`` files) or a glob
(``"novels/*.txt"``), or ``"tiny_shakespeare"`` through tensorflow-datasets. Files are read in
sorted order and joined, each ending with a newline.

The splits never overlap: validation is the last ``validation_fraction`` of the training text;
the test text is ``test_data`` (another file, such as one whole held-out novel) when given, else
the last ``validation_fraction`` before the validation part. ``tiny_shakespeare`` keeps its own
validation and test splits (``test_data`` still replaces the test split). A corpus directory the
broad English fetch wrote (``english_broad/``, with ``documents.tsv``) is split by its rule
instead: 1 document in 20 of each kind of its ``train`` split is validation
(:func:`zoo.data.sources.english.validation_part`; ``validation_fraction`` is not used).

With a ``normalization`` (see :mod:`zoo.preprocessing.chars`) every split is normalised first,
and a vocabulary built from the training text leaves out the rare characters (fewer than 1 in
:data:`RARE_PER` of the text, printable ASCII kept whenever seen): they are read as ``<unk>``,
so the model learns how likely an unknown character is and one stray symbol costs
``-log2 P(<unk>)``, not the price of a character it never saw.

Every split is cut into windows of ``sequence_length + 1`` characters that follow each other
(each window starts at the last character of the one before), so every character of a split is
predicted exactly once: ``inputs = ids[:-1]``, ``targets = ids[1:]``. The last window is padded;
its padding has weight 0. Batches are ``(inputs, targets, weights)``: int32, int32 and float32,
all of shape ``(batch, sequence_length)``.

Example:
    >>> data = load_char_data("novels/*.txt", test_data="persuasion.txt",  # doctest: +SKIP
    ...                       sequence_length=100)
    >>> inputs, targets, weights = next(iter(data.train))  # doctest: +SKIP
    >>> data.vocabulary.decode(inputs[0].numpy())[:20]  # doctest: +SKIP
"""

import dataclasses
import glob
import math
from pathlib import Path

import numpy as np
import tensorflow as tf

from zoo.errors import ConfigError, DataError
from zoo.text.vocab import Vocabulary
from zoo.data.images import require_prepared_tfds
from zoo.data.sources import english
from zoo.preprocessing import CharPreprocessor
from zoo.preprocessing.chars import normalize

TFDS_CORPORA = ("tiny_shakespeare",)
_GLOB_CHARS = "*?["
RARE_PER = 100_000  # with a normalisation: characters rarer than 1 in this many are <unk>
_BINARY_PROBE = 8192  # a NUL in the first bytes: a binary file; later: binary data in a text


@dataclasses.dataclass
class Corpus:
    """A text and where it came from.

    Attributes:
        name: a short name (the file name, the glob, or the tfds name).
        source: ``"files"`` or ``"tfds"`` (``"tfds:/dir"`` with a data directory).
        files: absolute paths of the files read, in order (empty for tfds).
        text: the whole text.
    """

    name: str
    source: str
    files: list
    text: str


def _resolve_paths(spec):
    """The files a path, directory or glob names, sorted; a clear error when there are none."""
    text = str(spec)
    path = Path(text).expanduser()
    if path.is_file():
        return [path.absolute()]
    if path.is_dir():
        files = sorted(p.absolute() for p in path.glob("*.txt") if p.is_file())
        if not files:
            raise DataError(f"{path} holds no *.txt files; give a text file, a directory of "
                            "*.txt files or a glob such as 'dir/*.txt'")
        return files
    if any(c in text for c in _GLOB_CHARS):
        files = sorted(Path(p).absolute() for p in glob.glob(str(path)) if Path(p).is_file())
        if not files:
            raise DataError(f"no file matches {text!r}")
        return files
    hint = (f"; or use one of the tensorflow-datasets corpora: {', '.join(TFDS_CORPORA)}"
            if "/" not in text and "." not in text else "")
    raise DataError(f"{text}: no such file or directory{hint}")


def read_text_file(path):
    """The text of one UTF-8 file (a BOM is dropped, line ends become ``\\n``).

    Raises:
        DataError: the file is missing, empty, binary or not UTF-8.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise DataError(f"cannot read {path}: {err.strerror or err}") from None
    if not data.strip():
        raise DataError(f"{path} is empty; give a file with some text in it")
    nul = data.find(b"\x00")  # anywhere: a NUL must never become a vocabulary character
    if 0 <= nul < _BINARY_PROBE:
        raise DataError(f"{path} is a binary file, not plain text; give a UTF-8 text file")
    if nul >= 0:
        raise DataError(f"{path} has a NUL byte at byte {nul:,} (binary data in a text?); "
                        "remove the NUL bytes (e.g. `tr -d '\\000' < in > out`) or give "
                        "another file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(f"{path} is not UTF-8 text (byte {err.start}: {err.reason}); convert "
                        "it, e.g. `iconv -f latin1 -t utf-8`") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_corpus(spec, *, exclude=()):
    """Read a file, the ``*.txt`` files of a directory, or the files of a glob as one text.

    Files in ``exclude`` (absolute paths) are left out, so a held-out test file may sit in the
    training directory.
    """
    files = [path for path in _resolve_paths(spec) if str(path) not in set(exclude)]
    if not files:
        raise DataError(f"{spec} names no file besides the test data; give the training text "
                        "separately from --test-data")
    parts = [read_text_file(path) for path in files]
    text = "".join(part if part.endswith("\n") else part + "\n" for part in parts)
    return Corpus(name=str(spec), source="files", files=[str(p) for p in files], text=text)


def load_tfds_corpus(name, *, data_dir=None):
    """The splits of a tensorflow-datasets text corpus, ``{split: Corpus}``.

    Example:
        >>> load_tfds_corpus("tiny_shakespeare")["train"].text[:14]  # doctest: +SKIP
        'First Citizen:'
    """
    if name not in TFDS_CORPORA:
        raise DataError(f"unknown text corpus {name!r}; known: {', '.join(TFDS_CORPORA)}")
    import tensorflow_datasets as tfds  # heavy (~0.6 s): only TFDS reads; tasks import this

    require_prepared_tfds(name, data_dir, other="; or give the text as a file")
    kwargs = {"data_dir": str(data_dir)} if data_dir else {}
    splits = ("train", "validation", "test")
    try:
        loaded = dict(zip(splits, tfds.load(name, split=list(splits), shuffle_files=False,
                                            **kwargs)))
    except Exception as err:  # tfds raises many kinds; all mean the data is not there
        raise DataError(f"tensorflow-datasets could not load {name!r}: "
                        f"{str(err).rstrip('.')}. It downloads the data the first time, which "
                        "needs internet access; or give the text as a file") from err
    source = f"tfds:{data_dir}" if data_dir else "tfds"
    corpora = {}
    for split, dataset in loaded.items():
        texts = [example["text"].decode("utf-8") for example in tfds.as_numpy(dataset)]
        corpora[split] = Corpus(name=name, source=source, files=[], text="".join(texts))
    return corpora


def encode_text(vocabulary, text, normalization=None):
    """The ids of the characters of ``text`` as an int32 array (unknown ones map to ``<unk>``):
    the :class:`~zoo.preprocessing.CharPreprocessor`'s normalisation and lookup."""
    return CharPreprocessor(vocabulary, normalization=normalization)(text)


def count_unknown(vocabulary, text):
    """How many characters of ``text`` (normalised already, if at all) the vocabulary does not
    know."""
    return sum(count for char, count in _char_counts(text).items() if char not in vocabulary)


def _char_counts(text):
    codes, counts = np.unique(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32),
                              return_counts=True)
    return {chr(code): int(count) for code, count in zip(codes, counts)}


def _printable_ascii(char):
    return char in "\n\t" or " " <= char <= "~"


def build_char_vocabulary(text, *, rare_per=None):
    """A character vocabulary of ``text``: ``<pad>`` (0), ``<unk>`` (1), then the characters,
    most frequent first (ties by character, so the same text always gives the same ids).

    With ``rare_per``, a character that is not printable ASCII and makes up less than 1 in
    ``rare_per`` of the text is left out (read as ``<unk>``)."""
    if not text:
        raise DataError("the training text is empty")
    counts = _char_counts(text)
    if rare_per:
        counts = {char: n for char, n in counts.items()
                  if _printable_ascii(char) or n * rare_per >= len(text)}
    ranked = sorted(counts, key=lambda char: (-counts[char], char))
    return Vocabulary(ranked)


def make_windows(ids, sequence_length):
    """Cut ids into consecutive windows of ``sequence_length`` predictions.

    Returns:
        ``(inputs, targets, weights)`` arrays of shape ``(windows, sequence_length)``; weight 0
        marks the padding of the last window. A text of ``n`` characters gives ``n - 1``
        weighted targets.
    """
    length = int(sequence_length)
    targets_total = max(len(ids) - 1, 0)
    count = math.ceil(targets_total / length)
    padded = np.zeros(count * length + 1, dtype=np.int32)
    padded[:len(ids)] = ids
    index = np.arange(count)[:, None] * length + np.arange(length + 1)[None, :]
    windows = padded[index]
    position = index[:, 1:]
    weights = (position < len(ids)).astype(np.float32)
    return windows[:, :-1], windows[:, 1:], weights


def windows_dataset(ids, *, sequence_length, batch_size, shuffle=False, seed=0, limit=None):
    """A batched, prefetched ``tf.data.Dataset`` of ``(inputs, targets, weights)`` windows."""
    inputs, targets, weights = make_windows(ids, sequence_length)
    if limit is not None:
        inputs, targets, weights = inputs[:limit], targets[:limit], weights[:limit]
    dataset = tf.data.Dataset.from_tensor_slices((inputs, targets, weights))
    if shuffle and len(inputs) > 1:
        dataset = dataset.shuffle(len(inputs), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(int(batch_size)).prefetch(tf.data.AUTOTUNE)


@dataclasses.dataclass
class CharData:
    """Train / validation / test pipelines of a corpus and its character vocabulary.

    Attributes:
        train, validation, test: batched datasets (see the module docstring); ``validation`` is
            ``None`` when ``validation_fraction`` is 0, ``test`` when there is no test text.
        vocabulary: the character :class:`~zoo.text.Vocabulary` of the training text.
        info: plain data describing the corpus and its splits, for ``zoo.json``.
    """

    train: object
    validation: object
    test: object
    vocabulary: Vocabulary
    info: dict
    normalization: str = None


def _check_options(sequence_length, batch_size, validation_fraction, train_size):
    for label, value in (("sequence_length", sequence_length), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ConfigError(f"{label} must be a positive integer, got {value!r}")
    if not isinstance(validation_fraction, (int, float)) or not 0 <= validation_fraction < 0.5:
        raise ConfigError(f"validation_fraction must be in [0, 0.5) for text, got "
                          f"{validation_fraction!r}")
    if train_size is not None and (isinstance(train_size, bool) or
                                   not isinstance(train_size, (int, np.integer)) or
                                   train_size < 1):
        raise ConfigError(f"train_size (training windows) must be a positive integer, got "
                          f"{train_size!r}")


def load_char_data(dataset, *, sequence_length=100, batch_size=64, validation_fraction=0.1,
                   test_data=None, data_dir=None, vocabulary=None, train_size=None,
                   seed=0, normalization=None) -> CharData:
    """Load a corpus as batched windows of character ids, split without overlap.

    Args:
        dataset: a text file, a directory of ``*.txt`` files, a glob, or ``"tiny_shakespeare"``;
            ``None`` for a saved model measured on ``test_data`` alone (with its
            ``vocabulary``): only the test split is read.
        sequence_length: characters predicted per window (the model reads as many).
        batch_size: windows per batch.
        validation_fraction: the tail of the training text held out for validation (and, when
            there is no ``test_data``, as much again before it for the test split).
        test_data: a file, directory or glob of held-out text for the test split.
        data_dir: the tensorflow-datasets data directory (for ``tiny_shakespeare``).
        vocabulary: use this vocabulary (a restored model's) instead of building one from the
            training text; characters it does not know become ``<unk>``.
        train_size: keep only the first this many training windows.
        seed: seeds the shuffling of the training windows.
        normalization: normalise every split with it (``"plain-1"``) and, when the vocabulary
            is built here, read the rare characters as ``<unk>`` (see the module docstring).

    Raises:
        DataError: missing, empty, binary or non-UTF-8 files, or a text too short to split.
        ConfigError: an option out of range.
    """
    _check_options(sequence_length, batch_size, validation_fraction, train_size)
    texts, files = {}, {}
    if dataset is None:
        if vocabulary is None or test_data is None:
            raise ConfigError("without a training text, give the test text (test_data) and "
                              "the saved model's vocabulary")
        corpus = Corpus(name=None, source="files", files=[], text="")
        texts["train"] = texts["validation"] = None
    elif str(dataset) in TFDS_CORPORA and not Path(str(dataset)).exists():
        corpora = load_tfds_corpus(str(dataset), data_dir=data_dir)
        corpus = corpora["train"]
        texts["train"] = corpus.text
        texts["validation"] = corpora["validation"].text if validation_fraction > 0 else None
        texts["test"] = corpora["test"].text
    elif english.is_corpus_dir(str(dataset)):
        # the broad English corpus: validation by its rule (1 document in 20 of each kind)
        train, validation = english.validation_part(english.read_documents(str(dataset)))
        corpus = Corpus(name=str(dataset), source="files",
                        files=[str(Path(str(dataset)).absolute() / "documents.tsv")],
                        text="")
        texts["train"], texts["validation"] = (
            "".join(part if part.endswith("\n") else part + "\n" for part in parts)
            for parts in (train, validation))
        texts["test"] = None
    else:
        held_out = [str(p) for p in _resolve_paths(test_data)] if test_data is not None else []
        corpus = read_corpus(dataset, exclude=held_out)
        text = corpus.text
        tail = int(round(len(text) * validation_fraction))
        parts = 1 + (validation_fraction > 0) * (1 if test_data is not None else 2)
        if (validation_fraction > 0 and tail < 2) or len(text) - (parts - 1) * tail < 2:
            held = "validation" if test_data is not None else "validation and test"
            least = max(2 * parts, math.ceil(1.5 / validation_fraction)
                        if validation_fraction > 0 else 2)
            raise DataError(
                f"the text of {dataset} has {len(text):,} character(s), too few to split into "
                f"training and {held} parts of at least 2 characters each (validation "
                f"fraction {validation_fraction:g}); give a text of at least {least:,} "
                "characters")
        texts["validation"] = text[len(text) - tail:] if tail else None
        texts["test"] = None
        if test_data is None and tail:
            texts["test"] = text[len(text) - 2 * tail:len(text) - tail]
            tail *= 2
        texts["train"] = text[:len(text) - tail]
    files["train"] = corpus.files
    test_name = None
    if test_data is not None:
        test_corpus = read_corpus(test_data)
        texts["test"], files["test"], test_name = test_corpus.text, test_corpus.files, \
            test_corpus.name
    for split, text in texts.items():
        if text is not None and len(text) < 2:
            hint = "another --validation-fraction" if dataset is not None else "another test text"
            raise DataError(f"the {split} text of {dataset or test_data} has {len(text)} "
                            f"character(s), too few to predict anything; give a longer text or "
                            f"{hint}")
    texts = {split: normalize(text, normalization) if text is not None else None
             for split, text in texts.items()}
    if vocabulary is None:
        vocabulary = build_char_vocabulary(texts["train"],
                                           rare_per=RARE_PER if normalization else None)
    # the texts are normalised already: the lookup alone (normalising again changes nothing)
    ids = {split: encode_text(vocabulary, text) for split, text in texts.items()
           if text is not None}
    pipelines = {
        split: windows_dataset(ids[split], sequence_length=sequence_length,
                               batch_size=batch_size, shuffle=split == "train", seed=seed,
                               limit=train_size if split == "train" else None)
        if split in ids else None
        for split in ("train", "validation", "test")
    }
    num_windows = {split: min(math.ceil((len(values) - 1) / sequence_length),
                              train_size or math.inf) if split == "train"
                   else math.ceil((len(values) - 1) / sequence_length)
                   for split, values in ids.items()}
    info = {
        "name": corpus.name if dataset is not None else test_name,
        "source": corpus.source,
        "files": files["train"],
        "test_files": files.get("test", []),
        "test_name": test_name,
        "sequence_length": int(sequence_length),
        "characters": {split: len(text) for split, text in texts.items() if text is not None},
        "windows": {split: int(n) for split, n in num_windows.items()},
        "vocabulary_size": len(vocabulary),
        "unknown_characters": {split: count_unknown(vocabulary, text)
                               for split, text in texts.items()
                               if text is not None and (split != "train" or normalization)},
    }
    if normalization:
        info["normalization"] = normalization
        info["unknown_scored_as"] = "<unk>: -log2 P(<unk>) each"
    return CharData(train=pipelines["train"], validation=pipelines["validation"],
                    test=pipelines["test"], vocabulary=vocabulary, info=info,
                    normalization=normalization)
