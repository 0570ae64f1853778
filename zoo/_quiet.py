"""Import TensorFlow without the start-up lines its C++ core prints to standard error.

TensorFlow's native logging writes a few lines before Python can configure anything (``WARNING:
All log messages before absl::InitializeLog() is called...``, ``oneDNN custom operations are
on...``), even with ``TF_CPP_MIN_LOG_LEVEL`` set. Those lines are caught on the file descriptor
while TensorFlow imports; the known start-up notices are dropped and anything else is written
back, so a real warning still reaches the user.
"""

import os
import re
import sys
import tempfile

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
)


def import_tensorflow():
    """Import TensorFlow (once) with its known start-up noise filtered out of stderr."""
    if "tensorflow" in sys.modules or os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        return
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # stderr is not a real file (a notebook)
        import tensorflow  # noqa: F401
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile(mode="w+b") as caught:
        os.dup2(caught.fileno(), fd)
        try:
            import tensorflow  # noqa: F401
        finally:
            sys.stderr.flush()
            os.dup2(saved, fd)
            os.close(saved)
            caught.seek(0)
            text = caught.read().decode("utf-8", errors="replace")
    kept = [line for line in text.splitlines() if line.strip() and not NOISE.search(line)]
    if kept:
        sys.stderr.write("\n".join(kept) + "\n")
