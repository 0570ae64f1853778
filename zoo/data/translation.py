"""Sentence pairs for translation: reading TSV files and splitting them without leaks.

File format: UTF-8 text, one pair per line, ``source TAB target`` (English, then Spanish in the
zoo's data). Further tab-separated columns are ignored, so the Anki / Tatoeba files
(``Go.<TAB>Ve.<TAB>CC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM) & ...``) read as they
are. A byte-order mark is ignored, blank lines are skipped silently.

Malformed lines (fewer than two columns, or an empty side) are skipped and counted (the count is
in :attr:`PairFile.skipped` and in the model's ``zoo.json``). A file is refused with a
:class:`~zoo.errors.DataError` when it is missing, not UTF-8, holds no pair at all, or when more
than half of its non-blank lines are malformed (then it is not a pair file: a plain text file or
a CSV given by mistake).

Splits are made by *source sentence*: every pair that shares an English sentence (compared after
Unicode normalisation, whitespace folding and lower-casing) goes to the same split, chosen by a
seeded shuffle of the distinct sentences, so no test sentence is seen in training, not even with
another translation. A separate test file replaces the drawn test split, and any training or
validation pair whose English sentence is in it is then dropped.

A *split folder* (``train.tsv``, ``valid.tsv``, ``test.tsv``, as
:mod:`zoo.data.sources.software_es` writes) is read as it is split
(:func:`read_split_folder`): nothing is drawn, and a pair whose English sentence is also in a
later split (validation, then test) is dropped from the earlier one.
"""

import dataclasses
import os
from pathlib import Path

import numpy as np

from zoo.errors import DataError
from zoo.text.tokenize import normalize


SPLIT_FILES = {"train": "train.tsv", "validation": "valid.tsv", "test": "test.tsv"}


@dataclasses.dataclass
class PairFile:
    """The pairs read from one or more files, and what was skipped."""

    pairs: list  # [(source, target), ...] in file order
    files: list  # the paths read
    skipped: int = 0  # malformed lines skipped

    def to_dict(self):
        return {"files": [str(f) for f in self.files], "pairs": len(self.pairs),
                "malformed_lines_skipped": self.skipped}


def resolve_paths(spec):
    """The pair files named by ``spec``.

    ``spec`` is a path, a list of paths, a directory (all its ``*.tsv`` and ``*.txt`` files,
    sorted), or a string of comma-separated paths.
    """
    if isinstance(spec, (list, tuple)):
        items = [Path(p) for p in spec]
    else:
        text = os.fspath(spec)
        items = [Path(text)] if Path(text).exists() or "," not in text else \
            [Path(p.strip()) for p in text.split(",") if p.strip()]
    paths = []
    for item in items:
        item = item.expanduser()
        if item.is_dir():
            found = sorted(p for p in item.iterdir() if p.suffix in (".tsv", ".txt"))
            if not found:
                raise DataError(f"{item} holds no .tsv or .txt file of sentence pairs")
            paths += found
        elif item.is_file():
            paths.append(item)
        else:
            raise DataError(f"{item}: no such file of sentence pairs (English TAB Spanish per "
                            "line); fetch one with `python scripts/fetch_data.py "
                            "tuxpaint_stamps_es --out DIR`")
    if not paths:
        raise DataError("no file of sentence pairs given")
    return paths


def read_pair_file(path):
    """Read one TSV file of pairs (see the module docstring for the rules)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file of sentence pairs") from None
    except UnicodeDecodeError as err:
        raise DataError(f"{path} is not UTF-8 text ({err}); save it as UTF-8") from None
    except OSError as err:
        raise DataError(f"cannot read {path}: {err}") from None
    pairs, skipped, first_bad = [], 0, None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        source = normalize(fields[0])
        target = normalize(fields[1]) if len(fields) > 1 else ""
        if not source or not target:
            skipped += 1
            first_bad = first_bad or number
            continue
        pairs.append((source, target))
    if not pairs:
        raise DataError(f"{path} holds no sentence pair: each line must be English TAB Spanish")
    if skipped > len(pairs):
        raise DataError(f"{path}: {skipped} of {skipped + len(pairs)} lines are not "
                        f"'English TAB Spanish' (first at line {first_bad}); is it a pair file?")
    return PairFile(pairs=pairs, files=[path], skipped=skipped)


def read_pairs(spec):
    """Read and concatenate every pair file named by ``spec`` (see :func:`resolve_paths`)."""
    pairs, files, skipped = [], [], 0
    for path in resolve_paths(spec):
        got = read_pair_file(path)
        pairs += got.pairs
        files += got.files
        skipped += got.skipped
    return PairFile(pairs=pairs, files=files, skipped=skipped)


def sentence_key(text):
    """What makes two source sentences "the same" for splitting."""
    return normalize(text).casefold()


def split_pairs(pairs, *, validation_fraction=0.1, test_fraction=0.1, seed=0, test_pairs=None):
    """Split pairs into train / validation / test by source sentence (no sentence in two splits).

    Args:
        pairs: ``[(source, target), ...]``.
        validation_fraction, test_fraction: shares of the distinct source sentences.
        seed: seeds the shuffle of the distinct sentences.
        test_pairs: a separate test set; when given, no test split is drawn and training and
            validation pairs whose source sentence is in it are dropped.

    Returns:
        ``({"train": [...], "validation": [...], "test": [...]}, dropped)``, each split in the
        original order, ``dropped`` the pairs removed because the test file holds their
        sentence.
    """
    held = set()
    dropped = 0
    if test_pairs is not None:
        held = {sentence_key(s) for s, _ in test_pairs}
        kept = [p for p in pairs if sentence_key(p[0]) not in held]
        dropped = len(pairs) - len(kept)
        pairs, test_fraction = kept, 0.0
    keys = sorted({sentence_key(s) for s, _ in pairs})
    order = np.random.default_rng(seed).permutation(len(keys))
    n_test = int(round(len(keys) * float(test_fraction)))
    n_val = int(round(len(keys) * float(validation_fraction)))
    if len(keys) - n_test - n_val < 1 or (validation_fraction and n_val < 1):
        raise DataError(f"only {len(keys)} distinct source sentences: too few to split into "
                        "train, validation and test; give more pairs")
    side = {}
    for rank, index in enumerate(order):
        side[keys[index]] = "test" if rank < n_test else (
            "validation" if rank < n_test + n_val else "train")
    splits = {"train": [], "validation": [], "test": []}
    for pair in pairs:
        splits[side[sentence_key(pair[0])]].append(pair)
    if test_pairs is not None:
        splits["test"] = list(test_pairs)
    return splits, dropped


def split_folder(spec):
    """The folder ``spec`` names when it holds the three files of :data:`SPLIT_FILES`, else
    ``None``."""
    if not isinstance(spec, (str, os.PathLike)):
        return None
    folder = Path(os.fspath(spec)).expanduser()
    if folder.is_dir() and all((folder / f).is_file() for f in SPLIT_FILES.values()):
        return folder
    return None


def read_split_folder(folder, test_pairs=None):
    """The splits of a split folder, ``(splits, PairFile of all three files, dropped)``.

    A pair whose English sentence is in a later split (validation, test; or in ``test_pairs``,
    which then replace the folder's test split) is dropped from the earlier one and counted
    in ``dropped``, so no sentence is in two splits whatever the files hold.
    """
    read = {split: read_pair_file(Path(folder) / file) for split, file in SPLIT_FILES.items()}
    splits = {split: got.pairs for split, got in read.items()}
    if test_pairs is not None:
        splits["test"] = list(test_pairs)
    dropped = 0
    later = {sentence_key(s) for s, _ in splits["test"]}
    for split in ("validation", "train"):
        kept = [p for p in splits[split] if sentence_key(p[0]) not in later]
        dropped += len(splits[split]) - len(kept)
        splits[split] = kept
        later |= {sentence_key(s) for s, _ in kept}
    if not splits["train"]:
        raise DataError(f"{folder}: {SPLIT_FILES['train']} holds no pair whose sentence is not "
                        "in the validation or test file")
    every = PairFile(pairs=[p for rows in read.values() for p in rows.pairs],
                     files=[f for got in read.values() for f in got.files],
                     skipped=sum(got.skipped for got in read.values()))
    return splits, every, dropped
