"""Cards: /esc-rest/api/v2/cards and /cards/{escn}."""

import pytest

from campuscard.esc.escn import validate_escn
from campuscard.router.models import RouterCard

from .conftest import assert_error, card_body, days, esi, new_escn, person_body, today


def test_a_card_is_issued(router_a, est_a, alice):
    escn = new_escn(est_a)
    response = router_a.post("/cards", card_body(est_a.pic, alice, escn,
                                                 processorIdentifier="FR12345678901"))
    assert response.status_code == 201
    card = response.json()
    assert card["cardNumber"] == escn
    assert card["cardStatusType"] == {"key": "ACTIVE", "label": "Active"}
    assert card["cardType"]["key"] == "SMART_NO_CDZ"
    assert (card["issuedAt"], card["expiresAt"]) == (today().isoformat(), days(365).isoformat())
    assert card["displayName"] == "Alice Martin"
    assert card["hasOwnerAuthorization"] is True
    assert card["issuer"]["identifier"] == est_a.pic
    assert card["processor"] == {"identifier": "FR12345678901"}
    assert card["person"]["identifier"] == alice
    stored = RouterCard.objects.get()
    assert (stored.escn, stored.issuer.pic, stored.status) == (escn, est_a.pic, "ACTIVE")


def test_an_upper_case_number_is_stored_in_lower_case(router_a, est_a, alice):
    escn = new_escn(est_a)
    response = router_a.post("/cards", card_body(est_a.pic, alice, escn.upper()))
    assert response.json()["cardNumber"] == escn


@pytest.mark.parametrize("number", [None, ""])
def test_the_router_makes_the_number_when_none_is_given(router_a, est_a, alice, number):
    card = router_a.post("/cards", card_body(est_a.pic, alice, number)).json()
    assert validate_escn(card["cardNumber"], pic=est_a.pic) == card["cardNumber"]
    assert card["cardNumber"].endswith(f"-000{est_a.pic}")  # prefix 0 by default


def test_the_generator_prefix_is_a_setting(router_a, est_a, alice, settings):
    settings.CAMPUSCARD_ROUTER_ESCN_PREFIX = 42
    card = router_a.post("/cards", card_body(est_a.pic, alice, None)).json()
    assert card["cardNumber"].endswith(f"-042{est_a.pic}")


def test_a_card_issued_twice_is_a_conflict(router_a, est_a, alice, card_a):
    assert_error(router_a.post("/cards", card_body(est_a.pic, alice, card_a)), 409, "ER-0002")
    assert RouterCard.objects.count() == 1


def test_a_card_is_read_updated_and_deleted(router_a, est_a, alice, card_a):
    assert router_a.get(f"/cards/{card_a}").json()["cardNumber"] == card_a

    update = card_body(est_a.pic, alice, card_a, cardStatusType="INACTIVE",
                       expiresAt=days(30).isoformat(), cardType="SMART_CDZ")
    card = router_a.put(f"/cards/{card_a}", update).json()
    assert (card["cardStatusType"]["key"], card["expiresAt"], card["cardType"]["key"]) == (
        "INACTIVE", days(30).isoformat(), "SMART_CDZ")
    assert RouterCard.objects.get().status == "INACTIVE"

    assert router_a.delete(f"/cards/{card_a}").status_code == 204
    assert_error(router_a.get(f"/cards/{card_a}"), 404, "ER-0001")
    assert not RouterCard.objects.exists()


def test_an_update_may_leave_the_number_out_but_not_change_it(router_a, est_a, alice, card_a):
    body = card_body(est_a.pic, alice, None, displayName="A. Martin")
    assert router_a.put(f"/cards/{card_a}", body).json()["displayName"] == "A. Martin"
    other = card_body(est_a.pic, alice, new_escn(est_a))
    assert "cannot change" in assert_error(router_a.put(f"/cards/{card_a}", other), 400)
    assert RouterCard.objects.get().escn == card_a


# --- expiry --------------------------------------------------------------------------------

def test_a_card_past_its_expiry_shows_expired_and_comes_back_with_a_new_date(router_a, est_a,
                                                                             alice):
    escn = new_escn(est_a)
    body = card_body(est_a.pic, alice, escn, issuedAt=days(-400).isoformat(),
                     expiresAt=days(-1).isoformat())
    assert router_a.post("/cards", body).json()["cardStatusType"]["key"] == "EXPIRED"
    assert RouterCard.objects.get().status == "ACTIVE"  # never stored
    assert router_a.get("/cards").json()["content"][0]["cardStatusType"]["key"] == "EXPIRED"

    revived = router_a.put(f"/cards/{escn}", body | {"expiresAt": days(300).isoformat()})
    assert revived.json()["cardStatusType"]["key"] == "ACTIVE"


def test_a_card_expiring_today_is_still_valid(router_a, est_a, alice):
    body = card_body(est_a.pic, alice, new_escn(est_a), expiresAt=today().isoformat())
    assert router_a.post("/cards", body).json()["cardStatusType"]["key"] == "ACTIVE"


# --- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "field"), [
    ({"cardNumber": "not-an-escn"}, "cardNumber"),
    ({"cardNumber": "3e506370-826a-403d-bf76-066999859608"}, "cardNumber"),  # version 4
    ({"cardNumber": "3e506370-826a-103d-bf76-001999465982"}, "cardNumber"),  # B's PIC
    ({"issuerIdentifier": "999465982"}, "issuerIdentifier"),
    ({"issuerIdentifier": None}, "issuerIdentifier"),
    ({"personIdentifier": esi("404")}, "personIdentifier"),
    ({"personIdentifier": "1000000001A"}, "personIdentifier"),
    ({"cardType": "SMART"}, "cardType"),
    ({"cardStatusType": "EXPIRED"}, "cardStatusType"),
    ({"cardStatusType": None}, "cardStatusType"),
    ({"issuedAt": "2025/09/01"}, "issuedAt"),
    ({"expiresAt": "2026-02-30"}, "expiresAt"),
    ({"expiresAt": "20260830"}, "expiresAt"),
    ({"expiresAt": None}, "expiresAt"),
    ({"displayName": "x" * 256}, "displayName"),
    ({"displayName": ["Alice"]}, "displayName"),
    ({"processorIdentifier": "x" * 65}, "processorIdentifier"),
])
def test_a_malformed_card_is_refused_and_nothing_is_written(router_a, est_a, alice, change,
                                                            field):
    body = card_body(est_a.pic, alice, new_escn(est_a)) | change
    message = assert_error(router_a.post("/cards", body), 400, "ER-0400")
    assert message.startswith(f"{field}: ")
    assert not RouterCard.objects.exists()


def test_every_fault_of_a_card_is_reported_at_once(router_a, est_a, alice):
    body = card_body(est_a.pic, alice, "nope", cardType="SMART", issuedAt="yesterday")
    message = assert_error(router_a.post("/cards", body), 400)
    assert all(f"{field}: " in message for field in ("cardNumber", "cardType", "issuedAt"))


def test_a_person_of_another_organisation_gets_no_card_from_us(router_a, router_b, est_a,
                                                               est_b):
    router_b.post("/persons", person_body(est_b.pic, esi("3000000003C")))
    body = card_body(est_a.pic, esi("3000000003C"), new_escn(est_a))
    assert "registered for your organisation" in assert_error(router_a.post("/cards", body),
                                                              400)
    assert not RouterCard.objects.exists()


def test_a_bad_update_changes_nothing(router_a, est_a, alice, card_a):
    body = card_body(est_a.pic, alice, card_a, cardStatusType="INACTIVE", expiresAt="soon")
    assert_error(router_a.put(f"/cards/{card_a}", body), 400)
    assert RouterCard.objects.get().status == "ACTIVE"


@pytest.mark.parametrize("method", ["get", "delete"])
def test_a_malformed_number_in_the_address_is_a_bad_request(router_a, method):
    assert_error(getattr(router_a, method)("/cards/not-an-escn"), 400, "ER-0400")


def test_a_malformed_number_in_the_address_of_an_update_is_a_bad_request(router_a, est_a,
                                                                         alice):
    body = card_body(est_a.pic, alice, None)
    assert_error(router_a.put("/cards/not-an-escn", body), 400, "ER-0400")


def test_an_unknown_card_is_not_found(router_a, est_a, alice):
    escn = new_escn(est_a)
    assert_error(router_a.get(f"/cards/{escn}"), 404, "ER-0001")
    assert_error(router_a.put(f"/cards/{escn}", card_body(est_a.pic, alice, escn)), 404,
                 "ER-0001")
    assert_error(router_a.delete(f"/cards/{escn}"), 404, "ER-0001")


# --- isolation -----------------------------------------------------------------------------

def test_another_organisations_card_is_out_of_reach(router_b, est_b, alice, card_a):
    assert_error(router_b.get(f"/cards/{card_a}"), 403, "SE-0000")
    body = card_body(est_b.pic, alice, card_a, cardStatusType="INACTIVE")
    assert_error(router_b.put(f"/cards/{card_a}", body), 403, "SE-0000")
    assert_error(router_b.delete(f"/cards/{card_a}"), 403, "SE-0000")
    assert RouterCard.objects.get().status == "ACTIVE"
    assert router_b.get("/cards").json()["content"] == []


# --- the list ------------------------------------------------------------------------------

@pytest.fixture
def many_cards(router_a, router_b, est_a, est_b, alice):
    escns = [new_escn(est_a) for _ in range(12)]
    for n, escn in enumerate(escns):
        router_a.post("/cards", card_body(est_a.pic, alice, escn, displayName=f"Card {n}"))
    router_b.post("/persons", person_body(est_b.pic, esi("3000000003C")))
    router_b.post("/cards", card_body(est_b.pic, esi("3000000003C"), new_escn(est_b)))
    return escns


def test_the_card_list_pages_by_ten_at_most_and_shows_our_cards_only(router_a, many_cards):
    first = router_a.get("/cards", {"size": 1000}).json()
    assert first["page"] == {"number": 0, "size": 10, "totalElements": 12, "totalPages": 2}
    second = router_a.get("/cards", {"page": 1}).json()
    listed = [c["cardNumber"] for c in first["content"] + second["content"]]
    assert sorted(listed) == sorted(many_cards)
    assert all(c["hasOwnerAuthorization"] for c in first["content"])
    assert "cardType" not in first["content"][0]  # a CardLiteView


def test_the_card_list_is_searched_and_sorted(router_a, many_cards):
    found = router_a.get("/cards", {"search": "card 11"}).json()["content"]
    assert [c["cardNumber"] for c in found] == [many_cards[11]]
    by_name = router_a.get("/cards", {"sort": "displayName", "direction": "DESC"}).json()
    assert by_name["content"][0]["displayName"] == "Card 9"
    assert_error(router_a.get("/cards", {"sort": "person"}), 400)


def test_every_card_endpoint_needs_a_key(anonymous, card_a):
    for response in (anonymous.get("/cards"), anonymous.get(f"/cards/{card_a}"),
                     anonymous.post("/cards", {}), anonymous.put(f"/cards/{card_a}", {}),
                     anonymous.delete(f"/cards/{card_a}")):
        assert_error(response, 401)
    assert RouterCard.objects.filter(escn=card_a).exists()


def test_a_card_expiring_before_it_is_issued_is_refused(router_a, est_a, alice, card_a):
    backwards = {"issuedAt": days(10).isoformat(), "expiresAt": days(9).isoformat()}
    message = assert_error(router_a.post("/cards", card_body(est_a.pic, alice, new_escn(est_a),
                                                             **backwards)), 400, "ER-0400")
    assert "expiresAt" in message and "before the issue date" in message
    assert RouterCard.objects.count() == 1
    assert_error(router_a.put(f"/cards/{card_a}", card_body(est_a.pic, alice, card_a,
                                                            **backwards)), 400, "ER-0400")
    assert RouterCard.objects.get().expires_at == days(365)
    same_day = {"issuedAt": days(3).isoformat(), "expiresAt": days(3).isoformat()}
    assert router_a.put(f"/cards/{card_a}", card_body(est_a.pic, alice, card_a,
                                                      **same_day)).status_code == 200
