"""After a block, the card page lists each system that must hear of it, with where its push is:
being told, not reachable yet, stuck, or told at a time — never "told" while queued."""

import pytest
from django.utils import timezone

from campuscard.cards import services
from campuscard.cards.propagation import RETRYING, STUCK, TELLING, TOLD, hearings
from campuscard.cards.states import DisableReason, IllegalTransition, Role, State, check_delivery
from campuscard.core import outbox
from campuscard.core.models import OutboxItem
from campuscard.core.outbox import Target, TransientError
from campuscard.portal.tracking import holder_actions

from ..conftest import actor, card_in_state

pytestmark = pytest.mark.django_db


class Doors(Target):
    name = "doors"
    label = "Door access control"
    events = frozenset({"card.enabled", "card.disabled"})
    down = False

    def deliver(self, item):
        if self.down:
            raise TransientError("connection refused")


@pytest.fixture
def doors():
    target = Doors()
    outbox.register(target)
    yield target
    outbox.unregister(target.name)


def drain_all():
    while outbox.drain():  # one push an object a round: the earlier ones go first
        pass


def blocked(student, manager_a):
    card = card_in_state(student, State.ENABLED, manager_a)
    drain_all()  # the enable's pushes are done: only the block's count now
    return services.disable(card, actor(student.user), DisableReason.LOST)


def test_the_block_page_says_each_system_is_being_told_not_that_all_were(
        login, student, manager_a, doors):
    card = card_in_state(student, State.ENABLED, manager_a)
    drain_all()
    client = login(student.user)
    response = client.post(f"/me/cards/{card.pk}/block/", {"reason": DisableReason.LOST},
                           follow=True)
    page = response.content.decode()
    assert "Every service has been told" not in page
    assert "Every system has been told" not in page
    assert "Door access control" in page and "being told" in page
    assert f'data-refresh-url="/me/cards/{card.pk}/told/"' in page


def test_a_delivered_push_reads_told_with_its_time_and_the_panel_stops_refreshing(
        login, student, manager_a, doors):
    card = blocked(student, manager_a)
    drain_all()
    found = {h.system: h for h in hearings(card)}
    assert found["Door access control"].status == TOLD
    assert found["Door access control"].at is not None
    panel = login(student.user).get(f"/me/cards/{card.pk}/told/").content.decode()
    assert "told on" in panel and "Every system has been told." in panel
    assert "data-refresh-url" not in panel


def test_a_system_down_reads_not_reachable_yet_then_stuck_when_given_up(
        login, student, manager_a, doors):
    card = blocked(student, manager_a)
    doors.down = True
    outbox.drain()
    assert {h.system: h.status for h in hearings(card)}["Door access control"] == RETRYING
    panel = login(student.user).get(f"/me/cards/{card.pk}/told/").content.decode()
    assert "not reachable yet, we keep trying" in panel and "data-refresh-url" in panel
    OutboxItem.objects.filter(target="doors").update(status=OutboxItem.Status.FAILED)
    assert {h.system: h.status for h in hearings(card)}["Door access control"] == STUCK


def test_only_the_pushes_of_the_current_state_count(student, manager_a, doors):
    card = blocked(student, manager_a)
    assert {h.status for h in hearings(card) if h.system == "Door access control"} == {TELLING}
    card = services.enable(card, actor(student.user))
    assert {h.status for h in hearings(card) if h.system == "Door access control"} == {TELLING}
    OutboxItem.objects.filter(operation="card.disabled").update(done_at=timezone.now(),
                                                                 status="done")
    assert {h.status for h in hearings(card) if h.system == "Door access control"} == {TELLING}


def test_a_blocked_card_no_longer_offers_i_got_my_card(student, manager_a):
    card = card_in_state(student, State.ENABLED, manager_a)
    assert "received" in holder_actions(card)
    card = services.disable(card, actor(student.user), DisableReason.LOST)
    assert "received" not in holder_actions(card)
    with pytest.raises(IllegalTransition):
        check_delivery(card, {Role.HOLDER})
    check_delivery(card, {Role.MANAGER})  # the card office may still record a hand-over
