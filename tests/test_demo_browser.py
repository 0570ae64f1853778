"""The demo end to end in a real browser: ``streamlit run`` on a free port of 127.0.0.1, driven
by Playwright in Debian's Chromium (``.ci/run`` installs it with apt-get).

On the Digits page a real MNIST test digit is uploaded and a stroke is drawn on the canvas, and
the predicted labels are read from the page; on the Translate page an English sentence is typed
and the Spanish read back. Screenshots of each step are saved under the test's tmp dir.

Playwright drives the system Chromium (``executable_path``): ``playwright install`` downloads a
browser build of its own and is never used.
"""

import re
import sys
import urllib.parse
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
try:  # the load test's server helpers: one way to start and wait for the demo
    from load_demo import find_chromium, start_server, stop_server, wait_healthy
finally:
    sys.path.pop(0)

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
STARTUP = 180  # seconds the server may take to answer its health check
WAIT_MS = 180_000  # how long a page element may take to appear (the first run loads models)

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium found (install Debian's: apt-get install chromium)")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``streamlit run demo_app/app.py`` on a free local port, as run_demo.sh runs it; its URL."""
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    process, url = start_server(log)
    try:
        wait_healthy(url, process, timeout=STARTUP, log=log)
        yield url
    finally:
        stop_server(process)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


@pytest.fixture
def page(browser, request):
    """A fresh page, 1400 px wide (``@pytest.mark.parametrize("page", [width], indirect=True)``
    for another width); any request it makes to a host other than this machine is refused and
    fails the test (the demo needs no network: no fonts, icons or scripts from elsewhere)."""
    context = browser.new_context(viewport={"width": getattr(request, "param", 1400),
                                            "height": 2200})
    outside = []

    def refuse_outside(route):
        url = route.request.url
        host = urllib.parse.urlsplit(url).hostname or ""
        if url.startswith(("data:", "blob:")) or host in LOOPBACK or host == "::1":
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", refuse_outside)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    yield page
    context.close()
    assert not outside, f"the page asked hosts outside this machine for: {outside}"


def wait_until_idle(page):
    """Wait for the script run to finish (Streamlit's "Running..." status gone)."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=WAIT_MS)


def wait_for_predictions(page):
    """Wait until the Digits page shows its three predictions and the CNN's last pooling maps
    (the end of the page), and the run is over."""
    page.locator("[data-testid=stMetricValue]").nth(2).wait_for()
    page.get_by_text(re.compile(r"_pool: \d+ maps")).nth(1).wait_for()
    wait_until_idle(page)


def cnn_choice(page):
    """The value of the Digits page's CNN select box."""
    return page.locator("[data-testid=stSelectbox]").filter(has_text="CNN").locator(
        "input").input_value()


def feature_map_widths(page):
    """The widths in pixels of the feature-map grids drawn on the Digits page."""
    grids = page.locator("[data-testid=stImage]").filter(has_text=re.compile(r": \d+ maps of"))
    return [round(grid.locator("img").bounding_box()["width"]) for grid in grids.all()]


def metric_values(page):
    return {label.inner_text().strip(): value.inner_text().strip()
            for label, value in zip(page.locator("[data-testid=stMetricLabel]").all(),
                                    page.locator("[data-testid=stMetricValue]").all())}


def test_digits_page_reads_an_uploaded_digit_and_a_drawing(server, page, tmp_path):
    from zoo.data.idx import read_idx

    folder = ROOT / "tests" / "data" / "mnist_small"
    images = read_idx(folder / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(folder / "t10k-labels-idx1-ubyte.gz")
    digit = tmp_path / "digit.png"
    Image.fromarray(255 - images[0]).resize((140, 140)).save(digit)  # dark on light, as drawn

    page.goto(f"{server}/digits")
    page.get_by_role("heading", name="Digits").wait_for()
    page.get_by_text("Upload", exact=True).click()
    page.locator("input[type=file]").set_input_files(str(digit))
    wait_for_predictions(page)
    page.screenshot(path=str(tmp_path / "digits_upload.png"), full_page=True)
    found = metric_values(page)
    assert found["mnist_convnet"] == str(labels[0]), found
    assert set(found) == {"perceptron", "deep_mlp", "mnist_convnet"}
    widths = feature_map_widths(page)  # maps of 26, 13, 11 and 5 pixels: grids of one width
    assert len(widths) >= 4 and max(widths) - min(widths) <= 1, widths

    # the other CNN's feature maps; the choice must survive the runs that stop before its box
    page.locator("[data-testid=stSelectbox]").filter(has_text="CNN").click()
    page.get_by_role("option", name="lenet5.mnist").click()
    page.get_by_text(re.compile(r": 6 maps of 28x28")).first.wait_for()
    wait_until_idle(page)

    # a new upload: the uploader's run without a file, then one with it
    second = tmp_path / "digit2.png"
    Image.fromarray(255 - images[1]).resize((140, 140)).save(second)
    page.locator("input[type=file]").set_input_files(str(second))
    wait_for_predictions(page)
    chosen = cnn_choice(page)
    assert chosen == "lenet5.mnist", chosen

    # draw a "1": one vertical stroke down the middle of the canvas
    page.get_by_text("Draw", exact=True).click()
    wait_until_idle(page)  # nothing drawn yet: the page stops before the CNN box
    canvas = page.locator("canvas[aria-label='drawing canvas']")
    canvas.wait_for()
    box = canvas.bounding_box()
    x, top = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.15
    page.mouse.move(x, top)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(x, top + step * box["height"] * 0.7 / 20)
    page.mouse.up()
    wait_for_predictions(page)
    page.screenshot(path=str(tmp_path / "digits_drawing.png"), full_page=True)
    assert metric_values(page)["mnist_convnet"] == "1"
    chosen = cnn_choice(page)
    assert chosen == "lenet5.mnist", chosen  # the choice held through the runs without a digit
    assert page.get_by_text(re.compile(r": 6 maps of 28x28")).count()  # LeNet-5's maps shown


def test_translate_page_writes_spanish(server, page, tmp_path):
    page.goto(f"{server}/translate")
    page.get_by_role("heading", name="Translate").wait_for()
    box = page.get_by_label("English")
    box.fill("Please select a folder.")
    box.press("Control+Enter")  # a text area sends its value on Ctrl+Enter (or on blur)
    answer = page.locator("[data-testid=stAlertContentSuccess]")
    answer.wait_for()
    wait_until_idle(page)
    page.get_by_text("Attention").first.wait_for()
    page.locator(".vega-embed canvas, .vega-embed svg").first.wait_for()  # the heatmap drawn
    page.screenshot(path=str(tmp_path / "translate.png"), full_page=True)
    assert "carpeta" in answer.inner_text().lower()


@pytest.mark.parametrize("page", [800], indirect=True)
def test_digits_page_fits_an_800_px_window(server, page, tmp_path):
    from zoo.data.idx import read_idx

    images = read_idx(ROOT / "tests" / "data" / "mnist_small" / "t10k-images-idx3-ubyte.gz")
    digit = tmp_path / "digit.png"
    Image.fromarray(255 - images[0]).resize((140, 140)).save(digit)
    page.goto(f"{server}/digits")
    page.get_by_role("heading", name="Digits").wait_for()
    page.get_by_text("Upload", exact=True).click()
    page.locator("input[type=file]").set_input_files(str(digit))
    wait_for_predictions(page)
    page.screenshot(path=str(tmp_path / "digits_800.png"), full_page=True)
    width = page.evaluate("document.documentElement.clientWidth")
    shown = page.locator("[data-testid=stImage]").filter(
        has_text=re.compile("Your digit|What the models see"))
    pictures = shown.locator("img").all()
    assert len(pictures) == 2
    for box in [picture.bounding_box() for picture in pictures]:  # each picture whole
        assert 0 <= box["x"] and box["x"] + box["width"] <= width, (box, width)
    widths = feature_map_widths(page)
    assert widths and max(widths) - min(widths) <= 1 and max(widths) <= width, widths


def draw_polyline(page, canvas, points):
    """One stroke through ``points`` (fractions of the canvas), as a mouse draws it."""
    box = canvas.bounding_box()
    where = [(box["x"] + u * box["width"], box["y"] + v * box["height"]) for u, v in points]
    page.mouse.move(*where[0])
    page.mouse.down()
    for (x0, y0), (x1, y1) in zip(where, where[1:]):
        for step in range(1, 9):
            page.mouse.move(x0 + (x1 - x0) * step / 8, y0 + (y1 - y0) * step / 8)
    page.mouse.up()


def learn_button_enabled(page, enabled):
    """Wait until the Teach page's "Learn from it" button is enabled (a drawing read) or not
    (the canvas cleared); the button is looked up anew each time, Streamlit redraws it."""
    page.wait_for_function(
        """enabled => { const b = [...document.querySelectorAll("button")].find(
                          b => b.innerText.trim() === "Learn from it");
                        return b !== undefined && b.disabled === !enabled; }""", arg=enabled)


def test_teach_page_learns_a_drawn_triangle(server, page, tmp_path):
    page.goto(f"{server}/teach")
    page.get_by_role("heading", name="Teach it a new class").wait_for()
    wait_until_idle(page)
    page.get_by_label("Name of your symbol").fill("triangle")
    page.get_by_label("Name of your symbol").press("Enter")
    wait_until_idle(page)
    canvas = page.locator("canvas[aria-label='drawing canvas']")
    canvas.wait_for()
    for index in range(7):  # five to learn from, two held back, each a little different
        lean, size = 0.03 * (index % 3 - 1), 0.3 + 0.04 * (index % 4)
        draw_polyline(page, canvas, [(0.5 + lean, 0.5 - size), (0.5 + size, 0.5 + size * 0.8),
                                     (0.5 - size, 0.5 + size * 0.8), (0.5 + lean, 0.5 - size)])
        # each step waits for what the page shows, not for time: the drawing read (the
        # buttons enabled), the drawing kept (the count), the canvas cleared (disabled again)
        learn_button_enabled(page, True)
        wait_until_idle(page)
        kind, count = ("To learn from", index + 1) if index < 5 else \
            ("Held back for the test", index - 4)
        page.get_by_role("button", name="Learn from it" if index < 5 else "Hold it back").click()
        page.get_by_text(f"{kind}: {count}", exact=True).wait_for()
        wait_until_idle(page)
        page.locator(".zoo-canvas button").click()  # the canvas' Clear
        learn_button_enabled(page, False)
        wait_until_idle(page)
    page.get_by_role("button", name="Teach it").click()
    page.get_by_text("Two copies that know").wait_for()
    wait_until_idle(page)
    page.screenshot(path=str(tmp_path / "teach.png"), full_page=True)
    labels = [label.inner_text().strip()
              for label in page.locator("[data-testid=stMetricLabel]").all()]
    assert labels.count("triangle: held-back drawings read as it") == 2, labels
    assert labels.count("Old digits: accuracy after") == 2, labels
    values = [value.inner_text().strip()
              for value in page.locator("[data-testid=stMetricValue]").all()]
    assert all(re.fullmatch(r"\d+(\.\d)?%", v) for v in values), values
