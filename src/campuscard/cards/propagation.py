"""Who must hear of a card's last change, and whether they have: one line per system the
outbox pushes it to, as the pushes arrive. A page never says "told" for what is only queued."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from campuscard.cards.states import PUSHED_EVENTS
from campuscard.core.audit import action_label, target_label
from campuscard.core.models import OutboxItem

TOLD = "told"
TELLING = "telling"
RETRYING = "retrying"
STUCK = "stuck"
LABELS = {
    TOLD: _("told"),
    TELLING: _("being told"),
    RETRYING: _("not reachable yet, we keep trying"),
    STUCK: _("could not be told: the card office sees it and sends it again"),
}


@dataclass(frozen=True)
class Hearing:
    system: str       # the target's label, for people
    status: str       # TOLD, TELLING, RETRYING or STUCK
    at: object = None  # when it was told
    event: str = ""   # what it is told, in words
    queued_at: object = None
    attempts: int = 0
    error: str = ""   # the last failure, for the card office only

    @property
    def label(self):
        return LABELS[self.status]

    @property
    def final(self):
        return self.status == TOLD


def hearings(card):
    """The systems the card's current state is being pushed to, with where each push is."""
    return _latest_per_target(_pushes_of(card).filter(operation__in=PUSHED_EVENTS,
                                                      created_at__gte=card.state_changed_at))


def connections(card):
    """Every system ever told of the card: the last thing sent to each, and where it is."""
    return _latest_per_target(_pushes_of(card))


def _pushes_of(card):
    return OutboxItem.objects.filter(object_type="card", object_id=str(card.pk))


def _latest_per_target(rows):
    latest = {}
    for row in rows.order_by("target", "-id").values(
            "target", "operation", "status", "attempts", "done_at", "created_at", "last_error"):
        latest.setdefault(row["target"], row)
    return sorted((_hearing(row) for row in latest.values()), key=lambda h: h.system.lower())


def _hearing(row):
    return Hearing(target_label(row["target"]), _status(row), row["done_at"],
                   event=action_label(row["operation"]), queued_at=row["created_at"],
                   attempts=row["attempts"], error=row["last_error"])


def _status(row):
    if row["status"] == OutboxItem.Status.DONE:
        return TOLD
    if row["status"] == OutboxItem.Status.FAILED:
        return STUCK
    if row["status"] == OutboxItem.Status.PENDING and row["attempts"]:
        return RETRYING
    return TELLING


def all_told(found):
    return bool(found) and all(h.final for h in found)
