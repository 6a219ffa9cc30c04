"""From a card to its variables, and which of a person's cards are written."""

import datetime

import pytest

from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.integrations.exports.formats import parse_format
from campuscard.integrations.exports.records import KINDS, VARIABLES, card_record, select_cards

from .conftest import cards_of, paris

pytestmark = pytest.mark.django_db


def test_every_variable_has_a_label_a_kind_and_a_value(people, est_b):
    card = cards_of(people[0]).last()
    record = card_record(card)
    assert set(record) == set(VARIABLES) == set(KINDS)
    assert record | {"escn": "", "card_id": ""} == {
        "eppn": "elodie@univ-a.example.org", "last_name": "Müller", "first_name": "Élodie",
        "birth_date": None, "student_id": "21912345", "employee_id": "",
        "secondary_id": "21912345", "population": "student", "population_name_en": "Student",
        "population_name_fr": "Étudiant", "card_id": "", "escn": "",
        "csn": "04A1B2C3D4E5F6", "csn_reversed": "F6E5D4C3B2A104",
        "csn_dec": str(0x04A1B2C3D4E5F6), "csn_reversed_dec": str(0xF6E5D4C3B2A104),
        "access_control_id": "1042", "state": "ENABLED",
        "state_date": paris(2025, 9, 16, 8, 30), "encoded_date": record["encoded_date"],
        "enabled_date": paris(2025, 9, 15, 10), "due_date": datetime.date(2045, 8, 31),
        "validity_end": datetime.date(2045, 8, 31), "delivered_date": None,
        "establishment": "univ-a", "establishment_name": "Université A",
        "establishment_uai": "0761904G", "establishment_pic": "999859608",
        "issuer_establishment": "univ-a", "constant": "",
    }
    assert record["card_id"] == str(card.pk) and record["escn"] == str(card.escn)
    assert card_record(card, issuer=est_b)["issuer_establishment"] == "ecole-b"
    assert card_record(card, issuer="other")["issuer_establishment"] == "other"


def test_secondary_id_falls_back_to_the_employee_number(people):
    record = card_record(cards_of(people[1]).get())
    assert record["secondary_id"] == "E4567"
    assert record["validity_end"] == paris(2025, 3, 1, 9)  # not enabled: its state date


def card(pk, state, changed, enabled=True):
    at = paris(2025, 1, changed)
    return Card(pk=pk, state=state, state_changed_at=at, enabled_at=at if enabled else None)


def chosen(cards, **keys):
    fmt = parse_format({"columns": [{"value": "card_id"}], **keys})
    return [c.pk for c in select_cards(cards, fmt)]


def test_one_per_person_prefers_enabled_then_latest_disabled_then_caduc():
    cards = [card(1, State.CADUC, 20), card(2, State.DISABLED, 5), card(3, State.DISABLED, 9),
             card(4, State.DESTROYED, 30)]
    assert chosen(cards) == [3]
    assert chosen([*cards, card(5, State.ENABLED, 1)]) == [5]
    assert chosen([cards[0], cards[3]]) == [1]
    assert chosen([cards[3]]) == []
    assert chosen([]) == []


def test_all_cards_in_the_listed_states_in_the_given_order():
    cards = [card(1, State.CADUC, 20), card(2, State.ENCODED, 5, enabled=False),
             card(3, State.ENABLED, 9)]
    assert chosen(cards, selection="all_cards") == [1, 3]
    assert chosen(cards, selection="all_cards", states=["ENCODED", "ENABLED"]) == [2, 3]


def test_required_enabled_date_is_checked_after_the_choice_as_esup_does():
    never_enabled = card(2, State.CADUC, 20, enabled=False)
    older = card(1, State.CADUC, 10)
    assert chosen([older, never_enabled]) == [2]
    assert chosen([older, never_enabled], require_enabled_date=True) == []
    assert chosen([older, never_enabled], selection="all_cards",
                  require_enabled_date=True) == [1]
