"""Fixtures for the ESC router client and its users.

- `scripted_server`: a tiny HTTP server on 127.0.0.1 (a thread) that answers from a script and
  counts what it receives, to put the client through faults over real HTTP.
- `router_key(pic, name)`: issues a key of the router service (campuscard.router) for a PIC.
- `live_router`: (base_url, key) of the router service served by pytest-django's live server,
  the key issued for establishment A's PIC. Needs transactional_db (it is requested here).
- `router_client`: an EscRouterClient on `live_router` whose every response is checked
  against the published contract (tests/contract).
"""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from campuscard.integrations.esc_router.client import EscRouterClient
from tests.contract.checker import Contract


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict | list = b""
    headers: dict = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering

    def encoded(self):
        if isinstance(self.body, dict | list):
            return json.dumps(self.body).encode(), "application/json"
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return self.body, "application/octet-stream"


class ScriptedServer:
    """Answers each request with the next reply of `script` (the last one repeats)."""

    def __init__(self):
        self.received = []
        self.script = [Reply()]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,),
                                        daemon=True)

    @property
    def url(self):
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self):
        return f"{self.url}/esc-rest"

    def answer(self, *replies):
        self.script = list(replies)

    def count(self, method=None):
        return sum(1 for r in self.received if method in (None, r.method))

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()  # wakes the handlers that are still sleeping
        self._httpd.shutdown()
        self._httpd.server_close()

    def next_reply(self, received):
        with self._lock:
            self.received.append(received)
            return self.script[min(len(self.received), len(self.script)) - 1]

    def wait(self, seconds):
        self._stop.wait(seconds)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        received = Received(self.command, self.path, dict(self.headers.items()),
                            self.rfile.read(length))
        reply = self.server.owner.next_reply(received)
        if reply.delay:
            self.server.owner.wait(reply.delay)
        body, content_type = reply.encoded()
        try:
            self.send_response(reply.status)
            headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
            for name, value in (headers | reply.headers).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (timeout): nobody reads the answer

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format, *args):
        pass


@pytest.fixture
def scripted_server():
    server = ScriptedServer().start()
    yield server
    server.stop()


@pytest.fixture
def another_server():
    """A second host: where a redirect would send the key."""
    server = ScriptedServer().start()
    yield server
    server.stop()


@pytest.fixture
def router_key(db):
    """issue(pic, name) -> a plaintext key of the router service for that organisation."""
    keys = pytest.importorskip("campuscard.router.keys")

    def issue(pic, name="CampusCard tests", organisation_name=None):
        return keys.issue_key(pic, name, organisation_name)

    return issue


@pytest.fixture
def live_router(transactional_db, live_server, router_key, est_a):
    """(base_url, key): the router service over real HTTP, keyed for establishment A."""
    return f"{live_server.url}/esc-rest", router_key(est_a.pic, est_a.name)


@pytest.fixture(scope="session")
def contract():
    return Contract.load()


@pytest.fixture
def contract_checked_http(contract):
    """An httpx client whose every response is checked against the contract."""
    http = httpx.Client(event_hooks={"response": [contract.check_response]})
    yield http
    http.close()


@pytest.fixture
def router_client(live_router, contract_checked_http):
    base_url, key = live_router
    with EscRouterClient(base_url, key, timeout=10.0, http_client=contract_checked_http) as client:
        yield client
