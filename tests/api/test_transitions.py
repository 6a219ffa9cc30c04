import pytest

from campuscard.api.models import ApiScope
from campuscard.cards import services
from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.core.models import AuditEntry
from tests.conftest import actor, card_in_state


def url(card):
    return f"/api/cards/{card.pk}/transitions"


def state_of(card):
    return Card.objects.get(pk=card.pk).state


def test_accepting_a_request(caller_a, student, manager_a):
    card = card_in_state(student, State.NEW, manager_a)
    response = caller_a.post(url(card), {"target": "REQUEST_CHECKED", "reason": "",
                                         "disable_reason": "", "csn": "",
                                         "expected_state": "NEW"})
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["id"], data["state"]) == (card.pk, "REQUEST_CHECKED")
    assert data["eppn"] == student.eppn
    assert state_of(card) == State.REQUEST_CHECKED
    entry = AuditEntry.objects.get(card=card, action="card.request_checked")
    assert entry.actor_label == "api:client-a"
    assert entry.actor is None


def test_expected_state_is_optional(caller_a, student, manager_a):
    card = card_in_state(student, State.NEW, manager_a)
    response = caller_a.post(url(card), {"target": "REQUEST_CHECKED"})
    assert response.status_code == 200
    assert state_of(card) == State.REQUEST_CHECKED


def test_encoding_binds_the_chip_and_disabling_keeps_the_reason(caller_a, student, manager_a):
    card = card_in_state(student, State.IN_ENCODE, manager_a)
    response = caller_a.post(url(card), {"target": "ENCODED", "csn": "04:a1:b2:c3:d4:e5:f6"})
    assert response.status_code == 200, response.json()
    assert response.json()["csn"] == "04A1B2C3D4E5F6"
    caller_a.post(url(card), {"target": "ENABLED", "expected_state": "ENCODED"})
    response = caller_a.post(url(card), {"target": "DISABLED", "disable_reason": "THEFT"})
    assert response.status_code == 200, response.json()
    assert response.json()["disable_reason"] == "THEFT"


def test_illegal_transition_is_409(caller_a, student, manager_a):
    card = card_in_state(student, State.NEW, manager_a)
    response = caller_a.post(url(card), {"target": "ENABLED"})
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert response.json()["detail"] == "A card in state “New request” cannot become “Enabled”."
    assert state_of(card) == State.NEW


def test_stale_view_is_409(caller_a, student, manager_a):
    card = card_in_state(student, State.NEW, manager_a)
    services.check_request(card, actor(manager_a))  # someone else, meanwhile
    response = caller_a.post(url(card), {"target": "REJECTED", "reason": "blurry photo",
                                         "expected_state": "NEW"})
    assert response.status_code == 409
    assert response.json()["code"] == "stale_card"
    assert "Request checked" in response.json()["detail"]
    assert state_of(card) == State.REQUEST_CHECKED


def test_rejecting_without_a_reason_is_422(caller_a, student, manager_a):
    card = card_in_state(student, State.NEW, manager_a)
    response = caller_a.post(url(card), {"target": "REJECTED", "reason": "  "})
    assert response.status_code == 422
    assert response.json()["detail"] == "A reason is required."
    assert state_of(card) == State.NEW
    response = caller_a.post(url(card), {"target": "REJECTED", "reason": "blurry photo"})
    assert response.status_code == 200
    assert state_of(card) == State.REJECTED


def test_bad_chip_number_is_422(caller_a, student, manager_a):
    card = card_in_state(student, State.IN_ENCODE, manager_a)
    response = caller_a.post(url(card), {"target": "ENCODED", "csn": "not a chip"})
    assert response.status_code == 422
    assert "chip serial number" in response.json()["detail"]
    assert state_of(card) == State.IN_ENCODE
    assert Card.objects.get(pk=card.pk).csn is None


def test_chip_bound_to_another_card_is_422(caller_a, student, other_student, manager_a):
    enabled = card_in_state(other_student, State.ENABLED, manager_a)
    card = card_in_state(student, State.IN_ENCODE, manager_a)
    response = caller_a.post(url(card), {"target": "ENCODED", "csn": enabled.csn})
    assert response.status_code == 422
    assert response.json()["detail"] == "This chip is already bound to another card."


def test_disabling_without_a_reason_is_422(caller_a, student, manager_a):
    card = card_in_state(student, State.ENABLED, manager_a)
    response = caller_a.post(url(card), {"target": "DISABLED"})
    assert response.status_code == 422
    assert state_of(card) == State.ENABLED


@pytest.mark.parametrize("body", [
    {"target": "FLYING"},
    {"target": "REQUEST_CHECKED", "expected_state": "SOMEWHERE"},
    {"reason": "no target"},
])
def test_unknown_or_missing_target_is_422(caller_a, student, manager_a, body):
    card = card_in_state(student, State.NEW, manager_a)
    response = caller_a.post(url(card), body)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str)
    assert state_of(card) == State.NEW


def test_card_of_another_establishment_is_404(caller_a, student_b, manager_b):
    card = card_in_state(student_b, State.NEW, manager_b)
    response = caller_a.post(url(card), {"target": "REQUEST_CHECKED"})
    assert response.status_code == 404
    assert state_of(card) == State.NEW


def test_station_prints_and_encodes_but_does_not_manage(make_api_client, est_a, student,
                                                        other_student, manager_a):
    _, station = make_api_client("printer", [ApiScope.CARDS_STATION], [est_a])
    printing = card_in_state(student, State.IN_PRINT, manager_a)
    assert station.post(url(printing), {"target": "PRINTED"}).status_code == 200
    assert station.post(url(printing), {"target": "IN_ENCODE"}).status_code == 200
    assert state_of(printing) == State.IN_ENCODE
    request = card_in_state(other_student, State.NEW, manager_a)
    response = station.post(url(request), {"target": "REQUEST_CHECKED"})
    assert response.status_code == 403
    assert response.json()["detail"] == "You are not allowed to do this on this card."
    assert state_of(request) == State.NEW
