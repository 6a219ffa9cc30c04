"""The client under faults, over real HTTP: retries only where safe, timeouts that hold,
redirects never followed, error bodies of any kind, unknown fields ignored."""

import datetime
import socket
import time

import httpx
import pytest

from campuscard.integrations.esc_router.client import (
    AccessDenied,
    AlreadyExists,
    BadRequest,
    CardUpdate,
    EscRouterClient,
    NotFound,
    PersonOrganisationUpdate,
    PersonUpdate,
    RouterError,
    Unauthorized,
    Unavailable,
)
from tests.esc_router.conftest import Reply

ESCN = "3e506370-826a-103d-bf76-066999859608"
ESI = "urn:schac:personalUniqueCode:int:esi:fr:1234567890A"
PERSON = PersonUpdate(ESI, (PersonOrganisationUpdate("999859608", full_name="Alice Martin"),))
CARD = CardUpdate(ESCN, ESI, "999859608", "SMART_NO_CDZ", "ACTIVE", datetime.date(2025, 9, 1),
                  datetime.date(2026, 8, 31), display_name="Alice Martin")
SERVER_ERROR = Reply(500, {"code": "ER-9999", "message": "boom"})


def make_client(server, **options):
    return EscRouterClient(server.base_url, "secret-key", **({"timeout": 2.0} | options))


# --- retries ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "call"), [
    ("GET", lambda client: client.get_card(ESCN)),
    ("PUT", lambda client: client.update_card(ESCN, CARD)),
    ("DELETE", lambda client: client.delete_card(ESCN)),
])
def test_idempotent_calls_are_retried_twice_after_a_5xx(scripted_server, method, call):
    scripted_server.answer(SERVER_ERROR)
    with make_client(scripted_server) as client, pytest.raises(Unavailable) as caught:
        call(client)
    assert scripted_server.count(method) == 3
    assert caught.value.status == 500 and caught.value.code == "ER-9999"


@pytest.mark.parametrize("call", [
    lambda client: client.create_card(CARD),
    lambda client: client.create_person(PERSON),
    lambda client: client.upload_picture("999859608", ESI, b"jpeg"),
    lambda client: client.validate_csv(b"a,b\n", "CREATE"),
])
def test_a_post_is_never_repeated(scripted_server, call):
    scripted_server.answer(SERVER_ERROR)
    with make_client(scripted_server) as client, pytest.raises(Unavailable):
        call(client)
    assert scripted_server.count() == 1


def test_a_transient_failure_then_success_returns_the_answer(scripted_server):
    scripted_server.answer(Reply(503, "down"), Reply(200, {"cardNumber": ESCN}))
    with make_client(scripted_server) as client:
        assert client.get_card(ESCN).card_number == ESCN
    assert scripted_server.count() == 2


def test_retries_wait_a_little_between_attempts(scripted_server):
    scripted_server.answer(SERVER_ERROR)
    started = time.monotonic()
    with make_client(scripted_server) as client, pytest.raises(Unavailable):
        client.list_cards()
    assert 0.6 < time.monotonic() - started < 2.0  # 0.2 s then 0.5 s


def test_retries_can_be_turned_off(scripted_server):
    scripted_server.answer(SERVER_ERROR)
    with make_client(scripted_server, retries=0) as client, pytest.raises(Unavailable):
        client.get_person(ESI)
    assert scripted_server.count() == 1


@pytest.mark.parametrize(("status", "error", "code"), [
    (400, BadRequest, "ER-0400"), (401, Unauthorized, None), (403, AccessDenied, "SE-0000"),
    (404, NotFound, "ER-0001"), (409, AlreadyExists, "ER-0002"), (422, RouterError, None),
])
def test_a_4xx_is_mapped_and_never_retried(scripted_server, status, error, code):
    scripted_server.answer(Reply(status, {"code": code, "message": "refused"} if code else b""))
    with make_client(scripted_server) as client, pytest.raises(error) as caught:
        client.get_card(ESCN)
    assert type(caught.value) is error
    assert (caught.value.status, caught.value.code) == (status, code)
    assert scripted_server.count() == 1


@pytest.mark.parametrize("status", [408, 429])
def test_408_and_429_are_transient_for_the_caller_but_not_retried_here(scripted_server, status):
    scripted_server.answer(Reply(status, b""))
    with make_client(scripted_server) as client, pytest.raises(Unavailable):
        client.get_card(ESCN)
    assert scripted_server.count() == 1


# --- timeouts and connections ----------------------------------------------------------------

def test_a_slow_router_raises_unavailable_in_about_the_timeout(scripted_server):
    scripted_server.answer(Reply(200, {"cardNumber": ESCN}, delay=3.0))
    started = time.monotonic()
    client = make_client(scripted_server, timeout=0.3, retries=0)
    with client, pytest.raises(Unavailable) as caught:
        client.get_card(ESCN)
    assert 0.25 < time.monotonic() - started < 1.0
    assert caught.value.status is None and "timed out" in caught.value.message


def test_a_slow_router_is_tried_three_times_for_a_get_in_bounded_time(scripted_server):
    scripted_server.answer(Reply(200, {}, delay=3.0))
    started = time.monotonic()
    with make_client(scripted_server, timeout=0.3) as client, pytest.raises(Unavailable):
        client.list_persons()
    assert scripted_server.count() == 3
    assert 1.5 < time.monotonic() - started < 2.6  # 3 * 0.3 s + 0.2 s + 0.5 s


def test_a_slow_router_gets_a_post_once(scripted_server):
    scripted_server.answer(Reply(201, {}, delay=3.0))
    started = time.monotonic()
    with make_client(scripted_server, timeout=0.3) as client, pytest.raises(Unavailable):
        client.create_card(CARD)
    assert scripted_server.count() == 1 and time.monotonic() - started < 1.0


def test_a_refused_connection_is_unavailable():
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = EscRouterClient(f"http://127.0.0.1:{port}/esc-rest", "k", timeout=1.0)
    with client, pytest.raises(Unavailable) as caught:
        client.get_card(ESCN)
    assert caught.value.status is None


def test_every_call_carries_an_explicit_timeout():
    seen = []

    def answer(request):
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json={})

    client = EscRouterClient("http://router.test/esc-rest", "k", timeout=4.0,
                             transport=httpx.MockTransport(answer))
    client.get_card(ESCN)
    client.card_status(ESCN)
    assert seen == [{"connect": 4.0, "read": 4.0, "write": 4.0, "pool": 4.0}] * 2


# --- redirects ---------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_and_the_key_stays_home(scripted_server, another_server,
                                                           status):
    scripted_server.answer(Reply(status, b"", headers={
        "Location": f"{another_server.base_url}/api/v2/cards/{ESCN}"}))
    with make_client(scripted_server) as client, pytest.raises(Unavailable) as caught:
        client.get_card(ESCN)
    assert caught.value.status == status
    assert scripted_server.count() == 1  # a redirect is not worth a retry
    assert another_server.count() == 0


def test_an_injected_client_that_follows_redirects_does_not_follow_ours(scripted_server,
                                                                       another_server):
    scripted_server.answer(Reply(302, b"", headers={"Location": another_server.base_url}))
    with httpx.Client(follow_redirects=True) as http:
        client = EscRouterClient(scripted_server.base_url, "secret-key", http_client=http)
        with pytest.raises(Unavailable):
            client.list_cards()
    assert another_server.count() == 0


# --- error bodies ----------------------------------------------------------------------------

def test_a_non_json_502_is_unavailable_with_its_text(scripted_server):
    scripted_server.answer(Reply(502, "<html><body>Bad Gateway</body></html>",
                                 headers={"Content-Type": "text/html"}))
    with make_client(scripted_server, retries=0) as client, pytest.raises(Unavailable) as caught:
        client.get_person(ESI)
    assert caught.value.status == 502 and caught.value.code is None
    assert "Bad Gateway" in caught.value.message


def test_an_api_error_message_gives_code_and_message(scripted_server):
    scripted_server.answer(Reply(409, {"code": "ER-0019", "message": "user already exists"}))
    with make_client(scripted_server) as client, pytest.raises(AlreadyExists) as caught:
        client.create_person(PERSON)
    assert caught.value.code == "ER-0019"
    assert "user already exists" in caught.value.message


def test_a_json_error_body_that_is_not_an_object_is_tolerated(scripted_server):
    scripted_server.answer(Reply(404, ["not", "an", "object"]))
    with make_client(scripted_server) as client, pytest.raises(NotFound) as caught:
        client.get_card(ESCN)
    assert caught.value.code is None


def test_a_success_that_is_not_json_is_a_router_error(scripted_server):
    scripted_server.answer(Reply(200, "<html>portal login</html>"))
    with make_client(scripted_server) as client, pytest.raises(RouterError) as caught:
        client.get_card(ESCN)
    assert not isinstance(caught.value, Unavailable)


def test_the_key_never_appears_in_an_error(scripted_server):
    scripted_server.answer(Reply(401, {"code": "SE-0001", "message": "bad key"}))
    with make_client(scripted_server) as client, pytest.raises(Unauthorized) as caught:
        client.list_cards()
    assert "secret-key" not in str(caught.value) and "secret-key" not in repr(client)


# --- unknown fields ------------------------------------------------------------------------

CODE = {"key": "ACTIVE", "label": "Active", "colour": "green"}
ORGANISATION = {"identifier": "999859608", "name": "Université A", "newThing": {"a": [1]},
                "address": {"point": {"x": 1.0, "y": 2.0, "z": 3.0}}}


def test_unknown_fields_are_ignored_at_every_level(scripted_server):
    scripted_server.answer(Reply(200, {
        "cardNumber": ESCN, "cardStatusType": CODE, "cardType": {"key": "SMART_NO_CDZ"},
        "issuedAt": "2025-09-01", "expiresAt": "2026-08-31", "issuer": ORGANISATION,
        "hasOwnerAuthorization": True, "walletPass": {"apple": True}, "links": [],
        "person": {"identifier": ESI, "organisations": [{
            "organisation": ORGANISATION, "contactPoint": {"email": "a@x.org", "fax": "1"},
            "hasPicture": False, "pictureTakenAt": "2025-01-01"}]}}))
    with make_client(scripted_server) as client:
        card = client.get_card(ESCN)
    assert card.card_status_type == "ACTIVE" and card.card_type == "SMART_NO_CDZ"
    assert card.expires_at == datetime.date(2026, 8, 31)
    assert card.issuer.identifier == "999859608"
    assert card.person.organisations[0].email == "a@x.org"
    assert card.processor is None


def test_unknown_fields_of_a_page_and_a_status_are_ignored(scripted_server):
    scripted_server.answer(
        Reply(200, {"content": [{"identifier": ESI, "score": 3}], "empty": False, "facets": {},
                    "page": {"number": 0, "size": 10, "totalElements": 1, "totalPages": 1,
                             "sorted": True}}),
        Reply(200, {"cardNumber": ESCN, "status": "ACTIVE", "expiresAt": "2026-08-31",
                    "issuerIdentifier": "999859608", "verifiedBy": "x"}))
    with make_client(scripted_server) as client:
        page = client.list_persons()
        status = client.card_status(ESCN)
    assert [person.identifier for person in page.items] == [ESI]
    assert page.total_elements == 1
    assert status.status == "ACTIVE" and status.expires_at == datetime.date(2026, 8, 31)


def test_a_malformed_known_field_is_a_router_error(scripted_server):
    scripted_server.answer(Reply(200, {"cardNumber": ESCN, "expiresAt": "31/08/2026"}))
    with make_client(scripted_server) as client, pytest.raises(RouterError, match="malformed"):
        client.get_card(ESCN)


# --- what goes over the wire -------------------------------------------------------------------

def test_the_key_is_a_bearer_token_and_the_public_status_goes_without_it(scripted_server):
    scripted_server.answer(Reply(200, {"cardNumber": ESCN}))
    with make_client(scripted_server) as client:
        client.get_card(ESCN)
        client.card_status(ESCN)
    private, public = scripted_server.received
    assert private.headers["Authorization"] == "Bearer secret-key"
    assert "Authorization" not in public.headers
    assert public.path == f"/esc-rest/api/v2/cards/{ESCN}/status"


def test_an_esi_is_one_path_segment_whatever_it_holds(scripted_server):
    scripted_server.answer(Reply(200, {"identifier": "x"}))
    with make_client(scripted_server) as client:
        client.get_person("urn:schac:personalUniqueCode:int:esi:lmu.de:a/b?c#d e%f+é")
    assert scripted_server.received[0].path == (
        "/esc-rest/api/v2/persons/urn:schac:personalUniqueCode:int:esi:lmu.de:"
        "a%2Fb%3Fc%23d%20e%25f%2B%C3%A9")
