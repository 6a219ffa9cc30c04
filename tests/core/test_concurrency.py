"""Two people acting on the same card at the same moment, on PostgreSQL (row locks are real).

Each thread has its own database connection; a barrier releases them together.
"""

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from campuscard.cards import services
from campuscard.cards.models import Card
from campuscard.cards.states import DisableReason, IllegalTransition, State
from campuscard.core import outbox
from campuscard.core.models import AuditEntry, OutboxItem
from campuscard.people import services as people_services

from ..conftest import actor, card_in_state, make_person, make_staff
from .helpers import RecordingTarget, reload, yesterday

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]
REPEAT = 5


def together(*calls, timeout=30):
    """Run the calls in threads released at the same moment; return result or exception each."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=timeout)
            results[index] = call()
        except Exception as exc:  # the test looks at what was raised
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a thread is stuck (deadlock?)"
    return results


def split(results):
    won = [r for r in results if isinstance(r, Card)]
    lost = [r for r in results if not isinstance(r, Card)]
    for exc in lost:
        assert isinstance(exc, IllegalTransition), f"unexpected {type(exc).__name__}: {exc}"
    return won, lost


def chain_is_valid(card):
    """The card's audit entries form one path through the table, ending in its state."""
    from campuscard.cards import states

    state = None
    for entry in AuditEntry.objects.filter(card=card, action__startswith="card.").order_by("id"):
        if entry.action in ("card.requested", "card.renewal_requested"):
            assert state is None
            state = entry.after["state"]
        elif entry.action != "card.delivered":
            assert entry.before["state"] == state, (entry.action, entry.before, state)
            assert states.find(state, entry.after["state"]).action == entry.action
            state = entry.after["state"]
    assert state == reload(card).state


@pytest.fixture
def people(est_a, students):
    counter = iter(range(1000))

    def make():
        return make_person(f"student{next(counter)}", est_a, students)
    return make


@pytest.fixture
def second_manager(est_a):
    return make_staff("manager-a2", "manager", [est_a])


def test_two_managers_check_the_same_request(people, manager_a, second_manager):
    for _ in range(REPEAT):
        card = card_in_state(people(), State.NEW, manager_a)
        seen_by_1, seen_by_2 = Card.objects.get(pk=card.pk), Card.objects.get(pk=card.pk)
        won, lost = split(together(
            lambda c=seen_by_1: services.check_request(c, actor(manager_a)),
            lambda c=seen_by_2: services.check_request(c, actor(second_manager)),
        ))
        assert len(won) == 1 and len(lost) == 1
        assert isinstance(lost[0], services.StaleCard)
        assert "changed this card meanwhile" in str(lost[0]) and "Request checked" in str(lost[0])
        assert reload(card).state == State.REQUEST_CHECKED
        assert AuditEntry.objects.filter(card=card, action="card.request_checked").count() == 1
        chain_is_valid(card)


def test_enable_and_destroy_at_once(people, manager_a, second_manager, recorder):
    outcomes = Counter()
    for _ in range(REPEAT):
        card = card_in_state(people(), State.ENCODED, manager_a)
        seen_by_1, seen_by_2 = Card.objects.get(pk=card.pk), Card.objects.get(pk=card.pk)
        won, lost = split(together(
            lambda c=seen_by_1: services.enable(c, actor(manager_a)),
            lambda c=seen_by_2: services.destroy(c, actor(second_manager)),
        ))
        assert len(won) == 1 and len(lost) == 1, lost
        state = reload(card).state
        assert state == won[0].state and state in (State.ENABLED, State.DESTROYED)
        assert str(State(state).label) in str(lost[0])
        outcomes[state] += 1
        actions = list(AuditEntry.objects.filter(card=card, action__in=[
            "card.enabled", "card.destroyed"]).values_list("action", flat=True))
        assert actions == ["card.enabled" if state == State.ENABLED else "card.destroyed"]
        pushes = list(OutboxItem.objects.filter(object_type="card", object_id=str(card.pk))
                      .values_list("operation", flat=True))
        assert pushes == actions  # both enabling and destroying are pushed
        chain_is_valid(card)
    assert sum(outcomes.values()) == REPEAT


def test_holder_and_manager_disable_at_once(people, manager_a):
    for _ in range(REPEAT):
        person = people()
        card = card_in_state(person, State.ENABLED, manager_a)
        seen_by_1, seen_by_2 = Card.objects.get(pk=card.pk), Card.objects.get(pk=card.pk)
        won, lost = split(together(
            lambda c=seen_by_1, p=person: services.disable(c, actor(p.user), DisableReason.LOST),
            lambda c=seen_by_2: services.disable(c, actor(manager_a), DisableReason.THEFT),
        ))
        assert len(won) == 1 and len(lost) == 1
        card = reload(card)
        assert card.state == State.DISABLED and card.disable_reason == won[0].disable_reason
        assert AuditEntry.objects.filter(card=card, action="card.disabled").count() == 1
        chain_is_valid(card)


def two_enableable_cards(person, manager):
    """An old card the holder blocked, and its renewal encoded: both may be enabled."""
    by = actor(manager)
    old = card_in_state(person, State.ENABLED, manager)
    old = services.disable(old, actor(person.user), DisableReason.LOST)
    new = services.renew_card(old, actor(person.user), reason="lost")
    for step in (services.check_request, services.send_to_print, services.mark_printed,
                 services.start_encoding):
        new = step(new, by)
    new = services.mark_encoded(new, by, f"04{new.pk:012X}")
    return old, new


def test_enabling_two_cards_of_one_person_at_once(people, manager_a, second_manager):
    for _ in range(REPEAT):
        person = people()
        old, new = two_enableable_cards(person, manager_a)
        results = together(
            lambda c=old: services.enable(c, actor(manager_a)),
            lambda c=new: services.enable(c, actor(second_manager)),
        )
        won, _lost = split(results)
        assert len(won) == 2, results  # neither card was changed by someone else: both go
        enabled = Card.objects.filter(person=person, state=State.ENABLED).get()
        other = Card.objects.filter(person=person).exclude(pk=enabled.pk).get()
        # the one enabled second replaced the one enabled first
        assert (other.state, other.disable_reason) == (State.DISABLED, DisableReason.REPLACED)
        last_enabled = AuditEntry.objects.filter(card__person=person, action="card.enabled")
        assert last_enabled.order_by("-id").first().card_id == enabled.pk
        replaced = AuditEntry.objects.filter(card=other).order_by("-id").first()
        assert (replaced.action, replaced.reason) == ("card.disabled", DisableReason.REPLACED)
        chain_is_valid(old)
        chain_is_valid(new)


def test_end_of_rights_while_a_manager_enables(people, manager_a, second_manager):
    """Ending rights locks the person then the cards; enabling must not lock the other way."""
    for _ in range(REPEAT):
        person = people()
        card = card_in_state(person, State.ENCODED, manager_a)
        results = together(
            lambda c=card: services.enable(c, actor(manager_a)),
            lambda p=person: people_services.update_person(p, actor(second_manager),
                                                           rights_end=yesterday()),
        )
        enabled, updated = results
        assert not isinstance(updated, Exception), f"{type(updated).__name__}: {updated}"
        assert isinstance(enabled, Card | IllegalTransition), (
            f"{type(enabled).__name__}: {enabled}")
        assert reload(card).state == State.CADUC  # whoever came first, rights have ended
        chain_is_valid(card)


def test_two_workers_never_deliver_a_row_twice(people, manager_a, recorder):
    for _ in range(12):
        card_in_state(people(), State.ENABLED, manager_a)
    rows = OutboxItem.objects.filter(target=RecordingTarget.name)
    assert rows.count() == 12

    def worker():
        delivered = 0
        for _ in range(50):
            delivered += outbox.drain(limit=3)
        return delivered

    results = together(worker, worker, worker)
    assert sum(results) == 12, results
    assert rows.filter(status=OutboxItem.Status.DONE).count() == 12
    assert len(recorder.delivered) == 12 == len(set(recorder.delivered))
    assert all(attempts == 1 for attempts in rows.values_list("attempts", flat=True))
