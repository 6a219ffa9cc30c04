"""The public status served ahead of Django's middleware (router/fast_status.py): the same
answer as the full path for a known card, and everything else left to Django."""

import datetime
import io
import json
import re

import pytest
from django.core import signals
from django.db import close_old_connections, connection
from django.utils import timezone

from campuscard.core.models import RateCounter
from campuscard.esc.escn import generate_escn
from campuscard.router.fast_status import with_fast_status
from campuscard.router.models import Organisation, RouterCard, RouterPerson
from campuscard.wsgi import application as served

pytestmark = pytest.mark.usefixtures("start_of_a_minute")

PIC = "999859608"


class Django:
    """Stands in for the Django application behind the fast path, to see what reaches it."""

    def __init__(self):
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        start_response("418 I'm a teapot", [("Content-Type", "text/plain")])
        return [b"django"]


@pytest.fixture(autouse=True)
def _one_connection_for_the_test():
    """Django's WSGI handler closes the connection at each request; the test's transaction
    lives on it (Django's test client disconnects the same handlers)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def card(db):
    organisation = Organisation.objects.create(pic=PIC, name="Université A")
    person = RouterPerson.objects.create(esi="urn:schac:personalUniqueCode:int:esi:fr:1")
    today = timezone.localdate()
    return RouterCard.objects.create(
        escn=str(generate_escn("066", PIC)), person=person, issuer=organisation,
        status="ACTIVE", card_type="SMART_NO_CDZ", display_name="A. Martin",
        issued_at=today, expires_at=today + datetime.timedelta(days=30))


def call(app, path, method="GET", host="127.0.0.1:8000"):
    answer = {}

    def start_response(status, headers):
        answer["status"], answer["headers"] = status, dict(headers)

    environ = {"PATH_INFO": path, "REQUEST_METHOD": method, "HTTP_HOST": host,
               "REMOTE_ADDR": "192.0.2.1", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000",
               "wsgi.input": io.BytesIO(), "wsgi.url_scheme": "http", "QUERY_STRING": ""}
    body = b"".join(app(environ, start_response))
    return answer["status"], answer["headers"], body


def test_a_known_card_is_answered_without_django(card):
    django = Django()
    status, headers, body = call(with_fast_status(django),
                                 f"/esc-rest/api/v2/cards/{card.escn}/status")
    assert (status, django.calls) == ("200 OK", 0)
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])
    assert json.loads(body)["status"] == "ACTIVE"


@pytest.mark.parametrize("show_name", [False, True])
def test_it_answers_what_the_full_path_answers(card, client, show_name):
    Organisation.objects.update(show_holder_name=show_name)
    path = f"/esc-rest/api/v2/cards/{card.escn}/status"
    _status, _headers, body = call(served, path)
    assert json.loads(body) == client.get(path, HTTP_HOST="127.0.0.1").json()
    assert ("displayName" in json.loads(body)) is show_name


def test_the_fast_path_reads_one_query(card, django_assert_num_queries, settings):
    settings.CAMPUSCARD_VERIFY_RATE_PER_MINUTE = 0  # the rate limit's own query aside
    with django_assert_num_queries(1):
        status, _headers, _body = call(with_fast_status(Django()),
                                       f"/esc-rest/api/v2/cards/{card.escn}/status")
    assert status == "200 OK"


@pytest.mark.parametrize("path", ["/esc-rest/api/v2/cards/3e506370-826a-103d-bf76-0019998"
                                  "59608/status", "/esc-rest/api/v2/cards/nonsense/status",
                                  "/esc-rest/api/v2/cards/x/qr", "/v/x"])
def test_everything_else_goes_to_django(card, path):
    django = Django()
    assert call(with_fast_status(django), path)[0].startswith("418")
    assert django.calls == 1


def test_other_methods_and_unknown_hosts_go_to_django(card):
    path = f"/esc-rest/api/v2/cards/{card.escn}/status"
    for options in ({"method": "POST"}, {"host": "evil.example.org"}):
        django = Django()
        call(with_fast_status(django), path, **options)
        assert django.calls == 1


def test_a_client_over_its_limit_is_left_to_django_which_says_429(card, settings):
    settings.CAMPUSCARD_VERIFY_RATE_PER_MINUTE = 2
    path = f"/esc-rest/api/v2/cards/{card.escn}/status"
    assert [call(served, path)[0][:3] for _ in range(3)] == ["200", "200", "429"]


def test_a_request_the_fast_path_leaves_to_django_is_counted_once(db, settings):
    settings.CAMPUSCARD_VERIFY_RATE_PER_MINUTE = 2
    unknown = "/esc-rest/api/v2/cards/3e506370-826a-103d-bf76-001999859608/status"
    assert [call(served, unknown)[0][:3] for _ in range(3)] == ["404", "404", "429"]


def test_on_postgresql_the_count_and_the_read_share_one_round_trip(card, settings):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: elsewhere the count and the read are two calls")
    settings.CAMPUSCARD_VERIFY_RATE_PER_MINUTE = 5
    pipelines = []
    original = type(connection.connection).pipeline

    def counting_pipeline(self, *args, **kwargs):
        pipelines.append(1)
        return original(self, *args, **kwargs)

    connection.ensure_connection()
    type(connection.connection).pipeline = counting_pipeline
    try:
        status, _headers, body = call(served, f"/esc-rest/api/v2/cards/{card.escn}/status")
    finally:
        type(connection.connection).pipeline = original
    assert status == "200 OK" and json.loads(body)["cardNumber"] == card.escn
    assert pipelines == [1]
    assert RateCounter.objects.get().hits == 1
