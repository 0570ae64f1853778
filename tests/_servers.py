"""A file server on 127.0.0.1 for the download tests, that can fail, stall, cut connections
and hold a transfer half-way (the ``server`` fixture of conftest.py serves ``tmp_path/served``).
A folder is served as a package index page: its ``index.json`` to a client asking for PEP 691
JSON, else its ``index.html``."""

import hashlib
import http.server
import pathlib
import re
import threading
import time


def sha(data):
    return hashlib.sha256(data).hexdigest()


class FileServer(http.server.ThreadingHTTPServer):
    """Serves ``root`` with Range support, records every request and misbehaves on demand.

    Knobs (set them on the instance): ``status`` + ``fail_times`` (answer ``status`` that many
    times, -1 for always), ``stall`` (seconds to wait before answering), ``delay`` (seconds to
    wait before an answer that succeeds), ``cut_after`` + ``cuts`` (close the connection after
    that many body bytes, ``cuts`` times), ``ignore_range`` (answer 200 with the whole file),
    ``hold_after`` + ``holds`` (send that many body bytes of a longer file, then hold the
    connection open without a byte more until the server stops, ``holds`` times: a transfer
    caught mid-way, to kill the client there).
    """

    daemon_threads = True

    def __init__(self, root):
        super().__init__(("127.0.0.1", 0), Handler)
        self.root = pathlib.Path(root)
        self.requests = []  # one dict of the headers the server saw per request
        self.paths = []  # the path of every request
        self.full_transfers = 0
        self.status, self.fail_times = None, 0
        self.stall = self.delay = 0.0
        self.cut_after, self.cuts = None, 0
        self.hold_after, self.holds = None, 0
        self.ignore_range = False
        self.release = threading.Event()  # ends any stall at shutdown
        self.guard = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        self.running = True

    def url(self, name):
        return f"http://127.0.0.1:{self.server_address[1]}/{name}"

    def put(self, name, data):
        (self.root / name).write_bytes(data)
        return sha(data)

    def stop(self):
        if self.running:
            self.running = False
            self.release.set()
            self.shutdown()
            self.server_close()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass

    def do_GET(self):
        srv = self.server
        with srv.guard:
            srv.requests.append(dict(self.headers))
            srv.paths.append(self.path)
            fail = srv.status is not None and srv.fail_times != 0
            if fail and srv.fail_times > 0:
                srv.fail_times -= 1
            cut = srv.cut_after if srv.cuts > 0 else None
            if cut is not None:
                srv.cuts -= 1
        if srv.stall:
            srv.release.wait(srv.stall)
            return
        if fail:
            self.send_error(srv.status)
            return
        path = srv.root / self.path.lstrip("/")
        content_type = None
        if path.is_dir():  # a Simple API page: index.json when JSON is asked for, else index.html
            wants_json = "application/vnd.pypi.simple.v1+json" in self.headers.get("Accept", "")
            if wants_json and (path / "index.json").is_file():
                path, content_type = path / "index.json", "application/vnd.pypi.simple.v1+json"
            else:
                path, content_type = path / "index.html", "text/html; charset=utf-8"
        if not path.is_file():
            self.send_error(404)
            return
        if srv.delay:
            time.sleep(srv.delay)
        data = path.read_bytes()
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
        start = int(match.group(1)) if match and not srv.ignore_range else 0
        if start >= len(data) > 0:
            self.send_error(416)
            return
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(data) - start))
        if content_type:
            self.send_header("Content-Type", content_type)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        body = data[start:]
        with srv.guard:
            hold = srv.hold_after if srv.holds > 0 and len(body) > srv.hold_after else None
            if hold is not None:
                srv.holds -= 1
        if hold is not None:
            self.wfile.write(body[:hold])
            self.wfile.flush()
            srv.release.wait()
            self.close_connection = True
            return
        if cut is not None:
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.close_connection = True
            return
        if start == 0:  # counted before the bytes go: the client may be done before
            with srv.guard:  # this thread runs again
                srv.full_transfers += 1
        self.wfile.write(body)
