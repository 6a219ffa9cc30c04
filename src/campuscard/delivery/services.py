"""Delivery slips and badge look-ups, as verbs. Views call these; a card is marked delivered
only through `cards.services.mark_delivered`, which asks `cards.states` whether it may be.
"""

import unicodedata
from collections import Counter

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscard.cards import services as card_services
from campuscard.cards import states
from campuscard.cards.badges import cards_with_badge
from campuscard.cards.models import Card, DeliveryMode
from campuscard.cards.permissions import roles_on_card
from campuscard.cards.states import AWAITING_PICKUP_STATES, IllegalTransition
from campuscard.core import audit
from campuscard.delivery.models import DeliverySlip
from campuscard.institutions.models import Establishment
from campuscard.people.permissions import scope_of
from campuscard.stations.models import Station

PAST_SLIPS = 50
# What one slip holds: a PDF a request renders in a few seconds (about 4 s for 1,000 rows
# here). Beyond, the cards requested first go on this slip.
MAX_SLIP_CARDS = 1000

# --- who may make slips ----------------------------------------------------------------------


def managed_establishments(user):
    """The establishments `user` manages (some or all of their populations)."""
    scope = scope_of(user)
    if scope.is_admin:
        return Establishment.objects.all()
    ids = set().union(*(g.establishment_ids for g in scope.grants if g.kind == "manager"))
    return Establishment.objects.filter(pk__in=ids)


def establishment_or_404(user, code):
    found = managed_establishments(user).filter(code=code).first()
    if found is None:
        raise Http404
    return found


def slip_or_404(user, slip_id):
    slip = (DeliverySlip.objects.select_related("establishment", "made_by", "delivered_by")
            .filter(pk=slip_id, establishment__in=managed_establishments(user)).first())
    if slip is None:
        raise Http404
    return slip


# --- cards waiting at the desk ---------------------------------------------------------------

def ready_cards(establishment, user):
    """Cards of `establishment` that `user` may see, printed, not handed over yet, and not to be
    posted (a card requested without a delivery mode is picked up)."""
    cards = (Card.objects.filter(establishment=establishment, state__in=AWAITING_PICKUP_STATES,
                                 delivered_at__isnull=True)
             .exclude(delivery_mode=DeliveryMode.POSTAL))
    return scope_of(user).filter_cards(cards).select_related("person", "establishment")


def places_for(user):
    """One row per establishment `user` manages: its pick-up place and how many cards wait."""
    return [{"establishment": establishment, "place": establishment.pickup_place,
             "ready": ready_cards(establishment, user).count()}
            for establishment in managed_establishments(user).order_by("name")]


def by_name(cards):
    """Cards sorted as people look names up on a list: accents and case aside."""
    def key(card):
        person = card.person
        return (_folded(person.last_name), _folded(person.first_name), card.pk)
    return sorted(cards, key=key)


def _folded(text):
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# --- slips -----------------------------------------------------------------------------------

def make_slip(establishment, actor):
    """Record a slip of every card waiting at `establishment`'s pick-up place."""
    with transaction.atomic():
        cards = list(ready_cards(establishment, actor.user)
                     .order_by("requested_at", "id")[:MAX_SLIP_CARDS])
        if not cards:
            raise ValidationError(_("No card is waiting to be picked up here."), code="empty")
        slip = DeliverySlip.objects.create(establishment=establishment,
                                           place=establishment.pickup_place,
                                           made_by=actor.user, made_at=timezone.now())
        slip.cards.set(cards)
        audit.record("delivery_slip.made", actor, slip,
                     after={"place": slip.place, "card_count": len(cards)})
    return slip


def slip_cards(slip, user):
    """The slip's cards `user` may see, sorted by name."""
    cards = scope_of(user).filter_cards(slip.cards.all())
    return by_name(cards.select_related("person", "establishment"))


def deliverable(cards, actor):
    """The cards `actor` may still mark delivered, as cards.states decides."""
    found = []
    for card in cards:
        try:
            states.check_delivery(card, roles_on_card(actor, card))
        except IllegalTransition:
            continue
        found.append(card)
    return found


def deliver_slip(slip, actor):
    """Mark every card of the slip delivered, each through cards.services (audited there).
    Returns (delivered cards, {card: why it was skipped})."""
    cards = slip_cards(slip, actor.user)
    done, skipped = card_services.apply_to_each(
        cards, lambda card: card_services.mark_delivered(card, actor))
    if done:
        DeliverySlip.objects.filter(pk=slip.pk).update(delivered_at=timezone.now(),
                                                       delivered_by=actor.user)
    audit.record("delivery_slip.delivered", actor, slip,
                 after={"delivered": len(done), "skipped": len(skipped)})
    return done, skipped


def skipped_reasons(skipped):
    """{card: message} → [(message, how many)], the most frequent first."""
    return Counter(skipped.values()).most_common()


def past_slips(user, most=PAST_SLIPS):
    return (DeliverySlip.objects.filter(establishment__in=managed_establishments(user))
            .select_related("establishment", "made_by").annotate(card_count=Count("cards"))
            .order_by("-made_at", "-id")[:most])


# --- badges ----------------------------------------------------------------------------------

def cards_for_badge(user, text):
    """The cards `user` may see whose chip `text` may be (ValidationError if malformed)."""
    cards = scope_of(user).filter_cards(Card.objects.all())
    return list(cards_with_badge(cards, text).select_related("person", "establishment")
                .order_by("-requested_at"))


def badge_stations(user):
    """The active stations of the establishments `user` works for: the ones whose reader the
    badge page may wait on."""
    scope = scope_of(user)
    stations = Station.objects.filter(revoked_at__isnull=True).select_related("establishment")
    return stations if scope.is_admin else stations.filter(
        establishment__in=scope.establishment_ids)


def badge_marker(station):
    """What tells one read of `station` from the next: when it was read."""
    return station.last_badge_at.isoformat() if station.last_badge_at else ""
