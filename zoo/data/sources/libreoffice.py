"""LibreOffice's English-Spanish interface messages, from Debian's ``libreoffice-l10n-es``.

Human translations of software messages (help-text style, the most natural of the pair sets):
:func:`fetch_libreoffice_l10n_es` runs ``apt-get download
libreoffice-l10n-es=4:7.4.7-1+deb12u14`` (0.8 MB), reads its GNU gettext ``.mo`` catalogs with
:func:`read_mo` and writes ``English TAB Spanish`` lines into ``OUT/translation/``:
``libreoffice_l10n_es.tsv`` (every translated message, 19,067 pairs) and
``libreoffice_l10n_es.sentences.tsv`` (the :func:`sentence_like` ones, 8,237). No hash is pinned:
the pairs are checked by reading them (see :mod:`zoo.data.translation`). Licence: MPL-2.0.

The pre-fetched copy of these two files (18,261 and 7,292 pairs, which the published
``seq2seq_gru_bahdanau.software_es`` was trained on) was not made by this code: it lacks 797
sentence-like English messages of the same package and picks sentences by another rule, so no
fetch gives it again (the README's translation section has the counts).
"""

import logging
import struct
import tempfile
from pathlib import Path

from zoo.data.sources import packages
from zoo.errors import DataError

log = logging.getLogger(__name__)

LIBREOFFICE_DEB = "libreoffice-l10n-es=4:7.4.7-1+deb12u14"
_LIBREOFFICE_MO = "usr/lib/libreoffice/program/resource/es/LC_MESSAGES/"

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


def extract_libreoffice_l10n(deb, dest):
    """Write ``dest/libreoffice_l10n_es.tsv`` (every translated message) and
    ``dest/libreoffice_l10n_es.sentences.tsv`` (the :func:`sentence_like` ones) from the
    ``libreoffice-l10n-es`` package file."""
    files = packages.read_deb_data(deb, _LIBREOFFICE_MO)
    catalogs = {Path(p).name: data for p, data in sorted(files.items()) if p.endswith(".mo")}
    if not catalogs:
        raise DataError(f"{Path(deb).name} holds no .mo catalog under {_LIBREOFFICE_MO}")
    pairs = catalog_pairs(catalogs)
    packages.write_pairs(pairs, Path(dest) / "libreoffice_l10n_es.tsv")
    return packages.write_pairs([p for p in pairs if sentence_like(*p)],
                                Path(dest) / "libreoffice_l10n_es.sentences.tsv")


def fetch_libreoffice_l10n_es(out_dir) -> Path:
    """Fetch LibreOffice's English-Spanish interface messages into ``out_dir/translation/``
    (``libreoffice_l10n_es.tsv`` and ``libreoffice_l10n_es.sentences.tsv``, MPL-2.0).

    Runs ``apt-get download libreoffice-l10n-es=4:7.4.7-1+deb12u14`` (0.8 MB) and reads its
    gettext catalogs with :func:`read_mo`.
    """
    dest = Path(out_dir).expanduser().absolute() / "translation"
    with tempfile.TemporaryDirectory(prefix="zoo-fetch-") as workdir:
        extract_libreoffice_l10n(packages.apt_download(LIBREOFFICE_DEB, workdir), dest)
    log.info("LibreOffice messages are in %s", dest)
    return dest
