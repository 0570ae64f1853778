"""SHA-256 of bytes and of files, as 64 lowercase hex digits: the zoo's one hashing helper.

The download cache (:mod:`zoo.hub`), the weight records (:mod:`zoo.weights`) and the data
sources (:mod:`zoo.data.sources`) all hash with these two functions.

Example:
    >>> sha256_bytes(b"")
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
"""

import hashlib

__all__ = ["sha256_bytes", "sha256_file"]

_BLOCK = 1 << 20


def sha256_bytes(data) -> str:
    """The SHA-256 of ``data`` (bytes or any buffer)."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path) -> str:
    """The SHA-256 of the file at ``path``, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()
