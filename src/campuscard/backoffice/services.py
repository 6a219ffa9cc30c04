"""What the back-office pages offer and show, kept out of the views so they stay thin.

Every change still goes through `cards.services` (cards) and `core.outbox` (pushes); the
lifecycle rules come from `cards.states` only.
"""

import copy
from dataclasses import dataclass

from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.http import Http404

from campuscard.cards import services as card_services
from campuscard.cards import states
from campuscard.cards.display import card_title
from campuscard.cards.models import Card
from campuscard.cards.permissions import roles_on_card
from campuscard.cards.states import DisableReason, IllegalTransition, Role, State
from campuscard.core import audit
from campuscard.core.models import OutboxItem
from campuscard.people.models import Person, Population
from campuscard.people.permissions import scope_of

# Transitions shown as a secondary (outlined) button: they end or block something.
STOPPING = frozenset({State.REJECTED, State.CANCELED, State.DISABLED, State.DESTROYED})


@dataclass(frozen=True)
class Offer:
    """A transition a page offers, with what the person must supply for it."""

    target: State
    label: str
    needs_reason: bool = False
    disable_reasons: tuple = ()  # DisableReason members to choose from; empty when not needed
    needs_csn: bool = False

    @property
    def stops(self):
        return self.target in STOPPING

    @property
    def asks_more(self):
        """Whether the page asks for something before the button: its own box then."""
        return self.needs_reason or bool(self.disable_reasons) or self.needs_csn


# --- scope ------------------------------------------------------------------------------------

def populations_in_scope(scope):
    populations = Population.objects.order_by("code")
    if scope.is_admin or not scope.population_ids:
        return populations
    return populations.filter(pk__in=scope.population_ids)


def card_in_scope_or_404(user, card_id):
    cards = scope_of(user).filter_cards(Card.objects.all())
    try:
        return cards.select_related("person", "person__population", "establishment").get(
            pk=card_id)
    except Card.DoesNotExist as exc:
        raise Http404 from exc


def cards_in_scope_or_404(user, card_ids):
    """All the cards asked for, or 404 if any of them is outside the user's scope."""
    wanted = set(card_ids)
    cards = list(scope_of(user).filter_cards(Card.objects.filter(pk__in=wanted))
                 .select_related("person", "person__population", "establishment").order_by("pk"))
    if len(cards) != len(wanted):
        raise Http404
    return cards


def outbox_in_scope(scope):
    """Card pushes for cards the scope covers, person pushes for people it covers."""
    items = OutboxItem.objects.all()
    if scope.is_admin:
        return items
    as_key = Cast("pk", output_field=CharField(max_length=64))
    cards = scope.filter_cards(Card.objects.all()).annotate(key=as_key).values("key")
    people = scope.filter_people(Person.objects.all()).annotate(key=as_key).values("key")
    return items.filter(Q(object_type="card", object_id__in=cards)
                        | Q(object_type="person", object_id__in=people))


def name_pushed_objects(items):
    """Give each push of `items` the name a person reads for its object: the card's number and
    holder, or the person's name ("" when it is gone); the database ids stay in the links."""
    items = list(items)
    cards = Card.objects.select_related("person").in_bulk(_ids_of(items, "card"))
    people = Person.objects.in_bulk(_ids_of(items, "person"))
    for item in items:
        key = int(item.object_id) if item.object_id.isdigit() else None
        if item.object_type == "card" and key in cards:
            item.object_name = card_title(cards[key])
        elif item.object_type == "person" and key in people:
            item.object_name = people[key].full_name
        else:
            item.object_name = ""
    return items


def _ids_of(items, kind):
    return [int(item.object_id) for item in items
            if item.object_type == kind and item.object_id.isdigit()]


# --- what a card page offers -----------------------------------------------------------------

def card_offers(card, roles):
    """The transitions `roles` may make on `card` now, as the card page shows them."""
    return [_offer(card, transition, roles) for transition in states.targets_for(card, roles)]


def _offer(card, transition, roles):
    reasons = ()
    if "disable_reason" in transition.needs:
        _transition, role = states.check(card, transition.target, roles)
        reasons = tuple(states.disable_reasons_for(role))
    return Offer(transition.target, transition.label, needs_reason="reason" in transition.needs,
                 disable_reasons=reasons, needs_csn="csn" in transition.needs)


def may_mark_delivered(card, roles):
    """The back-office offers delivery to managers, when the lifecycle allows it."""
    if Role.MANAGER not in roles:
        return False
    try:
        states.check_delivery(card, roles)
    except IllegalTransition:
        return False
    return True


def as_seen(card, seen_state):
    """The card as the manager saw it, so that `change_state` spots a change made meanwhile."""
    seen = copy.copy(card)
    seen.state = seen_state
    return seen


# --- bulk actions --------------------------------------------------------------------------

def bulk_offers(cards, actor):
    """Transitions valid for every card (a chip number cannot be shared, so none needing one)."""
    pairs = [(card, roles_on_card(actor, card)) for card in cards]
    offers = []
    for target in states.common_targets(pairs):
        transitions = [states.find(card.state, target) for card in cards]
        if any("csn" in t.needs for t in transitions):
            continue
        labels = list(dict.fromkeys(str(t.label) for t in transitions))
        offers.append(Offer(
            target, " / ".join(labels),
            needs_reason=any("reason" in t.needs for t in transitions),
            disable_reasons=_common_disable_reasons(pairs, target, transitions),
        ))
    return offers


def _common_disable_reasons(pairs, target, transitions):
    if not any("disable_reason" in t.needs for t in transitions):
        return ()
    allowed = set(DisableReason)
    for card, roles in pairs:
        _transition, role = states.check(card, target, roles)
        allowed &= set(states.disable_reasons_for(role))
    return tuple(reason for reason in DisableReason if reason in allowed)


def may_bulk_deliver(cards, actor):
    return all(may_mark_delivered(card, roles_on_card(actor, card)) for card in cards)


def bulk_mark_delivered(cards, actor):
    """Like `cards.services.bulk_change_state`: returns (done, failures by card)."""
    deliver = card_services.mark_delivered
    return card_services.apply_to_each(cards, lambda card: deliver(card, actor))


error_message = card_services.error_message


# --- what a card page shows ------------------------------------------------------------------

def card_history(card):
    """The card's audit entries, newest first, each in words (core.audit_labels)."""
    return audit.label_entries(list(card.audit_entries.order_by("-at", "-id")))


def card_pushes(card):
    return OutboxItem.objects.filter(object_type="card", object_id=str(card.pk)).order_by("-id")


def other_cards_of(card, user):
    cards = scope_of(user).filter_cards(card.person.cards.exclude(pk=card.pk))
    return cards.order_by("-requested_at")
