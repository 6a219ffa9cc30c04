"""What holds for the whole /esc-rest/ tree: JSON errors, methods, CSRF, unexpected errors."""

import json

import pytest
from django.test import Client

from campuscard.router import services

from .conftest import API, assert_error, esi, person_body


@pytest.mark.parametrize("path", ["/esc-rest/", "/esc-rest/api/v1/students",
                                  "/esc-rest/api/v2/persons/", "/esc-rest/api/v2/nothing"])
def test_an_unknown_address_is_a_json_404(router_a, path):
    response = router_a.http.get(path, headers={"Authorization": f"Bearer {router_a.key}"})
    assert_error(response, 404, "ER-0001")


def test_the_withdrawn_issue_operation_is_not_served(router_a, card_a):
    assert_error(router_a.post(f"/cards/issue/{card_a}/kid-1?sendMail=true", {}), 404)


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("patch", "/persons", "GET, POST"),
    ("put", "/cards", "GET, POST"),
    ("post", "/cards/csv-config", "GET"),
    ("get", "/cards/validate-csv", "POST"),
    ("delete", "/cards/generate-escn", "GET"),
])
def test_a_wrong_method_is_a_json_405(router_a, method, path, allowed):
    response = getattr(router_a.http, method)(API + path)
    assert_error(response, 405, "ER-0405")
    assert response["Allow"] == allowed


def test_a_token_api_needs_no_csrf_token(key_a, est_a):
    browser_like = Client(enforce_csrf_checks=True)
    response = browser_like.post(f"{API}/persons", json.dumps(person_body(est_a.pic, esi("1A"))),
                                 content_type="application/json",
                                 headers={"Authorization": f"Bearer {key_a}"})
    assert response.status_code == 201


def test_an_unexpected_error_is_a_json_500(router_a, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "list_persons", broken)
    message = assert_error(router_a.get("/persons"), 500, "ER-0500")
    assert "disk" not in message  # no internals in the answer


def test_errors_are_translated(router_a):
    response = router_a.get("/cards/not-an-escn", **{"Accept-Language": "fr"})
    english = router_a.get("/cards/not-an-escn").json()["message"]
    assert response.status_code == 400
    assert response.json()["message"] != english
