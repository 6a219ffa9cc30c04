"""Unexpected errors: logged once with their traceback and the request id (DEBUG off), shown
as a translated page with the id; the id in X-Request-ID; error pages for 400/403/404."""

import re

import pytest
from django.conf import settings
from django.test import Client

from campuscard.backoffice import views as backoffice_views
from campuscard.core import requestid

from .logs import console_output

ID_RE = re.compile(r"^[0-9a-f]{32}$")


def browser(user=None, **headers):
    client = Client(raise_request_exception=False, headers={"Accept-Language": "en", **headers})
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def broken_search(monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the search broke")

    monkeypatch.setattr(backoffice_views, "search_cards", fail)


def test_an_unexpected_error_is_logged_once_with_its_traceback_and_request_id(
        manager_a, broken_search, caplog):
    assert settings.DEBUG is False
    client = browser(manager_a)
    with console_output() as output:
        response = client.get("/manage/")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert ID_RE.match(request_id)
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1
    assert errors[0].exc_info[0] is RuntimeError
    written = output.getvalue()
    assert written.count("Internal Server Error: /manage/") == 1
    assert f"[{request_id}] Internal Server Error" in written
    assert "Traceback (most recent call last)" in written
    assert "RuntimeError: the search broke" in written


def test_the_error_page_shows_the_request_id_translated_and_without_inline_code(
        manager_a, broken_search):
    response = browser(manager_a).get("/manage/")
    page = response.content.decode()
    assert f'<code class="request-id">{response["X-Request-ID"]}</code>' in page
    assert "give this reference to the card office" in page
    assert "the search broke" not in page  # no exception text for the visitor
    assert not re.search(r"<script|<style|\sstyle=|\son[a-z]+=|javascript:", page)
    french = browser(manager_a, **{"Accept-Language": "fr"}).get("/manage/")
    assert '<html lang="fr">' in french.content.decode()


def test_every_response_has_its_own_request_id(db):
    client = browser()
    first, second = client.get("/login/"), client.get("/nowhere/")
    assert ID_RE.match(first["X-Request-ID"]) and ID_RE.match(second["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert requestid.current() is None  # nothing leaks out of the request


@pytest.mark.parametrize("trusted, incoming, kept", [
    (["127.0.0.1"], "0f3c9a6e2b7d4c1a9e8f7a6b5c4d3e2f", True),
    (["127.0.0.1"], "short", False),
    (["127.0.0.1"], "x" * 65, False),
    (["127.0.0.1"], "abcdefgh\r\nFAKE LOG LINE", False),
    ([], "0f3c9a6e2b7d4c1a9e8f7a6b5c4d3e2f", False),
])
def test_an_incoming_request_id_is_kept_only_from_a_trusted_proxy(db, settings, trusted,
                                                                  incoming, kept):
    settings.CAMPUSCARD_TRUSTED_PROXIES = trusted
    response = browser().get("/login/", headers={"X-Request-ID": incoming})
    assert (response["X-Request-ID"] == incoming) is kept
    assert kept or ID_RE.match(response["X-Request-ID"])


def test_log_lines_of_a_request_carry_its_id_also_after_the_middleware(db):
    with console_output() as output:
        response = browser().get("/manage/nothing-here/")
    assert response.status_code == 404
    assert f"WARNING django.request [{response['X-Request-ID']}] Not Found" in output.getvalue()


def test_log_lines_outside_a_request_say_so():
    import logging

    with console_output() as output:
        logging.getLogger("campuscard.worker").warning("a worker line")
    assert "[-] a worker line" in output.getvalue()


def test_not_found_page_looks_like_the_site_and_shows_the_id(student):
    response = browser(student.user).get("/me/cards/999999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and 'class="brand"' in page
    assert response["X-Request-ID"] in page


def test_forbidden_page(student):
    response = browser(student.user).get("/manage/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Access denied" in page and response["X-Request-ID"] in page


def test_bad_request_page_for_what_django_refuses(db, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    response = browser().post("/login/", {f"f{i}": "x" for i in range(10)})
    assert response.status_code == 400
    assert "could not be understood" in response.content.decode()


def test_a_host_not_served_gets_the_bad_request_page_and_a_log_line(db):
    with console_output() as output:
        response = Client(HTTP_HOST="evil.example.org").get("/login/")
    assert response.status_code == 400
    assert response["X-Request-ID"] in response.content.decode()
    assert f"ERROR django.security.DisallowedHost [{response['X-Request-ID']}]" in (
        output.getvalue())
