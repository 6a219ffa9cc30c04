"""A real CAS server for the sign-on tests: django-cas-server (tests/accounts/signon/casproject)
in a separate process on a free port, with its own SQLite database, its users and the services
it serves (any local CampusCard, with attributes released).

Use the `cas_server` fixture (one server for the whole test session), or `running_cas_server()`
for a server of your own."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from ...conftest import PASSWORD

PROJECT_PARENT = Path(__file__).parent  # holds the casproject package
# Any CampusCard on this machine: the live server, or the test client's "testserver".
LOCAL_CAMPUSCARD = r"^https?://(127\.0\.0\.1|localhost|testserver)(:\d+)?/signon/cas/"
# The user's fields django-cas-server releases, under the names a university's CAS gives them.
RELEASED = {"username": "uid", "email": "mail", "first_name": "givenName", "last_name": "sn",
            "groups": "eduPersonAffiliation"}


@dataclass(frozen=True)
class CasUser:
    username: str
    email: str
    first_name: str
    last_name: str
    groups: tuple = ()
    password: str = PASSWORD


JEANNE = CasUser("jdupont", "jeanne.dupont@univ-a.fr", "Jeanne", "Dupont",
                 groups=("student", "member"))
PAUL = CasUser("pmartin", "paul.martin@univ-a.fr", "Paul", "Martin", groups=("staff",))


@dataclass(frozen=True)
class Service:
    name: str
    pattern: str
    attributes: dict = field(default_factory=lambda: dict(RELEASED))


@dataclass(frozen=True)
class LiveCas:
    url: str  # the server's root, ending in "/" (CAS_SERVER_URL-style): …/cas/

    def ticket_for(self, service, user=JEANNE):
        """Logs `user` in on the CAS login form over HTTP (no browser) and returns the service
        ticket the server hands to `service`."""
        with requests.Session() as browser:
            form = browser.get(f"{self.url}login", params={"service": service}, timeout=10)
            fields = _form_fields(form.text) | {"username": user.username,
                                                "password": user.password}
            answer = browser.post(form.url, data=fields, allow_redirects=False, timeout=10)
        location = answer.headers.get("Location", "")
        tickets = parse_qs(urlsplit(location).query).get("ticket")
        if not tickets:
            raise AssertionError(f"the CAS server gave no ticket ({answer.status_code})")
        return tickets[0]


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") and attrs.get("type") != "checkbox":
            self.values[attrs["name"]] = attrs.get("value") or ""


def _form_fields(html):
    parser = _Inputs()
    parser.feed(html)
    return parser.values


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(database):
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("DJANGO_", "CAMPUSCARD_"))}
    environment.update(PYTHONPATH=str(PROJECT_PARENT), DJANGO_SETTINGS_MODULE="casproject.settings",
                       CAS_TEST_DATABASE=str(database))
    return environment


@contextlib.contextmanager
def running_cas_server(directory, users=(JEANNE, PAUL), services=None):
    """A django-cas-server process serving `users` to `services` until the block ends."""
    services = services or [Service("campuscard", LOCAL_CAMPUSCARD)]
    environment = _environment(Path(directory) / "cas.sqlite3")
    spec = {"users": [asdict(u) for u in users], "services": [asdict(s) for s in services]}
    subprocess.run([sys.executable, "-m", "casproject.prepare"], input=json.dumps(spec),
                   text=True, env=environment, check=True, timeout=120)
    port = free_port()
    log = Path(directory) / "cas-server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
            env=environment, stdout=output, stderr=subprocess.STDOUT)
    server = LiveCas(f"http://127.0.0.1:{port}/cas/")
    try:
        _wait_until_up(server, process, log)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_up(server, process, log, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the CAS server stopped:\n{log.read_text()}")
        with contextlib.suppress(requests.ConnectionError):
            if requests.get(f"{server.url}login", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the CAS server did not answer within {seconds} s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def cas_server(tmp_path_factory):
    with running_cas_server(tmp_path_factory.mktemp("cas-server")) as server:
        yield server
