"""What holds for the whole /esc-rest/ tree: JSON errors, methods, CSRF, unexpected errors."""

import json
from urllib.parse import quote

import pytest
from django.test import Client

from campuscard.router import services
from campuscard.router.models import RouterPerson
from tests.core.logs import console_output

from .conftest import API, assert_error, card_body, esi, jpeg, person_body


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
    with console_output() as output:
        response = router_a.get("/persons")
    message = assert_error(response, 500, "ER-0500")
    assert "disk" not in message  # no internals in the answer
    request_id = response["X-Request-ID"]
    assert request_id in message  # what the caller reports leads to the log lines
    written = output.getvalue()
    assert written.count("Internal Server Error: /esc-rest/api/v2/persons") == 1
    assert f"[{request_id}]" in written and "RuntimeError: disk on fire" in written


@pytest.mark.parametrize("path", ["/esc-rest/api/v2/persons/urn%00x", "/esc-rest/api/v2/cards%00"])
def test_a_nul_in_the_address_is_a_json_400(router_a, path):
    response = router_a.http.get(path, headers={"Authorization": f"Bearer {router_a.key}"})
    assert_error(response, 400, "ER-0400")


def test_errors_are_translated(router_a):
    response = router_a.get("/cards/not-an-escn", **{"Accept-Language": "fr"})
    english = router_a.get("/cards/not-an-escn").json()["message"]
    assert response.status_code == 400
    assert response.json()["message"] != english


# --- the language of the answers -----------------------------------------------------------

UNKNOWN_ESCN = "3e506370-826a-103d-bf76-066999859608"
NO_CARD = ("No card has this number.", "Aucune carte ne porte ce numéro.")


def raw_get(path, **headers):
    return Client().get(path, headers=headers)


@pytest.mark.parametrize(("accept", "french"), [
    (None, False), ("", False), ("fr", True), ("fr-CH, en;q=0.5", True), ("en", False),
    ("de, fr;q=0.8", True), ("de", False), ("*", False), ("en-GB, fr;q=0.9", False),
])
def test_messages_follow_accept_language_and_are_english_without_it(router_a, settings,
                                                                     accept, french):
    settings.LANGUAGE_CODE = "fr"  # the site's default is not the router's
    headers = {"Authorization": f"Bearer {router_a.key}"}
    if accept is not None:
        headers["Accept-Language"] = accept
    english, in_french = NO_CARD
    answers = {
        "card": raw_get(f"{API}/cards/{UNKNOWN_ESCN}", **headers),
        "status": raw_get(f"{API}/cards/{UNKNOWN_ESCN}/status", **headers),
    }
    for name, response in answers.items():
        assert response.status_code == 404, name
        assert response.json()["message"] == (in_french if french else english), name
        assert response["Content-Language"] == ("fr" if french else "en")
        assert "Accept-Language" in response["Vary"]
    wrong_method = Client().patch(f"{API}/persons", headers=headers)
    assert wrong_method.json()["message"].startswith(
        "Cette adresse ne répond" if french else "This address answers")
    elsewhere = raw_get("/esc-rest/api/v9/nothing", **headers)
    assert elsewhere.status_code == 404 and elsewhere["Content-Language"] == (
        "fr" if french else "en")


def test_a_public_status_over_its_rate_speaks_the_callers_language(settings, db):
    settings.LANGUAGE_CODE = "fr"
    settings.CAMPUSCARD_VERIFY_RATE_PER_MINUTE = 1
    raw_get(f"{API}/cards/{UNKNOWN_ESCN}/status")
    english = raw_get(f"{API}/cards/{UNKNOWN_ESCN}/status")
    french = raw_get(f"{API}/cards/{UNKNOWN_ESCN}/status", **{"Accept-Language": "fr"})
    assert english.json()["message"].startswith("Too many checks")
    assert french.json()["message"].startswith("Trop de vérifications")
    assert int(french["Retry-After"]) >= 1


# --- 204 ---------------------------------------------------------------------------------------

def test_a_204_carries_no_content_type(router_a, est_a, alice, card_a):
    picture = f"/organisations/{est_a.pic}/person/{quote(alice, safe=':@')}/picture"
    assert router_a.upload(picture, jpeg(200, 300)).status_code == 201
    for response in (router_a.delete(picture), router_a.delete(f"/cards/{card_a}"),
                     router_a.delete(f"/persons/{quote(alice, safe=':@')}")):
        assert response.status_code == 204
        assert "Content-Type" not in response
        assert response.content == b""


# --- input that must not crash -----------------------------------------------------------------

def post_raw(router, path, raw, content_type="application/json"):
    return router.http.post(f"{API}{path}", raw, content_type=content_type,
                            headers={"Authorization": f"Bearer {router.key}",
                                     "Accept-Language": "en"})


def test_a_deeply_nested_body_is_a_400(router_a):
    for raw in (b"[" * 100_000, b"[" * 500 + b"]" * 500, b'{"a":' * 40 + b"1" + b"}" * 40):
        assert "nested too deeply" in assert_error(post_raw(router_a, "/persons", raw), 400,
                                                   "ER-0400")
    assert not RouterPerson.objects.exists()


@pytest.mark.parametrize("size", [1_048_577, 3_000_000])
def test_a_big_body_is_a_json_400(router_a, size):
    raw = b'{"identifier": "' + b"x" * size + b'"}'
    response = post_raw(router_a, "/persons", raw)
    assert_error(response, 400, "ER-0400")
    assert not RouterPerson.objects.exists()


def test_a_big_card_body_is_a_json_400(router_a, est_a, alice, card_a):
    raw = json.dumps({"displayName": "x" * 2_000_000}).encode()
    response = router_a.http.put(f"{API}/cards/{card_a}", raw, content_type="application/json",
                                 headers={"Authorization": f"Bearer {router_a.key}"})
    assert_error(response, 400, "ER-0400")


@pytest.mark.parametrize("where", ["top", "entry", "email", "key"])
def test_a_nul_character_in_a_person_is_a_400(router_a, est_a, where):
    body = person_body(est_a.pic, esi("1000000001A"))
    entry = body["personOrganisationUpdateViews"][0]
    if where == "top":
        body["fullName"] = "Alice\x00Martin"
    elif where == "entry":
        entry["fullName"] = "Alice\x00Martin"
    elif where == "email":
        entry["email"] = "alice\x00@example.org"
    else:
        body["odd\x00key"] = 1
    assert "NUL" in assert_error(router_a.post("/persons", body), 400, "ER-0400")
    assert not RouterPerson.objects.exists()


def test_a_nul_character_in_a_card_is_a_400(router_a, est_a, alice, card_a):
    body = card_body(est_a.pic, alice, card_a, displayName="Alice\x00")
    assert_error(router_a.put(f"/cards/{card_a}", body), 400, "ER-0400")
    assert router_a.get(f"/cards/{card_a}").json()["displayName"] == "Alice Martin"


@pytest.mark.parametrize("params", [{"search": "a\x00b"}, {"sort": "\x00"},
                                    {"direction": "ASC\x00"}, {"page": "1\x00"},
                                    {"x\x00": "1"}])
@pytest.mark.parametrize("listing", ["/persons", "/cards"])
def test_a_nul_character_in_a_query_parameter_is_a_400(router_a, alice, listing, params):
    assert_error(router_a.get(listing, params), 400, "ER-0400")


@pytest.mark.parametrize("path", ["/persons/urn:schac:personalUniqueCode:int:esi:fr:1%00",
                                  "/cards/3e506370-826a-103d-bf76-066999859608%00"])
def test_a_nul_character_in_the_address_is_a_400(router_a, path):
    assert_error(router_a.get(path), 400, "ER-0400")
