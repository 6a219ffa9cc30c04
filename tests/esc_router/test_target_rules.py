"""Which events the ESC router target wants, and how it behaves when the router fails.

No router service here: a settings URL, a key on the establishment, and for failures a small
local server that answers what the test says.
"""

import datetime

import pytest
from django.utils import timezone

from campuscard.cards import services as card_services
from campuscard.cards.states import State
from campuscard.core import outbox
from campuscard.core.models import OutboxItem
from campuscard.integrations.esc_router.models import SentCard, SentPerson
from campuscard.integrations.esc_router.target import EscRouterTarget
from campuscard.people import services as people_services

from ..conftest import actor, card_in_state
from .conftest import Reply

TARGET = "esc_router"


def esc_rows(**filters):
    return OutboxItem.objects.filter(target=TARGET, **filters)


def give_consent(person, manager):
    return people_services.set_consent(person, actor(manager), "esc", True)


@pytest.fixture
def router_url(settings):
    settings.CAMPUSCARD_ESC_ROUTER_URL = "http://127.0.0.1:9/esc-rest"
    return settings.CAMPUSCARD_ESC_ROUTER_URL


@pytest.fixture
def keyed_a(est_a):
    est_a.esc_router_key = "key-of-a"
    est_a.save()
    return est_a


def test_the_target_is_configured_by_default():
    assert isinstance(outbox.registered()[TARGET], EscRouterTarget)


def test_without_a_router_url_nothing_is_wanted(keyed_a, student, manager_a):
    give_consent(student, manager_a)
    card = card_in_state(student, State.DISABLED, manager_a)
    people_services.update_person(student, actor(manager_a), first_name="Alicia")
    people_services.set_consent(student, actor(manager_a), "esc", False)
    assert card.pk and not esc_rows().exists()


def test_a_consenting_holders_pushed_card_events_are_wanted(router_url, keyed_a, student,
                                                            manager_a):
    give_consent(student, manager_a)
    card = card_in_state(student, State.DISABLED, manager_a)
    operations = list(esc_rows(object_type="card").order_by("id")
                      .values_list("operation", flat=True))
    assert operations == ["card.enabled", "card.disabled"]  # not the steps before enabling
    assert esc_rows(object_type="card").first().object_id == str(card.pk)


def test_without_consent_nothing_is_wanted(router_url, keyed_a, student, manager_a):
    card_in_state(student, State.DISABLED, manager_a)
    people_services.update_person(student, actor(manager_a), first_name="Alicia")
    assert not esc_rows().exists()


def test_an_establishment_without_a_key_pushes_nothing(router_url, est_a, student, manager_a):
    give_consent(student, manager_a)
    card_in_state(student, State.ENABLED, manager_a)
    people_services.set_consent(student, actor(manager_a), "esc", False)
    assert not esc_rows().exists()


def test_the_card_of_a_holder_who_withdrew_is_still_followed_once_registered(
        router_url, keyed_a, student, manager_a):
    card = card_in_state(student, State.ENABLED, manager_a)
    SentCard.objects.create(card=card, escn=str(card.escn), body={}, status="ACTIVE",
                            expires_at=timezone.localdate(), operation="created",
                            sent_at=timezone.now())
    card_services.disable(card, actor(manager_a), "LOST")
    assert list(esc_rows().values_list("operation", flat=True)) == ["card.disabled"]


def test_a_person_update_is_wanted_only_once_the_person_was_sent(router_url, keyed_a, student,
                                                                 manager_a):
    people_services.update_person(student, actor(manager_a), first_name="Alicia")
    assert not esc_rows(operation="person.updated").exists()
    SentPerson.objects.create(person=student, esi="urn:x", body={}, sent_at=timezone.now())
    people_services.update_person(student, actor(manager_a), first_name="Alice")
    assert esc_rows(operation="person.updated").count() == 1


def test_consent_given_and_withdrawn_are_wanted_but_not_other_consents(router_url, keyed_a,
                                                                       student, manager_a):
    people_services.set_consent(student, actor(manager_a), "photo", True)
    give_consent(student, manager_a)
    people_services.set_consent(student, actor(manager_a), "esc", False)
    rows = list(esc_rows().order_by("id").values_list("operation", "payload"))
    assert [operation for operation, _payload in rows] == [
        "person.consent_changed", "person.esc_withdrawn"]
    assert rows[0][1]["consent"] == "esc" and rows[0][1]["given"] is True


# --- a router that fails ---------------------------------------------------------------------

@pytest.fixture
def failing_router(settings, scripted_server, keyed_a):
    settings.CAMPUSCARD_ESC_ROUTER_URL = scripted_server.base_url
    return scripted_server


def test_a_router_500_leaves_the_row_pending_with_a_retry(failing_router, student, manager_a):
    give_consent(student, manager_a)
    card = card_in_state(student, State.ENABLED, manager_a)
    failing_router.answer(Reply(500, {"code": "ER-9999", "message": "boom"}))
    outbox.drain()
    rows = list(esc_rows())  # the consent given, then the card enabled
    assert len(rows) == 2
    for row in rows:
        assert row.status == OutboxItem.Status.PENDING
        assert row.attempts == 1 and "HTTP 500" in row.last_error
        assert row.not_before > timezone.now()
    assert failing_router.count("POST") == 2  # the person's POST once per row, never repeated
    assert not SentCard.objects.filter(card=card).exists()
    assert not SentPerson.objects.filter(person=student).exists()


def test_a_refused_key_fails_the_row_with_a_clear_message(failing_router, student, manager_a):
    give_consent(student, manager_a)
    card_in_state(student, State.ENABLED, manager_a)
    failing_router.answer(Reply(401, {"code": "SE-0001", "message": "bad token"}))
    outbox.drain()
    row = esc_rows(object_type="card").get()
    assert row.status == OutboxItem.Status.FAILED
    assert "does not accept the establishment's API key" in row.last_error


def test_a_rejected_body_fails_the_row(failing_router, student, manager_a):
    give_consent(student, manager_a)
    card_in_state(student, State.ENABLED, manager_a)
    failing_router.answer(Reply(400, {"code": "ER-0100", "message": "expiresAt is required"}))
    outbox.drain()
    row = esc_rows(object_type="card").get()
    assert row.status == OutboxItem.Status.FAILED
    assert "rejected what was sent" in row.last_error and "expiresAt" in row.last_error


def test_without_an_esi_the_card_cannot_be_registered(failing_router, est_a, students,
                                                      manager_a):
    from campuscard.people.models import Person

    person = Person.objects.create(eppn="nodomain", first_name="No", last_name="Domain",
                                   establishment=est_a, population=students,
                                   rights_end=timezone.localdate() + datetime.timedelta(days=30))
    give_consent(person, manager_a)
    card_in_state(person, State.ENABLED, manager_a)
    outbox.drain()
    row = esc_rows(object_type="card").get()
    assert row.status == OutboxItem.Status.FAILED
    assert "No European Student Identifier" in row.last_error
    assert failing_router.count() == 0
