"""Errors that the zoo reports to its users.

Every mistake a user can make (an unknown name, a missing file, a shape that does not fit) is raised
as a :class:`ZooError` whose message says what is wrong and what to do. The CLI prints that message
on one line and exits non-zero instead of showing a traceback.
"""


class ZooError(Exception):
    """A mistake in what the user asked for, with a message that says how to fix it."""


class UnknownNameError(ZooError, KeyError):
    """An unknown model, dataset or option name."""

    def __str__(self):  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ConfigError(ZooError, ValueError):
    """Options that do not fit together (for example a model whose input does not fit the data)."""


class DataError(ZooError):
    """Data that is missing, unreadable or not what it claims to be."""


class WriteError(DataError):
    """A file that could not be written (a full disk, a file-size limit, no permission); the
    file it was to replace is intact. ``path`` is the file, ``error`` the ``OSError``."""

    def __init__(self, message, path=None, error=None):
        super().__init__(message)
        self.path, self.error = path, error
