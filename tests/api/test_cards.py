import pytest

from campuscard.cards.states import State
from tests.conftest import card_in_state, make_person


@pytest.fixture
def cards(student, other_student, student_b, manager_a, manager_b, est_a, students):
    third = make_person("dora", est_a, students, last_name="Zola")
    return {
        "alice": card_in_state(student, State.NEW, manager_a),
        "bob": card_in_state(other_student, State.ENABLED, manager_a),
        "dora": card_in_state(third, State.IN_PRINT, manager_a),
        "chloe": card_in_state(student_b, State.NEW, manager_b),
    }


def ids(response):
    assert response.status_code == 200, response.json()
    return [card["id"] for card in response.json()["results"]]


def test_search_sees_only_the_clients_establishments(caller_a, cards):
    response = caller_a.get("/api/cards")
    data = response.json()
    assert data["count"] == 3
    assert data["page"] == 1
    assert set(ids(response)) == {cards[n].pk for n in ("alice", "bob", "dora")}
    first = data["results"][0]
    assert {"eppn", "first_name", "last_name", "establishment", "population", "state"} <= set(first)
    assert first["establishment"] == "univ-a"


def test_search_filters(caller_a, cards):
    assert ids(caller_a.get("/api/cards", {"state": "NEW"})) == [cards["alice"].pk]
    both = ids(caller_a.get("/api/cards", {"state": "NEW,ENABLED"}))
    assert set(both) == {cards["alice"].pk, cards["bob"].pk}
    repeated = ids(caller_a.get("/api/cards", {"state": ["NEW", "IN_PRINT"]}))
    assert set(repeated) == {cards["alice"].pk, cards["dora"].pk}
    assert ids(caller_a.get("/api/cards", {"q": "zola"})) == [cards["dora"].pk]
    assert ids(caller_a.get("/api/cards", {"q": str(cards["bob"].escn)})) == [cards["bob"].pk]
    assert len(ids(caller_a.get("/api/cards", {"population": "student"}))) == 3
    assert len(ids(caller_a.get("/api/cards", {"establishment": "univ-a"}))) == 3


def test_search_by_another_establishment_finds_nothing(caller_a, cards):
    response = caller_a.get("/api/cards", {"establishment": "ecole-b"})
    assert response.json()["count"] == 0


def test_search_dates_and_sort(caller_a, cards):
    today = cards["alice"].requested_at.date().isoformat()
    assert len(ids(caller_a.get("/api/cards", {"requested_from": today}))) == 3
    assert ids(caller_a.get("/api/cards", {"requested_to": "2000-01-01"})) == []
    by_name = ids(caller_a.get("/api/cards", {"sort": "-name"}))
    assert by_name[0] == cards["dora"].pk


def test_search_pages(caller_a, cards):
    first = caller_a.get("/api/cards", {"page_size": 2, "sort": "requested"}).json()
    second = caller_a.get("/api/cards", {"page_size": 2, "page": 2, "sort": "requested"}).json()
    assert first["count"] == second["count"] == 3
    assert (first["page"], second["page"]) == (1, 2)
    assert len(first["results"]) == 2 and len(second["results"]) == 1
    assert [c["id"] for c in first["results"] + second["results"]] == [
        cards[n].pk for n in ("alice", "bob", "dora")]
    assert caller_a.get("/api/cards", {"page_size": 200}).status_code == 200


@pytest.mark.parametrize("params", [
    {"page_size": 201}, {"page_size": 0}, {"page": 0}, {"requested_from": "yesterday"},
    {"state": "FLYING"}, {"establishment": "nowhere"}, {"population": "aliens"},
    {"sort": "price"},
])
def test_search_rejects_bad_parameters(caller_a, cards, params):
    response = caller_a.get("/api/cards", params)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str)


def test_unknown_establishment_is_named_in_the_error(caller_a, cards):
    response = caller_a.get("/api/cards", {"establishment": "univ-a,nowhere"})
    assert response.json()["detail"] == "Unknown establishment: nowhere."


def test_one_card(caller_a, cards):
    card = cards["bob"]
    response = caller_a.get(f"/api/cards/{card.pk}")
    assert response.status_code == 200
    data = response.json()
    assert (data["id"], data["state"], data["csn"]) == (card.pk, "ENABLED", card.csn)
    assert data["eppn"] == card.person.eppn
    assert data["disable_reason"] is None


def test_card_of_another_establishment_looks_missing(caller_a, cards):
    hidden = caller_a.get(f"/api/cards/{cards['chloe'].pk}")
    missing = caller_a.get("/api/cards/999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_a_card_is_found_by_its_escn(caller_a, cards):
    response = caller_a.get(f"/api/cards/escn/{str(cards['bob'].escn).upper()}")
    assert response.status_code == 200
    assert response.json()["id"] == cards["bob"].pk


def test_another_establishments_escn_is_not_found(caller_a, cards):
    assert caller_a.get(f"/api/cards/escn/{cards['chloe'].escn}").status_code == 404


@pytest.mark.parametrize("escn", ["not-a-number", "3e506370-826a-403d-bf76-001000000001",
                                  "3e506370-826a-103d-bf76-00100000000a"])
def test_a_malformed_escn_is_refused_with_a_reason(caller_a, cards, escn):
    response = caller_a.get(f"/api/cards/escn/{escn}")
    assert response.status_code == 422
    assert "European Student Card Number" in str(response.json())


def test_a_search_date_must_be_written_as_the_document_says(caller_a):
    for value in ("0", "1700000000", "2025-1-5"):
        response = caller_a.get("/api/cards", {"requested_from": value})
        assert response.status_code == 422, (value, response.content)
        assert "YYYY-MM-DD" in response.content.decode()
    assert caller_a.get("/api/cards", {"requested_to": "2025-01-05"}).status_code == 200
