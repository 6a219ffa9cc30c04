"""The REST source over real HTTP: a paged list and one person by eppn, API-key, Bearer and
Basic auth, fields picked with JMESPath; errors and timeouts change nothing."""

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from campuscard.people.models import Person
from campuscard.people.sources.sync import sync_person

from .helpers import run

pytestmark = pytest.mark.django_db

KEY, TOKEN, USER, PASSWORD = "k-123", "t-456", "sgc", "pw-789"


def person(n, family="Durand"):
    return {"identity": {"eppn": f"r{n}@univ-a.fr",
                         "names": {"given": f"Rose{n}", "family": f"{family}{n}"}},
            "contact": {"mails": [f"r{n}@univ-a.fr", f"rose{n}@example.org"]},
            "status": {"main": "student", "all": ["student", "member"]},
            "validity": {"until": "2027-09-30"}}


class Api:
    def __init__(self):
        self.people = [person(n) for n in range(1, 6)]
        self.delay = 0
        self.fail = False
        self.requests = []


@pytest.fixture
def api():
    state = Api()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def authorised(self):
            header = self.headers.get("Authorization", "")
            return (self.headers.get("X-Api-Key") == KEY or header == f"Bearer {TOKEN}"
                    or header == "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode())
                    .decode())

        def do_GET(self):
            state.requests.append(self.path)
            time.sleep(state.delay)
            if not self.authorised():
                return self.reply(401, {"error": "who are you"})
            if state.fail:
                return self.reply(500, {"error": "down"})
            url = urlsplit(self.path)
            if url.path == "/people":
                page = int(parse_qs(url.query).get("page", ["1"])[0])
                chunk = state.people[(page - 1) * 2:page * 2]
                links = {"next": f"/people?page={page + 1}"} if page * 2 < len(state.people) \
                    else {}
                return self.reply(200, {"data": chunk, "links": links})
            if url.path.startswith("/people/"):
                eppn = unquote(url.path.removeprefix("/people/"))
                found = [p for p in state.people if p["identity"]["eppn"] == eppn]
                return self.reply(200, found[0]) if found else self.reply(404, {})
            return self.reply(404, {})

        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def rest_source(url, auth_lines):
    return f"""
[[source]]
name = "sis-api"
kind = "rest"
establishment = "univ-a"
url = "{url}/people"
person_url = "{url}/people/{{eppn}}"
items = "data"
next = "links.next"
timeout = 1
{auth_lines}
[source.fields]
eppn = "identity.eppn"
first_name = "identity.names.given"
last_name = "identity.names.family"
email = "contact.mails[0]"
primary_affiliation = "status.main"
affiliations = "status.\\"all\\""
rights_end = "validity.until"
"""


AUTHS = {
    "api-key": lambda tmp: f'auth = "api-key"\napi_key_header = "X-Api-Key"\n'
                           f'api_key_file = "{_secret(tmp, "key", KEY)}"',
    "bearer": lambda tmp: 'auth = "bearer"\ntoken_env = "CAMPUSCARD_TEST_REST_TOKEN"',
    "basic": lambda tmp: f'auth = "basic"\nusername = "{USER}"\n'
                         f'password_file = "{_secret(tmp, "pw", PASSWORD)}"',
}


def _secret(tmp_path, name, value):
    path = tmp_path / f"secret-{name}"
    path.write_text(value)
    return path


@pytest.mark.parametrize("auth", sorted(AUTHS))
def test_paged_list_and_auth(settings, tmp_path, api, est_a, students, auth, monkeypatch):
    monkeypatch.setenv("CAMPUSCARD_TEST_REST_TOKEN", TOKEN)
    source = rest_source(api.url, AUTHS[auth](tmp_path))
    (tmp_path / "sources.toml").write_text(source)
    settings.CAMPUSCARD_SOURCES_FILE = str(tmp_path / "sources.toml")

    result = run()

    assert result.ok, result.reports
    assert result.reports["sis-api"].created == 5
    assert [r for r in api.requests if r.startswith("/people?")] == [
        "/people?page=2", "/people?page=3"]  # the first page has no query, then links.next
    rose = Person.objects.get(eppn="r3@univ-a.fr")
    assert (rose.first_name, rose.last_name, rose.email) == ("Rose3", "Durand3", "r3@univ-a.fr")
    assert rose.affiliations == "student;member"
    assert str(rose.rights_end) == "2027-09-30"


def test_one_person_lookup_and_failures_change_nothing(settings, tmp_path, api, est_a,
                                                       students):
    (tmp_path / "sources.toml").write_text(rest_source(api.url, AUTHS["api-key"](tmp_path)))
    settings.CAMPUSCARD_SOURCES_FILE = str(tmp_path / "sources.toml")
    run()
    api.people[0] = person(1, family="Martin")

    assert not sync_person("r1@univ-a.fr", timeout=3).stopped
    assert Person.objects.get(eppn="r1@univ-a.fr").last_name == "Martin1"
    assert sync_person("nobody@univ-a.fr", timeout=3).reports["sis-api"].read == 0

    api.people[0] = person(1, family="Broken")
    api.fail = True
    assert "answered 500" in sync_person("r1@univ-a.fr", timeout=3).stopped
    assert "answered 500" in run(full=True).reports["sis-api"].error
    api.fail, api.delay = False, 1.5
    started = time.monotonic()
    assert "ReadTimeout" in sync_person("r1@univ-a.fr", timeout=3).stopped
    assert time.monotonic() - started < 3
    assert Person.objects.get(eppn="r1@univ-a.fr").last_name == "Martin1"


def test_wrong_key_is_a_source_error(settings, tmp_path, api, est_a, students):
    (tmp_path / "sources.toml").write_text(rest_source(
        api.url, f'auth = "api-key"\napi_key_file = "{_secret(tmp_path, "k", "wrong")}"'))
    settings.CAMPUSCARD_SOURCES_FILE = str(tmp_path / "sources.toml")
    result = run()
    assert "answered 401" in result.reports["sis-api"].error
    assert not Person.objects.exists()


def test_a_slow_source_never_holds_a_login_longer_than_the_timeout(
        settings, tmp_path, api, est_a, students):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from ..conftest import PASSWORD

    (tmp_path / "sources.toml").write_text(
        rest_source(api.url, AUTHS["api-key"](tmp_path)).replace("timeout = 1", "timeout = 10"))
    settings.CAMPUSCARD_SOURCES_FILE = str(tmp_path / "sources.toml")
    settings.CAMPUSCARD_SYNC_LOGIN_TIMEOUT = 1
    run()
    get_user_model().objects.create_user("r1@univ-a.fr", password=PASSWORD)
    api.people[0] = person(1, family="Late")
    api.delay = 4
    started = time.monotonic()
    response = Client().post("/login/", {"username": "r1@univ-a.fr", "password": PASSWORD})
    assert response.status_code == 302
    assert time.monotonic() - started < 2.5
    assert Person.objects.get(eppn="r1@univ-a.fr").last_name == "Durand1"
