"""The router's published contract: the stored document, the checker, and a run of every
operation against our router service with each answer checked."""

import datetime
import io
import json
from dataclasses import dataclass, field, replace

import httpx
import pytest
from PIL import Image

from campuscard.integrations.esc_router.client import (
    AccessDenied,
    AlreadyExists,
    BadRequest,
    CardUpdate,
    EscRouterClient,
    NotFound,
    PersonOrganisationUpdate,
    PersonUpdate,
    Unauthorized,
)
from tests.contract.checker import DOCUMENT_PATH, WITHDRAWN, Contract, ContractViolation

# Every operation of the document, and the client method that performs it.
CLIENT_METHODS = {
    "findAll": "list_persons", "create": "create_person", "findByExternalId": "get_person",
    "update": "update_person", "delete": "delete_person",
    "getStudentPicture": "get_picture", "uploadStudentPicture": "upload_picture",
    "deleteStudentPicture": "delete_picture",
    "findAll_1": "list_cards", "create_1": "create_card", "findByExternalId_1": "get_card",
    "update_1": "update_card", "delete_1": "delete_card", "status": "card_status",
    "getQRCode": "card_qr", "getEscnList": "generate_escns",
}
ESCN = "3e506370-826a-103d-bf76-066999859608"
ESI = "urn:schac:personalUniqueCode:int:esi:fr:1234567890A"


@pytest.fixture(scope="module")
def contract():
    return Contract.load()


# --- the document ----------------------------------------------------------------------------

def test_the_document_is_the_router_openapi_3_1_contract():
    document = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] == "ESC-Router"
    assert document["servers"][0]["url"] == "/esc-rest"


def test_the_document_has_the_picture_endpoints(contract):
    picture = contract.document["paths"]["/api/v2/organisations/{id}/person/{esi}/picture"]
    assert {op["operationId"] for op in picture.values()} == {
        "getStudentPicture", "uploadStudentPicture", "deleteStudentPicture"}


def test_the_client_has_a_method_for_every_operation_but_the_withdrawn_one(contract):
    assert contract.operation_ids() - WITHDRAWN == set(CLIENT_METHODS)
    for method in CLIENT_METHODS.values():
        assert callable(getattr(EscRouterClient, method))


# --- the checker -----------------------------------------------------------------------------

CARD_VIEW = {
    "cardNumber": ESCN, "cardStatusType": {"key": "ACTIVE", "label": "Active"},
    "cardType": {"key": "SMART_NO_CDZ", "label": "Smart card"}, "displayName": "Alice",
    "issuedAt": "2025-09-01", "expiresAt": "2026-08-31", "hasOwnerAuthorization": True,
    "issuer": {"id": 1, "identifier": "999859608", "name": "Université A"},
    "person": {"identifier": ESI, "organisations": []},
}


def check(contract, method, path, status, body, content_type="application/json"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    contract.check(method, path, status, content_type, raw)


def test_a_conforming_body_passes_and_unknown_fields_are_allowed(contract):
    check(contract, "GET", f"/api/v2/cards/{ESCN}", 200, CARD_VIEW | {"walletPass": {"x": 1}})


@pytest.mark.parametrize(("change", "complaint"), [
    ({"cardNumber": 123}, "123 is not of type 'string'"),
    ({"hasOwnerAuthorization": "yes"}, "'yes' is not of type 'boolean'"),
    ({"cardType": "SMART_NO_CDZ"}, "is not of type 'object'"),
    ({"issuer": {"id": "one"}}, "'one' is not of type 'integer'"),
    ({"person": {"fullName": "Alice"}}, "'identifier' is a required property"),
    ({"displayName": "x" * 256}, "is too long"),
    ({"processor": None}, "None is not of type 'object'"),
])
def test_a_wrong_type_or_a_missing_required_field_is_caught(contract, change, complaint):
    with pytest.raises(ContractViolation, match=complaint):
        check(contract, "GET", f"/api/v2/cards/{ESCN}", 200, CARD_VIEW | change)


def test_a_person_without_its_identifier_is_caught(contract):
    with pytest.raises(ContractViolation, match="'identifier' is a required property"):
        check(contract, "POST", "/api/v2/persons", 201, {"fullName": "Alice"})


def test_an_undocumented_status_is_caught(contract):
    with pytest.raises(ContractViolation, match="status 404 is not documented"):
        check(contract, "GET", "/api/v2/cards/generate-escn", 404, {"code": "ER-0001"})


def test_an_unknown_operation_is_caught(contract):
    with pytest.raises(ContractViolation, match="no such operation"):
        check(contract, "PATCH", f"/api/v2/cards/{ESCN}", 200, {})
    with pytest.raises(ContractViolation, match="no such operation"):
        check(contract, "GET", "/api/v3/cards", 200, {})


def test_an_undocumented_media_type_is_caught(contract):
    with pytest.raises(ContractViolation, match="media type 'text/html'"):
        check(contract, "GET", f"/api/v2/cards/{ESCN}/qr", 200, b"<html/>", "text/html")
    with pytest.raises(ContractViolation, match="media type 'image/jpeg'"):
        check(contract, "GET", f"/api/v2/organisations/999859608/person/{ESI}/picture", 200,
              b"\xff\xd8", "image/jpeg")


def test_a_body_that_claims_json_but_is_not_is_caught(contract):
    with pytest.raises(ContractViolation, match="declared JSON"):
        check(contract, "GET", f"/api/v2/cards/{ESCN}/status", 200, b"<html>")


def test_literal_paths_win_over_templates(contract):
    assert contract.find("GET", "/api/v2/cards/generate-escn").operation_id == "getEscnList"
    assert contract.find("GET", f"/api/v2/cards/{ESCN}").operation_id == "findByExternalId_1"
    with pytest.raises(ContractViolation, match="is not of type 'array'"):
        check(contract, "GET", "/api/v2/cards/generate-escn", 200, {"cardNumber": ESCN})


def test_json_error_bodies_of_operations_documented_with_other_media_types_are_checked(contract):
    picture = f"/api/v2/organisations/999859608/person/{ESI}/picture"
    check(contract, "GET", picture, 404, {"code": "ER-0001", "message": "no picture"})
    with pytest.raises(ContractViolation, match="is not of type 'string'"):
        check(contract, "GET", picture, 404, {"code": 1})


def test_bulk_import_is_recorded_as_outside_the_document(contract):
    check(contract, "GET", "/api/v2/cards/csv-config", 200, {"cardNumber": 0})
    assert contract.exchanges[-1].operation_id == "getCsvConfig"
    assert not contract.exchanges[-1].documented


def test_the_event_hook_checks_what_the_client_receives():
    contract = Contract.load()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"cardNumber": 7}))
    http = httpx.Client(transport=transport, event_hooks={"response": [contract.check_response]})
    client = EscRouterClient("http://router.test/esc-rest", "k", http_client=http)
    with pytest.raises(ContractViolation, match="status 200: body does not match"):
        client.card_status(ESCN)


# --- every operation against our router service ------------------------------------------------

def jpeg(width=400, height=500):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


@dataclass
class CheckedRouter:
    """The live router service, keys of establishments A and B, and a contract that checks
    (and records) every answer of the clients made here."""

    base_url: str
    key_a: str
    key_b: str
    contract: Contract = field(default_factory=Contract.load)

    def __post_init__(self):
        self.http = httpx.Client(event_hooks={"response": [self.contract.check_response]})

    def client(self, key):
        return EscRouterClient(self.base_url, key, retries=0, http_client=self.http)


@pytest.fixture
def checked(live_router, router_key, est_b):
    base_url, key_a = live_router
    router = CheckedRouter(base_url, key_a, router_key(est_b.pic, est_b.name))
    yield router
    router.http.close()


def exercise_persons(client, pic):
    person = PersonUpdate(ESI, (PersonOrganisationUpdate(pic, full_name="Alice Martin",
                                                         email="alice@example.org",
                                                         academic_level="MASTER"),))
    assert client.create_person(person).identifier == ESI
    with pytest.raises(AlreadyExists):
        client.create_person(person)
    client.update_person(ESI, PersonUpdate(ESI, (PersonOrganisationUpdate(
        pic, full_name="Alice Martin-Durand"),)))
    assert client.get_person(ESI).identifier == ESI
    assert ESI in {p.identifier for p in client.list_persons().items}
    with pytest.raises(NotFound):
        client.get_person(ESI + "-unknown")


def exercise_pictures(client, pic):
    client.upload_picture(pic, ESI, jpeg(), resize=True)
    assert client.get_picture(pic, ESI)
    client.delete_picture(pic, ESI)
    with pytest.raises(NotFound):
        client.get_picture(pic, ESI)


def exercise_cards(client, pic, prefix):
    escn = client.generate_escns(pic, prefix, 2)[0]
    card = CardUpdate(escn, ESI, pic, "SMART_NO_CDZ", "ACTIVE", datetime.date.today(),
                      datetime.date.today() + datetime.timedelta(days=300), "Alice Martin")
    assert client.create_card(card).card_number == escn
    with pytest.raises(AlreadyExists):
        client.create_card(card)
    with pytest.raises(BadRequest):
        client.create_card(replace(card, card_number="not-an-escn"))
    client.update_card(escn, replace(card, card_status_type="INACTIVE"))
    assert client.get_card(escn).card_status_type == "INACTIVE"
    assert escn in {c.card_number for c in client.list_cards().items}
    assert client.card_status(escn).status == "INACTIVE"
    with pytest.raises(NotFound):
        client.card_status(ESCN)
    with pytest.raises(NotFound):
        client.get_card(ESCN)
    assert "<svg" in client.card_qr(escn)
    assert client.card_qr(escn, base64=True)
    client.csv_config()
    client.validate_csv(b"", "DELETE")
    return escn


def test_every_operation_answers_as_the_contract_says(checked, est_a):
    client = checked.client(checked.key_a)
    exercise_persons(client, est_a.pic)
    exercise_pictures(client, est_a.pic)
    escn = exercise_cards(client, est_a.pic, est_a.escn_prefix)
    with pytest.raises(Unauthorized):
        checked.client("not-a-key").list_cards()
    with pytest.raises(AccessDenied):
        checked.client(checked.key_b).get_card(escn)
    client.delete_card(escn)
    client.delete_person(ESI)
    with pytest.raises(NotFound):
        client.delete_person(ESI)
    seen = {exchange.operation_id for exchange in checked.contract.exchanges}
    missing = checked.contract.operation_ids() - WITHDRAWN - seen
    assert not missing, f"operations never exercised: {sorted(missing)}"
    assert all(e.documented for e in checked.contract.exchanges
               if e.operation_id in CLIENT_METHODS)
