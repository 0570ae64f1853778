#!/usr/bin/env bash
# Sourced by run_demo.sh and run_tests.sh: make .venv/ (if missing) and install the package in it
# with the extra named in $1 (demo, dev). The install is skipped when .venv/ already holds it,
# or an extra named after it that includes it, for the same pyproject.toml and Python (a stamp
# file records both), so a second start costs no pip run; delete .venv/ or edit pyproject.toml
# to reinstall.
zoo_setup_venv() {
    local extra=$1
    local stamp=".venv/.zoo-installed-$extra"
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv .venv
    fi
    . .venv/bin/activate
    local want
    want="$(python -c 'import sys; print(sys.version)' | head -1) $(sha256sum pyproject.toml | cut -d' ' -f1)"
    local held
    for held in "$@"; do
        if [ -f ".venv/.zoo-installed-$held" ] && [ "$(cat ".venv/.zoo-installed-$held")" = "$want" ]; then
            return 0
        fi
    done
    rm -f "$stamp"
    python -m pip install -qq --upgrade pip
    # -qq: errors only (one -q still prints setuptools' notice about editable installs)
    python -m pip install -qq -e ".[$extra]"
    printf '%s\n' "$want" > "$stamp"
}
