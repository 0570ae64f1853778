"""The subword translator: its data sources (Debian and Django gettext catalogs, the split
corpus), the SentencePiece preprocessor and its model file beside the weights, and a small
subword translator trained, saved, loaded, measured and published. Offline: every catalog,
package and sentence is made here."""

import hashlib
import io
import json
import shutil
import struct
import zipfile

import pytest

import zoo
from zoo import decoding, publish, saving
from zoo.data.sources import gettext_es, libreoffice, packages, software_es, tuxpaint
from zoo.data.translation import read_split_folder, sentence_key
from zoo.errors import DataError
from zoo.preprocessing import SubwordPreprocessor, from_config
from zoo.preprocessing.base import ASSETS
from zoo.tasks.translator import Translator
from zoo.training import train

from _helpers import write_deb

ANIMALS = ["cat", "dog", "frog", "horse", "bird", "fish", "mouse", "snake", "lion", "bear"]
ANIMALES = ["gato", "perro", "rana", "caballo", "pájaro", "pez", "ratón", "serpiente", "león",
            "oso"]
COLOURS = [("red", "rojo"), ("black", "negro"), ("white", "blanco"), ("small", "pequeño")]


def mo_bytes(entries):
    """A little-endian GNU .mo file of ``(msgid, msgstr)`` strings."""
    entries = sorted(entries)
    count, offset = len(entries), 28 + 16 * len(entries)
    tables, blob = [], b""
    for index in (0, 1):
        for entry in entries:
            data = entry[index].encode("utf-8")
            tables.append((len(data), offset + len(blob)))
            blob += data + b"\x00"
    header = struct.pack("<7I", 0x950412DE, 0, count, 28, 28 + 8 * count, 0, 0)
    return header + b"".join(struct.pack("<2I", *t) for t in tables) + blob


def pairs():
    """~120 English-Spanish pairs made from a small grammar."""
    out = []
    for (colour, color), (en, es) in ((c, a) for c in COLOURS for a in zip(ANIMALS, ANIMALES)):
        out.append((f"The {colour} {en} is here.", f"El {es} {color} está aquí."))
        out.append((f"I see a {colour} {en}.", f"Veo un {es} {color}."))
        out.append((f"Where is the {colour} {en}?", f"¿Dónde está el {es} {color}?"))
    return out


# -- data sources ------------------------------------------------------------------------------


def test_debian_and_django_catalogs_are_read_as_data(tmp_path):
    mo = mo_bytes([("", "Content-Type: text/plain; charset=UTF-8\n"),
                   ("Cannot open the file.", "No se puede abrir el archivo."),
                   ("%s: no such file", "%s: no existe el archivo"), ("Untranslated", "")])
    deb = write_deb(tmp_path / "tar.deb", {
        "usr/share/locale/es/LC_MESSAGES/tar.mo": mo,
        "usr/share/locale/fr/LC_MESSAGES/tar.mo": mo_bytes([("Cannot", "Impossible")])})
    catalogs = gettext_es.debian_catalogs([deb])
    assert list(catalogs) == ["tar.mo"]  # the Spanish catalog only
    out = gettext_es.write_catalog_pairs(catalogs, tmp_path / "out", "debian_installed_mo_es")
    assert (out / "debian_installed_mo_es.tsv").read_text(encoding="utf-8").splitlines() == [
        "%s: no such file\t%s: no existe el archivo",
        "Cannot open the file.\tNo se puede abrir el archivo."]
    assert (out / "debian_installed_mo_es.sentences.tsv").read_text(encoding="utf-8") == \
        "Cannot open the file.\tNo se puede abrir el archivo.\n"

    wheel = tmp_path / "Django-5.2.19-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zipped:
        zipped.writestr("django/conf/locale/es/LC_MESSAGES/django.mo",
                        mo_bytes([("Save the page.", "Guarde la página.")]))
        zipped.writestr("django/contrib/admin/locale/es/LC_MESSAGES/djangojs.mo",
                        mo_bytes([("Show all items now.", "Mostrar todos los elementos ya.")]))
        zipped.writestr("django/conf/locale/de/LC_MESSAGES/django.mo",
                        mo_bytes([("Save the page.", "Seite speichern.")]))
        zipped.writestr("django/__init__.py", "raise SystemExit('never run')\n")
    assert sorted(gettext_es.django_catalogs(wheel)) == [
        "django/conf/locale/es/LC_MESSAGES/django.mo",
        "django/contrib/admin/locale/es/LC_MESSAGES/djangojs.mo"]

    # pinned hashes: another package version writes nothing
    with pytest.raises(DataError, match="not the pinned"):
        gettext_es.write_catalog_pairs(catalogs, tmp_path / "other", "debian_installed_mo_es",
                                       gettext_es.DEBIAN_MO_SHA256)
    assert not (tmp_path / "other").exists()


# the full catalogs' other messages: labels and phrases (trained on), a format string and markup
# (left out)
PHRASES = [(f"{colour} {en}", f"{es} {color}") for colour, color in COLOURS
           for en, es in zip(ANIMALS, ANIMALES)]
NOT_PHRASES = [("%s: no such file", "%s: no existe el archivo"), ("<b>Bold</b>", "<b>Negrita</b>"),
               ("42", "42")]


def write_sources(folder):
    """The source files of the split corpus, with a pair repeated across two of them; each
    full catalog holds its sentence file's pairs, a share of :data:`PHRASES` and
    :data:`NOT_PHRASES`."""
    rows = pairs()
    folder.mkdir(parents=True, exist_ok=True)
    files = [name for name, _, _ in software_es.SOURCES.values()]
    full = {name: file for name, (file, _, _) in software_es.PHRASE_SOURCES.items()}
    for k, file in enumerate(files):
        part = rows[k::len(files)] + ([rows[0]] if k == 3 else [])  # rows[0] again
        (folder / file).write_text("".join(f"{en}\t{es}\n" for en, es in part), encoding="utf-8")
        catalog = full.get(f"{list(software_es.SOURCES)[k]}_phrases")
        if catalog:
            more = part + PHRASES[k::3] + NOT_PHRASES
            (folder / catalog).write_text("".join(f"{en}\t{es}\n" for en, es in more),
                                          encoding="utf-8")
    return rows


def test_split_corpus_is_deduplicated_and_split_by_english_sentence(tmp_path):
    rows = write_sources(tmp_path / "translation")
    # another translation of a sentence in one source, with other case and spacing
    with open(tmp_path / "translation" / "django_es.sentences.tsv", "a", encoding="utf-8") as f:
        f.write("the  RED cat is here.\tEl gato rojo se encuentra aquí.\n")
    folder = software_es.build_software_es(tmp_path / "translation")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    phrases = [p for p in PHRASES if software_es.split_of(p[0]) == "train"]
    assert 0 < len(phrases) < len(PHRASES)  # some phrases fall in the held-out splits
    # the sentences read again from the full catalogs and the not-phrases of the three
    # catalogs are not counted as duplicates: the not-phrases are never read
    sentence_copies = sum(len(rows[k::4]) for k in range(3))
    assert manifest["duplicates_dropped"] == 1 + sentence_copies
    assert manifest["phrases_of_held_out_sentences_dropped"] == len(PHRASES) - len(phrases)
    assert sum(manifest["pairs"].values()) == len(rows) + 1 + len(phrases)
    splits, every, dropped = read_split_folder(folder)
    assert dropped == 0 and len(every.pairs) == len(rows) + 1 + len(phrases)
    # the phrases are in training only, the format string and markup nowhere
    assert set(phrases) <= set(splits["train"])
    assert not set(NOT_PHRASES) & set(every.pairs)
    assert not set(PHRASES) & (set(splits["validation"]) | set(splits["test"]))
    keys = {split: {sentence_key(s) for s, _ in got} for split, got in splits.items()}
    assert not keys["train"] & keys["test"] and not keys["train"] & keys["validation"] \
        and not keys["validation"] & keys["test"]
    assert all(len(keys[s]) for s in keys)  # every split holds sentences
    # the split of a sentence depends on the sentence alone
    for split, got in splits.items():
        assert {software_es.split_of(s) for s, _ in got} == {split}
    # a folder whose files share a sentence: the earlier split gives it up
    (folder / "train.tsv").write_text(
        (folder / "train.tsv").read_text(encoding="utf-8") + f"{splits['test'][0][0]}\tOtra.\n",
        encoding="utf-8")
    again, _, dropped = read_split_folder(folder)
    assert dropped == 1 and len(again["train"]) == len(splits["train"])


def test_fetch_software_es_checks_the_corpus_and_its_sources_against_its_manifest(
        tmp_path, monkeypatch):
    """A rerun with every file as the manifest records does nothing; a damaged split file is
    rebuilt; a damaged source is fetched again before the rebuild (it was reused before)."""
    translation = tmp_path / "translation"
    write_sources(translation)
    every_source = {**software_es.SOURCES, **software_es.PHRASE_SOURCES}
    good = {file: (translation / file).read_bytes() for file, _, _ in every_source.values()}
    fetched, built = [], []

    def fake_fetch(name, files):
        def fetch(out_dir):  # what a fetcher does: write its verified files
            fetched.append(name)
            for file in files:
                (tmp_path / "translation" / file).write_bytes(good[file])
        return fetch

    for name, (file, _, license_) in list(software_es.SOURCES.items()):
        phrases = software_es.PHRASE_SOURCES.get(f"{name}_phrases")
        fake = fake_fetch(name, [file] + ([phrases[0]] if phrases else []))
        monkeypatch.setitem(software_es.SOURCES, name, (file, fake, license_))
        if phrases:  # one fetcher writes both of a source's files
            monkeypatch.setitem(software_es.PHRASE_SOURCES, f"{name}_phrases",
                                (phrases[0], fake, phrases[2]))
    real_build = software_es.build_software_es
    monkeypatch.setattr(software_es, "build_software_es",
                        lambda *a, **k: built.append(1) or real_build(*a, **k))

    folder = software_es.fetch_software_es(tmp_path)  # no manifest yet: every source fetched
    assert folder == translation / "software_es" and built == [1]
    assert fetched == list(software_es.SOURCES)
    corpus = {f.name: f.read_bytes() for f in folder.iterdir()}
    assert software_es.software_es_is_valid(translation)

    fetched.clear()
    assert software_es.fetch_software_es(tmp_path) == folder
    assert fetched == [] and built == [1]  # all verified: nothing fetched, nothing rebuilt

    # a half-written split file: rebuilt from the sources, which are kept
    train_file = folder / "train.tsv"
    train_file.write_bytes(corpus["train.tsv"][: len(corpus["train.tsv"]) // 2])
    assert not software_es.software_es_is_valid(translation)
    software_es.fetch_software_es(tmp_path)
    assert fetched == [] and built == [1, 1]
    assert {f.name: f.read_bytes() for f in folder.iterdir()} == corpus

    # a damaged source: fetched again, then the corpus rebuilt as it was
    libreoffice = translation / software_es.SOURCES["libreoffice_l10n_es"][0]
    libreoffice.write_bytes(good[libreoffice.name][:-40])
    assert not software_es.software_es_is_valid(translation)
    software_es.fetch_software_es(tmp_path)
    assert fetched == ["libreoffice_l10n_es"] and built == [1, 1, 1]
    assert libreoffice.read_bytes() == good[libreoffice.name]
    assert {f.name: f.read_bytes() for f in folder.iterdir()} == corpus

    # a damaged full catalog: its source's fetcher runs once, then the corpus is rebuilt
    fetched.clear()
    catalog = translation / software_es.PHRASE_SOURCES["debian_installed_mo_es_phrases"][0]
    catalog.write_bytes(good[catalog.name][:-10])
    assert not software_es.software_es_is_valid(translation)
    software_es.fetch_software_es(tmp_path)
    assert fetched == ["debian_installed_mo_es"] and built == [1, 1, 1, 1]
    assert {f.name: f.read_bytes() for f in folder.iterdir()} == corpus

    # a torn manifest: nothing can be checked, so every source is fetched (the fetchers keep
    # what matches their pins) and the corpus rebuilt
    fetched.clear()
    (folder / "manifest.json").write_text('{"sources": {', encoding="utf-8")
    software_es.fetch_software_es(tmp_path)
    assert fetched == list(software_es.SOURCES) and built == [1, 1, 1, 1, 1]
    assert software_es.software_es_is_valid(translation)


def _sha(data):
    return hashlib.sha256(data).hexdigest()


def test_libreoffice_pairs_are_pinned_and_not_fetched_again(tmp_path, monkeypatch):
    """The LibreOffice files are SHA-256 pinned like the other sources: another package writes
    nothing, and a fetch with verified files already there downloads nothing."""
    mo = mo_bytes([("", "Content-Type: text/plain; charset=UTF-8\n"),
                   ("Insert a new sheet here.", "Inserte aquí una hoja nueva."),
                   ("%1 pages", "%1 páginas")])
    deb = write_deb(tmp_path / "lo.deb", {libreoffice._LIBREOFFICE_MO + "sc.mo": mo})
    every = "%1 pages\t%1 páginas\nInsert a new sheet here.\tInserte aquí una hoja nueva.\n"
    sentences = "Insert a new sheet here.\tInserte aquí una hoja nueva.\n"
    pins = {"libreoffice_l10n_es.tsv": _sha(every.encode()),
            "libreoffice_l10n_es.sentences.tsv": _sha(sentences.encode())}
    assert set(pins) == set(libreoffice.LIBREOFFICE_SHA256)
    with pytest.raises(DataError, match="libreoffice_l10n_es.tsv from lo.deb have SHA-256 "
                                        f"{pins['libreoffice_l10n_es.tsv']}, not the pinned"):
        libreoffice.extract_libreoffice_l10n(deb, tmp_path / "other")  # the real pins
    assert not (tmp_path / "other").exists()
    asked = []

    def apt_download(package, workdir):
        asked.append(package)
        return deb

    monkeypatch.setattr(packages, "apt_download", apt_download)
    dest = libreoffice.fetch_libreoffice_l10n_es(tmp_path, sha256s=pins)
    assert asked == [libreoffice.LIBREOFFICE_DEB]
    assert (dest / "libreoffice_l10n_es.tsv").read_text(encoding="utf-8") == every
    assert (dest / "libreoffice_l10n_es.sentences.tsv").read_text(encoding="utf-8") == sentences
    assert libreoffice.fetch_libreoffice_l10n_es(tmp_path, sha256s=pins) == dest
    assert asked == [libreoffice.LIBREOFFICE_DEB]  # verified: not downloaded again
    (dest / "libreoffice_l10n_es.tsv").write_text(every[:-3], encoding="utf-8")
    libreoffice.fetch_libreoffice_l10n_es(tmp_path, sha256s=pins)
    assert len(asked) == 2 and (dest / "libreoffice_l10n_es.tsv").read_text(
        encoding="utf-8") == every


def test_a_first_build_offline_uses_the_sources_there_and_names_a_missing_one(
        tmp_path, monkeypatch):
    """`fetch_data.py software_es` with no corpus folder yet: the four source files already
    there (verified against their pins) are used without a download (LibreOffice's was always
    downloaded again: offline, that failed); a missing one, offline, is one line naming the
    file and the command that fetches it."""
    translation = tmp_path / "translation"
    write_sources(translation)
    for stem in ("libreoffice_l10n_es", "debian_installed_mo_es", "django_es"):
        (translation / f"{stem}.tsv").write_bytes((translation / f"{stem}.sentences.tsv")
                                                  .read_bytes())
    sha = {f.name: _sha(f.read_bytes()) for f in translation.iterdir()}
    for table in (libreoffice.LIBREOFFICE_SHA256, gettext_es.DEBIAN_MO_SHA256,
                  gettext_es.DJANGO_SHA256):
        for file in list(table):
            monkeypatch.setitem(table, file, sha[file])
    monkeypatch.setattr(tuxpaint, "tuxpaint_stamps_are_valid", lambda dest: packages.files_match(
        dest, {"tuxpaint_stamps_es.tsv": sha["tuxpaint_stamps_es.tsv"]}))
    ran = []

    def offline(command, workdir, **kwargs):  # what apt-get and pip answer without a network
        ran.append(command)
        return 100, ("Err:1 http://deb.debian.org/debian bookworm/main amd64 libreoffice-l10n-es\n"
                     "  Temporary failure resolving 'deb.debian.org'\n"
                     "E: Failed to fetch http://deb.debian.org/debian/pool/main/l/libreoffice/x.deb")

    monkeypatch.setattr(packages, "run", offline)
    folder = software_es.fetch_software_es(tmp_path)
    assert ran == [] and software_es.software_es_is_valid(translation)

    (translation / "libreoffice_l10n_es.sentences.tsv").unlink()
    shutil.rmtree(folder)
    with pytest.raises(DataError) as caught:
        software_es.fetch_software_es(tmp_path)
    message = str(caught.value)
    assert len(ran) == 1 and ran[0][-1] == libreoffice.LIBREOFFICE_DEB
    assert "\n" not in message
    assert message.startswith(f"{translation / 'libreoffice_l10n_es.sentences.tsv'} is not there "
                              "and fetching it failed (`apt-get download libreoffice-l10n-es=")
    assert "Temporary failure resolving 'deb.debian.org'" in message
    assert message.endswith(f"run `python scripts/fetch_data.py libreoffice_l10n_es --out "
                            f"{tmp_path}` (or copy the file there), then rerun")


# -- the SentencePiece preprocessor ------------------------------------------------------------


@pytest.fixture(scope="module")
def subwords():
    sentences = [side for pair in pairs() for side in pair]
    return SubwordPreprocessor.train(sentences, vocab_size=400, max_tokens=24)


def test_subword_pieces_round_trip_and_compose_unseen_words(subwords):
    config = subwords.to_dict()
    assert config["kind"] == "subword_tokens" and list(config["files"]) == ["sentencepiece.model"]
    assert subwords.source_vocab is subwords.target_vocab
    assert subwords.source_vocab.tokens[:4] == ["<pad>", "<unk>", "<s>", "</s>"]
    for text in ("The red frog is here.", "¿Dónde está el ñandú?", "Zebra 42 €"):
        pieces = subwords.tokens(text)
        assert subwords.detokenize(pieces) == text
        assert "<unk>" not in pieces and all(p in subwords.source_vocab for p in pieces)
    # an unseen character is spelled in UTF-8 bytes, not made unknown
    assert "<0xE2>" in subwords.tokens("€")
    # the same sentences train the same model (a resumed run gets the same pieces)
    again = SubwordPreprocessor.train([s for p in pairs() for s in p], vocab_size=400,
                                      max_tokens=24)
    assert again.to_dict() == config
    assert from_config(config) == subwords


def test_subword_config_and_file_are_checked(subwords, tmp_path):
    config = subwords.to_dict()
    for key, value in (("files", {"../x": "0" * 64}), ("files", {"zoo.json": "0" * 64}),
                       ("files", {"sentencepiece.model": "abc"}), ("vocab_size", 3),
                       ("model_type", "wordpiece"), ("tokenizer", "sentencepiece/9")):
        with pytest.raises(DataError, match=f"'preprocessor.{key}' must be"):
            from_config({**config, key: value})
    digest = config["files"]["sentencepiece.model"]
    saved = ASSETS.pop(digest)
    try:
        with pytest.raises(DataError, match="is not loaded"):
            from_config(config)
        (tmp_path / "sentencepiece.model").write_bytes(saved[:-1] + bytes([saved[-1] ^ 1]))
        with pytest.raises(DataError, match="SHA-256 is not the one zoo.json records"):
            saving.read_preprocessor_files({"preprocessor": config}, tmp_path)
    finally:
        ASSETS[digest] = saved


@pytest.mark.parametrize("option,value,words", [
    ("lowercase", True, "the option lowercase is for tokenizer=words"),
    ("min_count", 5, "the option min_count is for tokenizer=words, not sentencepiece: "
                     "SentencePiece has no count threshold; its vocabulary is sized by "
                     "target_vocab_size"),
    ("source_vocab_size", 400, "sized by target_vocab_size"),
])
def test_word_options_are_refused_with_sentencepiece(tmp_path, option, value, words):
    """Options SentencePiece would ignore are refused before any data is read."""
    with pytest.raises(zoo.ConfigError, match=words) as caught:
        train("seq2seq_gru_bahdanau", dataset=str(tmp_path / "none.tsv"),
              out_dir=tmp_path / "run", epochs=1, verbose=0,
              options={"tokenizer": "sentencepiece", option: value})
    assert "\n" not in str(caught.value)


# -- a subword translator, trained, saved, loaded, published ----------------------------------


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("subword")
    write_sources(root / "translation")
    folder = software_es.build_software_es(root / "translation")
    out = root / "run"
    metrics = train("seq2seq_gru_bahdanau", dataset=str(folder), out_dir=out, epochs=1,
                    batch_size=32, verbose=0,
                    options={"tokenizer": "sentencepiece", "target_vocab_size": 400,
                             "units": 32, "embedding_dim": 16, "max_tokens": 32})
    return out, metrics, folder


def test_trained_subword_translator_saves_its_model_file_and_reloads(run):
    out, metrics, _ = run
    config = json.loads((out / "zoo.json").read_text(encoding="utf-8"))
    digest = config["preprocessor"]["files"]["sentencepiece.model"]
    assert saving.sha256_bytes((out / "sentencepiece.model").read_bytes()) == digest
    # the data it names is the split folder (not one of its three files)
    assert config["dataset"]["name"] == str(run[2])
    assert config["dataset"]["files"] == ["train.tsv", "valid.tsv", "test.tsv"]
    # the split folder's test split, measured greedy and beam, short and long sentences
    for key in ("test_bleu", "test_bleu_beam", "test_chrf", "test_chrf_beam",
                "test_bleu_upto20", "test_bleu_upto20_beam", "test_stopped_repetition",
                "test_hit_length_cap"):
        assert key in metrics, key
    assert metrics["test_sentences_over20"] == 0 and metrics["test_bleu_over20"] is None
    translator = zoo.load(out)
    assert isinstance(translator, Translator)
    assert isinstance(translator.preprocessor, SubwordPreprocessor)
    found = translator.translate(["The red zebra is here.", ""], details=True)
    assert found[1].text == ""
    assert found[0].source_tokens == translator.preprocessor.tokens("The red zebra is here.")
    # why it stopped agrees with what it wrote (one epoch on 107 pairs usually loops, which
    # greedy search stops; which reason comes depends on the training's last bits)
    reason = found[0].stop_reason
    assert reason in ("end", "repetition", "max_length")
    assert found[0].finished == (reason == "end")
    cap = min(2 * translator.max_tokens, decoding.MAX_DECODE_LENGTH)  # translate's default
    if reason == "max_length":
        assert len(found[0].tokens) == cap
    if reason == "repetition":  # the loop's extra copies were dropped
        assert len(found[0].tokens) < cap
    assert found[0].text == translator.preprocessor.detokenize(found[0].tokens)
    # BLEU of the sources over 20 words and of the others, and why each translation stopped
    long = ("The red cat and the black dog and the white frog and the small horse and the "
            "lion are all here now.")
    sources = ["The red cat is here.", long]
    figures, _ = translator.measured_translations(
        sources, ["El gato rojo está aquí.", "Todos están aquí."])
    reasons = [t.stop_reason for t in translator.translate(sources, details=True)]
    assert figures["sentences_over20"] == figures["sentences_upto20"] == 1
    assert isinstance(figures["bleu_over20"], float) and isinstance(figures["bleu_upto20"], float)
    assert figures["stopped_repetition"] == reasons.count("repetition")
    assert figures["hit_length_cap"] == reasons.count("max_length")
    # a missing model file is one clear error
    (out / "sentencepiece.model").rename(out / "moved.model")
    try:
        with pytest.raises(DataError, match="sentencepiece.model is missing"):
            zoo.load(out)
    finally:
        (out / "moved.model").rename(out / "sentencepiece.model")


def test_published_subword_weight_lists_its_model_file(run, tmp_path):
    out, _, _ = run
    record = publish.publish(out, tmp_path, name="seq2seq_gru_bahdanau.tiny_es",
                             data_source="made in the test", data_license="MIT",
                             command="zoo train ...")
    assert [f["name"] for f in record["files"]] == ["zoo.json", "model.weights.h5",
                                                    "sentencepiece.model"]
    dest = tmp_path / "seq2seq_gru_bahdanau.tiny_es"
    assert (dest / "sentencepiece.model").read_bytes() == (out / "sentencepiece.model").read_bytes()
    assert zoo.load(dest).translate("I see a red cat.") == zoo.load(out).translate(
        "I see a red cat.")
    data = io.BytesIO((dest / "sentencepiece.model").read_bytes())
    assert data.read(1)  # a plain data file
    listed = {f["name"]: f for f in record["files"]}["sentencepiece.model"]
    assert listed["sha256"] == saving.sha256_bytes(data.getvalue())
    assert listed["size"] == len(data.getvalue()) > 0
