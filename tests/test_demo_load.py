"""The demo with several visitors at once.

``scripts/load_demo.py`` is run small against the real server (``streamlit run`` on a free port of
127.0.0.1): three visitors for 15 s on Digits, Translate and Text, one of them, where Debian's
Chromium is installed, a real browser page (the long requests are left to the script's full
run: on two shared cores they alone take longer than this test may). Every answer must arrive
and none may be an error (how many there are depends on the machine's load: at least one). The models the demo shares between sessions are also called from several threads at
once, and must answer exactly as one call at a time does. No figure of time is asserted.
"""

import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "load_demo.py"


def has_chromium():
    return any(shutil.which(name) for name in ("chromium", "chromium-browser"))


def test_three_visitors_at_once_get_every_answer(tmp_path):
    out = tmp_path / "load.json"
    browsers = "1" if has_chromium() else "0"
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--sessions", "3", "--browsers", browsers,
         "--duration", "15", "--think", "0.5", "--no-long", "--answer-timeout", "90", "--quiet",
         "--json", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert out.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    summary = json.loads(out.read_text())
    assert summary["errors"] == 0, summary["error_samples"]
    assert all(item["error"] is None for item in summary["warm_up"]), summary["warm_up"]
    # the warm-up answered once on each page; then the three visitors at once
    assert {(item["page"], item["kind"]) for item in summary["warm_up"]} == {
        (page, kind) for page in ("Digits", "Translate", "Text") for kind in ("open", "answer")}
    assert summary["answers"] >= 1, summary["pages"]
    assert summary["long_requests"] == []
    assert summary["digits_wrong"] == 0  # the uploaded test digits are read right
    assert summary["rss_mib"]["max"] and summary["rss_mib"]["max"] < 4096, summary["rss_mib"]
    assert "answers" in run.stdout and "server RSS" in run.stdout


def test_load_demo_refuses_bad_bounds(tmp_path):
    for argv, words in ((["--sessions", "0"], "--sessions must be 1 to 64"),
                        (["--sessions", "65"], "--sessions must be 1 to 64"),
                        (["--duration", "5"], "--duration must be 10 to 1800"),
                        (["--sessions", "2", "--browsers", "3"], "--browsers must be 0 to"),
                        (["--url", "localhost:8501"], "--url must be the demo's base URL")):
        run = subprocess.run([sys.executable, str(SCRIPT), *argv], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 2, (argv, run.stderr)
        assert words in run.stderr, (argv, run.stderr)


@pytest.fixture(scope="module")
def warm_tasks():
    """The demo's shared task objects, warmed up as :mod:`demo_app.models` does."""
    import zoo
    from demo_app.models import DIGITS, TRANSLATE, _warm_up, text_weights

    tasks = {name: zoo.load(name) for name in (DIGITS[-1], text_weights()[0], TRANSLATE[0])}
    assert all(_warm_up(task) for task in tasks.values())
    return tasks


def test_shared_models_answer_the_same_from_threads_at_once(warm_tasks):
    from zoo.data.idx import read_idx

    from demo_app.models import DIGITS, TRANSLATE, text_weights

    digits = read_idx(ROOT / "tests" / "data" / "mnist_small" / "t10k-images-idx3-ubyte.gz")
    classifier, text, translator = (warm_tasks[DIGITS[-1]], warm_tasks[text_weights()[0]],
                                    warm_tasks[TRANSLATE[0]])
    sentences = ["Please select a folder.", "The file could not be saved.", "A red apple.",
                 "Insert a new table. Enter the password. An error occurred."]
    calls = []
    for i in range(24):
        kind = i % 3
        if kind == 0:
            calls.append(lambda i=i: classifier.predict_proba([255 - digits[i]])[0])
        elif kind == 1:
            calls.append(lambda i=i: text.generate("It was a truth"[:4 + i % 9], length=40,
                                                   temperature=0.8, top_k=5 if i % 2 else None,
                                                   seed=i))
        else:
            calls.append(lambda i=i: translator.translate(
                [sentences[i % 4]], method="beam" if i % 2 else "greedy")[0])
    one_at_a_time = [call() for call in calls]
    with ThreadPoolExecutor(max_workers=4) as pool:
        at_once = list(pool.map(lambda call: call(), calls))
    for i, (alone, together) in enumerate(zip(one_at_a_time, at_once)):
        if isinstance(alone, np.ndarray):
            np.testing.assert_allclose(together, alone, rtol=0, atol=1e-6, err_msg=str(i))
        else:
            assert together == alone, (i, alone, together)


def test_streamlit_keeps_the_keras_session_between_script_runs(monkeypatch):
    """Streamlit clears Keras' session after every script run (TensorFlow's kernel cache and
    traces thrown away, a full garbage collection): the demo's setup stops that. A marker in
    Keras' global state survives a run with it, and is gone after a run without it."""
    from keras.src.backend.common import global_state
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.testing.v1 import AppTest

    from demo_app import models

    # Streamlit's own clean-up for the first run (a demo test in this worker may have replaced
    # it already), and whatever was there restored after the test
    monkeypatch.setattr(script_runner, "_clean_problem_modules", models.STREAMLIT_CLEAN_UP)

    def page():
        import streamlit as st

        st.write("a page")

    def survives_a_run():
        global_state.set_global_attribute("zoo_demo_marker", "kept")
        AppTest.from_function(page, default_timeout=60).run()
        return global_state.get_global_attribute("zoo_demo_marker") == "kept"

    assert not survives_a_run()  # Streamlit's own clean-up clears it
    assert models.keep_keras_session()
    assert survives_a_run()


def test_the_heap_is_frozen_once_the_models_are_loaded():
    import gc

    from demo_app import models

    before = gc.get_freeze_count()
    kept = [[n] for n in range(10)]  # noqa: F841  (alive: frozen with the rest)
    try:
        models.settle_heap()
        assert gc.get_freeze_count() >= before + 10
    finally:
        gc.unfreeze()
