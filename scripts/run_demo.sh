#!/usr/bin/env bash
# Set up a virtualenv with the package and its demo extra, then serve the Streamlit demo on
# http://127.0.0.1:8501 (PORT=... to change it) with the weights bundled in the package.
# Works on a fresh machine with Python 3.10+; needs the package registries only to install, and
# no network at all to run. Extra arguments go to `streamlit run` (through demo_app/serve.py,
# which loads the Digits models before the server listens).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup_venv.sh
zoo_setup_venv demo dev  # skipped when .venv/ already holds this install (dev includes demo)

headless=true  # no browser to open without a display
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || [ "$(uname -s)" = Darwin ]; then
    headless=false
fi
export ZOO_OFFLINE=1  # the bundled weights only: never download
echo "zoo demo: http://127.0.0.1:${PORT:-8501}"
exec python -m demo_app.serve \
    --server.address 127.0.0.1 --server.port "${PORT:-8501}" --server.headless "$headless" \
    --browser.gatherUsageStats false --client.toolbarMode viewer "$@"
