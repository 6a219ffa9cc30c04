"""Bad answers and bad networks: the card stays as it is and the push waits for another try;
two workers never send one opposition twice in effect."""

import threading

import pytest
from django.db import connections

from campuscard.cards import services as card_services
from campuscard.cards.states import DisableReason, State
from campuscard.core import outbox
from campuscard.core.models import OutboxItem
from campuscard.integrations.crous.models import CrousAccount, CrousSmartCard

from ..conftest import actor, card_in_state, make_person
from .conftest import CLIENT_ID, crous_rows, drained, point_at, smartcards

Status = OutboxItem.Status


@pytest.mark.parametrize("reply", [
    (200, b"<html>maintenance</html>"),
    (200, {"firstName": "no identifier"}),
    (500, b"Internal Server Error"),
    (502, {"errors": [{"code": None, "message": "bad gateway"}]}),
    (200, {"identifier": "x"}, 2.0),  # slower than the timeout
])
def test_a_bad_answer_leaves_the_card_and_the_push_waiting(consenting, manager_a, settings,
                                                           scripted, reply):
    point_at(settings, scripted.url, f"{scripted.url}/api/oauth/token")
    settings.CAMPUSCARD_CROUS_TIMEOUT = 0.3
    scripted.answer(reply)
    card = card_in_state(consenting, State.ENABLED, manager_a)
    while not crous_rows(operation="card.enabled", attempts__gt=0).exists():
        outbox.drain()
    card.refresh_from_db()
    assert card.state == State.ENABLED
    waiting = crous_rows(operation="card.enabled").get()
    assert waiting.status == Status.PENDING
    assert waiting.last_error
    assert not CrousAccount.objects.exists()


def test_a_crous_that_is_down_gets_the_backlog_when_it_returns(consenting, manager_a,
                                                               crous_on):
    card = card_in_state(consenting, State.ENABLED, manager_a)
    drained()
    crous_on.go_down()
    card = card_services.disable(card, actor(manager_a), DisableReason.LOST)
    outbox.drain()
    waiting = crous_rows(operation="card.disabled").get()
    assert waiting.status == Status.PENDING and "ConnectError" in waiting.last_error
    crous_on.come_back()
    OutboxItem.objects.filter(pk=waiting.pk).update(not_before=waiting.created_at)
    drained()
    assert smartcards(crous_on)[CrousSmartCard.objects.get(card=card).id_zdc]["reason"] == "DP"


def lost_cards(count, est_a, students, manager_a):
    """`count` consenting students whose enabled cards (known to CROUS) are then declared
    lost: the opposition rows are queued, nothing delivered yet."""
    from campuscard.people.services import set_consent

    cards = []
    for index in range(count):
        person = make_person(f"holder{index:03d}", est_a, students)
        set_consent(person, actor(manager_a), "crous", True)
        cards.append(card_in_state(person, State.ENABLED, manager_a))
    drained()
    return [card_services.disable(card, actor(card.person.user), DisableReason.LOST)
            for card in cards]


def test_every_opposition_arrives_once_in_effect_through_failures(crous_on, est_a, students,
                                                                  manager_a, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 1000
    cards = lost_cards(12, est_a, students, manager_a)
    crous_on.emulator.faults.failure_rate = 0.3
    crous_on.emulator.faults.lost_answer_rate = 0.2  # done at CROUS, the answer lost
    while crous_rows(status__in=[Status.PENDING, Status.IN_FLIGHT]).exists():
        outbox.drain()
    assert not crous_rows(status=Status.FAILED).exists()
    held = smartcards(crous_on)
    for card in cards:
        sent = held[CrousSmartCard.objects.get(card=card).id_zdc]
        assert (sent["reason"], sent["oppositions"]) == ("DP", 1)
    assert crous_on.emulator.counts.get("lost_answers", 0) > 0


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_one_opposition_twice(crous_on, est_a, students, manager_a):
    cards = lost_cards(10, est_a, students, manager_a)
    opposing = crous_rows(operation="card.disabled", status=Status.PENDING)
    assert opposing.count() == 10
    barrier = threading.Barrier(3)
    errors = []

    def worker():
        try:
            barrier.wait(timeout=30)
            for _ in range(40):
                outbox.drain(limit=2)
        except Exception as exc:  # the test looks at it
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert crous_rows(operation="card.disabled", status=Status.DONE).count() == 10
    assert all(row.attempts == 1 for row in crous_rows(operation="card.disabled"))
    held = smartcards(crous_on)
    assert crous_on.emulator.counts["patch_smartcard"] == 10  # one PATCH each, no more
    for card in cards:
        assert held[CrousSmartCard.objects.get(card=card).id_zdc]["oppositions"] == 1


def test_the_client_id_is_what_the_emulator_was_given(crous_on):
    assert list(crous_on.emulator.clients) == [CLIENT_ID]
