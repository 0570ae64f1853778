"""Helpers for messages about names: close matches for a mistyped name."""

import difflib


def suggest(name, choices):
    """Return ' Did you mean ...?' for the closest of `choices`, or '' when nothing is close."""
    close = difflib.get_close_matches(str(name), list(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"
