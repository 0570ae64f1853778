"""Convert saved models' ``zoo.json`` from the first format (``zoo/1``) to the current one
(``zoo/2``: the preprocessing under one key, ``"preprocessor"``), with the converter that
loading uses (:func:`zoo.preprocessing.upgrade`), and update the weights table's hash and size
of each converted file and the preprocessing summary of its record.

Usage (from the project root)::

    python scripts/convert_zoo_json.py            # the bundled weights in zoo/pretrained/
    python scripts/convert_zoo_json.py runs/a runs/b   # run directories (no weights table)

A file already in the current format is left as it is; each converted model is loaded again
(its preprocessor built, its weights read) before the next one is written.
"""

import argparse
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import zoo  # noqa: E402
from zoo import preprocessing, saving, weights  # noqa: E402
from zoo.tasks import task_class  # noqa: E402
from zoo._hashing import sha256_file  # noqa: E402


def convert(directory):
    """Convert one directory's zoo.json; whether it changed."""
    path = pathlib.Path(directory) / saving.CONFIG_FILE
    config = saving.read_json(path, what="model config")
    if config.get("format") == preprocessing.FORMAT:
        return False
    saving.write_json(path, preprocessing.upgrade(config))
    zoo.load(str(directory))  # checked, built, weights read: refuses a bad conversion
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="*", help="model directories (default: the bundled ones)")
    args = parser.parse_args(argv)
    bundled = not args.dirs
    table_path = weights.PRETRAINED_DIR / weights.RECORDS_FILE
    records = saving.read_json(table_path, what="weights table") if bundled else []
    dirs = [weights.PRETRAINED_DIR / r["name"] for r in records] if bundled else args.dirs
    changed = 0
    for directory in dirs:
        if convert(directory):
            changed += 1
            print(f"converted {directory}")
    for record in records:
        config = saving.read_config(weights.PRETRAINED_DIR / record["name"])
        record["preprocessing"] = task_class(record["task"]).record_summary(config)
        for entry in record["files"]:
            if entry["name"] == saving.CONFIG_FILE:
                path = weights.PRETRAINED_DIR / record["name"] / entry["name"]
                entry.update(sha256=sha256_file(path), size=path.stat().st_size)
    if bundled:
        saving.write_json(table_path, records)
    print(f"{changed} of {len(dirs)} converted to {preprocessing.FORMAT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
