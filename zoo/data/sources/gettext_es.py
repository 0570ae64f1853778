"""Spanish gettext catalogs of Debian's base packages and of Django: English-Spanish pairs.

Human translations of software messages, read from GNU gettext ``.mo`` files as data (with
:func:`zoo.data.sources.libreoffice.read_mo`; nothing in a package is run):

- :func:`fetch_debian_installed_mo_es` runs ``apt-get download`` of the 48 pinned Debian 12
  packages in :data:`DEBIAN_MO_PACKAGES` (about 60 MB: coreutils, tar, git, apt, dpkg,
  iso-codes, PostgreSQL 15's tools...), reads the 85 catalogs they install under
  ``/usr/share/locale/es/LC_MESSAGES`` and writes ``OUT/translation/debian_installed_mo_es.tsv``
  (45,377 pairs: messages, option help, country and language names) and
  ``debian_installed_mo_es.sentences.tsv`` (the 10,173
  :func:`~zoo.data.sources.libreoffice.sentence_like` ones). Licences: the GPL family (GPL-2+,
  GPL-3+, LGPL) for most catalogs, PostgreSQL's for PostgreSQL's, as each package's
  ``copyright`` file says.
- :func:`fetch_django_es` runs ``pip download django==5.2.19`` (the wheel, SHA-256 pinned), reads
  the 13 ``es`` catalogs of Django and its contrib apps and writes ``OUT/translation/django_es.tsv``
  (853 pairs) and ``django_es.sentences.tsv`` (200). Licence: BSD-3-Clause.

Catalogs are read in the order of their file names; pairs are whitespace-folded, pairs whose two
sides are equal and repeated pairs dropped (:func:`~zoo.data.sources.libreoffice.catalog_pairs`).
Both files' SHA-256 are pinned: another package version is refused, not silently used.
"""

import logging
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from zoo._hashing import sha256_bytes, sha256_file
from zoo.data.sources import packages
from zoo.data.sources.libreoffice import catalog_pairs, sentence_like
from zoo.errors import DataError

log = logging.getLogger(__name__)

# The Debian 12 packages that install a Spanish catalog under /usr/share/locale/es/LC_MESSAGES
# on a base system (what `dpkg -S` names for those files), pinned to the bookworm and
# bookworm-security versions the archive serves (a few are newer point releases than a base
# system installed months earlier: the same catalogs but for a handful of messages).
DEBIAN_MO_PACKAGES = (
    "adduser=3.134", "appstream=0.16.1-2+b1", "apt=2.6.1", "at-spi2-common=2.46.0-5",
    "bash=5.2.15-2+b13", "binutils-common=2.40-2", "coreutils=9.1-1", "diffutils=1:3.8-4",
    "dpkg=1.21.23", "findutils=4.9.0-4", "gettext=0.21-12", "gettext-base=0.21-12",
    "git=1:2.39.5-0+deb12u3", "gnupg-l10n=2.2.40-1.1+deb12u2", "grep=3.8-5",
    "gsettings-desktop-schemas=43.0-1", "iso-codes=4.15.0-1", "libapt-pkg6.0=2.6.1",
    "libavahi-common-data=0.8-10+deb12u1", "libc-l10n=2.36-9+deb12u14",
    "libdpkg-perl=1.21.23", "libelf1=0.188-2.1", "libgdk-pixbuf2.0-common=2.42.10+dfsg-1+deb12u4",
    "libglib2.0-data=2.74.6-2+deb12u9", "libgnutls30=3.7.9-2+deb12u7",
    "libgstreamer1.0-0=1.22.0-2+deb12u1", "libgtk2.0-common=2.24.33-2+deb12u1",
    "libidn2-0=2.3.3-1+b1", "libpam-runtime=1.5.2-6+deb12u3", "libpq5=15.18-0+deb12u1",
    "login=1:4.13+dfsg1-1+deb12u2", "make=4.3-4.1", "man-db=2.11.2-2",
    "packagekit=1.2.6-5+deb12u1", "postgresql-15=15.18-0+deb12u1",
    "postgresql-client-15=15.18-0+deb12u1", "procps=2:4.0.2-3", "psmisc=23.6-1",
    "python-apt-common=2.6.0", "sed=4.9-1+deb12u1", "shared-mime-info=2.2-1",
    "software-properties-common=0.99.30-4.1~deb12u1", "systemd=252.38-1~deb12u1",
    "tar=1.34+dfsg-1.2+deb12u1", "wget=1.21.3-1+deb12u1", "xdg-user-dirs=0.18-1",
    "xkb-data=2.35.1-1", "xz-utils=5.4.1-1+deb12u2",
)
LOCALE_ES = "usr/share/locale/es/LC_MESSAGES/"
DEBIAN_MO_SHA256 = {
    "debian_installed_mo_es.tsv":
        "37d0da6b0f934c8efe73d55b7bb8a6a7b0b9a97e257652c7a405472fa09219ea",
    "debian_installed_mo_es.sentences.tsv":
        "6cdf8b99f8ee4dc0484a912a46231ba720801f196dea394e0a916e292ac76590",
}

DJANGO_WHEEL = "django==5.2.19"
DJANGO_WHEEL_SHA256 = "5965d974a5218a2b68a11dd1276434707f23886525c23f0598eccedaf4f4ca00"
DJANGO_SHA256 = {
    "django_es.tsv": "59c77306ff9cc0e29a147751c1195888889c5402aedd56d0e197ff58dcaf55bd",
    "django_es.sentences.tsv": "b60b5f191e782110bdd22507480ad80923403db9a980201769073dd4a934880a",
}


def _payload(pairs):
    return "".join(f"{en}\t{es}\n" for en, es in pairs).encode("utf-8")


def write_catalog_pairs(catalogs, dest, stem, sha256s=None):
    """Write ``dest/STEM.tsv`` (every pair of the ``{name: .mo bytes}`` catalogs) and
    ``dest/STEM.sentences.tsv`` (the sentence-like ones); with ``sha256s`` (``{file name:
    SHA-256}``) nothing is written unless both files have the pinned hashes. Returns ``dest``."""
    if not catalogs:
        raise DataError(f"no Spanish .mo catalog found for {stem}")
    pairs = catalog_pairs(dict(sorted(catalogs.items())))
    files = {f"{stem}.tsv": pairs, f"{stem}.sentences.tsv": [p for p in pairs
                                                             if sentence_like(*p)]}
    for name, rows in files.items():
        expected = (sha256s or {}).get(name)
        digest = sha256_bytes(_payload(rows))
        if expected and digest != expected:
            raise DataError(f"the pairs read for {name} have SHA-256 {digest}, not the pinned "
                            f"{expected}: another version of the packages?")
    for name, rows in files.items():
        packages.write_pairs(rows, Path(dest) / name)
    return Path(dest)


def debian_catalogs(debs):
    """``{catalog file name: bytes}`` of the Spanish ``.mo`` files in Debian package files."""
    catalogs = {}
    for deb in debs:
        for path, data in packages.read_deb_data(deb, LOCALE_ES).items():
            if path.endswith(".mo") and PurePosixPath(path).parent.as_posix() + "/" == LOCALE_ES:
                catalogs[PurePosixPath(path).name] = data
    return catalogs


def django_catalogs(wheel):
    """``{member path: bytes}`` of the ``es`` catalogs (``django.mo``, ``djangojs.mo``) in a
    Django wheel: Django's own and its contrib apps'."""
    try:
        with zipfile.ZipFile(wheel) as zipped:
            names = [n for n in zipped.namelist()
                     if "/locale/es/LC_MESSAGES/" in n and n.endswith(".mo")]
    except (zipfile.BadZipFile, OSError) as err:
        raise DataError(f"{wheel} is not a readable wheel ({err})") from None
    return packages.read_archive_members(wheel, names)


def debian_mo_are_valid(dest, sha256s=DEBIAN_MO_SHA256):
    """Whether ``dest`` already holds both Debian catalog files with their pinned hashes."""
    return all(sha256s.values()) and packages.files_match(dest, sha256s)


def django_is_valid(dest, sha256s=DJANGO_SHA256):
    """Whether ``dest`` already holds both Django catalog files with their pinned hashes."""
    return all(sha256s.values()) and packages.files_match(dest, sha256s)


def fetch_debian_installed_mo_es(out_dir) -> Path:
    """Fetch the Spanish catalogs of 48 Debian base packages into ``out_dir/translation/``
    (``debian_installed_mo_es.tsv`` and ``.sentences.tsv``, SHA-256 verified); nothing to do
    when they are already there."""
    dest = Path(out_dir).expanduser().absolute() / "translation"
    if debian_mo_are_valid(dest):
        log.info("the Debian catalogs' pairs are already in %s (SHA-256 verified)", dest)
        return dest
    with tempfile.TemporaryDirectory(prefix="zoo-fetch-") as workdir:
        debs = [packages.apt_download(package, packages.work_subdir(workdir, f"deb{i}"))
                for i, package in enumerate(DEBIAN_MO_PACKAGES)]
        write_catalog_pairs(debian_catalogs(debs), dest, "debian_installed_mo_es",
                            DEBIAN_MO_SHA256)
    log.info("Debian's Spanish catalogs are in %s", dest)
    return dest


def fetch_django_es(out_dir) -> Path:
    """Fetch Django 5.2.19's Spanish catalogs into ``out_dir/translation/`` (``django_es.tsv``
    and ``django_es.sentences.tsv``, SHA-256 verified; the wheel's own SHA-256 is checked
    first); nothing to do when they are already there."""
    dest = Path(out_dir).expanduser().absolute() / "translation"
    if django_is_valid(dest):
        log.info("Django's pairs are already in %s (SHA-256 verified)", dest)
        return dest
    with tempfile.TemporaryDirectory(prefix="zoo-fetch-") as workdir:
        wheel = packages.pip_wheel(DJANGO_WHEEL, workdir)
        digest = sha256_file(wheel)
        if digest != DJANGO_WHEEL_SHA256:
            raise DataError(f"{wheel.name} has SHA-256 {digest}, not the pinned "
                            f"{DJANGO_WHEEL_SHA256}; the index serves another file")
        write_catalog_pairs(django_catalogs(wheel), dest, "django_es", DJANGO_SHA256)
    log.info("Django's Spanish catalogs are in %s", dest)
    return dest
