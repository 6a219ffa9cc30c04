"""Who must hear of a card's last change, and whether they have: one line per system the
outbox pushes it to, as the pushes arrive. A page never says "told" for what is only queued."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from campuscard.cards.states import PUSHED_EVENTS
from campuscard.core import outbox
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

    @property
    def label(self):
        return LABELS[self.status]

    @property
    def final(self):
        return self.status == TOLD


def hearings(card):
    """The systems the card's current state is being pushed to, with where each push is."""
    rows = (OutboxItem.objects.filter(object_type="card", object_id=str(card.pk),
                                      operation__in=PUSHED_EVENTS,
                                      created_at__gte=card.state_changed_at)
            .order_by("target", "-id").values("target", "status", "attempts", "done_at"))
    labels = {name: str(getattr(target, "label", "") or name)
              for name, target in outbox.targets().items()}
    latest = {}
    for row in rows:
        latest.setdefault(row["target"], row)
    return sorted((Hearing(labels.get(name, name), _status(row), row["done_at"])
                   for name, row in latest.items()), key=lambda h: h.system.lower())


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
