"""Every encoded card gets an access-control number, one counter for the instance (issue 12)."""

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from campuscard.cards import services
from campuscard.cards.models import Card, NumberCounter
from campuscard.cards.numbers import ACCESS_CONTROL
from campuscard.cards.states import State

from ..conftest import actor, card_in_state, make_person
from ..core.test_concurrency import together

pytestmark = pytest.mark.django_db


def counter():
    return (NumberCounter.objects.filter(name=ACCESS_CONTROL).values_list("last", flat=True)
            .first() or 0)


def test_numbers_follow_each_other_across_establishments(est_a, est_b, students, manager_a,
                                                         manager_b):
    first = card_in_state(make_person("ana", est_a, students), State.ENCODED, manager_a)
    second = card_in_state(make_person("ben", est_a, students), State.ENABLED, manager_a)
    elsewhere = card_in_state(make_person("cleo", est_b, students), State.ENCODED, manager_b)

    assert (first.access_control_id, second.access_control_id) == ("1", "2")
    assert elsewhere.access_control_id == "3"  # never a number another establishment has
    assert counter() == 3


def test_cards_before_encoding_have_none(student, manager_a):
    card = card_in_state(student, State.IN_ENCODE, manager_a)
    assert card.access_control_id == ""
    assert counter() == 0


def test_a_card_keeps_its_number_through_its_life(student, manager_a):
    card = card_in_state(student, State.DISABLED, manager_a)
    card = services.change_state(card, State.ENABLED, actor(manager_a))
    assert Card.objects.get(pk=card.pk).access_control_id == "1"
    assert counter() == 1


def test_a_refused_encoding_gives_its_number_back(student, other_student, manager_a):
    """The chip is taken: nothing is saved, the counter included; the retry gets number 1."""
    taken = card_in_state(other_student, State.ENCODED, manager_a)  # number 1
    card = card_in_state(student, State.IN_ENCODE, manager_a)
    with pytest.raises(ValidationError):
        services.mark_encoded(card, actor(manager_a), taken.csn)
    assert Card.objects.get(pk=card.pk).access_control_id == ""
    assert counter() == 1

    card = services.mark_encoded(card, actor(manager_a), "04AABBCCDDEEFF")
    assert card.access_control_id == "2"
    assert counter() == 2


def test_two_cards_cannot_share_a_number(student, other_student,
                                                              manager_a):
    one = card_in_state(student, State.ENCODED, manager_a)
    two = card_in_state(other_student, State.ENCODED, manager_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Card.objects.filter(pk=two.pk).update(access_control_id=one.access_control_id)


def test_the_migration_numbers_cards_encoded_before_it(est_a, students, manager_a):
    cards = [card_in_state(make_person(name, est_a, students), state, manager_a)
             for name, state in [("ana", State.ENABLED), ("ben", State.PRINTED),
                                 ("cleo", State.ENCODED), ("dan", State.DISABLED)]]
    Card.objects.update(access_control_id="")
    NumberCounter.objects.filter(name=ACCESS_CONTROL).update(last=0)
    migration = importlib.import_module("campuscard.cards.migrations.0004_card_access_control_id")

    migration.number_encoded_cards(apps, None)

    numbers = {c.pk: c.access_control_id for c in Card.objects.all()}
    assert [numbers[c.pk] for c in cards] == ["1", "", "2", "3"]
    assert counter() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_two_stations_encoding_at_once_get_two_numbers(est_a, students, manager_a):
    cards = [card_in_state(make_person(f"s{i}", est_a, students), State.IN_ENCODE, manager_a)
             for i in range(4)]
    results = together(*[
        (lambda card=card, i=i: services.mark_encoded(card, actor(manager_a), f"04{i:012X}"))
        for i, card in enumerate(cards)])
    assert sorted(int(r.access_control_id) for r in results) == [1, 2, 3, 4]
    assert counter() == 4
