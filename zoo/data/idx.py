"""The IDX file format that MNIST is published in: read, write, and find the four MNIST files.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions), one
big-endian uint32 per dimension, then the values in C order, big-endian. The files may be gzipped.
"""

import gzip
import zlib
from pathlib import Path

import numpy as np

from zoo.errors import DataError

# type code -> big-endian numpy dtype
_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {(dtype.kind, dtype.itemsize): code for code, dtype in _DTYPES.items()}

# role -> canonical file name (without ".gz")
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


MAX_IDX_BYTES = 1 << 30  # 1 GiB: the largest MNIST-family file is under 700 MB
DEFLATE_MAX_RATIO = 1032  # deflate never inflates more than this (RFC 1951's longest match)


def _open(path):
    """The file opened for reading, through gzip when its magic bytes say so (not its name)."""
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise DataError(f"IDX file {path} does not exist") from None
    except OSError as err:
        raise DataError(f"cannot read IDX file {path}: {err}") from None
    if handle.read(2) == b"\x1f\x8b":
        handle.seek(0)
        return gzip.GzipFile(fileobj=handle, mode="rb"), handle, True
    handle.seek(0)
    return handle, handle, False


def _read_bytes(path):
    """The (decompressed) bytes of a file, never inflated past the size its header promises
    (nor past :data:`MAX_IDX_BYTES`): a small gzip claiming or holding gigabytes is refused
    before it is inflated."""
    stream, raw, zipped = _open(path)
    try:
        head = stream.read(4)
        ndim = head[3] if len(head) == 4 and head[:2] == b"\x00\x00" else 0
        head += stream.read(4 * ndim)
        if ndim and len(head) == 4 + 4 * ndim and head[2] in _DTYPES:
            shape = np.frombuffer(head, dtype=">u4", count=ndim, offset=4)
            promised = int(np.prod(shape.astype(object))) * _DTYPES[head[2]].itemsize
            on_disk = path.stat().st_size
            if promised > MAX_IDX_BYTES or (zipped and promised > DEFLATE_MAX_RATIO * on_disk):
                raise DataError(f"IDX file {path}: its header {tuple(int(n) for n in shape)} "
                                f"promises {promised:,} bytes, more than a "
                                f"{on_disk:,}-byte file can hold (limit {MAX_IDX_BYTES:,}); "
                                "delete it and fetch it again")
            return head + stream.read(promised + 1)  # one byte more shows a file too long
        return head + stream.read(64)  # not IDX: enough for the error message
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"IDX file {path} is a corrupt or truncated gzip file ({err}); "
                        "delete it and fetch it again") from None
    finally:
        stream.close()
        raw.close()


def read_idx(path) -> np.ndarray:
    """Read an IDX file (gzipped or not) into a native-endian numpy array.

    Raises:
        DataError: the file is missing, not IDX (bad magic number) or truncated / too long.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] not in _DTYPES or data[3] == 0:
        raise DataError(f"{path} is not an IDX file (bad magic number 0x{data[:4].hex() or '-'}); "
                        "delete it and fetch it again")
    dtype, ndim = _DTYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"IDX file {path} is truncated: its header is cut short")
    shape = tuple(int(n) for n in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        held = len(data) - header
        raise DataError(f"IDX file {path} is truncated or corrupt: its header {shape} promises "
                        f"{expected} bytes of data but it holds "
                        f"{'more' if held > expected else held}; "
                        "delete it and fetch it again")
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def write_idx(path, array) -> Path:
    """Write an array as an IDX file, gzipped (with no time stamp) when the name ends in ``.gz``.

    Supported dtypes: uint8, int8, int16, int32, float32, float64.
    """
    path = Path(path)
    array = np.asarray(array)
    code = _CODES.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise ValueError(f"IDX cannot hold dtype {array.dtype}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"IDX needs 1 to 255 dimensions, got {array.ndim}")
    data = (bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
            + np.ascontiguousarray(array, dtype=_DTYPES[code]).tobytes())
    if path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


def find_mnist_files(root):
    """Where the four MNIST files are: looked for in ``root/mnist/`` then ``root/``, gzipped or not.

    Returns:
        ``(folder, {role: path})`` for the first folder that holds any of them (some may be missing
        from the dict), or ``(None, {})`` when neither does.
    """
    root = Path(root)
    for folder in (root / "mnist", root):
        found = {}
        for role, name in MNIST_FILES.items():
            for candidate in (folder / f"{name}.gz", folder / name):
                if candidate.is_file():
                    found[role] = candidate
                    break
        if found:
            return folder, found
    return None, {}
