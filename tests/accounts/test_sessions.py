"""A session ends after its lifetime, or after the idle time without a request; the next request
is served logged out and a page that needs a login sends it to the login page."""

import pytest
import time_machine
from django.urls import reverse

from ..conftest import PASSWORD

START = "2026-03-02 08:00 +0000"
PORTAL = "/me/"


@pytest.fixture(autouse=True)
def _minutes(settings):
    settings.CAMPUSCARD_SESSION_IDLE_MINUTES = 30
    settings.CAMPUSCARD_SESSION_MAX_AGE_MINUTES = 120


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def log_in(client):
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302


def is_sent_to_login(response):
    return response.status_code == 302 and response.url.startswith(reverse("login"))


def test_requests_within_the_idle_time_keep_the_session(client, student, clock):
    log_in(client)
    for _ in range(3):
        clock.shift(29 * 60)
        assert client.get(PORTAL).status_code == 200


def test_after_the_idle_time_the_next_request_is_logged_out(client, student, clock):
    log_in(client)
    assert client.get(PORTAL).status_code == 200
    clock.shift(31 * 60)
    response = client.get(PORTAL)
    assert is_sent_to_login(response)
    assert "_auth_user_id" not in client.session
    page = client.get(response.url).content.decode()
    assert "without activity" in page
    clock.shift(60)
    assert is_sent_to_login(client.get(PORTAL))  # it stays logged out


def test_the_session_ends_after_its_lifetime_even_when_active(client, student, clock):
    log_in(client)
    for _ in range(4):
        clock.shift(29 * 60)
        assert client.get(PORTAL).status_code == 200
    clock.shift(5 * 60)  # 121 minutes after the login
    assert is_sent_to_login(client.get(PORTAL))


def test_force_login_sessions_keep_working(client, student, clock):
    client.force_login(student.user)
    assert client.get(PORTAL).status_code == 200
    clock.shift(31 * 60)
    assert is_sent_to_login(client.get(PORTAL))


def test_the_cookie_lasts_no_longer_than_the_lifetime(client, student, settings, clock):
    from campuscard import settings as configured

    assert configured.SESSION_COOKIE_AGE == configured.CAMPUSCARD_SESSION_MAX_AGE_MINUTES * 60
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.cookies["sessionid"]["max-age"] == settings.SESSION_COOKIE_AGE


def test_a_request_without_a_session_cookie_leaves_the_session_untouched(client, db):
    response = client.get("/v/3e506370-826a-103d-bf76-001000000001.json")
    assert "Cookie" not in response.get("Vary", "")
