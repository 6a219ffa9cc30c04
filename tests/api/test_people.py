from django.utils import timezone

from campuscard.cards.states import State
from tests.conftest import card_in_state

CARD_FIELDS = {"id", "state", "state_label", "requested_at", "state_changed_at", "escn", "csn",
               "delivered_at", "disable_reason"}


def test_person_with_consents_and_cards(caller_a, student, manager_a):
    consent_at = timezone.now().replace(microsecond=0)
    student.esc_consent, student.esc_consent_at = True, consent_at
    student.academic_level = "MASTER"
    student.save()
    old = card_in_state(student, State.DISABLED, manager_a)
    new = card_in_state(student, State.NEW, manager_a)

    response = caller_a.get(f"/api/people/{student.eppn}")

    assert response.status_code == 200
    data = response.json()
    assert data["eppn"] == student.eppn
    assert (data["first_name"], data["last_name"]) == ("Alice", "Martin")
    assert data["email"] == "alice@example.org"
    assert (data["establishment"], data["population"]) == ("univ-a", "student")
    assert data["academic_level"] == "MASTER"
    assert data["rights_end"] == student.rights_end.isoformat()
    assert data["consents"]["esc"]["given"] is True
    assert data["consents"]["esc"]["at"] is not None
    assert data["consents"]["crous"] == {"given": False, "at": None}
    assert set(data["consents"]) == {"esc", "photo", "crous"}
    assert [c["id"] for c in data["cards"]] == [new.pk, old.pk]
    assert set(data["cards"][0]) == CARD_FIELDS
    assert data["cards"][0]["escn"] == str(new.escn)
    disabled = data["cards"][1]
    assert disabled["state"] == "DISABLED"
    assert disabled["disable_reason"] == "LOST"
    assert disabled["csn"] == old.csn


def test_eppn_is_looked_up_case_insensitively(caller_a, student):
    response = caller_a.get(f"/api/people/{student.eppn.upper()}")
    assert response.status_code == 200
    assert response.json()["eppn"] == student.eppn


def test_person_of_another_establishment_looks_like_no_one(caller_a, student_b):
    hidden = caller_a.get(f"/api/people/{student_b.eppn}")
    missing = caller_a.get("/api/people/nobody@univ-a.example.org")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json() == {"detail": "Not found."}


def test_client_without_establishments_sees_no_one(make_api_client, student):
    _, caller = make_api_client("nowhere", ["people:read"], [])
    assert caller.get(f"/api/people/{student.eppn}").status_code == 404


def test_client_of_every_establishment_sees_everyone(make_api_client, student, student_b):
    _, caller = make_api_client("all", ["people:read"], [], all_establishments=True)
    assert caller.get(f"/api/people/{student.eppn}").status_code == 200
    assert caller.get(f"/api/people/{student_b.eppn}").status_code == 200


def test_cards_left_in_another_establishment_are_not_listed(make_api_client, student, est_b,
                                                            manager_a):
    card_in_state(student, State.NEW, manager_a)  # made while the student was in A
    student.establishment = est_b
    student.save()
    _, caller = make_api_client("b", ["people:read"], [est_b])
    response = caller.get(f"/api/people/{student.eppn}")
    assert response.status_code == 200
    assert response.json()["cards"] == []
