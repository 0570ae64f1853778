"""``python -m zoo``: the ``zoo`` command (for a Python whose scripts folder is not on PATH)."""

import sys

from zoo.cli import main

if __name__ == "__main__":
    sys.exit(main())
