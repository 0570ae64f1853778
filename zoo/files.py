"""Users' files read and written with one-line errors: the public face of the zoo's file
helpers, for front ends (the ``zoo`` command) and scripts.

- :func:`shown`: a path (or any text) as it may be printed on one terminal line: control
  characters escaped, so a hostile file name can neither forge lines nor send escape codes;
- :func:`open_text_file`: a UTF-8 text file opened to read, refusing pipes, devices and
  directories before reading a byte (:class:`zoo.DataError`);
- :func:`write_json`: JSON written atomically (a failed write leaves the old file as it was);
- :func:`check_writable_dir`: an output directory refused before any work when it cannot be
  written (:class:`zoo.ConfigError`).

Example:
    >>> zoo.files.shown("bad\\nname.png")
    'bad\\\\nname.png'
"""

from zoo._io import check_writable_dir, open_text_file, write_json
from zoo._naming import shown

__all__ = ["shown", "open_text_file", "write_json", "check_writable_dir"]
