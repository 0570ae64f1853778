"""Serve the demo with its Digits models ready: ``python -m demo_app.serve [streamlit options]``
(what ``scripts/run_demo.sh`` runs).

Streamlit runs a page's script only when a visitor opens it, so the first visitor used to wait
for TensorFlow's import and for the models to load and warm up. Here they load first, in the
server's own process (:mod:`demo_app.models` keeps them for every session), with the pages' own
imports, and only then does Streamlit start listening: its health check answers when the Digits
page can answer at once. The other pages' models still load on their first use, each behind a
spinner.
"""

import sys
from pathlib import Path

import numpy as np
from streamlit.runtime.caching import cache_data_api
from streamlit.runtime.scriptrunner_utils import script_run_context
from streamlit.web import cli


def _before_streamlit_runs(record):
    """Drop what Streamlit logs when its functions are called before it runs ("No runtime
    found, using MemoryCacheStorageManager", "missing ScriptRunContext"): expected while the
    models load here, not news for whoever reads the server's log."""
    return not any(text in record.getMessage()
                   for text in ("No runtime found", "missing ScriptRunContext"))


_QUIETED = (cache_data_api._LOGGER, script_run_context._LOGGER)
for _logger in _QUIETED:
    _logger.addFilter(_before_streamlit_runs)

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from demo_app import models  # noqa: E402
# the pages' own imports (Altair and pandas for the charts: 1.4 s under load), done now
from demo_app import canvas, charts, figures, inputs, samples  # noqa: E402,F401


def warm_up():
    """Load the Digits page's models and run each path the page takes once (a prediction, the
    CNNs' feature maps)."""
    for name in dict.fromkeys(models.DIGITS + models.CNNS):
        if name not in models.available():
            continue
        with models.use(name) as task:
            batch = task.preprocess([np.zeros((28, 28), np.uint8)])
        if name in models.CNNS:
            models.feature_maps(name, batch)


def main(argv=None):
    warm_up()
    for logger in _QUIETED:  # once Streamlit runs, these mean something again
        logger.removeFilter(_before_streamlit_runs)
    sys.argv = ["streamlit", "run", str(ROOT / "demo_app" / "app.py"),
                *(sys.argv[1:] if argv is None else argv)]
    return cli.main(prog_name="streamlit")


if __name__ == "__main__":
    sys.exit(main())
