"""What the AppTests of the demo share: a fresh session of the app on one page, and the check
that a run raised nothing (nor hid an exception behind the app's "Something went wrong")."""

import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # demo_app/ is a folder of the checkout, not an installed package
    sys.path.insert(0, str(ROOT))

APP = ROOT / "demo_app" / "app.py"
TIMEOUT = 300  # seconds a run may take (the first run of a page loads its models)


def open_page(page=None):
    """A fresh session of the app, on ``views/<page>.py`` (the home page when ``None``)."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    if page:
        at.switch_page(f"views/{page}.py")
        at.run()
    assert_no_exception(at)
    return at


def assert_no_exception(at):
    assert not at.exception, [e.message for e in at.exception]
    failed = [e.value for e in at.error if e.value.startswith("Something went wrong")]
    assert not failed, failed  # an exception the app caught to keep serving
