"""Names as the zoo takes and shows them: close matches for a mistyped name, safe names for
weights and their files, paths kept inside their folder, and names escaped for a terminal.

A ground module: it imports nothing of the zoo but its errors.
"""

import difflib
import os
import pathlib
import re

from zoo.errors import ConfigError, DataError

# A weight or file name: a letter or digit first, then letters, digits and ``._+-``; no path
# separators, no ``..``, no control characters, at most 100 characters.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,99}")


def suggest(name, choices):
    """Return ' Did you mean ...?' for the closest of `choices`, or '' when nothing is close."""
    close = difflib.get_close_matches(str(name), list(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"


def shown(path):
    """A file name as it may be printed to a terminal: control characters (newlines, the ESC
    of ANSI escape codes) escaped, so a hostile name can neither forge lines nor move the
    cursor."""
    text = os.fspath(path) if isinstance(path, os.PathLike) else str(path)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def is_safe_name(name):
    """Whether ``name`` may name a weight or one of its files (see :data:`SAFE_NAME`)."""
    return isinstance(name, str) and bool(SAFE_NAME.fullmatch(name)) and ".." not in name


def check_safe_name(name, what="name", error=ConfigError):
    """``name`` if it is a safe weight or file name, else ``error`` saying why and what to do.

    Example:
        >>> check_safe_name("mnist_convnet.mnist")
        'mnist_convnet.mnist'
    """
    if is_safe_name(name):
        return name
    if not isinstance(name, str):
        raise error(f"{what} must be a string, got {type(name).__name__}")
    raise error(f"{what} {shown(repr(name))} is not a safe name: use 1 to 100 letters, digits "
                "and . _ + - (a letter or digit first, no '..', no '/' or '\\'), e.g. "
                "'mnist_convnet.mine'")


def inside(folder, *names, what="file", error=DataError):
    """``folder / names...`` after checking each name is safe and that the path, with every
    link resolved, stays inside ``folder`` (itself resolved); ``error`` otherwise."""
    for name in names:
        check_safe_name(name, what, error)
    folder = pathlib.Path(folder)
    path = folder.joinpath(*names)
    root = folder.resolve()
    resolved = path.resolve()
    if resolved != root and root not in resolved.parents:
        raise error(f"{shown(path)} leads outside {shown(folder)} (to {shown(resolved)}) "
                    "through a link; remove the link and try again")
    return path
