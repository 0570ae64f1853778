"""Import TensorFlow without the start-up lines its C++ core prints to standard error.

TensorFlow's native logging writes a few lines before Python can configure anything (``WARNING:
All log messages before absl::InitializeLog() is called...``, ``oneDNN custom operations are
on...``), even with ``TF_CPP_MIN_LOG_LEVEL`` set. Those lines are caught on the file descriptor
while TensorFlow imports; the known start-up notices are dropped and anything else is written
back, so a real warning still reaches the user.
"""

import atexit
import contextlib
import os
import re
import sys
import tempfile
import threading

NOISE = re.compile(
    r"All log messages before absl::InitializeLog\(\) is called"
    r"|oneDNN custom operations are on"
    r"|This TensorFlow binary is optimized to use available CPU instructions"
    r"|To enable the following instructions:.*rebuild TensorFlow"
    r"|Unable to register cu(DNN|FFT|BLAS) factory"
    r"|computation placer already registered"
    r"|Could not find cuda drivers on your machine"
    r"|TF-TRT Warning: Could not find TensorRT"
    r"|failed call to cuInit"
    r"|oneDNN supports DT_BOOL only on platforms with AVX-512"
    # tf.data's Python side is newer than its kernels: under deterministic ops a rewritten map
    # stage logs this (an ERROR-level line) on every fit over arrays; nothing is wrong
    r"|NodeDef mentions attribute use_unbounded_threadpool which is not in the op definition"
)


def import_tensorflow():
    """Import TensorFlow (once) with its known start-up noise filtered out of stderr."""
    if "tensorflow" in sys.modules or os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        return
    with native_noise_filtered():
        import tensorflow  # noqa: F401  (heavy: zoo --help loads this module)


@contextlib.contextmanager
def native_noise_filtered():
    """Run the block with file descriptor 2 caught; afterwards write back every line of it but
    the known TensorFlow notices (:data:`NOISE`), so a real warning or error still reaches the
    user, after the block. Does nothing when stderr is not a real file (a notebook)."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile(mode="w+b") as caught:
        os.dup2(caught.fileno(), fd)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, fd)
            os.close(saved)
            caught.seek(0)
            text = caught.read().decode("utf-8", errors="replace")
            kept = [line for line in text.splitlines() if line.strip() and not NOISE.search(line)]
            if kept:
                sys.stderr.write("\n".join(kept) + "\n")
                sys.stderr.flush()


class _QuietOnFirstImport:
    """A meta-path entry that, on the first ``import tensorflow`` or ``import keras`` (from the
    zoo or from the user's code, once ``zoo`` is imported), imports TensorFlow through
    :func:`import_tensorflow` and then steps aside; the import itself goes on as usual."""

    def find_spec(self, name, path=None, target=None):
        if name in ("tensorflow", "keras"):
            self.remove()
            import_tensorflow()
        return None

    def remove(self):
        if self in sys.meta_path:
            sys.meta_path.remove(self)


def quiet_tensorflow_when_imported():
    """Let ``import zoo`` stay light: TensorFlow is imported (quietly) only when something first
    asks for TensorFlow or Keras, not by ``import zoo`` itself."""
    if "tensorflow" in sys.modules or any(isinstance(f, _QuietOnFirstImport)
                                          for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _QuietOnFirstImport())


_filtering = []


def filter_native_stderr():
    """For the CLI process only: drop the known TensorFlow notices its C++ core writes to file
    descriptor 2 at run time (``oneDNN supports DT_BOOL only on platforms with AVX-512`` when a
    model first runs), passing every other line through unchanged.

    Python's own ``sys.stderr`` is moved to a copy of the terminal's descriptor, so the zoo's
    messages and tracebacks never go through the filter; only native writes to fd 2 do, through
    a pipe read by a daemon thread. At exit the pipe is drained and fd 2 restored. Does nothing
    when stderr is not a real file, or when ``ZOO_DEBUG`` is set (everything is shown then).
    """
    if _filtering or os.environ.get("ZOO_DEBUG", "") not in ("", "0"):
        return
    try:
        fd = sys.stderr.fileno()
        if fd != 2:
            return
    except (AttributeError, OSError, ValueError):
        return
    sys.stderr.flush()
    terminal = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    sys.stderr = open(terminal, "w", encoding=sys.stderr.encoding or "utf-8",
                      errors="backslashreplace", buffering=1, closefd=False)

    def pump():
        pending = b""
        while True:
            try:
                chunk = os.read(read_end, 65536)
            except OSError:
                break
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            kept = [line for line in lines
                    if not NOISE.search(line.decode("utf-8", errors="replace"))]
            if kept:
                os.write(terminal, b"".join(line + b"\n" for line in kept))
        if pending and not NOISE.search(pending.decode("utf-8", errors="replace")):
            os.write(terminal, pending)

    thread = threading.Thread(target=pump, name="zoo-stderr-filter", daemon=True)
    thread.start()
    _filtering.append(thread)

    def restore():
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.dup2(terminal, 2)  # closes the pipe's last write end: the thread sees its end
        thread.join(timeout=2.0)

    atexit.register(restore)
