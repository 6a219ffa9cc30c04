"""ESI: urn:schac:personalUniqueCode:int:esi:<country or domain>:<code>, at most 255
characters, stored once per person and never changed."""

import pytest
from django.core.exceptions import ValidationError

from campuscard.cards.states import State
from campuscard.esc.esi import assign_esi, build_esi
from campuscard.people.services import set_consent, update_person

from ..conftest import actor, card_in_state


def test_a_national_code_is_scoped_by_the_country_in_lower_case():
    assert build_esi("FR", "123456789AB") == (
        "urn:schac:personalUniqueCode:int:esi:fr:123456789AB")


def test_otherwise_the_scope_is_the_schac_home_organisation():
    assert build_esi("lmu.de", "12345") == "urn:schac:personalUniqueCode:int:esi:lmu.de:12345"


@pytest.mark.parametrize(("scope", "code", "error"), [
    ("france", "1", "esi_scope"), ("", "1", "esi_scope"), ("fr", "", "esi_code"),
    ("fr", "a b", "esi_code"), ("fr", "a:b", "esi_code"), ("fr", "x" * 220, "esi_length"),
])
def test_bad_parts_are_refused(scope, code, error):
    with pytest.raises(ValidationError) as refused:
        build_esi(scope, code)
    assert refused.value.code == error


def test_the_longest_esi_allowed_is_255_characters():
    code = "x" * (255 - len("urn:schac:personalUniqueCode:int:esi:fr:"))
    assert len(build_esi("fr", code)) == 255


@pytest.mark.django_db
def test_giving_the_european_consent_stores_the_esi_which_never_changes(student, manager_a):
    student.ine = "123456789AB"
    student.save()
    set_consent(student, actor(student.user), "esc", True)
    student.refresh_from_db()
    assert student.esi == "urn:schac:personalUniqueCode:int:esi:fr:123456789AB"
    update_person(student, actor(manager_a), ine="0987654321X")
    set_consent(student, actor(student.user), "esc", False)
    set_consent(student, actor(student.user), "esc", True)
    card_in_state(student, State.NEW, manager_a)
    student.refresh_from_db()
    assert student.esi.endswith(":fr:123456789AB")
    assert assign_esi(student) == student.esi


@pytest.mark.django_db
def test_without_an_ine_the_eppn_gives_the_esi(student, manager_a):
    student.esc_consent = True
    student.save()
    card_in_state(student, State.NEW, manager_a)
    student.refresh_from_db()
    assert student.esi == "urn:schac:personalUniqueCode:int:esi:univ-a.example.org:alice"
