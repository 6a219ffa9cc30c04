"""What the API does with values no card or page can have, with bodies too big, too deep or
holding a NUL, and with an unexpected error: always JSON, never a 500 page."""

import json

import pytest
from django.conf import settings
from django.test import Client

from campuscard.api import lookups
from campuscard.cards.states import State
from campuscard.core.jsonbody import MAX_BYTES, MAX_DEPTH
from campuscard.core.params import MAX_DATABASE_ID, MAX_PAGE
from tests.conftest import card_in_state
from tests.core.logs import console_output

BIG = "1000000000000000000"


@pytest.fixture
def card(student, manager_a):
    return card_in_state(student, State.NEW, manager_a)


@pytest.fixture
def api(caller_a):
    """caller_a, answering 500s instead of raising them in the test."""
    caller_a.http = Client(raise_request_exception=False)
    return caller_a


def messages_of(response):
    return " ".join(error["msg"] for error in response.json()["errors"])


def test_a_page_beyond_the_possible_is_refused_not_a_server_error(api, card):
    """The probe's case: page=10**18 made an offset the database refused (IntegrityError)."""
    response = api.get("/api/cards", {"page": BIG})
    assert response.status_code == 422
    assert f"page must be between 1 and {MAX_PAGE}." in messages_of(response)


@pytest.mark.parametrize("name, value, reason", [
    ("page", "0", "between 1 and"), ("page", "-1", "between 1 and"),
    ("page", str(MAX_PAGE + 1), "between 1 and"), ("page", "1e3", "whole number"),
    ("page", "abc", "whole number"), ("page", "9" * 5000, "whole number"),
    ("page_size", "0", "between 1 and 200"), ("page_size", "201", "between 1 and 200"),
    ("page_size", "1" * 31, "whole number"),
])
def test_search_paging_is_checked(api, card, name, value, reason):
    response = api.get("/api/cards", {name: value})
    assert response.status_code == 422
    assert reason in messages_of(response)


def test_the_last_possible_page_is_just_empty(api, card):
    response = api.get("/api/cards", {"page": MAX_PAGE, "page_size": 200})
    assert response.status_code == 200 and response.json()["results"] == []


@pytest.mark.parametrize("card_id", ["0", str(MAX_DATABASE_ID + 1), "1" * 30])
@pytest.mark.parametrize("path", ["/api/cards/{}", "/api/cards/{}/transitions"])
def test_card_ids_no_card_can_have_are_refused(api, card, card_id, path):
    url = path.format(card_id)
    response = (api.post(url, {"target": "CANCELED"}) if url.endswith("transitions")
                else api.get(url))
    assert response.status_code == 422, response.content
    card.refresh_from_db()
    assert card.state == State.NEW


def test_the_largest_id_is_just_not_found(api, card):
    assert api.get(f"/api/cards/{MAX_DATABASE_ID}").status_code == 404


@pytest.mark.parametrize("body, status, reason", [
    (b"[" * 100_000, 400, "nested too deeply"),
    (b'{"target": ' + b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1) + b"}", 400,
     "nested too deeply"),
    (b'{"target": "CANCELED", "reason": "a\\u0000b"}', 400, "NUL"),
    (b'{"target": "CANCELED", "re\\u0000ason": ""}', 400, "NUL"),
    (b"{not json", 400, "not valid JSON"),
    (b'{"target": "CANCELED", "reason": "' + b"x" * MAX_BYTES + b'"}', 413, "too large"),
])
def test_bodies_outside_the_limits_are_refused_with_the_reason(api, card, body, status,
                                                               reason):
    response = api.http.post(f"/api/cards/{card.pk}/transitions", body,
                             content_type="application/json", headers=api._headers())
    assert response.status_code == status
    assert reason in response.json()["detail"]
    card.refresh_from_db()
    assert card.state == State.NEW


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded",
                                          "text/plain"])
def test_a_body_over_the_upload_limit_is_a_json_413(api, card, content_type):
    body = b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = api.http.post(f"/api/cards/{card.pk}/transitions", body,
                             content_type=content_type, headers=api._headers())
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "too large" in response.json()["detail"]


def test_a_body_within_the_limits_still_works(api, card):
    response = api.post(f"/api/cards/{card.pk}/transitions",
                        {"target": "CANCELED", "reason": "x" * 1000})
    assert response.status_code == 200 and response.json()["state"] == "CANCELED"


def test_an_unexpected_error_is_json_with_the_request_id_and_logged_once(api, card, monkeypatch,
                                                                        caplog):
    def fail(*args, **kwargs):
        raise RuntimeError("the lookup broke")

    monkeypatch.setattr(lookups, "search", fail)
    with console_output() as output:
        response = api.get("/api/cards")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert response.json() == {"detail": "Unexpected error.", "request_id": request_id}
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and errors[0].exc_info[0] is RuntimeError
    written = output.getvalue()
    assert f"[{request_id}] Internal Server Error: /api/cards" in written
    assert "RuntimeError: the lookup broke" in written


def test_an_unknown_api_address_is_a_json_404(db):
    response = Client().get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["request_id"] == response["X-Request-ID"]


def test_the_openapi_document_shows_the_bounds(db):
    schema = Client().get("/api/openapi.json").json()
    search = schema["paths"]["/api/cards"]["get"]
    parameters = {p["name"]: p["schema"] for p in search["parameters"]}
    assert parameters["page"]["minimum"] == 1 and parameters["page"]["maximum"] == MAX_PAGE
    assert parameters["page_size"]["maximum"] == 200


def test_a_body_given_as_a_json_string_is_read_as_before(api, card):
    response = api.http.post(f"/api/cards/{card.pk}/transitions",
                             json.dumps({"target": "CANCELED"}),
                             content_type="application/json", headers=api._headers())
    assert response.status_code == 200
