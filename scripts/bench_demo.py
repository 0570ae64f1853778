"""How long the demo makes a visitor wait, before and after: prints the figures and the ratios.

1. A warm rerun of the Digits page (an MNIST test digit shown, the page run again as Streamlit
   runs it on any widget change), in Streamlit's AppTest, ``--reruns`` times after two warm-up
   runs: the median and the mean, for this checkout and for ``--before`` (default 292c363, main
   before the demo's load fixes; its tree is taken with ``git archive`` into a temporary
   folder). Each side runs in a process of its own, one after the other.
2. From the server's start to the first answer in a real browser (Chromium driven by
   Playwright, as ``tests/test_demo_browser.py`` does): the server started as ``run_demo.sh``
   starts it, the time until its health check answers, then until the Digits page, opened and
   set to an MNIST test digit, shows the three classifiers' answers. ``--skip-browser`` leaves
   it out.

The machine's load average is printed with the figures: they are only comparable on one run.

    python scripts/bench_demo.py [--reruns 20] [--before REV] [--skip-reruns] [--skip-browser]
"""

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from load_demo import find_chromium, free_port, stop_server, wait_healthy  # noqa: E402

DIGITS = Path("tests") / "data" / "mnist_small"  # the MNIST test digits the page shows

RERUNS = r"""
import json, sys, time
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("demo_app/app.py", default_timeout=600)
at.run()
at.switch_page("views/digits.py")
at.run()
at.radio(key="source").set_value("MNIST test digit").run()
assert len(at.metric) == 3 and not at.exception, [e.message for e in at.exception]
at.run()  # a second warm-up run
times = []
for _ in range(int(sys.argv[1])):
    start = time.perf_counter()
    at.run()
    times.append(time.perf_counter() - start)
assert len(at.metric) == 3 and not at.exception
print(json.dumps(times))
"""


def environment(tree):
    return dict(os.environ, PYTHONPATH=str(tree), ZOO_OFFLINE="1", PYTHONUNBUFFERED="1",
                ZOO_DATA_DIR=str(tree / DIGITS), TF_CPP_MIN_LOG_LEVEL="3")


def checkout(revision, into):
    """The tree of ``revision`` of this repository, written into the folder ``into``."""
    archive = subprocess.run(["git", "archive", "--format=tar", revision], cwd=ROOT,
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return Path(into)


def reruns(tree, count):
    """The seconds of ``count`` warm reruns of the Digits page of the demo in ``tree``."""
    done = subprocess.run([sys.executable, "-c", RERUNS, str(count)], cwd=tree,
                          env=environment(tree), capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"the reruns failed in {tree}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def first_answer(tree, browser, log):
    """``(seconds to the health check, then from it to the page drawn, to the first answer)``
    for the demo in ``tree``, started as its ``run_demo.sh`` starts it."""
    port = free_port()
    served = (["-m", "demo_app.serve"] if (tree / "demo_app" / "serve.py").exists()
              else ["-m", "streamlit", "run", "demo_app/app.py"])
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, *served, "--server.address", "127.0.0.1", "--server.port",
             str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--client.toolbarMode", "viewer", "--server.fileWatcherType", "none"],
            cwd=tree, env=environment(tree), stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_healthy(url, process, timeout=300, log=log)
        up = time.monotonic()
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        page.set_default_timeout(300_000)
        page.goto(f"{url}/digits")
        page.get_by_text("MNIST test digit", exact=True).click()
        shown = time.monotonic()  # the page drawn: the frontend loaded, the first run done
        page.locator("[data-testid=stMetricValue]").nth(2).wait_for()
        answered = time.monotonic()
        page.close()
        return up - started, shown - up, answered - up
    finally:
        stop_server(process)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reruns", type=int, default=20)
    parser.add_argument("--before", default="292c363")
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--skip-reruns", action="store_true")
    args = parser.parse_args()
    print(f"load average at the start: {Path('/proc/loadavg').read_text().split()[:3]}")
    with tempfile.TemporaryDirectory() as folder:
        sides = {f"before ({args.before})": checkout(args.before, Path(folder) / "before"),
                 "after (this checkout)": ROOT}
        medians = {}
        for side, tree in sides.items() if not args.skip_reruns else ():
            times = reruns(tree, args.reruns)
            medians[side] = statistics.median(times)
            print(f"Digits warm rerun, {side}: median {medians[side] * 1000:.0f} ms, mean "
                  f"{statistics.mean(times) * 1000:.0f} ms over {len(times)} reruns")
        if medians:
            before, after = medians.values()
            print(f"Digits warm rerun: {before / after:.2f}x faster after")
        if not args.skip_browser:
            chromium = find_chromium()
            if chromium is None:
                sys.exit("no Chromium found: --skip-browser, or install one")
            from playwright.sync_api import sync_playwright

            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium, args=["--headless", "--no-sandbox",
                                                    "--disable-gpu"])
                for side, tree in sides.items():
                    health, shown, answer = first_answer(tree, browser,
                                                         Path(folder) / "server.log")
                    print(f"first answer in Chromium, {side}: health check after {health:.1f} s; "
                          f"after it, the page drawn at {shown:.1f} s, the first answer at "
                          f"{answer:.1f} s ({health + answer:.1f} s from the start)")
                browser.close()
    print(f"load average at the end: {Path('/proc/loadavg').read_text().split()[:3]}")


if __name__ == "__main__":
    main()
