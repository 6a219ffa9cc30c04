"""Persons: /esc-rest/api/v2/persons and /persons/{esi}."""

from urllib.parse import quote

import pytest

from campuscard.core.params import MAX_PAGE
from campuscard.router.models import Membership, RouterCard, RouterPerson

from .conftest import assert_error, card_body, esi, new_escn, person_body


def path(identifier):
    return f"/persons/{quote(identifier, safe=':@')}"


def test_a_person_is_created_with_the_organisations_entry(router_a, est_a):
    response = router_a.post("/persons", person_body(est_a.pic, esi("1000000001A"),
                                                     email="alice@example.org",
                                                     academicLevel="MASTER"))
    assert response.status_code == 201
    body = response.json()
    assert body["identifier"] == esi("1000000001A")
    assert body["identifierCode"] == {"key": "ESI", "label": "ESI"}
    assert body["organisationCount"] == 1
    [entry] = body["organisations"]
    assert entry["organisation"]["identifier"] == est_a.pic
    assert entry["organisation"]["name"] == est_a.name
    assert entry["fullName"] == "Alice Martin"
    assert entry["contactPoint"] == {"email": "alice@example.org"}
    assert entry["academicLevel"]["key"] == "MASTER"
    assert entry["hasPicture"] is False


def test_a_person_is_read_updated_and_deleted(router_a, est_a, alice):
    assert router_a.get(path(alice)).json()["identifier"] == alice

    response = router_a.put(path(alice), person_body(est_a.pic, alice, "Alice Martin-Durand",
                                                     academicLevel="DOCTORATE"))
    assert response.status_code == 200
    [entry] = router_a.get(path(alice)).json()["organisations"]
    assert (entry["fullName"], entry["academicLevel"]["key"]) == ("Alice Martin-Durand",
                                                                   "DOCTORATE")
    assert "contactPoint" not in entry  # PUT replaces: the email was not sent again

    assert router_a.delete(path(alice)).status_code == 204
    assert_error(router_a.get(path(alice)), 404, "ER-0001")
    assert not RouterPerson.objects.exists()


def test_the_deprecated_top_level_name_fills_the_entry(router_a, est_a):
    body = person_body(est_a.pic, esi("1000000002A"), name=None) | {"fullName": "Bob Stone"}
    body["personOrganisationUpdateViews"][0].pop("fullName")
    entry = router_a.post("/persons", body).json()["organisations"][0]
    assert entry["fullName"] == "Bob Stone"


def test_registering_a_person_twice_is_a_conflict(router_a, est_a, alice):
    assert_error(router_a.post("/persons", person_body(est_a.pic, alice)), 409, "ER-0019")
    assert Membership.objects.count() == 1


def test_another_organisation_registers_the_same_person_beside_us(router_a, router_b, est_a,
                                                                  est_b, alice):
    response = router_b.post("/persons", person_body(est_b.pic, alice, "Alice M."))
    assert response.status_code == 201
    # Each organisation sees its own entry only, and counts itself only: that others
    # registered the person is theirs to know.
    assert response.json()["organisationCount"] == 1
    assert response.json()["fullName"] == "Alice M."
    [entry_b] = response.json()["organisations"]
    assert entry_b["organisation"]["identifier"] == est_b.pic
    seen_by_a = router_a.get(path(alice)).json()
    assert (seen_by_a["fullName"], seen_by_a["organisationCount"]) == ("Alice Martin", 1)
    [entry_a] = seen_by_a["organisations"]
    assert entry_a["organisation"]["identifier"] == est_a.pic
    assert Membership.objects.filter(person__esi=alice).count() == 2

    assert router_b.delete(path(alice)).status_code == 204
    assert router_a.get(path(alice)).json()["organisationCount"] == 1
    assert_error(router_b.get(path(alice)), 403, "SE-0000")


def test_deleting_a_person_deletes_our_cards_of_them_only(router_a, router_b, est_a, est_b,
                                                          alice, card_a):
    router_b.post("/persons", person_body(est_b.pic, alice))
    card_b = router_b.post("/cards", card_body(est_b.pic, alice, new_escn(est_b))).json()
    router_a.delete(path(alice))
    assert list(RouterCard.objects.values_list("escn", flat=True)) == [card_b["cardNumber"]]
    assert RouterPerson.objects.filter(esi=alice).exists()


def test_an_esi_with_awkward_characters_round_trips(router_a, est_a):
    identifier = "urn:schac:personalUniqueCode:int:esi:lmu.de:Müller Ñ+1%/x?y#z"
    assert router_a.post("/persons", person_body(est_a.pic, identifier)).status_code == 201
    assert router_a.get(path(identifier)).json()["identifier"] == identifier
    assert router_a.delete(path(identifier)).status_code == 204


# --- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "words"), [
    ({"identifier": "FR-999859608-1000000001A"}, "European Student Identifier"),
    ({"identifier": "urn:schac:personalUniqueCode:int:esi:fr:" + "x" * 220}, "255"),
    ({"identifier": None}, "European Student Identifier"),
    ({"identifierCode": "INE"}, "identifierCode"),
    ({"personOrganisationUpdateViews": []}, "exactly one"),
    ({"personOrganisationUpdateViews": "999859608"}, "list"),
    ({"fullName": 12.5}, "fullName must be text"),
    ({"personOrganisationUpdateViews": [{"fullName": "Alice"}]}, "organisationIdentifier"),
])
def test_a_malformed_person_is_refused(router_a, est_a, change, words):
    body = person_body(est_a.pic, esi("1000000001A")) | change
    assert words in assert_error(router_a.post("/persons", body), 400, "ER-0400")
    assert not RouterPerson.objects.exists()


@pytest.mark.parametrize(("entry", "words"), [
    ({"email": "not an address"}, "not an email address"),
    ({"academicLevel": "LICENCE"}, "BACHELOR, MASTER, DOCTORATE"),
    ({"fullName": "x" * 256}, "at most 255"),
])
def test_a_malformed_entry_is_refused(router_a, est_a, entry, words):
    body = person_body(est_a.pic, esi("1000000001A"), **entry)
    assert words in assert_error(router_a.post("/persons", body), 400)
    assert not RouterPerson.objects.exists()


@pytest.mark.parametrize("raw", [b"{not json", b"[]", "\xff".encode("latin-1")])
def test_a_body_that_is_not_a_json_object_is_refused(router_a, raw):
    response = router_a.http.post("/esc-rest/api/v2/persons", raw,
                                  content_type="application/json",
                                  headers={"Authorization": f"Bearer {router_a.key}"})
    assert_error(response, 400, "ER-0400")


def test_speaking_for_another_organisation_is_denied(router_a, est_a, est_b):
    body = person_body(est_b.pic, esi("1000000001A"))
    assert_error(router_a.post("/persons", body), 403, "SE-0000")
    body["personOrganisationUpdateViews"].append({"organisationIdentifier": est_a.pic})
    assert_error(router_a.post("/persons", body), 403, "SE-0000")
    assert not RouterPerson.objects.exists()


def test_an_esi_cannot_change(router_a, est_a, alice):
    body = person_body(est_a.pic, esi("2000000002B"), "Someone else")
    assert "cannot change" in assert_error(router_a.put(path(alice), body), 400)
    assert RouterPerson.objects.get().esi == alice
    assert Membership.objects.get().full_name == "Alice Martin"


def test_a_malformed_esi_in_the_address_is_a_bad_request(router_a):
    assert_error(router_a.get("/persons/1000000001A"), 400)
    assert_error(router_a.delete("/persons/1000000001A"), 400)


def test_an_unknown_person_is_not_found(router_a, est_a):
    assert_error(router_a.get(path(esi("404"))), 404, "ER-0001")
    assert_error(router_a.put(path(esi("404")), person_body(est_a.pic, esi("404"))), 404)
    assert_error(router_a.delete(path(esi("404"))), 404, "ER-0001")


# --- isolation -----------------------------------------------------------------------------

def test_another_organisations_person_is_out_of_reach(router_b, est_b, alice):
    assert_error(router_b.get(path(alice)), 403, "SE-0000")
    assert_error(router_b.put(path(alice), person_body(est_b.pic, alice, "Mallory")), 403,
                 "SE-0000")
    assert_error(router_b.delete(path(alice)), 403, "SE-0000")
    entry = Membership.objects.get()
    assert (entry.organisation.pic, entry.full_name) != (est_b.pic, "Mallory")
    assert entry.full_name == "Alice Martin"
    assert router_b.get("/persons").json()["page"]["totalElements"] == 0


# --- the list ------------------------------------------------------------------------------

@pytest.fixture
def many(router_a, router_b, est_a, est_b):
    for n in range(23):
        router_a.post("/persons", person_body(est_a.pic, esi(f"20000{n:05d}B"), f"Person {n}"))
    router_b.post("/persons", person_body(est_b.pic, esi("3000000003C"), "Of B"))
    return [esi(f"20000{n:05d}B") for n in range(23)]


def test_the_list_pages_by_ten_at_most(router_a, many):
    first = router_a.get("/persons", {"size": 50}).json()
    assert first["page"] == {"number": 0, "size": 10, "totalElements": 23, "totalPages": 3}
    assert len(first["content"]) == 10 and first["empty"] is False
    assert [link["rel"] for link in first["links"]] == ["self", "next"]
    last = router_a.get("/persons", {"page": 2}).json()
    assert len(last["content"]) == 3
    assert [link["rel"] for link in last["links"]] == ["self", "prev"]
    beyond = router_a.get("/persons", {"page": 9}).json()
    assert beyond["content"] == [] and beyond["empty"] is True
    far_beyond = router_a.get("/persons", {"page": MAX_PAGE}).json()
    assert far_beyond["content"] == [] and far_beyond["page"]["totalElements"] == 23
    for absurd in (MAX_PAGE + 1, 10**20, 10**400):
        assert "page" in assert_error(router_a.get("/persons", {"page": absurd}), 400, "ER-0400")
    seen = [p["identifier"] for n in range(3)
            for p in router_a.get("/persons", {"page": n}).json()["content"]]
    assert sorted(seen) == sorted(many)


def test_the_list_is_searched_and_sorted(router_a, many):
    found = router_a.get("/persons", {"search": "person 7"}).json()["content"]
    assert [p["identifier"] for p in found] == [many[7]]
    by_esi = router_a.get("/persons", {"sort": "identifier", "direction": "DESC"}).json()
    assert by_esi["content"][0]["identifier"] == max(many)
    spring_style = router_a.get("/persons", {"sort": "identifier,desc"}).json()
    assert spring_style["content"][0]["identifier"] == max(many)


@pytest.mark.parametrize("params", [{"page": -1}, {"size": 0}, {"size": "ten"},
                                    {"page": "1.5"}, {"page": "٣"}, {"size": -3},
                                    {"size": 10**30}, {"sort": "password"},
                                    {"direction": "UP"}])
def test_bad_paging_is_a_bad_request(router_a, params):
    assert_error(router_a.get("/persons", params), 400, "ER-0400")
