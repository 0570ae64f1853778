"""Measure translators on the same held-out sets, so an old and a new weight compare fairly.

Usage:
    python scripts/compare_translators.py seq2seq_gru_bahdanau.software_es RUN_DIR \\
        --split-folder DATA/translation/software_es --data-dir DATA [--json FILE]

Each translator (a published weight name, loaded from its bundled copy, or a `zoo train --out`
directory) translates four sets, greedy and with beam search (the settings of the task's own
``measure``: width 4, length penalty 0.6), scored by :meth:`Translator.measured_translations`
(sacreBLEU BLEU and chrF on detokenized text, BLEU of the sources over 20 words and up to 20,
how many translations stopped on a repetition or at the length cap):

- ``A``: the split folder's ``test.tsv`` (``scripts/fetch_data.py software_es``), every pair;
- ``A_unseen``: its pairs whose English sentence is in none of the old weight's training pairs;
- ``B``: the old weight's own test split, drawn again from its recorded data files (found under
  ``--data-dir``, e.g. ``DATA/translation/libreoffice_l10n_es.sentences.tsv``) by the task's own
  split code with its recorded seed and fraction, and checked against its recorded split sizes
  (``seq2seq_gru_bahdanau.software_es`` was trained on the pre-fetched copy's files,
  ``../shared/data``: 7,292 LibreOffice sentence pairs; a fetch with today's
  ``scripts/fetch_data.py`` writes 8,237, and the check refuses them);
- ``B_unseen``: its pairs whose English sentence is not in the split folder's training split
  (so neither weight trained on it).

The old weight is ``--old`` (default: the first translator given): a word-level weight trained
on pair files split by source sentence. Sentences are compared as the splits compare them
(:func:`zoo.data.translation.sentence_key`). Prints a table, the load average at the start and
the end and the time taken; ``--json FILE`` writes the same figures.
"""

import argparse
import inspect
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zoo import saving, tasks  # noqa: E402
from zoo.data.translation import (SPLIT_FILES, read_pairs, read_split_folder,  # noqa: E402
                                  sentence_key, split_pairs)
from zoo.errors import DataError, ZooError  # noqa: E402
from zoo.tasks.translator import Translator  # noqa: E402

_MEASURE = inspect.signature(Translator.measure).parameters
BEAM_WIDTH = _MEASURE["beam_width"].default  # the task's own measurement settings
LENGTH_PENALTY = _MEASURE["length_penalty"].default
FETCH = "python scripts/fetch_data.py {names} --out {data_dir}"



# --sentences: how a text of several sentences is read (Translator.translate's sentences)
SENTENCES = {"as-trained": None, "split": True, "whole": False}

def split_folder_splits(folder):
    """The split folder's splits, read as training reads them (a sentence in a later split is
    dropped from an earlier one); a one-line error naming the fetch command when it is
    incomplete."""
    folder = Path(folder)
    missing = [name for name in SPLIT_FILES.values() if not (folder / name).is_file()]
    if missing:
        raise DataError(f"{folder} has no {', '.join(missing)}: write the split folder with "
                        f"`{FETCH.format(names='software_es', data_dir=folder.parent.parent)}`")
    return read_split_folder(folder)[0]


def recorded_files(config, data_dir, label):
    """The data files a weight records it was trained on, found under ``data_dir`` (in
    ``translation/`` or at its top)."""
    dataset = config.get("dataset") or {}
    if "split folder" in str(dataset.get("split", "")):
        raise DataError(f"{label} was trained on a split folder, not on pair files split by "
                        "source sentence; give the word-level weight as --old")
    names = dataset.get("files") or []
    if not names:
        raise DataError(f"{label} does not record the files it was trained on; give another "
                        "--old weight")
    data_dir = Path(data_dir)
    found, missing = [], []
    for name in names:
        places = [data_dir / "translation" / name, data_dir / name]
        path = next((p for p in places if p.is_file()), None)
        (found if path else missing).append(path or name)
    if missing:
        sets = sorted({name.split(".")[0] for name in missing})
        raise DataError(f"{', '.join(str(data_dir / 'translation' / n) for n in missing)} "
                        f"missing ({label}'s training data): fetch with "
                        f"`{FETCH.format(names=' '.join(sets), data_dir=data_dir)}`")
    return found


def recorded_splits(config, data_dir, label):
    """A weight's train / validation / test splits drawn again as its training drew them
    (:func:`zoo.data.translation.split_pairs` with its recorded seed and validation fraction,
    which is also the test fraction, and its training-size cut), checked against the split
    sizes it records (pairs kept + pairs dropped as too long)."""
    data = config.get("data") or {}
    if data.get("test_data"):
        raise DataError(f"{label} was tested on a separate file ({data['test_data']}); its test "
                        "split is that file, not a drawn one: give another --old weight")
    fraction = float(data.get("validation_fraction") or 0.1)
    pairs = read_pairs(recorded_files(config, data_dir, label)).pairs
    splits, _ = split_pairs(pairs, validation_fraction=fraction, test_fraction=fraction,
                            seed=int(data.get("seed") or 0))
    if data.get("train_size"):
        splits["train"] = splits["train"][:int(data["train_size"])]
    dataset = config.get("dataset") or {}
    kept, dropped = dataset.get("num_pairs") or {}, dataset.get("dropped_too_long") or {}
    for split, rows in splits.items():
        if split in kept and len(rows) != int(kept[split]) + int(dropped.get(split, 0)):
            raise DataError(
                f"the files under {data_dir} give {len(rows):,} {split} pairs but {label} "
                f"records {int(kept[split]) + int(dropped.get(split, 0)):,}: they are not the "
                "data it was trained on; give --data-dir the copy it was trained on")
    return splits


def held_out_sets(old_splits, new_splits, old_label, folder):
    """The four sets: ``{name: (description, [(english, spanish), ...])}``."""
    old_train = {sentence_key(s) for s, _ in old_splits["train"]}
    new_train = {sentence_key(s) for s, _ in new_splits["train"]}
    a, b = new_splits["test"], old_splits["test"]
    name = Path(folder).name
    return {
        "A": (f"{name}/test.tsv, every pair", a),
        "A_unseen": (f"{name}/test.tsv, English not in {old_label}'s training split",
                     [p for p in a if sentence_key(p[0]) not in old_train]),
        "B": (f"{old_label}'s own test split (drawn again)", b),
        "B_unseen": (f"{old_label}'s test split, English not in {name}/train.tsv",
                     [p for p in b if sentence_key(p[0]) not in new_train]),
    }


def measure(translator, pairs, *, beam_width=BEAM_WIDTH, length_penalty=LENGTH_PENALTY,
            batch_size=64, sentences=None):
    """Greedy and beam figures of one translator on pairs (``None`` for no pair): the greedy
    ones as :meth:`Translator.measured_translations` names them, the beam ones with ``_beam``,
    as the task's ``measure`` does, and the seconds taken. ``sentences`` is
    :meth:`Translator.translate`'s (``None``: a text read as the translator was trained)."""
    if not pairs:
        return None
    sources, references = [s for s, _ in pairs], [t for _, t in pairs]
    started = time.perf_counter()
    greedy, _ = translator.measured_translations(sources, references, method="greedy",
                                                 batch_size=batch_size, sentences=sentences)
    beam, _ = translator.measured_translations(sources, references, method="beam",
                                               beam_width=beam_width,
                                               length_penalty=length_penalty,
                                               batch_size=batch_size, sentences=sentences)
    figures = {"pairs": len(pairs), **greedy}
    figures.update({f"{k}_beam": v for k, v in beam.items()
                    if not k.startswith(("sentences_", "stopped_"))})
    figures["seconds"] = round(time.perf_counter() - started, 1)
    return figures


def _cell(value, digits=1):
    return "-" if value is None else f"{value:.{digits}f}"


def table(figures, sets):
    """The figures as a plain-text table, one row per set and translator."""
    head = (f"{'set':<9} {'translator':<40} {'pairs':>6} {'BLEU':>6} {'beam':>6} {'chrF':>6} "
            f"{'beam':>6} {'<=20w':>6} {'>20w':>6} {'rep':>4} {'cap':>4} {'cap_b':>5} "
            f"{'s':>6}")
    lines = [head, "-" * len(head)]
    for set_name in sets:
        for label, by_set in figures.items():
            f = by_set.get(set_name)
            if f is None:
                lines.append(f"{set_name:<9} {label[-40:]:<40} {0:>6}  (no pair)")
                continue
            lines.append(
                f"{set_name:<9} {label[-40:]:<40} {f['pairs']:>6} {_cell(f['bleu']):>6} "
                f"{_cell(f['bleu_beam']):>6} {_cell(f['chrf']):>6} {_cell(f['chrf_beam']):>6} "
                f"{_cell(f['bleu_upto20']):>6} {_cell(f['bleu_over20']):>6} "
                f"{f['stopped_repetition']:>4} {f['hit_length_cap']:>4} "
                f"{f['hit_length_cap_beam']:>5} {f['seconds']:>6.0f}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("translators", nargs="+", metavar="WEIGHT_OR_RUN_DIR",
                        help="published weight names or `zoo train --out` directories")
    parser.add_argument("--split-folder", required=True, type=Path,
                        help="the new split (train.tsv, valid.tsv, test.tsv), e.g. "
                             "DATA/translation/software_es")
    parser.add_argument("--data-dir", required=True, type=Path,
                        help="where the old weight's pair files are (DATA/translation/...)")
    parser.add_argument("--old", help="the old weight whose own splits make sets A_unseen and "
                                      "B (default: the first translator)")
    parser.add_argument("--sets", nargs="+", choices=["A", "A_unseen", "B", "B_unseen"],
                        default=["A", "A_unseen", "B", "B_unseen"], help="the sets to measure")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--sentences", choices=list(SENTENCES), default="as-trained",
                        help="how a text of several sentences is read: as each translator was "
                             "trained (its preprocessor's setting), one sentence at a time "
                             "(split) or whole")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    started, load_start = time.perf_counter(), os.getloadavg()
    try:
        old = args.old or args.translators[0]
        old_config = saving.read_config(tasks.resolve(old))
        new_splits = split_folder_splits(args.split_folder)
        old_splits = recorded_splits(old_config, args.data_dir, old)
        sets = held_out_sets(old_splits, new_splits, old, args.split_folder)
        sets = {name: sets[name] for name in args.sets}
        for name, (description, pairs) in sets.items():
            print(f"{name}: {description}: {len(pairs):,} pairs", flush=True)
        figures = {}
        for label in args.translators:
            translator = tasks.load_as(label, Translator)
            figures[label] = {}
            for name, (_, pairs) in sets.items():
                figures[label][name] = measure(translator, pairs, batch_size=args.batch_size,
                                               sentences=SENTENCES[args.sentences])
                print(f"  {label} on {name}: {figures[label][name]}", flush=True)
    except ZooError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    load_end = os.getloadavg()
    seconds = time.perf_counter() - started
    print()
    print(table(figures, sets))
    print(f"(BLEU, chrF: sacreBLEU on detokenized text; greedy, then beam width {BEAM_WIDTH}, "
          f"length penalty {LENGTH_PENALTY}; <=20w / >20w: greedy BLEU of sources of up to / "
          "over 20 words; rep: greedy stopped on a repetition; cap, cap_b: greedy, beam at the "
          f"length cap; s: seconds for both searches; texts of several sentences read "
          f"{args.sentences})")
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in load_start)} at the "
          f"start, {' '.join(f'{x:.2f}' for x in load_end)} at the end; {seconds:.0f} s in all")
    if args.json:
        result = {"translators": args.translators, "old": old,
                  "split_folder": args.split_folder.name,
                  "sets": {name: {"description": d, "pairs": len(p)}
                           for name, (d, p) in sets.items()},
                  "beam_width": BEAM_WIDTH, "length_penalty": LENGTH_PENALTY,
                  "sentences": args.sentences,
                  "figures": figures, "load_average": {"start": load_start, "end": load_end},
                  "seconds": round(seconds, 1)}
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
