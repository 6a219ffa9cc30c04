"""Agreements between establishments: who is told of which cards."""

import pytest

from campuscard.cards import recognition
from campuscard.cards.states import State
from campuscard.core import outbox
from campuscard.core.models import AuditEntry, OutboxItem
from campuscard.integrations.connections.targets import Agreement, Reach, live_agreements
from tests.conftest import actor, card_in_state, make_person


class Listener(outbox.Target):
    """Records what a connection serving École B would be told."""

    name = "listener-b"
    events = recognition.RECOGNITION_EVENTS

    def __init__(self):
        self.reach = None

    def wants(self, event, payload):
        return self.reach.covers(event, payload)


@pytest.fixture
def listener():
    target = Listener()
    outbox.register(target)
    yield target
    outbox.unregister(target.name)


def test_a_reach_covers_its_own_establishment_and_the_recognised_cards():
    reach = Reach(served=frozenset({"ecole-b"}), populations=frozenset(), states=frozenset(),
                  agreements=(Agreement("univ-a", "ecole-b", frozenset({"student"})),))
    card = {"establishment": "univ-a", "population": "student", "state": "ENABLED"}
    assert reach.covers("card.enabled", {**card, "establishment": "ecole-b"})
    assert reach.covers("card.enabled", card)
    assert reach.recognising("univ-a", "student") == "ecole-b"
    assert not reach.covers("card.enabled", {**card, "population": "staff"})
    assert not reach.covers("card.enabled", {**card, "establishment": "other"})


def test_a_reach_filters_populations_and_states():
    reach = Reach(served=frozenset(), populations=frozenset({"staff"}),
                  states=frozenset({"ENABLED"}))
    assert reach.covers("card.enabled", {"population": "staff", "state": "ENABLED"})
    assert not reach.covers("card.disabled", {"population": "staff", "state": "DISABLED"})
    assert not reach.covers("card.enabled", {"population": "student", "state": "ENABLED"})
    assert reach.covers("person.updated", {"population": "staff"})  # no state: not filtered


def test_recognition_events_go_only_to_the_recogniser():
    reach_b = Reach(served=frozenset({"ecole-b"}), populations=frozenset(), states=frozenset())
    reach_c = Reach(served=frozenset({"other"}), populations=frozenset(), states=frozenset())
    payload = {"establishment": "univ-a", "recognised_by": "ecole-b", "state": "ENABLED"}
    assert reach_b.covers(recognition.WITHDRAWN, payload)
    assert not reach_c.covers(recognition.WITHDRAWN, payload)


def test_agreeing_tells_the_recogniser_of_each_known_card(listener, est_a, est_b, students,
                                                          staff_population, student,
                                                          manager_a, admin_user):
    listener.reach = Reach(served=frozenset({"ecole-b"}), populations=frozenset(),
                           states=frozenset())
    enabled = card_in_state(student, State.ENABLED, manager_a)
    staff = make_person("sam", est_a, staff_population)
    card_in_state(staff, State.ENABLED, manager_a)
    card_in_state(make_person("newbie", est_a, students), State.NEW, manager_a)

    agreement = recognition.agree_recognition(est_a, est_b, [students], actor(admin_user))

    told = OutboxItem.objects.filter(target="listener-b", operation=recognition.RECOGNISED)
    assert [(row.object_id, row.payload["recognised_by"]) for row in told] == [
        (str(enabled.pk), "ecole-b")]
    assert AuditEntry.objects.filter(action="recognition.agreed").count() == 1
    assert live_agreements() == (Agreement("univ-a", "ecole-b", frozenset({"student"})),)

    recognition.withdraw_recognition(agreement, actor(admin_user))
    withdrawn = OutboxItem.objects.filter(target="listener-b", operation=recognition.WITHDRAWN)
    assert [row.object_id for row in withdrawn] == [str(enabled.pk)]
    assert live_agreements() == ()
    recognition.withdraw_recognition(agreement, actor(admin_user))  # twice: nothing more
    assert OutboxItem.objects.filter(operation=recognition.WITHDRAWN).count() == 1


def test_an_agreement_with_itself_or_twice_is_refused(est_a, est_b, admin_user):
    with pytest.raises(recognition.RecognitionRefused):
        recognition.agree_recognition(est_a, est_a, [], actor(admin_user))
    recognition.agree_recognition(est_a, est_b, [], actor(admin_user))
    with pytest.raises(recognition.RecognitionRefused):
        recognition.agree_recognition(est_a, est_b, [], actor(admin_user))
