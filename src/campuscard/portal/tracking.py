"""How a card's progress reads to its holder: the steps of a request and what may be done now."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from campuscard.cards import states
from campuscard.cards.states import IllegalTransition, Role, State

# Each step is reached when the card enters one of its states (or passes beyond it).
STEPS = [
    ("requested", _("Request sent"), {State.NEW, State.RENEWED}),
    ("checked", _("Request checked"), {State.REQUEST_CHECKED}),
    ("printed", _("Card printed"), {State.IN_PRINT, State.PRINTED}),
    ("encoded", _("Chip encoded"), {State.IN_ENCODE, State.ENCODED}),
    ("enabled", _("Card enabled"), {State.ENABLED}),
]
# The audit action that marks when each step was reached.
STEP_ACTIONS = {
    "requested": {"card.requested", "card.renewal_requested"},
    "checked": {"card.request_checked"},
    "printed": {"card.printed"},
    "encoded": {"card.encoded"},
    "enabled": {"card.enabled"},
}
HOLDER = {Role.HOLDER}


@dataclass
class Step:
    key: str
    label: str
    status: str  # "done", "current", "stopped" (rejected or canceled there) or "todo"
    at: object = None


def tracking_steps(card):
    """The request's steps with their status and the date each was reached."""
    reached_at = _dates_reached(card)
    index, here = _position(card, reached_at)
    steps = []
    for position, (key, label, _states) in enumerate(STEPS):
        status = "done" if position < index else here if position == index else "todo"
        steps.append(Step(key, label, status, reached_at.get(key)))
    return steps


def _position(card, reached_at):
    """The index of the step the card is at, and that step's status."""
    for position, (_key, _label, members) in enumerate(STEPS):
        if card.state in members:
            return position, "done" if card.state == State.ENABLED else "current"
    if card.enabled_at:
        return len(STEPS), "done"  # it went all the way, then was blocked or expired
    # Rejected or canceled: the request stopped after the last step it reached.
    return sum(1 for key, _label, _members in STEPS if key in reached_at), "stopped"


def _dates_reached(card):
    dates = {}
    for entry in card.audit_entries.order_by("at").only("action", "at"):
        for key, actions in STEP_ACTIONS.items():
            if entry.action in actions:
                dates[key] = entry.at
    return dates


def holder_actions(card):
    """What the holder may do on this card now, as a set of names the templates test."""
    allowed = {t.target for t in states.targets_for(card, HOLDER)}
    actions = set()
    if State.DISABLED in allowed:
        actions.add("block")
    if State.ENABLED in allowed:
        actions.add("enable")
    if State.CANCELED in allowed:
        actions.add("cancel")
    if _may_confirm_delivery(card):
        actions.add("received")
    if card.state in states.RENEWABLE_STATES and not _has_pending_request(card.person):
        actions.add("renew")
    return actions


def _has_pending_request(person):
    return person.cards.filter(state__in=states.PENDING_STATES).exists()


def _may_confirm_delivery(card):
    try:
        states.check_delivery(card, HOLDER)
    except IllegalTransition:
        return False
    return True
