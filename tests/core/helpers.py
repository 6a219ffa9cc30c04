"""Builders and probes shared by the core tests."""

import datetime
import threading
from dataclasses import dataclass

from django.utils import timezone

from campuscard.cards import services as card_services
from campuscard.cards.models import Card
from campuscard.cards.states import PUSHED_EVENTS, Role, State
from campuscard.core import outbox
from campuscard.core.actors import Actor
from campuscard.core.models import AuditEntry, OutboxItem

from ..conftest import actor, card_in_state

IP = "192.0.2.10"

M, H, ST, SY = Role.MANAGER, Role.HOLDER, Role.STATION, Role.SYSTEM

# The issue, written out independently of cards/states.py:
# (source, target): (roles allowed, audit action, pushes to other systems, what must be supplied)
SPEC = {
    ("NEW", "REQUEST_CHECKED"): ({M}, "card.request_checked", False, ()),
    ("NEW", "REJECTED"): ({M}, "card.rejected", False, ("reason",)),
    ("NEW", "CANCELED"): ({M, H, SY}, "card.canceled", False, ()),
    ("RENEWED", "REQUEST_CHECKED"): ({M}, "card.request_checked", False, ()),
    ("RENEWED", "REJECTED"): ({M}, "card.rejected", False, ("reason",)),
    ("RENEWED", "CANCELED"): ({M, H, SY}, "card.canceled", False, ()),
    ("REQUEST_CHECKED", "IN_PRINT"): ({M}, "card.in_print", False, ()),
    ("REQUEST_CHECKED", "CANCELED"): ({M, SY}, "card.canceled", False, ()),
    ("IN_PRINT", "PRINTED"): ({M, ST}, "card.printed", False, ()),
    ("IN_PRINT", "REQUEST_CHECKED"): ({M, ST}, "card.print_canceled", False, ()),
    ("PRINTED", "IN_ENCODE"): ({M, ST}, "card.in_encode", False, ()),
    ("IN_ENCODE", "ENCODED"): ({M, ST}, "card.encoded", False, ("csn",)),
    ("IN_ENCODE", "PRINTED"): ({M, ST}, "card.encode_failed", False, ()),
    ("ENCODED", "ENABLED"): ({M, SY}, "card.enabled", True, ()),
    ("ENCODED", "DESTROYED"): ({M}, "card.destroyed", True, ()),
    ("ENABLED", "DISABLED"): ({M, H, SY}, "card.disabled", True, ("disable_reason",)),
    ("DISABLED", "ENABLED"): ({M, H}, "card.enabled", True, ()),
    ("DISABLED", "DESTROYED"): ({M}, "card.destroyed", True, ()),
    ("ENABLED", "CADUC"): ({SY}, "card.expired", True, ()),
    ("DISABLED", "CADUC"): ({SY}, "card.expired", True, ()),
    ("ENCODED", "CADUC"): ({SY}, "card.expired", True, ()),
    ("CADUC", "DISABLED"): ({SY}, "card.unexpired", True, ()),
    ("CADUC", "DESTROYED"): ({M}, "card.destroyed", True, ()),
}


class RecordingTarget(outbox.Target):
    """An outbox target like those that mirror card validity: it wants every pushed card event
    and every person event, and remembers what it was given."""

    name = "test-recorder"

    def __init__(self):
        self.delivered = []
        self.lock = threading.Lock()

    def wants(self, event, payload):
        return event in PUSHED_EVENTS or event.startswith("person.")

    def deliver(self, item):
        with self.lock:
            self.delivered.append((item.operation, item.object_type, item.object_id))


@dataclass(frozen=True)
class StationClient:
    """An API client acting as a print or encoding station."""

    name: str = "station-1"

    def roles_on_card(self, card):
        return {Role.STATION}


def station():
    return Actor(client=StationClient(), ip=IP)


def system():
    return Actor.system()


def yesterday():
    return timezone.localdate() - datetime.timedelta(days=1)


def next_year():
    return timezone.localdate() + datetime.timedelta(days=365)


def make_card(person, state, manager):
    """A card in any state, made through the services only (no shortcuts in the database)."""
    from campuscard.people import services as people_services

    state = State(state)
    by = actor(manager)
    if state == State.RENEWED:
        old = card_in_state(person, State.ENABLED, manager)
        return card_services.renew_card(old, by, reason="worn out")
    if state == State.REJECTED:
        return card_services.reject_request(card_in_state(person, State.NEW, manager), by,
                                            "blurry photo")
    if state == State.CANCELED:
        return card_services.cancel_request(card_in_state(person, State.NEW, manager), by)
    if state == State.DESTROYED:
        return card_services.destroy(card_in_state(person, State.DISABLED, manager), by)
    if state == State.CADUC:
        card = card_in_state(person, State.ENABLED, manager)
        people_services.update_person(person, by, rights_end=yesterday())
        return Card.objects.get(pk=card.pk)
    return card_in_state(person, state, manager)


def counts():
    """(audit entries, outbox rows): what a refused change must leave as it was."""
    return AuditEntry.objects.count(), OutboxItem.objects.count()


def card_row(card):
    return Card.objects.filter(pk=card.pk).values().get()


def reload(card):
    return Card.objects.select_related("person", "establishment").get(pk=card.pk)
