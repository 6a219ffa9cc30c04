"""What the client sends for each operation and how it reads the answers (no network: an
httpx mock transport stands in for the router)."""

import datetime
import json

import httpx
import pytest

from campuscard.esc.escn import generate_escns
from campuscard.integrations.esc_router.client import (
    CardUpdate,
    EscRouterClient,
    PersonOrganisationUpdate,
    PersonUpdate,
    RouterError,
)

PIC, PREFIX = "999859608", "066"
ESI = "urn:schac:personalUniqueCode:int:esi:fr:1234567890A"
ESI_PATH = "urn:schac:personalUniqueCode:int:esi:fr:1234567890A"  # colons stay as they are
BASE = "http://router.test/esc-rest"


class FakeRouter:
    """Records requests; `reply(request)` returns an httpx.Response (default: 200 {})."""

    def __init__(self, reply=None):
        self.requests = []
        self.reply = reply or (lambda request: httpx.Response(200, json={}))

    def __call__(self, request):
        request.read()
        self.requests.append(request)
        return self.reply(request)

    def client(self, api_key="k"):
        return EscRouterClient(BASE, api_key, transport=httpx.MockTransport(self))

    @property
    def last(self):
        return self.requests[-1]


def page_of(count, number=0, total_pages=None):
    return {"content": [{"identifier": f"esi-{number}-{i}"} for i in range(count)],
            "empty": count == 0,
            "page": {"number": number, "size": 10, "totalElements": None,
                     "totalPages": total_pages}}


def card_update(card_number=None):
    return CardUpdate(card_number, ESI, PIC, "SMART_NO_CDZ", "ACTIVE",
                      datetime.date(2025, 9, 1), datetime.date(2026, 8, 31))


# --- request models ------------------------------------------------------------------------

def test_a_person_is_sent_with_the_contract_names():
    person = PersonUpdate(ESI, (PersonOrganisationUpdate(PIC, full_name="Alice Martin",
                                                         email="alice@x.org",
                                                         academic_level="MASTER"),))
    assert person.to_json() == {
        "identifier": ESI, "identifierCode": "ESI",
        "personOrganisationUpdateViews": [{"organisationIdentifier": PIC,
                                           "fullName": "Alice Martin", "email": "alice@x.org",
                                           "academicLevel": "MASTER"}]}


def test_a_card_is_sent_with_iso_dates_and_without_empty_fields():
    assert card_update().to_json() == {
        "personIdentifier": ESI, "issuerIdentifier": PIC, "cardType": "SMART_NO_CDZ",
        "cardStatusType": "ACTIVE", "issuedAt": "2025-09-01", "expiresAt": "2026-08-31"}


# --- paths, methods, parameters --------------------------------------------------------------

ESCN = str(generate_escns(PREFIX, PIC, 1)[0])
PERSON = PersonUpdate(ESI, (PersonOrganisationUpdate(PIC),))


@pytest.mark.parametrize(("call", "method", "path"), [
    (lambda c: c.create_person(PERSON), "POST", "/persons"),
    (lambda c: c.get_person(ESI), "GET", f"/persons/{ESI_PATH}"),
    (lambda c: c.update_person(ESI, PERSON), "PUT", f"/persons/{ESI_PATH}"),
    (lambda c: c.delete_person(ESI), "DELETE", f"/persons/{ESI_PATH}"),
    (lambda c: c.get_picture(PIC, ESI), "GET", f"/organisations/{PIC}/person/{ESI_PATH}/picture"),
    (lambda c: c.delete_picture(PIC, ESI), "DELETE",
     f"/organisations/{PIC}/person/{ESI_PATH}/picture"),
    (lambda c: c.create_card(card_update()), "POST", "/cards"),
    (lambda c: c.get_card(ESCN), "GET", f"/cards/{ESCN}"),
    (lambda c: c.update_card(ESCN, card_update(ESCN)), "PUT", f"/cards/{ESCN}"),
    (lambda c: c.delete_card(ESCN), "DELETE", f"/cards/{ESCN}"),
    (lambda c: c.card_status(ESCN), "GET", f"/cards/{ESCN}/status"),
    (lambda c: c.csv_config(), "GET", "/cards/csv-config"),
])
def test_each_operation_goes_to_its_path(call, method, path):
    router = FakeRouter()
    call(router.client())
    assert router.last.method == method
    assert router.last.url.raw_path.decode().split("?")[0] == f"/esc-rest/api/v2{path}"


def test_json_bodies_are_the_models():
    router = FakeRouter()
    client = router.client()
    client.update_card(ESCN, card_update(ESCN))
    assert json.loads(router.last.content) == card_update(ESCN).to_json()
    assert router.last.headers["Content-Type"] == "application/json"


def test_list_parameters_are_passed_and_empty_ones_left_out():
    router = FakeRouter(lambda request: httpx.Response(200, json=page_of(0)))
    client = router.client()
    client.list_cards(page=2, search="martin", sort="expiresAt", direction="DESC")
    assert dict(router.last.url.params) == {"page": "2", "size": "10", "search": "martin",
                                            "sort": "expiresAt", "direction": "DESC"}
    client.list_persons()
    assert dict(router.last.url.params) == {"page": "0", "size": "10", "direction": "ASC"}


def test_without_a_key_no_authorization_header_is_sent():
    router = FakeRouter()
    router.client(api_key="").get_card(ESCN)
    assert "Authorization" not in router.last.headers


def test_a_default_authorization_of_an_injected_client_is_replaced_or_dropped():
    router = FakeRouter()
    http = httpx.Client(transport=httpx.MockTransport(router),
                        headers={"Authorization": "Bearer other"})
    client = EscRouterClient(BASE, "mine", http_client=http)
    client.get_card(ESCN)
    assert router.last.headers["Authorization"] == "Bearer mine"
    client.card_status(ESCN)
    assert "Authorization" not in router.last.headers


# --- pictures --------------------------------------------------------------------------------

def test_a_picture_is_uploaded_as_the_multipart_field_file_with_resize():
    router = FakeRouter(lambda request: httpx.Response(201, json="stored"))
    router.client().upload_picture(PIC, ESI, b"\xff\xd8jpeg", filename="alice.jpg")
    request = router.last
    assert request.method == "POST" and request.url.params["resize"] == "true"
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert b'name="file"; filename="alice.jpg"' in request.content
    assert b"Content-Type: image/jpeg" in request.content and b"\xff\xd8jpeg" in request.content


def test_resize_can_be_turned_off_and_the_picture_read_back_as_bytes():
    router = FakeRouter(lambda request: httpx.Response(
        200, content=b"\x89PNG", headers={"Content-Type": "application/octet-stream"}))
    client = router.client()
    client.upload_picture(PIC, ESI, b"x", resize=False)
    assert router.last.url.params["resize"] == "false"
    assert client.get_picture(PIC, ESI) == b"\x89PNG"


# --- QR --------------------------------------------------------------------------------------

def test_the_qr_is_asked_for_as_svg_or_base64_through_accept():
    router = FakeRouter(lambda request: httpx.Response(200, text="<svg/>"))
    client = router.client()
    assert client.card_qr(ESCN) == "<svg/>"
    assert router.last.headers["Accept"] == "image/svg+xml"
    assert dict(router.last.url.params) == {"orientation": "horizontal", "colours": "normal",
                                            "size": "S"}
    client.card_qr(ESCN, base64=True, orientation="vertical", colours="inverted", size="XS")
    assert router.last.headers["Accept"] == "text/plain"
    assert dict(router.last.url.params) == {"orientation": "vertical", "colours": "inverted",
                                            "size": "XS"}


@pytest.mark.parametrize("options", [{"orientation": "diagonal"}, {"colours": "red"},
                                     {"size": "XL"}, {"size": "s"}])
def test_qr_options_are_checked_before_anything_is_sent(options):
    router = FakeRouter()
    with pytest.raises(ValueError, match=next(iter(options))):
        router.client().card_qr(ESCN, **options)
    assert router.requests == []


# --- generate-escn ---------------------------------------------------------------------------

def minting_router():
    def reply(request):
        count = int(request.url.params["numberOfESCN"])
        pic, prefix = request.url.params["pic"], request.url.params["prefix"]
        return httpx.Response(200, json=[str(e) for e in generate_escns(prefix, pic, count)])
    return FakeRouter(reply)


def test_250_escns_come_in_calls_of_at_most_100():
    router = minting_router()
    escns = router.client().generate_escns(PIC, PREFIX, 250)
    assert [int(r.url.params["numberOfESCN"]) for r in router.requests] == [100, 100, 50]
    assert {r.url.params["pic"] for r in router.requests} == {PIC}
    assert {r.url.params["prefix"] for r in router.requests} == {PREFIX}
    assert len(escns) == len(set(escns)) == 250
    assert all(escn.endswith(f"-{PREFIX}{PIC}") for escn in escns)


def test_no_escn_asked_for_means_no_call():
    router = minting_router()
    assert router.client().generate_escns(PIC, PREFIX, 0) == []
    assert router.requests == []


@pytest.mark.parametrize("answer", [
    ["not-an-escn"],
    [str(generate_escns(PREFIX, "999465982", 1)[0])],  # another organisation's number
    [],  # fewer than asked for
    {"escns": []},
])
def test_escns_from_the_router_are_checked(answer):
    router = FakeRouter(lambda request: httpx.Response(200, json=answer))
    with pytest.raises(RouterError):
        router.client().generate_escns(PIC, PREFIX, 1)


# --- CSV -------------------------------------------------------------------------------------

def test_validate_csv_sends_the_file_and_the_operation_and_reads_row_errors():
    rows = [{"rowNumber": 2, "fieldName": "expiresAt", "errorMessage": "bad date", "x": 1}]
    router = FakeRouter(lambda request: httpx.Response(200, json=rows))
    errors = router.client().validate_csv(b"cardNumber\n1\n", "UPDATE")
    assert router.last.url.params["operation"] == "UPDATE"
    assert b'name="file"; filename="cards.csv"' in router.last.content
    assert [(e.row_number, e.field_name, e.error_message) for e in errors] == [
        (2, "expiresAt", "bad date")]


def test_validate_csv_checks_the_operation_first():
    router = FakeRouter()
    with pytest.raises(ValueError):
        router.client().validate_csv(b"", "UPSERT")
    assert router.requests == []


def test_csv_config_is_a_column_map():
    router = FakeRouter(lambda request: httpx.Response(200, json={"cardNumber": 1,
                                                                  "personIdentifier": 0}))
    assert router.client().csv_config() == {"cardNumber": 1, "personIdentifier": 0}
    router.reply = lambda request: httpx.Response(200, json={"cardNumber": "first"})
    with pytest.raises(RouterError):
        router.client().csv_config()


# --- walking pages -------------------------------------------------------------------------

def pages_router(pages):
    return FakeRouter(lambda request: httpx.Response(200,
                                                     json=pages[int(request.url.params["page"])]))


def test_iteration_stops_at_a_short_page():
    router = pages_router([page_of(10, 0), page_of(10, 1), page_of(3, 2)])
    assert len(list(router.client().iter_persons(search="x"))) == 23
    assert [r.url.params["page"] for r in router.requests] == ["0", "1", "2"]
    assert {r.url.params["size"] for r in router.requests} == {"10"}
    assert {r.url.params["search"] for r in router.requests} == {"x"}


def test_iteration_stops_at_an_empty_page():
    router = pages_router([page_of(10, 0), page_of(0, 1)])
    assert len(list(router.client().iter_cards())) == 10
    assert len(router.requests) == 2


def test_iteration_stops_at_the_last_page_announced():
    router = pages_router([page_of(10, 0, total_pages=2), page_of(10, 1, total_pages=2)])
    assert len(list(router.client().iter_persons())) == 20
    assert len(router.requests) == 2


def test_a_router_that_ignores_the_page_number_does_not_loop_for_ever():
    router = FakeRouter(lambda request: httpx.Response(200, json=page_of(10, 0)))
    with pytest.raises(RouterError, match="page 0 for page 1"):
        list(router.client().iter_cards())


# --- lifetime --------------------------------------------------------------------------------

def test_the_client_closes_its_own_pool_but_not_one_it_was_given():
    with EscRouterClient(BASE) as client:
        own = client.http
    assert own.is_closed
    given = httpx.Client()
    with EscRouterClient(BASE, http_client=given):
        pass
    assert not given.is_closed
    given.close()
