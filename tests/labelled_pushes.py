"""A card told to real targets, each ending differently, for the pages that show it in words:
the mail target (sent), the ESC router target with nobody listening (retrying) and a target
added at run time, then gone (a name nobody labels any more)."""

import pytest

from campuscard.cards.states import PUSHED_EVENTS, State
from campuscard.core import outbox
from campuscard.institutions.models import Establishment
from campuscard.notifications.target import MailTarget
from campuscard.people import services as people_services
from tests.esc_router.test_target import closed_port_url

from .conftest import actor, card_in_state


class DoorExport(outbox.Target):
    """A target registered at run time, with no label of its own."""

    name = "export:doors-a"
    events = PUSHED_EVENTS

    def deliver(self, item):
        pass


@pytest.fixture
def told_card(settings, est_a, student, manager_a):
    settings.CAMPUSCARD_ESC_ROUTER_URL = closed_port_url()
    Establishment.objects.filter(pk=est_a.pk).update(esc_router_key="key-of-a")
    outbox.register(MailTarget())
    outbox.register(DoorExport())
    try:
        people_services.set_consent(student, actor(student.user), "esc", True)
        card = card_in_state(student, State.ENABLED, manager_a)
        while outbox.drain():  # one push per target and card at a time
            pass
    finally:
        outbox.unregister("export:doors-a")
    yield card
    outbox.unregister("mail")
