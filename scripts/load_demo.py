"""The demo under load: many visitors at once on the Digits, Translate and Text pages.

Starts the real Streamlit server (``demo_app/app.py`` with ``ZOO_OFFLINE=1`` on 127.0.0.1 and a
free port, with the flags of ``scripts/run_demo.sh``), or attaches to ``--url``, and drives
``--sessions`` visitors at once for ``--duration`` seconds. Each visitor is a browser context of
one headless Chromium (Debian's ``chromium``, driven by Playwright) that goes round the three
pages through the sidebar as a person would: uploads an MNIST test digit and reads the three
predictions, types an English sentence and reads the Spanish, types a beginning of text and reads
the next-character chart and the continuation.

An answer's latency runs from the action (upload, Ctrl+Enter) until the script run it started has
finished (read from the page's own websocket) and the answer is on the page with nothing stale
left. Errors: an exception or error box on the page, a script run that did not finish, a
websocket that closed, an answer missing after ``--answer-timeout`` seconds, a page error in the
browser. One visitor (``--long``, on by default) instead sends long requests in turn, a
2,000-character translation and a 1,000-character generation; the answers of the others that
overlap one are compared with the same page's answers that do not, against ``--stall-bound``,
and the stall figure is printed: a Digits answer's latency (always a short request) during a
long request against with none running.

The server's resident memory (``VmRSS`` in ``/proc/PID/status``), its CPU time, the client's CPU
time and the load average are sampled every ``--sample-every`` seconds and printed as a time
series. Exit status 0 when there was no error, no page whose p95 during a long request is over
the stall bound, and the memory stayed bounded; 1 otherwise; 2 for bad arguments.

    python scripts/load_demo.py                        # 20 visitors, 180 s
    python scripts/load_demo.py --sessions 4 --duration 20 --json out.json
    python scripts/load_demo.py --url http://127.0.0.1:8501 --pid 12345
"""

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # this checkout's zoo, as the demo it starts uses
    sys.path.insert(0, str(ROOT))
DATA = ROOT / "tests" / "data"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--disable-dev-shm-usage"]
MAX_SESSIONS = 64
MAX_DURATION = 1800
PAGES = ("Digits", "Translate", "Text")
SHORT_PAGE = "Digits"  # its answers are always short: the stall figure is measured on them
UNEXPECTED = "Something went wrong on this page"  # demo_app/app.py's last-resort message
SENTENCES = ["Please select a folder.", "The file could not be saved.", "Enter the password.",
             "Insert a new table.", "An error occurred.", "A red apple.", "Open the document.",
             "The printer is not ready.", "Save the changes before closing.", "A brown hen.",
             "Delete the selected rows.", "The name is too long."]
PREFIXES = ["Hell", "It was a truth universally acknowledged", "Emma Woodhouse, handsome",
            "The ", "She had", "You will", "Mr. Knightley", "In the morning"]
WORDS = ["and", "said", "very", "little", "house", "when", "could", "never", "Harriet", "time",
         "morning", "letter", "walk", "father", "always", "quite", "think", "friend"]
LONG_TEXT_CHARS = 2000  # the Translate page's limit
LONG_GENERATION = 1000  # the Text page's longest continuation


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="attach to a running demo instead of starting one")
    parser.add_argument("--pid", type=int, help="with --url: the server's pid, to sample its memory")
    parser.add_argument("--sessions", type=int, default=20,
                        help=f"visitors at once, 1 to {MAX_SESSIONS} (default 20)")
    parser.add_argument("--duration", type=float, default=180,
                        help=f"seconds of load after the warm-up, 10 to {MAX_DURATION} "
                             "(default 180)")
    parser.add_argument("--browsers", type=int, default=1,
                        help="how many of the visitors are Chromium pages (the others speak "
                             "Streamlit's websocket protocol; default 1)")
    parser.add_argument("--long", action=argparse.BooleanOptionalAction, default=True,
                        help="one visitor sends long requests (default: on)")
    parser.add_argument("--stall-bound", type=float, default=2.0,
                        help="a page stalls when the p95 of its answers that overlap a long "
                             "request is over this factor times its p95 without one, plus 1 s; "
                             "the single answers over it are counted too (default 2)")
    parser.add_argument("--answer-timeout", type=float, default=120,
                        help="seconds an answer may take before it counts as missing (default 120)")
    parser.add_argument("--sample-every", type=float, default=5, help="seconds between samples")
    parser.add_argument("--think", type=float, default=2.0,
                        help="mean seconds a visitor reads an answer before the next action "
                             "(uniform from half to one and a half times it; default 2)")
    parser.add_argument("--ramp", type=float, default=0.5,
                        help="seconds between two visitors' arrivals (default 0.5)")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--quiet", action="store_true", help="no time series while it runs")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= MAX_SESSIONS:
        parser.error(f"--sessions must be 1 to {MAX_SESSIONS}, got {args.sessions}")
    if not 0 <= args.browsers <= args.sessions:
        parser.error(f"--browsers must be 0 to --sessions ({args.sessions}), got {args.browsers}")
    if not 10 <= args.duration <= MAX_DURATION:
        parser.error(f"--duration must be 10 to {MAX_DURATION} seconds, got {args.duration:g}")
    if not 1 <= args.answer_timeout <= 600:
        parser.error("--answer-timeout must be 1 to 600 seconds")
    if not 0.5 <= args.sample_every <= 60:
        parser.error("--sample-every must be 0.5 to 60 seconds")
    if not 0 <= args.think <= 60:
        parser.error("--think must be 0 to 60 seconds")
    if not 0 <= args.ramp <= 10:
        parser.error("--ramp must be 0 to 10 seconds")
    if args.stall_bound < 1:
        parser.error("--stall-bound must be at least 1")
    if args.pid is not None and not args.url:
        parser.error("--pid goes with --url (a server this script starts is sampled anyway)")
    if args.url and not re.fullmatch(r"https?://[^/\s]+/?", args.url):
        parser.error(f"--url must be the demo's base URL like http://127.0.0.1:8501, "
                     f"got {args.url!r}")
    return args


def find_chromium():
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


# -- the server -----------------------------------------------------------------------------------

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url, process=None, timeout=180, log=None):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as answer:
                if answer.read().strip() == b"ok":
                    return
        except OSError:
            pass
        if (process is not None and process.poll() is not None) or time.monotonic() > deadline:
            tail = Path(log).read_text()[-3000:] if log else ""
            raise RuntimeError(f"the demo did not answer its health check at {url}\n{tail}")
        time.sleep(0.3)


def start_server(log_path):
    """The demo as ``scripts/run_demo.sh`` runs it (``python -m demo_app.serve``), on a free port of
    127.0.0.1 (in this Python environment: the script does not make a virtualenv)."""
    port = free_port()
    env = dict(os.environ, ZOO_OFFLINE="1", PYTHONUNBUFFERED="1")
    with open(log_path, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "demo_app.serve",
             "--server.address", "127.0.0.1", "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--client.toolbarMode", "viewer", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"


def stop_server(process):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# -- sampling /proc -------------------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def rss_mib(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _stat(pid):
    """``(ppid, cpu seconds)`` of a process, ``None`` when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS


def tree_cpu(root, exclude=()):
    """``{pid: CPU seconds}`` of ``root`` and its descendants (not those under ``exclude``)."""
    parents, cpu = {}, {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat:
                parents[int(entry)], cpu[int(entry)] = stat
    found = {}
    for pid in cpu:
        node = pid
        while node and node not in exclude:
            if node == root:
                found[pid] = cpu[pid]
                break
            node = parents.get(node)
    return found


class Sampler(threading.Thread):
    """Samples the server's memory and CPU, this script's (and its browser's) CPU, and the load
    average, every ``every`` seconds."""

    def __init__(self, server_pid, every, echo):
        super().__init__(daemon=True)
        self.server_pid, self.every, self.echo = server_pid, every, echo
        self.samples = []
        self.client = {}  # pid: CPU seconds last seen (a process that ended keeps its figure)
        self.stopped = threading.Event()
        self.start_time = time.monotonic()

    def sample(self):
        now = time.monotonic() - self.start_time
        server_cpu = _stat(self.server_pid)[1] if self.server_pid and _stat(self.server_pid) \
            else None
        row = {"t": round(now, 1), "wall": time.monotonic(),
               "rss_mib": rss_mib(self.server_pid) if self.server_pid else None,
               "server_cpu_s": server_cpu,
               "client_cpu_s": self.client_cpu(),
               "loadavg": [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]}
        self.samples.append(row)
        if self.echo:
            rss = f"{row['rss_mib']:7.0f} MiB" if row["rss_mib"] is not None else "    ? MiB"
            print(f"  t={row['t']:6.1f}s  server RSS {rss}  load {row['loadavg'][0]:.2f}",
                  flush=True)

    def client_cpu(self):
        """CPU seconds of this script and its browser so far."""
        self.client.update(tree_cpu(os.getpid(), exclude={self.server_pid}))
        return sum(self.client.values())

    def run(self):
        while not self.stopped.wait(self.every):
            self.sample()

    def stop(self):
        self.stopped.set()
        self.join()
        self.sample()


# -- one visitor ----------------------------------------------------------------------------------

class Failure(Exception):
    """What went wrong with one answer (counted as an error)."""


class Runs:
    """The script runs of one session, read from its websocket: when each started and finished,
    and the elements each run drew."""

    def __init__(self):
        self.started, self.finished = [], []  # monotonic times; (time, status name)
        self.current, self.elements = [], []  # the elements of the running and the last run
        self.closed = False
        self.closing = False  # this script closes the session: not a drop

    def frame(self, payload):
        """Read one websocket frame; the ``ForwardMsg`` (``None``: not one)."""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if isinstance(payload, str):
            return None
        try:
            message = ForwardMsg.FromString(payload)
        except Exception:  # noqa: BLE001  (not a message of this protocol version: ignore it)
            return None
        kind = message.WhichOneof("type")
        if kind == "new_session":
            self.started.append(time.monotonic())
            self.current = []
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            self.current.append(message.delta.new_element)
        elif kind == "script_finished":
            status = ForwardMsg.ScriptFinishedStatus.Name(message.script_finished)
            if status != "FINISHED_EARLY_FOR_RERUN":
                self.elements = self.current
            self.finished.append((time.monotonic(), status))
        return message

    def done_since(self, t0):
        """A run started after ``t0`` finished: its status, else ``None``."""
        starts = [t for t in self.started if t >= t0]
        if not starts:
            return None
        for t, status in self.finished:
            if t >= starts[0] and status != "FINISHED_EARLY_FOR_RERUN":
                return status
        return None


def elements_state(elements):
    """What a page shows, from the elements of its last run (the keys of :data:`STATE_JS`)."""
    from streamlit.proto.Alert_pb2 import Alert

    state = {"stale": 0, "running": False, "errors": [], "metrics": [], "labels": [],
             "success": [], "code": [], "pools": 0, "heading": []}
    for element in elements:
        kind = element.WhichOneof("type")
        if kind == "exception":
            state["errors"].append(f"{element.exception.type}: {element.exception.message}")
        elif kind == "alert":
            if element.alert.format == Alert.ERROR or UNEXPECTED in element.alert.body:
                state["errors"].append(element.alert.body)
            elif element.alert.format == Alert.SUCCESS:
                state["success"].append(element.alert.body)
        elif kind == "metric":
            state["labels"].append(element.metric.label)
            state["metrics"].append(element.metric.body)
        elif kind == "code":
            state["code"].append(element.code.code_text)
        elif kind == "imgs":
            state["pools"] += sum(bool(re.search(r"_pool: \d+ maps", image.caption))
                                  for image in element.imgs.imgs)
        elif kind == "heading":
            state["heading"].append(element.heading.body)
    return state


STATE_JS = """() => {
  const q = (s) => Array.from(document.querySelectorAll(s));
  const text = (e) => (e.innerText || '').trim();
  return {
    stale: q('[data-stale="true"]').length,
    running: !!document.querySelector('[data-testid="stStatusWidget"]'),
    errors: q('[data-testid="stException"], [data-testid="stAlertContentError"]').map(text)
      .concat(document.body.innerText.includes('%s') ? ['%s'] : []),
    metrics: q('[data-testid="stMetricValue"]').map(text),
    labels: q('[data-testid="stMetricLabel"]').map(text),
    success: q('[data-testid="stAlertContentSuccess"]').map(text),
    code: q('[data-testid="stCode"] code, [data-testid="stCode"] pre').map(text),
    pools: q('[data-testid="stImageCaption"], [data-testid="caption"]').map(text)
      .filter(t => /_pool: \\d+ maps/.test(t)).length,
    heading: q('h1').map(text),
  };
}""" % (UNEXPECTED, UNEXPECTED)


def digits_ready(state):
    return len(state["metrics"]) == 3 and state["pools"] >= 2


def digits_answer(label):
    def check(state):
        return {"label": label,
                "mnist_convnet": dict(zip(state["labels"], state["metrics"])).get("mnist_convnet")}
    return check


def text_ready(prefix):
    return lambda state: len(state["metrics"]) == 1 and any(prefix[-20:] in c
                                                             for c in state["code"])


class Visitor:
    """One visitor going round the pages; the subclasses say how it acts on a page."""

    kind = "?"

    def __init__(self, index, url, args, files, results, stop_at, long_windows):
        self.index, self.url, self.args = index, url, args
        self.files, self.results, self.stop_at = files, results, stop_at
        self.long_windows = long_windows
        self.long = args.long and index == 0
        self.runs = Runs()
        self.step = index  # varies the inputs between visitors
        self.random = random.Random(index)

    def record(self, page, kind, t0, latency, error=None, answer=None):
        self.results.append({"visitor": self.index, "client": self.kind, "page": page,
                             "kind": kind, "start": t0, "latency": latency, "error": error,
                             "answer": answer})

    def drop_error(self):
        """An error this visitor's connection had (``None``: none)."""
        if self.runs.closed and not self.runs.closing:
            return "the websocket closed"
        return None

    async def settle(self, t0, ready, what):
        """Wait for the run started by an action at ``t0`` to finish and ``ready(state)`` to
        hold with nothing stale; the state. Raises :class:`Failure`."""
        deadline = t0 + self.args.answer_timeout
        state = None
        while time.monotonic() < deadline:
            error = self.drop_error()
            if error:
                raise Failure(error)
            status = self.runs.done_since(t0)
            if status is not None and status != "FINISHED_SUCCESSFULLY":
                raise Failure(f"the script run ended {status}")
            if status is not None:
                state = await self.state()
                if state["errors"]:
                    raise Failure("error on the page: " + " | ".join(state["errors"])[:300])
                if not state["stale"] and not state["running"] and ready(state):
                    return state
            await asyncio.sleep(0.05)
        raise Failure(f"no {what} after {self.args.answer_timeout:g} s "
                      f"(last state: {json.dumps(state)[:300] if state else 'no finished run'})")

    async def timed(self, page, kind, action, ready, what, check=None):
        t0 = time.monotonic()
        try:
            await action()
            state = await self.settle(t0, ready, what)
            latency = time.monotonic() - t0
            answer = check(state) if check else None
            error = self.page_error()
            if error:
                raise Failure(error)
        except Failure as err:
            self.record(page, kind, t0, time.monotonic() - t0, error=str(err))
            return False
        except Exception as err:  # noqa: BLE001  (a timeout, a closed page or socket)
            self.record(page, kind, t0, time.monotonic() - t0,
                        error=f"{type(err).__name__}: {str(err).splitlines()[0][:300]}")
            return False
        self.record(page, kind, t0, latency, answer=answer)
        return True

    def page_error(self):
        return None

    async def start(self):
        """Open the home page as a new visitor."""
        t = time.monotonic()
        try:
            await self.open()
            await self.settle(t, lambda s: True, "home page")
        except Exception as err:  # noqa: BLE001
            self.record("Home", "open", t, time.monotonic() - t,
                        error=f"{type(err).__name__}: {str(err)[:200]}")
            return False
        return True

    async def visit(self):
        order = PAGES[self.index % 3:] + PAGES[:self.index % 3]
        while time.monotonic() < self.stop_at:
            for name in order:
                if time.monotonic() >= self.stop_at:
                    return
                if not await self.go(name):
                    await self.reload()
                    continue
                for _ in range(2):  # two answers per page visit
                    await self.think()
                    if time.monotonic() >= self.stop_at:
                        return
                    ok = await (self.act_long(name) if self.long else self.act(name))
                    if not ok:
                        await self.reload()
                        break

    async def think(self):
        await asyncio.sleep(self.random.uniform(0.5, 1.5) * self.args.think)

    def next_digit(self):
        path, label = self.files[self.step % len(self.files)]
        self.step += 1
        return path, label

    def next_sentence(self):
        """Two sentences of the list: a request the demo has not answered before (it keeps
        answers to repeated ones)."""
        self.step += 1
        return " ".join(self.random.sample(SENTENCES, 2))

    def next_prefix(self, long=False):
        self.step += 1
        return (f"{self.random.choice(PREFIXES)} {self.random.choice(WORDS)}"
                + (" " if long else ""))

    async def act(self, name):
        return await {"Digits": self.digits, "Translate": self.translate,
                      "Text": self.text}[name]()

    async def act_long(self, name):
        if name == "Digits":
            return await self.digits()
        start = time.monotonic()
        if name == "Translate":
            ok = await self.translate(long_translation_text(self.step % 7), kind="long")
            self.step += 1
        else:
            ok = await self.text(length=LONG_GENERATION, kind="long")
        self.long_windows.append((name, start, time.monotonic()))
        return ok


class BrowserVisitor(Visitor):
    """A visitor in a browser context of the shared Chromium: clicks, uploads and types."""

    kind = "browser"

    def __init__(self, browser, *rest):
        super().__init__(*rest)
        self.browser = browser

    async def open(self):
        self.context = await self.browser.new_context(viewport={"width": 1280, "height": 1400})
        self.page = await self.context.new_page()
        self.page.set_default_timeout(self.args.answer_timeout * 1000)
        self.page_errors = []
        self.page.on("pageerror", lambda err: self.page_errors.append(str(err)))
        self.page.on("websocket", self.watch)
        await self.page.goto(f"{self.url}/")

    def watch(self, websocket):
        if "_stcore/stream" not in websocket.url:
            return
        websocket.on("framereceived", self.runs.frame)
        websocket.on("close", lambda _ws: setattr(self.runs, "closed", True))

    def page_error(self):
        return ("browser page error: " + self.page_errors.pop()[:300]) if self.page_errors \
            else None

    async def close(self):
        self.runs.closing = True
        await self.context.close()

    async def state(self):
        return await self.page.evaluate(STATE_JS)

    async def reload(self):
        """After an error: start over as a visitor would (reload the page)."""
        try:
            self.runs = Runs()
            t = time.monotonic()
            await self.page.goto(f"{self.url}/")
            await self.settle(t, lambda s: True, "home page")
        except Exception:  # noqa: BLE001  (counted already; the next action will tell)
            pass

    async def go(self, name):
        async def click():
            link = self.page.locator("[data-testid=stSidebarNavLink]", has_text=name)
            if await link.count():
                await link.first.click()
            else:  # no sidebar (attached to another layout): load the page's address
                await self.page.goto(f"{self.url}/{name.lower()}")
        return await self.timed(name, "open", click,
                                lambda s: name in s["heading"], f"{name} page")

    async def digits(self):
        path, label = self.next_digit()

        async def upload():
            await self.page.get_by_text("Upload", exact=True).click()
            await self.page.locator("input[type=file]").set_input_files(str(path))

        return await self.timed("Digits", "answer", upload, digits_ready,
                                "three predictions and the feature maps", digits_answer(label))

    async def type_into(self, label, text):
        box = self.page.locator(f"textarea[aria-label='{label}']")
        await box.fill(text)
        await box.press("Control+Enter")  # a text area sends its value on Ctrl+Enter

    async def translate(self, text=None, kind="answer"):
        text = text or self.next_sentence()
        return await self.timed("Translate", kind, lambda: self.type_into("English", text),
                                lambda s: bool(s["success"]), "Spanish translation",
                                lambda s: s["success"][0][:80])

    async def text(self, length=None, kind="answer"):
        prefix = self.next_prefix(long=length is not None)

        async def action():
            slider = self.page.get_by_role("slider").nth(1)  # the continuation's length
            if length is not None and await slider.get_attribute("aria-valuenow") != str(length):
                t = time.monotonic()
                await slider.focus()  # the long visitor: the longest continuation
                await slider.press("End")
                await self.settle(t, lambda s: True, "rerun after the slider")
            await self.type_into("Beginning of the text", prefix)

        return await self.timed("Text", kind, action, text_ready(prefix),
                                "next character and continuation",
                                lambda s: len(s["code"][0]) if s["code"] else 0)


class SocketVisitor(Visitor):
    """A visitor speaking Streamlit's own protocol on its websocket, as the browser's page does
    (``BackMsg`` reruns with widget states, uploads through ``/_stcore/upload_file``), without
    drawing the page: the server does all it does for a browser."""

    kind = "socket"

    def __init__(self, *rest):
        super().__init__(*rest)
        self.pages = {}  # page name: its script hash (from the navigation message)
        self.page_hash = ""
        self.states = {}  # widget id: the WidgetState sent with every rerun (as the frontend)
        self.session_id = None
        self.waiting = {}  # file URL request id: future of its response

    async def open(self):
        import websockets

        self.cookie, self.token = await asyncio.to_thread(xsrf_cookie, self.url)
        host = self.url.split("://", 1)[1]
        self.socket = await websockets.connect(
            f"ws://{host}/_stcore/stream", subprotocols=["streamlit", self.token] if self.token
            else ["streamlit"],
            origin=self.url, additional_headers={"Cookie": self.cookie}, max_size=None,
            open_timeout=self.args.answer_timeout, ping_interval=20,
            ping_timeout=self.args.answer_timeout)
        self.reader = asyncio.create_task(self.read())
        await self.rerun()

    async def read(self):
        try:
            async for payload in self.socket:
                message = self.runs.frame(payload)
                if message is None:
                    continue
                kind = message.WhichOneof("type")
                if kind == "new_session":
                    self.session_id = message.new_session.initialize.session_id or \
                        self.session_id
                    self.page_hash = message.new_session.page_script_hash
                elif kind == "navigation":
                    self.pages = {page.page_name: page.page_script_hash
                                  for page in message.navigation.app_pages}
                elif kind == "file_urls_response":
                    future = self.waiting.pop(message.file_urls_response.response_id, None)
                    if future and not future.done():
                        future.set_result(message.file_urls_response)
        except Exception:  # noqa: BLE001  (a dropped connection: recorded below)
            pass
        finally:
            self.runs.closed = True

    async def send(self, back):
        await self.socket.send(back.SerializeToString())

    async def rerun(self, page_hash=None):
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ClientState_pb2 import ClientState, ContextInfo
        from streamlit.proto.WidgetStates_pb2 import WidgetStates

        state = ClientState(query_string="", page_script_hash=page_hash or self.page_hash,
                            widget_states=WidgetStates(widgets=list(self.states.values())),
                            context_info=ContextInfo(timezone="UTC", timezone_offset=0,
                                                     locale="en-GB", url=self.url))
        await self.send(BackMsg(rerun_script=state))

    def widget(self, kind, label):
        """The id of the widget of this kind and label in the last run."""
        for element in self.runs.elements:
            if element.WhichOneof("type") == kind and getattr(element, kind).label == label:
                return getattr(element, kind).id
        raise Failure(f"no {kind} {label!r} on the page")

    def set(self, kind, label, **value):
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        widget_id = self.widget(kind, label)
        self.states[widget_id] = WidgetState(id=widget_id, **value)

    async def state(self):
        return elements_state(self.runs.elements)

    async def close(self):
        self.runs.closing = True
        if getattr(self, "socket", None) is not None:
            await self.socket.close()
            await self.reader

    async def reload(self):
        try:
            await self.close()
        except Exception:  # noqa: BLE001
            pass
        self.runs, self.states = Runs(), {}
        t = time.monotonic()
        try:
            await self.open()
            await self.settle(t, lambda s: True, "home page")
        except Exception:  # noqa: BLE001  (counted already; the next action will tell)
            pass

    async def go(self, name):
        async def navigate():
            if name not in self.pages:
                raise Failure(f"no page {name!r} in the navigation ({sorted(self.pages)})")
            self.states = {}
            await self.rerun(self.pages[name])
        return await self.timed(name, "open", navigate,
                                lambda s: name in s["heading"], f"{name} page")

    async def upload(self, path):
        """Upload a file as the page's uploader does; its ``UploadedFileInfo``."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.Common_pb2 import FileURLsRequest, UploadedFileInfo

        request_id = f"{self.index}-{self.step}-{time.monotonic_ns()}"
        future = asyncio.get_running_loop().create_future()
        self.waiting[request_id] = future
        await self.send(BackMsg(file_urls_request=FileURLsRequest(
            request_id=request_id, file_names=[path.name], session_id=self.session_id)))
        response = await asyncio.wait_for(future, self.args.answer_timeout)
        if response.error_msg or not response.file_urls:
            raise Failure(f"no upload URL: {response.error_msg}")
        urls = response.file_urls[0]
        data = path.read_bytes()
        await asyncio.to_thread(put_file, self.url + urls.upload_url if
                                urls.upload_url.startswith("/") else urls.upload_url,
                                path.name, data, self.cookie, self.token)
        return UploadedFileInfo(name=path.name, size=len(data), file_id=urls.file_id,
                                file_urls=urls)

    async def digits(self):
        path, label = self.next_digit()

        async def upload():
            from streamlit.proto.Common_pb2 import FileUploaderState

            radio = self.widget("radio", "Digit")
            if self.states.get(radio) is None or self.states[radio].string_value != "Upload":
                self.set("radio", "Digit", string_value="Upload")
                t = time.monotonic()
                await self.rerun()
                await self.settle(t, lambda s: True, "the uploader")
            info = await self.upload(path)
            self.set("file_uploader", "An image of one digit (dark on light or light on dark)",
                     file_uploader_state_value=FileUploaderState(uploaded_file_info=[info]))
            await self.rerun()

        return await self.timed("Digits", "answer", upload, digits_ready,
                                "three predictions and the feature maps", digits_answer(label))

    async def translate(self, text=None, kind="answer"):
        text = text or self.next_sentence()

        async def action():
            self.set("text_area", "English", string_value=text)
            await self.rerun()

        return await self.timed("Translate", kind, action, lambda s: bool(s["success"]),
                                "Spanish translation", lambda s: s["success"][0][:80])

    async def text(self, length=None, kind="answer"):
        from streamlit.proto.Common_pb2 import DoubleArray

        prefix = self.next_prefix(long=length is not None)

        async def action():
            if length is not None:
                self.set("slider", "Length (characters)",
                         double_array_value=DoubleArray(data=[float(length)]))
            self.set("text_area", "Beginning of the text", string_value=prefix)
            await self.rerun()

        return await self.timed("Text", kind, action, text_ready(prefix),
                                "next character and continuation",
                                lambda s: len(s["code"][0]) if s["code"] else 0)


def xsrf_cookie(url):
    """The ``Cookie`` header and the XSRF token the page gets with its health check."""
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=30) as answer:
        cookies = answer.headers.get_all("Set-Cookie") or []
    for cookie in cookies:
        name, _, rest = cookie.partition("=")
        if name.strip() == "_streamlit_xsrf":
            value = rest.split(";", 1)[0]
            return f"_streamlit_xsrf={value}", value
    return "", ""


def put_file(url, name, data, cookie, token):
    """PUT one file as multipart form data (as the page's uploader sends it)."""
    boundary = f"----load-demo-{time.monotonic_ns()}"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\nContent-Type: image/png\r\n\r\n").encode() + data + \
        f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url, data=body, method="PUT", headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}", "Cookie": cookie,
        "X-Xsrftoken": token})
    with urllib.request.urlopen(request, timeout=60) as answer:
        if answer.status not in (200, 204):
            raise Failure(f"the upload answered HTTP {answer.status}")


def long_translation_text(skip=0):
    """Up to 2,000 characters of English prose (Emma's first chapter from its ``skip``-th word),
    cut at a word."""
    text = " ".join((DATA / "text" / "emma_chapter1.txt").read_text().split()[skip:])
    text = text[:LONG_TEXT_CHARS]
    return text[:text.rindex(" ")] if len(text) == LONG_TEXT_CHARS else text


def digit_files(folder, count=60):
    """MNIST test digits from the repository's fixture as dark-on-light PNGs; (path, label)."""
    from PIL import Image

    from zoo.data.idx import read_idx

    images = read_idx(DATA / "mnist_small" / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(DATA / "mnist_small" / "t10k-labels-idx1-ubyte.gz")
    files = []
    for i in range(min(count, len(images))):
        path = Path(folder) / f"digit_{i:03d}_{labels[i]}.png"
        Image.fromarray(255 - images[i]).resize((140, 140)).save(path)
        files.append((path, int(labels[i])))
    return files


async def drive(url, args, files, echo):
    """Warm up (one visitor opens each page once, so the models are loaded: the first answers
    of a fresh server, reported apart), then run every visitor until the time is up."""
    results, long_windows, warm_results = [], [], []
    warm = SocketVisitor(-1, url, dict_args(args, long=False), files, warm_results,
                         float("inf"), [])
    if await warm.start():
        for name in PAGES:
            if await warm.go(name):
                await warm.act(name)
        await warm.close()
    if echo:
        for r in warm_results:
            print(f"  warm-up {r['page']:9} {r['kind']:6} {r['latency']:6.2f} s"
                  + (f"  ERROR {r['error']}" if r["error"] else ""), flush=True)

    async def run(visitor):
        await asyncio.sleep(visitor.index * args.ramp)
        if await visitor.start():
            await visitor.visit()
        error = visitor.drop_error()
        if error:
            visitor.record("-", "connection", time.monotonic(), 0, error=error)
        try:
            await visitor.close()
        except Exception as err:  # noqa: BLE001
            visitor.record("-", "close", time.monotonic(), 0, error=f"{type(err).__name__}: {err}")

    args.warm_done = time.monotonic()
    stop_at = time.monotonic() + args.duration
    first_browser = args.sessions - args.browsers
    rest = (url, args, files, results, stop_at, long_windows)
    if not args.browsers:
        await asyncio.gather(*(run(SocketVisitor(i, *rest)) for i in range(args.sessions)))
        return warm_results, results, long_windows

    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=find_chromium(),
                                                   args=CHROMIUM_ARGS)
        try:
            await asyncio.gather(*(
                run(BrowserVisitor(browser, i, *rest) if i >= first_browser
                    else SocketVisitor(i, *rest)) for i in range(args.sessions)))
        finally:
            await browser.close()
    return warm_results, results, long_windows


def dict_args(args, **changes):
    copy = argparse.Namespace(**vars(args))
    for key, value in changes.items():
        setattr(copy, key, value)
    return copy


# -- the report -----------------------------------------------------------------------------------

def percentile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def overlaps(result, windows):
    end = result["start"] + result["latency"]
    return any(start < end and result["start"] < stop for _, start, stop in windows)


def summarise(results, long_windows, samples, args, warm_results):
    answers = [r for r in results if r["kind"] == "answer"]
    errors = [r for r in results + warm_results if r["error"]]
    pages = {}
    stalls = []
    everywhere = percentile([r["latency"] for r in answers if not r["error"]
                             and not overlaps(r, long_windows)], 95)
    for name in PAGES:
        ok = [r for r in answers if r["page"] == name and not r["error"]]
        alone = [r["latency"] for r in ok if not overlaps(r, long_windows)]
        during = [r for r in ok if overlaps(r, long_windows)]
        # a page whose answers all overlapped a long request: the other pages' p95 alone
        p95 = percentile(alone, 95) if alone else everywhere
        bound = None if p95 is None else args.stall_bound * p95 + 1.0
        stalled = [r for r in during if bound is not None and r["latency"] > bound]
        stalls += stalled
        opens = [r["latency"] for r in results if r["page"] == name and r["kind"] == "open"
                 and not r["error"]]
        pages[name] = {
            "answers": len(ok), "p50_s": percentile([r["latency"] for r in ok], 50),
            "p95_s": percentile([r["latency"] for r in ok], 95),
            "max_s": max((r["latency"] for r in ok), default=None),
            "p95_without_long_s": p95,
            "during_long": len(during),
            "p95_during_long_s": percentile([r["latency"] for r in during], 95),
            "max_during_long_s": max((r["latency"] for r in during), default=None),
            "stall_bound_s": bound, "stalled": len(stalled),
            "stalled_at_p95": bool(during) and bound is not None
            and percentile([r["latency"] for r in during], 95) > bound,
            "open_p50_s": percentile(opens, 50), "open_p95_s": percentile(opens, 95)}
    # the stall figure: a short answer (Digits: three small classifiers) during a long request
    # against one with no long request running
    short = [r for r in answers if r["page"] == SHORT_PAGE and not r["error"]]
    short_alone = [r["latency"] for r in short if not overlaps(r, long_windows)]
    short_during = [r["latency"] for r in short if overlaps(r, long_windows)]
    stall = {"page": SHORT_PAGE, "alone": len(short_alone), "during_long": len(short_during),
             "p50_alone_s": percentile(short_alone, 50), "p95_alone_s": percentile(short_alone, 95),
             "p50_during_long_s": percentile(short_during, 50),
             "p95_during_long_s": percentile(short_during, 95),
             "max_during_long_s": max(short_during, default=None)}
    stall["p95_ratio"] = (stall["p95_during_long_s"] / stall["p95_alone_s"]
                          if stall["p95_during_long_s"] and stall["p95_alone_s"] else None)
    wrong = [r for r in answers if r["page"] == "Digits" and r["answer"]
             and r["answer"]["mnist_convnet"] != str(r["answer"]["label"])]
    longs = [{"page": r["page"], "latency_s": r["latency"], "error": r["error"]}
             for r in results if r["kind"] == "long"]
    # memory after the warm-up (the models loaded): the first half against the second
    warm = getattr(args, "warm_done", None)
    rss = [s["rss_mib"] for s in samples if s["rss_mib"] is not None
           and (warm is None or s["wall"] >= warm)]
    half = len(rss) // 2
    growth = (max(rss[half:]) - max(rss[:half])) if half else 0.0
    bounded = bool(rss) and growth <= max(0.05 * max(rss[:half] or rss), 50)
    loads = [s["loadavg"][0] for s in samples]
    span = samples[-1]["t"] - samples[0]["t"] if len(samples) > 1 else 0
    cpu = {}
    for key in ("server_cpu_s", "client_cpu_s"):
        if len(samples) > 1 and samples[0][key] is not None and samples[-1][key] is not None:
            cpu[key.replace("_s", "_cores")] = (samples[-1][key] - samples[0][key]) / span
    return {"sessions": args.sessions, "duration_s": args.duration, "pages": pages,
            "answers": len(answers), "errors": len(errors),
            "error_samples": [f"{r['page']} {r['kind']}: {r['error']}" for r in errors[:10]],
            "digits_wrong": len(wrong), "long_requests": longs, "stalled": len(stalls),
            "stalled_pages": [name for name, page in pages.items() if page["stalled_at_p95"]],
            "stall": stall,
            "rss_mib": {"after_warm_up": rss[0] if rss else None, "max": max(rss) if rss else None,
                        "last": rss[-1] if rss else None, "growth_second_half": growth,
                        "bounded": bounded},
            "loadavg_1min": {"min": min(loads), "max": max(loads),
                             "mean": statistics.mean(loads)} if loads else None,
            "cpu": cpu, "warm_up": [{"page": r["page"], "kind": r["kind"],
                                     "latency_s": r["latency"], "error": r["error"]}
                                    for r in warm_results],
            "samples": samples}


def fmt(value, unit="s"):
    return "-" if value is None else f"{value:.2f} {unit}" if unit else f"{value:.2f}"


def print_report(summary):
    print(f"\n{summary['sessions']} visitors for {summary['duration_s']:g} s: "
          f"{summary['answers']} answers, {summary['errors']} errors, "
          f"{summary['stalled']} over the stall bound; the p95 during a long request "
          + (f"over the bound on {', '.join(summary['stalled_pages'])}"
             if summary["stalled_pages"] else "within the bound on every page"))
    print(f"{'page':10} {'answers':>7} {'p50':>8} {'p95':>8} {'max':>8}   "
          f"{'p95 alone':>9} {'n during long':>13} {'p95 during':>10} {'bound':>8}  "
          f"{'open p50':>8}")
    for name, page in summary["pages"].items():
        print(f"{name:10} {page['answers']:7d} {fmt(page['p50_s']):>8} {fmt(page['p95_s']):>8} "
              f"{fmt(page['max_s']):>8}   {fmt(page['p95_without_long_s']):>9} "
              f"{page['during_long']:13d} {fmt(page['p95_during_long_s']):>10} "
              f"{fmt(page['stall_bound_s']):>8}  {fmt(page['open_p50_s']):>8}")
    for item in summary["long_requests"]:
        print(f"long request on {item['page']}: {item['latency_s']:.2f} s"
              + (f"  ERROR {item['error']}" if item["error"] else ""))
    stall = summary["stall"]
    if stall["during_long"]:
        ratio = stall["p95_ratio"]
        print(f"stall: a {stall['page']} answer during a long request took p50 "
              f"{fmt(stall['p50_during_long_s'])}, p95 {fmt(stall['p95_during_long_s'])}, max "
              f"{fmt(stall['max_during_long_s'])} ({stall['during_long']} answers); with no long "
              f"request p50 {fmt(stall['p50_alone_s'])}, p95 {fmt(stall['p95_alone_s'])} "
              f"({stall['alone']}): p95 x{'-' if ratio is None else f'{ratio:.2f}'}")
    if summary["digits_wrong"]:
        print(f"Digits: mnist_convnet misread {summary['digits_wrong']} uploaded test digits")
    for line in summary["error_samples"]:
        print(f"error: {line}")
    rss = summary["rss_mib"]
    if rss["max"] is not None:
        print(f"server RSS: after the warm-up {rss['after_warm_up']:.0f} MiB, max {rss['max']:.0f} MiB, last "
              f"{rss['last']:.0f} MiB; second half's max minus first half's "
              f"{rss['growth_second_half']:+.0f} MiB ({'bounded' if rss['bounded'] else 'GROWING'})")
        print("RSS time series (s: MiB): " + ", ".join(
            f"{s['t']:.0f}: {s['rss_mib']:.0f}" for s in summary["samples"]
            if s["rss_mib"] is not None))
    load = summary["loadavg_1min"]
    if load:
        print(f"load average (1 min) during the run: {load['min']:.2f} to {load['max']:.2f}, "
              f"mean {load['mean']:.2f} on {os.cpu_count()} cores")
    if summary["cpu"]:
        print("CPU: " + ", ".join(f"{k.replace('_cores', '')} {v:.2f} cores"
                                  for k, v in summary["cpu"].items()))


def main(argv=None):
    args = parse_args(argv)
    if args.browsers and find_chromium() is None:
        print("load_demo: error: no Chromium found; install Debian's: apt-get install chromium "
              "(or set CHROMIUM=/path/to/chromium)", file=sys.stderr)
        return 2
    echo = not args.quiet
    with tempfile.TemporaryDirectory(prefix="load_demo-") as tmp:
        digits = digit_files(tmp)
        process = None
        if args.url:
            url, pid = args.url.rstrip("/"), args.pid
            wait_healthy(url, timeout=30)
        else:
            process, url = start_server(Path(tmp) / "server.log")
            pid = process.pid
        try:
            if process is not None:
                t = time.monotonic()
                wait_healthy(url, process, log=Path(tmp) / "server.log")
                if echo:
                    print(f"server up at {url} (pid {pid}) in {time.monotonic() - t:.1f} s",
                          flush=True)
            sampler = Sampler(pid, args.sample_every, echo)
            sampler.sample()
            sampler.start()
            try:
                warm, results, windows = asyncio.run(drive(url, args, digits, echo))
            finally:
                sampler.stop()
        finally:
            if process is not None:
                stop_server(process)
                log = (Path(tmp) / "server.log").read_text()
                if "Traceback" in log and echo:
                    print("the server logged a traceback:\n" + log[-3000:])
    summary = summarise(results, windows, sampler.samples, args, warm)
    print_report(summary)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))
    ok = summary["errors"] == 0 and not summary["stalled_pages"] and summary["answers"] > 0
    if pid is not None:  # the memory is known: it must stay bounded
        ok = ok and summary["rss_mib"]["bounded"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
