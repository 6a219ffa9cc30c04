"""The client against our router service (campuscard.router) over real HTTP, through
pytest-django's live server. Every answer is also checked against the published contract
(the `router_client` fixture installs the checker as an httpx event hook)."""

import base64
import datetime
import io

import pytest
from PIL import Image

from campuscard.esc.escn import generate_escn, validate_escn
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

ESI_PREFIX = "urn:schac:personalUniqueCode:int:esi:fr:"
TODAY = datetime.date.today()


def esi(code):
    return f"{ESI_PREFIX}{code}"


def person_update(pic, identifier, name="Alice Martin", **organisation):
    return PersonUpdate(identifier, (PersonOrganisationUpdate(pic, full_name=name,
                                                              **organisation),))


def card_update(pic, identifier, escn, *, status="ACTIVE", expires_at=None,
                issued_at=TODAY):
    return CardUpdate(escn, identifier, pic, "SMART_NO_CDZ", status, issued_at,
                      expires_at or TODAY + datetime.timedelta(days=365),
                      display_name="Alice Martin")


@pytest.fixture
def pic(est_a):
    return est_a.pic


@pytest.fixture
def holder(router_client, pic):
    """A person registered in the router by establishment A."""
    return router_client.create_person(person_update(pic, esi("1000000001A"),
                                                     email="alice@example.org",
                                                     academic_level="MASTER"))


@pytest.fixture
def card(router_client, pic, est_a, holder):
    escn = str(generate_escn(est_a.escn_prefix, pic))
    return router_client.create_card(card_update(pic, holder.identifier, escn))


@pytest.fixture
def other_client(live_router, router_key, est_b, contract_checked_http):
    """A client keyed for establishment B."""
    base_url, _ = live_router
    return EscRouterClient(base_url, router_key(est_b.pic, est_b.name),
                           http_client=contract_checked_http)


def jpeg(width, height):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 160)).save(buffer, "JPEG")
    return buffer.getvalue()


# --- persons -------------------------------------------------------------------------------

def test_a_person_is_created_read_updated_listed_and_deleted(router_client, pic, holder):
    assert holder.identifier == esi("1000000001A")
    stored = router_client.get_person(holder.identifier)
    organisation = stored.organisations[0]
    assert organisation.organisation.identifier == pic
    assert (organisation.full_name, organisation.email, organisation.academic_level) == (
        "Alice Martin", "alice@example.org", "MASTER")

    updated = router_client.update_person(holder.identifier, person_update(
        pic, holder.identifier, name="Alice Martin-Durand", academic_level="DOCTORATE"))
    assert updated.organisations[0].full_name == "Alice Martin-Durand"
    assert router_client.get_person(holder.identifier).organisations[0].academic_level == \
        "DOCTORATE"
    assert holder.identifier in {p.identifier for p in router_client.list_persons().items}

    router_client.delete_person(holder.identifier)
    with pytest.raises(NotFound):
        router_client.get_person(holder.identifier)


def test_a_person_registered_twice_already_exists(router_client, pic, holder):
    with pytest.raises(AlreadyExists) as caught:
        router_client.create_person(person_update(pic, holder.identifier))
    assert (caught.value.status, caught.value.code) == (409, "ER-0019")


def test_an_unknown_person_is_not_found(router_client):
    with pytest.raises(NotFound) as caught:
        router_client.get_person(esi("unknown"))
    assert caught.value.status == 404


def test_an_esi_with_awkward_characters_round_trips(router_client, pic):
    identifier = "urn:schac:personalUniqueCode:int:esi:lmu.de:Müller Ñ+1%"
    router_client.create_person(person_update(pic, identifier))
    assert router_client.get_person(identifier).identifier == identifier
    router_client.delete_person(identifier)


def test_persons_are_walked_page_by_page(router_client, pic):
    identifiers = {esi(f"20000{n:05d}B") for n in range(23)}
    for identifier in identifiers:
        router_client.create_person(person_update(pic, identifier))
    first = router_client.list_persons()
    assert len(first.items) == 10 and first.total_elements == 23 and first.total_pages == 3
    assert {p.identifier for p in router_client.iter_persons()} == identifiers


# --- cards -----------------------------------------------------------------------------------

def test_a_card_is_created_read_updated_listed_and_deleted(router_client, pic, holder, card):
    assert card.card_type == "SMART_NO_CDZ" and card.card_status_type == "ACTIVE"
    assert card.person.identifier == holder.identifier and card.issuer.identifier == pic
    assert card.has_owner_authorization is True
    escn = card.card_number

    update = card_update(pic, holder.identifier, escn, status="INACTIVE")
    assert router_client.update_card(escn, update).card_status_type == "INACTIVE"
    stored = router_client.get_card(escn)
    assert (stored.card_status_type, stored.expires_at) == ("INACTIVE", update.expires_at)
    assert escn in {c.card_number for c in router_client.list_cards().items}

    router_client.delete_card(escn)
    with pytest.raises(NotFound):
        router_client.get_card(escn)


def test_a_card_without_a_number_gets_one_from_the_router(router_client, pic, holder):
    card = router_client.create_card(card_update(pic, holder.identifier, None))
    assert validate_escn(card.card_number, pic) == card.card_number


def test_a_card_issued_twice_already_exists(router_client, pic, holder, card):
    with pytest.raises(AlreadyExists) as caught:
        router_client.create_card(card_update(pic, holder.identifier, card.card_number))
    assert (caught.value.status, caught.value.code) == (409, "ER-0002")


@pytest.mark.parametrize("escn", ["not-an-escn", str(generate_escn("001", "999465982"))])
def test_a_bad_escn_is_a_bad_request(router_client, pic, holder, escn):
    with pytest.raises(BadRequest) as caught:
        router_client.create_card(card_update(pic, holder.identifier, escn))
    assert caught.value.status == 400


def test_an_unknown_card_is_not_found(router_client, est_a):
    with pytest.raises(NotFound) as caught:
        router_client.get_card(str(generate_escn(est_a.escn_prefix, est_a.pic)))
    assert caught.value.code == "ER-0001"


def test_25_cards_are_walked_page_by_page(router_client, pic, est_a, holder):
    escns = {str(e) for e in router_client.generate_escns(pic, est_a.escn_prefix, 25)}
    for escn in escns:
        router_client.create_card(card_update(pic, holder.identifier, escn))
    last = router_client.list_cards(page=2)
    assert len(last.items) == 5 and last.total_elements == 25 and last.total_pages == 3
    assert {c.card_number for c in router_client.iter_cards()} == escns


def test_250_escns_come_from_3_calls(router_client, pic, est_a):
    calls = []
    router_client.http.event_hooks["response"].append(
        lambda response: calls.append(response.request.url.params["numberOfESCN"])
        if response.request.url.path.endswith("/generate-escn") else None)
    escns = router_client.generate_escns(pic, est_a.escn_prefix, 250)
    assert calls == ["100", "100", "50"]
    assert len(set(escns)) == 250
    assert all(validate_escn(escn, pic) == escn for escn in escns)


# --- public status and QR --------------------------------------------------------------------

def test_the_public_status_needs_no_key(live_router, router_client, card):
    base_url, _ = live_router
    with EscRouterClient(base_url, "", http_client=router_client.http) as anonymous:
        status = anonymous.card_status(card.card_number)
    assert (status.card_number, status.status) == (card.card_number, "ACTIVE")
    assert status.expires_at == card.expires_at
    assert status.issuer_identifier == card.issuer.identifier


def test_an_expired_card_shows_expired(router_client, pic, holder, est_a):
    escn = str(generate_escn(est_a.escn_prefix, pic))
    router_client.create_card(card_update(pic, holder.identifier, escn,
                                          issued_at=TODAY - datetime.timedelta(days=30),
                                          expires_at=TODAY - datetime.timedelta(days=1)))
    assert router_client.card_status(escn).status == "EXPIRED"


def test_the_qr_comes_as_svg_or_as_that_svg_in_base64(router_client, card):
    svg = router_client.card_qr(card.card_number)
    assert "<svg" in svg
    encoded = router_client.card_qr(card.card_number, base64=True)
    assert base64.b64decode(encoded).decode() == svg
    other = router_client.card_qr(card.card_number, orientation="vertical", colours="inverted",
                                  size="M")
    assert "<svg" in other and other != svg


# --- pictures --------------------------------------------------------------------------------

def test_a_picture_is_resized_stored_read_and_deleted(router_client, pic, holder):
    router_client.upload_picture(pic, holder.identifier, jpeg(600, 800), resize=True)
    stored = Image.open(io.BytesIO(router_client.get_picture(pic, holder.identifier)))
    assert stored.size == (200, 300)
    assert router_client.get_person(holder.identifier).organisations[0].has_picture is True

    router_client.delete_picture(pic, holder.identifier)
    with pytest.raises(NotFound):
        router_client.get_picture(pic, holder.identifier)


# --- who may do what ---------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["not-a-key", ""])
def test_a_bad_or_missing_key_is_unauthorized(live_router, router_client, key):
    base_url, _ = live_router
    client = EscRouterClient(base_url, key, http_client=router_client.http)
    with pytest.raises(Unauthorized) as caught:
        client.list_persons()
    assert caught.value.status == 401


def test_another_organisations_card_is_access_denied(other_client, card, pic, holder):
    for call in (lambda: other_client.get_card(card.card_number),
                 lambda: other_client.update_card(card.card_number, card_update(
                     pic, holder.identifier, card.card_number, status="INACTIVE")),
                 lambda: other_client.delete_card(card.card_number)):
        with pytest.raises(AccessDenied) as caught:
            call()
        assert (caught.value.status, caught.value.code) == (403, "SE-0000")


def test_another_organisation_does_not_list_our_cards(other_client, card):
    assert card.card_number not in {c.card_number for c in other_client.iter_cards()}


# --- bulk import -----------------------------------------------------------------------------

def test_the_csv_configuration_and_a_dry_run(router_client, pic, holder, est_a):
    columns = router_client.csv_config()
    assert columns and all(isinstance(index, int) for index in columns.values())
    assert sorted(columns.values()) == list(range(len(columns)))
    escn = str(generate_escn(est_a.escn_prefix, pic))
    values = {"cardNumber": escn, "personIdentifier": holder.identifier,
              "issuerIdentifier": pic, "cardType": "SMART_NO_CDZ", "cardStatusType": "ACTIVE",
              "issuedAt": TODAY.isoformat(),
              "expiresAt": (TODAY + datetime.timedelta(days=30)).isoformat(),
              "displayName": "Alice Martin"}
    ordered = sorted(columns, key=columns.get)
    good = ",".join(values.get(name, "") for name in ordered)
    bad = ",".join({"cardNumber": "nope"}.get(name, values.get(name, "")) for name in ordered)
    header = ",".join(ordered)
    assert router_client.validate_csv(f"{header}\n{good}\n".encode(), "CREATE") == []
    errors = router_client.validate_csv(f"{header}\n{bad}\n".encode(), "CREATE")
    assert errors and errors[0].row_number is not None
    with pytest.raises(NotFound):
        router_client.get_card(escn)  # a dry run writes nothing



def test_every_answer_here_is_checked_against_the_contract(router_client, contract, card):
    assert contract.check_response in router_client.http.event_hooks["response"]
    seen = len(contract.exchanges)
    router_client.get_card(card.card_number)
    assert len(contract.exchanges) == seen + 1
    assert (contract.exchanges[-1].operation_id, contract.exchanges[-1].status) == (
        "findByExternalId_1", 200)
