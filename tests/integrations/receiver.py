"""An HTTP service started by the test: it records every request, checks webhook signatures
with `signing.verify`, applies each Idempotency-Key once, and answers as told."""

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from campuscard.integrations.webhooks.signing import verify


@dataclass
class Request:
    method: str
    path: str
    headers: dict
    body: bytes
    verified: bool | None = None

    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    secret: str | None = None  # set: webhook requests are checked against it
    status: int = 200
    delay: float = 0.0
    apply_then_fail: int = 0  # answer 503 after applying the next n new keys
    requests: list = field(default_factory=list)
    applied: dict = field(default_factory=dict)  # Idempotency-Key -> Request

    def __post_init__(self):
        self.lock = threading.Lock()
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()  # nothing listens there until start(): the receiver is "down"
        self.server = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def handle(self, handler):
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        request = Request(handler.command, handler.path, dict(handler.headers.items()), body)
        if self.secret is not None:
            request.verified = verify(self.secret, handler.headers, body)
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.requests.append(request)
            status = self.status
            key = request.headers.get("Idempotency-Key")
            if status < 300 and request.verified is not False and key not in self.applied:
                self.applied[key] = request
                if self.apply_then_fail:
                    self.apply_then_fail -= 1
                    status = 503
        if request.verified is False:
            status = 401
        handler.send_response(status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _any(self):
                receiver.handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        return Handler
