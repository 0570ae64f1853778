"""The zoo's demo: ``streamlit run demo_app/app.py`` (or ``bash scripts/run_demo.sh``).

A home page with the zoo and one page per family, each a thin layer over the task objects that
:mod:`demo_app.models` loads once per process from the published weights.
"""

import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run` puts demo_app/ itself on the path, not its parent
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from demo_app.figures import page_icon  # noqa: E402

UNEXPECTED = "Something went wrong on this page"
HERE = Path(__file__).resolve().parent / "views"  # not pages/, which Streamlit lists by itself

st.set_page_config(page_title="zoo: a Keras model zoo", page_icon=page_icon(), layout="wide")

navigation = st.navigation([
    st.Page(HERE / "home.py", title="Home", icon=":material/home:", default=True),
    st.Page(HERE / "digits.py", title="Digits", icon=":material/draw:"),
    st.Page(HERE / "teach.py", title="Teach", icon=":material/school:"),
    st.Page(HERE / "text.py", title="Text", icon=":material/text_fields:"),
    st.Page(HERE / "translate.py", title="Translate", icon=":material/translate:"),
    st.Page(HERE / "caption.py", title="Caption", icon=":material/image:"),
    st.Page(HERE / "autoencoder.py", title="Autoencoder", icon=":material/compress:"),
    st.Page(HERE / "experiments.py", title="Experiments", icon=":material/science:"),
])
try:
    navigation.run()
except Exception as err:  # noqa: BLE001  (a case no check foresaw: say so, keep serving)
    logging.getLogger("demo_app").exception("the %s page failed", navigation.title)
    st.error(f"{UNEXPECTED} ({type(err).__name__}: {err}). Try another input or reload the page.")
