"""A faulty network in front of a real router: an HTTP proxy that answers 500 to some requests,
lets others through but holds their answer past the client's timeout (the router did the work,
the client never hears of it), and can play dead. Used by the fault test and the drain bench.
"""

import json
import random
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that gave up waiting resets its connection: that is the point


class FaultProxy:
    def __init__(self, upstream, *, failure_rate=0.3, hold_seconds=1.0, seed=4):
        self.upstream = upstream.rstrip("/")
        self.failure_rate = failure_rate
        self.hold_seconds = hold_seconds
        self.down = False
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.counts = defaultdict(int)  # "500", "held", "passed", "down"
        self.applied = defaultdict(list)  # card ESCN -> bodies of its writes the router took
        self.client = httpx.Client(timeout=30, follow_redirects=False)
        self.server = QuietServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.client.close()

    def fate(self):
        """What happens to the next request: down, 500, held or passed."""
        with self.lock:
            if self.down:
                fate = "down"
            else:
                roll = self.random.random()
                fate = ("500" if roll < self.failure_rate / 2
                        else "held" if roll < self.failure_rate else "passed")
            self.counts[fate] += 1
            return fate

    def forward(self, method, path, headers, body):
        response = self.client.request(method, self.upstream + path, headers=headers,
                                       content=body)
        if method in ("POST", "PUT") and "/api/v2/cards" in path and response.is_success:
            self._note_applied(body)
        return response

    def _note_applied(self, body):
        card = json.loads(body)
        with self.lock:
            self.applied[card.get("cardNumber")].append(
                {k: v for k, v in card.items() if k != "cardNumber"})

    def _handler_class(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fate = proxy.fate()
                if fate == "down":
                    self.close_connection = True  # no answer at all, as a dead host
                    return
                if fate == "500":
                    self._answer(500, b'{"code":"SE-0000","message":"injected failure"}',
                                 {"Content-Type": "application/json"})
                    return
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in HOP_HEADERS}
                response = proxy.forward(self.command, self.path, headers, body)
                if fate == "held":
                    time.sleep(proxy.hold_seconds)
                kept = {k: v for k, v in response.headers.items()
                        if k.lower() not in HOP_HEADERS | {"content-encoding"}}
                self._answer(response.status_code, response.content, kept)

            def _answer(self, status, body, headers):
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting, which is the point of holding

            do_GET = do_POST = do_PUT = do_DELETE = _any

        return Handler
