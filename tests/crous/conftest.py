"""Fixtures for CROUS: the emulator over real HTTP, CampusCard pointed at it, and a scripted
server for the answers no honest API gives (not JSON, fields missing, slow).

- `emulator`: an EmulatorServer on 127.0.0.1 (its own in-memory SQLite), client "campuscard".
- `crous_on`: the settings pointing at it, establishment A sending to CROUS with its constants,
  a fresh token cache and connection pool.
- `consenting`: the student of A (INE-less) consenting to CROUS.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from campuscard.core import outbox
from campuscard.core.models import OutboxItem
from campuscard.integrations.crous import services
from campuscard.integrations.crous.client import CrousClient, TokenCache
from campuscard.integrations.crous.emulator import EmulatorServer
from campuscard.integrations.crous.models import CrousEstablishment
from campuscard.people import services as people_services

from ..conftest import actor

CLIENT_ID = "campuscard"
CLIENT_SECRET = "emulator-secret-for-tests"
TARGET = "crous"


@pytest.fixture
def emulator():
    with EmulatorServer({CLIENT_ID: CLIENT_SECRET}) as server:
        yield server


@pytest.fixture
def client(emulator):
    with CrousClient(emulator.url, token_url=emulator.token_url, client_id=CLIENT_ID,
                     client_secret=CLIENT_SECRET, timeout=5) as crous:
        yield crous


def point_at(settings, url, token_url):
    settings.CAMPUSCARD_CROUS_URL = url
    settings.CAMPUSCARD_CROUS_TOKEN_URL = token_url
    settings.CAMPUSCARD_CROUS_CLIENT_ID = CLIENT_ID
    settings.CAMPUSCARD_CROUS_CLIENT_SECRET = CLIENT_SECRET


@pytest.fixture
def fresh_connection(monkeypatch):
    """A token cache and a pool of the test's own."""
    http = httpx.Client(follow_redirects=False)
    monkeypatch.setattr(services, "_http", http)
    monkeypatch.setattr(services, "_tokens", TokenCache())
    yield http
    http.close()


@pytest.fixture
def crous_settings_a(est_a):
    return CrousEstablishment.objects.create(
        establishment=est_a, crous_number="12", id_transmitter=0x1234, id_mapping=5,
        pix_ss="0001", pix_nn="0002", appl="AAPL", card_number_base=99990000)


@pytest.fixture
def crous_on(emulator, settings, fresh_connection, crous_settings_a):
    point_at(settings, emulator.url, emulator.token_url)
    settings.CAMPUSCARD_CROUS_TIMEOUT = 5
    settings.OUTBOX_BACKOFF_BASE = 0.01
    settings.OUTBOX_BACKOFF_CAP = 0.02
    return emulator


@pytest.fixture
def consenting(crous_on, student, manager_a):
    return people_services.set_consent(student, actor(manager_a), "crous", True)


def crous_rows(**filters):
    return OutboxItem.objects.filter(target=TARGET, **filters)


def drained():
    """Deliver until nothing is due; every CROUS row must be done."""
    while outbox.drain():
        pass
    stuck = crous_rows().exclude(status=OutboxItem.Status.DONE)
    assert not stuck.exists(), list(stuck.values("operation", "status", "last_error"))


def holders(emulator):
    return {h["identifier"]: h for h in emulator.emulator.snapshot()["rightholders"]}


def smartcards(emulator):
    return {c["idZdc"]: c for c in emulator.emulator.snapshot()["smartcards"]}


# --- a server that says what the test wants -------------------------------------------------------

class ScriptedCrous:
    """A token endpoint that always issues a token, and business paths that answer each request
    with the next (status, body, delay) of `script` (the last one repeats)."""

    def __init__(self):
        self.script = [(200, {}, 0.0)]
        self.received = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                if self.path.startswith("/api/oauth/token"):
                    status, body, delay = 200, {"access_token": "t", "expires_in": 3600}, 0
                else:
                    status, body, delay = owner.next_reply(self.command, self.path)
                if delay:
                    owner._stop.wait(delay)
                payload = json.dumps(body).encode() if isinstance(body, dict | list) else body
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,),
                                        daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self._httpd.server_port}"

    def answer(self, *replies):
        self.script = [(*reply, 0.0)[:3] for reply in replies]

    def next_reply(self, method, path):
        with self._lock:
            self.received.append((method, path))
            return self.script[min(len(self.received), len(self.script)) - 1]

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def scripted():
    server = ScriptedCrous().start()
    yield server
    server.stop()
