"""The card lifecycle as data: the single place that decides which transition is legal for whom.

Every caller (views, API, CLI, jobs) goes through `cards.services`, which asks `check()` here.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    NEW = "NEW", _("New request")
    RENEWED = "RENEWED", _("Renewal request")
    REQUEST_CHECKED = "REQUEST_CHECKED", _("Request checked")
    REJECTED = "REJECTED", _("Rejected")
    CANCELED = "CANCELED", _("Canceled")
    IN_PRINT = "IN_PRINT", _("Being printed")
    PRINTED = "PRINTED", _("Printed")
    IN_ENCODE = "IN_ENCODE", _("Being encoded")
    ENCODED = "ENCODED", _("Encoded")
    ENABLED = "ENABLED", _("Enabled")
    DISABLED = "DISABLED", _("Disabled")
    CADUC = "CADUC", _("Expired")
    DESTROYED = "DESTROYED", _("Destroyed")


class DisableReason(models.TextChoices):
    LOST = "LOST", _("Lost")
    THEFT = "THEFT", _("Stolen")
    OUT_OF_ORDER = "OUT_OF_ORDER", _("Out of order")
    REPLACED = "REPLACED", _("Replaced by a new card")
    OTHER = "OTHER", _("Other")


class Role(models.TextChoices):
    """Who acts on a card. Permissions decide which roles a user holds on a given card."""

    MANAGER = "manager", _("manager")
    HOLDER = "holder", _("card holder")
    STATION = "station", _("print or encoding station")
    SYSTEM = "system", _("system")


M, H, ST, SY = Role.MANAGER, Role.HOLDER, Role.STATION, Role.SYSTEM

# A person may have one request in progress at a time.
PENDING_STATES = frozenset({
    State.NEW, State.RENEWED, State.REQUEST_CHECKED, State.IN_PRINT, State.PRINTED,
    State.IN_ENCODE, State.ENCODED,
})
# States a card leaves when its holder's rights end.
EXPIRING_STATES = frozenset({State.ENABLED, State.DISABLED, State.ENCODED})
CANCELED_AT_RIGHTS_END = frozenset({State.NEW, State.RENEWED, State.REQUEST_CHECKED})
# States from which a person may ask for a renewal.
RENEWABLE_STATES = frozenset({State.ENABLED, State.DISABLED, State.DESTROYED, State.CADUC})
# After these, a person's next card is a fresh request; after any other state it is either the
# request in progress or a renewal of the card they hold.
FRESH_REQUEST_AFTER = frozenset({State.REJECTED, State.CANCELED})
# A card exists physically from print on, so it can be handed over.
# A chip is written for a printed card (or one left being encoded by an interrupted attempt);
# the chip of an encoded or enabled card is written again only to a newer layout version, with
# no change of state (nfc/sessions.py).
CHIP_WRITABLE_STATES = frozenset({State.PRINTED, State.IN_ENCODE})
CHIP_REWRITABLE_STATES = frozenset({State.ENCODED, State.ENABLED})
DELIVERABLE_STATES = frozenset({
    State.PRINTED, State.IN_ENCODE, State.ENCODED, State.ENABLED, State.DISABLED,
})
# Cards waiting at the desk for their holder (delivery slips): printed, and not blocked (a
# blocked card that was never handed over, e.g. replaced meanwhile, stays in the drawer).
AWAITING_PICKUP_STATES = DELIVERABLE_STATES - {State.DISABLED}
# Disable reasons a holder may give themselves.
HOLDER_DISABLE_REASONS = frozenset({
    DisableReason.LOST, DisableReason.THEFT, DisableReason.OUT_OF_ORDER,
})


@dataclass(frozen=True)
class Transition:
    source: State
    target: State
    roles: frozenset
    action: str  # audit action code, and the outbox event when `pushes` is set
    label: str
    pushes: bool = False  # systems that mirror the card's validity must hear of it
    needs: tuple = ()  # what the caller must supply: "reason", "disable_reason", "csn"
    guards: tuple = field(default=())  # callables(card, role) -> error message or None


def _holder_may_reenable(card, role):
    if role != Role.HOLDER:
        return None
    if card.disable_reason not in HOLDER_DISABLE_REASONS:
        return _("Only a card you blocked yourself can be re-enabled by you.")
    if card.person.cards.filter(state=State.ENABLED).exclude(pk=card.pk).exists():
        return _("This card has been replaced by another one.")
    return None


def _needs_rights(card, role):
    if card.person.rights_ended():
        return _("The holder's rights have ended.")
    return None


def _t(source, target, roles, action, label, **kwargs):
    return Transition(State(source), State(target), frozenset(roles), action, label, **kwargs)


TRANSITIONS = [
    _t("NEW", "REQUEST_CHECKED", {M}, "card.request_checked", _("Accept the request")),
    _t("NEW", "REJECTED", {M}, "card.rejected", _("Reject the request"), needs=("reason",)),
    _t("NEW", "CANCELED", {M, H, SY}, "card.canceled", _("Cancel the request")),
    _t("RENEWED", "REQUEST_CHECKED", {M}, "card.request_checked", _("Accept the request")),
    _t("RENEWED", "REJECTED", {M}, "card.rejected", _("Reject the request"), needs=("reason",)),
    _t("RENEWED", "CANCELED", {M, H, SY}, "card.canceled", _("Cancel the request")),
    _t("REQUEST_CHECKED", "IN_PRINT", {M}, "card.in_print", _("Send to print")),
    _t("REQUEST_CHECKED", "CANCELED", {M, SY}, "card.canceled", _("Cancel the request")),
    _t("IN_PRINT", "PRINTED", {M, ST}, "card.printed", _("Mark printed")),
    _t("IN_PRINT", "REQUEST_CHECKED", {M, ST}, "card.print_canceled", _("Take back from print")),
    _t("PRINTED", "IN_ENCODE", {M, ST}, "card.in_encode", _("Start encoding")),
    _t("IN_ENCODE", "ENCODED", {M, ST}, "card.encoded", _("Mark encoded"), needs=("csn",)),
    _t("IN_ENCODE", "PRINTED", {M, ST}, "card.encode_failed", _("Encoding failed")),
    _t("ENCODED", "ENABLED", {M, SY}, "card.enabled", _("Enable"), pushes=True,
       guards=(_needs_rights,)),
    _t("ENCODED", "DESTROYED", {M}, "card.destroyed", _("Destroy"), pushes=True),
    _t("ENABLED", "DISABLED", {M, H, SY}, "card.disabled", _("Disable"), pushes=True,
       needs=("disable_reason",)),
    _t("DISABLED", "ENABLED", {M, H}, "card.enabled", _("Enable again"), pushes=True,
       guards=(_needs_rights, _holder_may_reenable)),
    _t("DISABLED", "DESTROYED", {M}, "card.destroyed", _("Destroy"), pushes=True),
    _t("ENABLED", "CADUC", {SY}, "card.expired", _("Expire"), pushes=True),
    _t("DISABLED", "CADUC", {SY}, "card.expired", _("Expire"), pushes=True),
    _t("ENCODED", "CADUC", {SY}, "card.expired", _("Expire"), pushes=True),
    _t("CADUC", "DISABLED", {SY}, "card.unexpired", _("Rights restored"), pushes=True),
    _t("CADUC", "DESTROYED", {M}, "card.destroyed", _("Destroy"), pushes=True),
]

_BY_EDGE = {(t.source, t.target): t for t in TRANSITIONS}

# Every transition goes to the outbox as an event (notifications want them all); the systems
# that mirror a card's validity (access control, CROUS, ESC router…) listen to these only.
PUSHED_EVENTS = frozenset(t.action for t in TRANSITIONS if t.pushes)
REQUEST_EVENTS = {State.NEW: "card.requested", State.RENEWED: "card.renewal_requested"}

# Creating a card is not a transition between states, but its rules live here too.
CREATION = {
    State.NEW: frozenset({M, H, SY}),
    State.RENEWED: frozenset({M, H}),
}


class IllegalTransition(Exception):
    """The transition is not in the table, not for this role, or a guard refused it."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class NotAllowed(IllegalTransition):
    """The transition exists, but not for anyone this actor may act as."""


def find(source, target):
    return _BY_EDGE.get((State(source), State(target)))


# The transition by which a card is printed: what it shows is frozen then (printing/services.py).
PRINTED_ON = find(State.IN_PRINT, State.PRINTED)


def check(card, target, roles):
    """Return the Transition if one of `roles` may move `card` to `target`, else raise."""
    transition = find(card.state, target)
    if transition is None:
        raise IllegalTransition(
            _("A card in state “%(source)s” cannot become “%(target)s”.")
            % {"source": State(card.state).label, "target": State(target).label}
        )
    role = next((r for r in _role_order(roles) if r in transition.roles), None)
    if role is None:
        raise NotAllowed(_("You are not allowed to do this on this card."))
    for guard in transition.guards:
        error = guard(card, role)
        if error:
            raise IllegalTransition(error)
    return transition, role


def _role_order(roles):
    order = [Role.SYSTEM, Role.MANAGER, Role.STATION, Role.HOLDER]
    return [r for r in order if r in roles]


def targets_for(card, roles):
    """The transitions `roles` may make on `card` now (guards included)."""
    available = []
    for transition in TRANSITIONS:
        if transition.source != card.state:
            continue
        try:
            check(card, transition.target, roles)
        except IllegalTransition:
            continue
        available.append(transition)
    return available


def common_targets(cards_with_roles):
    """Transitions valid for every (card, roles) pair: what a bulk action may offer."""
    common = None
    for card, roles in cards_with_roles:
        edges = {t.target for t in targets_for(card, roles)}
        common = edges if common is None else common & edges
    return sorted(common or (), key=list(State).index)


DELIVERY_ROLES = frozenset({Role.MANAGER, Role.HOLDER})


def check_delivery(card, roles):
    """Raise unless one of `roles` may record that `card` was handed over."""
    if not DELIVERY_ROLES & set(roles):
        raise NotAllowed(_("You are not allowed to do this on this card."))
    if card.state not in DELIVERABLE_STATES:
        raise IllegalTransition(_("Only a card that has been printed can be handed over."))
    if card.state == State.DISABLED and not set(roles) - {Role.HOLDER}:
        raise IllegalTransition(_("A blocked card cannot be confirmed as received; enable it "
                                  "again first."))
    if card.delivered_at:
        raise IllegalTransition(_("This card has already been delivered."))


def may_create(state, roles):
    return bool(CREATION[State(state)] & set(roles))


# Who may still request a card for a person whom the directory's rules keep from requesting
# one (people.Person.may_request_card): the card office and the system, not the holder.
OVERRIDE_REQUEST_REFUSAL = frozenset({Role.MANAGER, Role.SYSTEM})


def may_request_despite_refusal(roles):
    return bool(OVERRIDE_REQUEST_REFUSAL & set(roles))


def disable_reason(transition, role, reason):
    """The reason recorded when `transition` disables a card; the caller's choice is checked."""
    if transition.source == State.CADUC:  # rights restored: the card comes back blocked
        return DisableReason.OTHER
    if reason not in disable_reasons_for(role):
        raise ValidationError(_("Choose why the card is disabled."), code="disable_reason")
    return reason


def disable_reasons_for(role):
    if role == Role.HOLDER:
        return [r for r in DisableReason if r in HOLDER_DISABLE_REASONS]
    return list(DisableReason)
