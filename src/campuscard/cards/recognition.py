"""Agreements between establishments of one instance: the cards of one are recognised by the
systems of another (per pair, per population). Agreeing or withdrawing tells those systems,
through the outbox, of every card it adds or takes away."""

from django.db import transaction
from django.utils import timezone

from campuscard.cards.models import Card
from campuscard.cards.services import card_payload
from campuscard.cards.states import State
from campuscard.core import audit, outbox
from campuscard.institutions.models import Recognition

RECOGNISED = "card.recognised"
WITHDRAWN = "card.recognition_withdrawn"
RECOGNITION_EVENTS = frozenset({RECOGNISED, WITHDRAWN})
# The cards a door or a library system knows: those that were once valid.
KNOWN_STATES = (State.ENABLED, State.DISABLED, State.CADUC)


class RecognitionRefused(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def agree_recognition(issuer, recogniser, populations, actor):
    """From now on, `recogniser`'s systems are told of `issuer`'s cards (of `populations`,
    or all when empty), starting with the ones that exist."""
    from django.utils.translation import gettext as _

    if issuer == recogniser:
        raise RecognitionRefused(_("An establishment already recognises its own cards."))
    with transaction.atomic():
        if Recognition.objects.filter(issuer=issuer, recogniser=recogniser,
                                      withdrawn_at__isnull=True).exists():
            raise RecognitionRefused(_("%(recogniser)s already recognises the cards of "
                                       "%(issuer)s: withdraw that agreement first.")
                                     % {"recogniser": recogniser, "issuer": issuer})
        recognition = Recognition.objects.create(issuer=issuer, recogniser=recogniser)
        recognition.populations.set(populations)
        audit.record("recognition.agreed", actor, recognition,
                     after=_described(recognition))
        _announce(recognition, RECOGNISED)
    return recognition


def withdraw_recognition(recognition, actor):
    """`recogniser`'s systems stop recognising those cards: each is told so."""
    with transaction.atomic():
        recognition = Recognition.objects.select_for_update().get(pk=recognition.pk)
        if recognition.withdrawn_at is not None:
            return recognition
        recognition.withdrawn_at = timezone.now()
        recognition.save(update_fields=["withdrawn_at"])
        audit.record("recognition.withdrawn", actor, recognition,
                     before=_described(recognition))
        _announce(recognition, WITHDRAWN)
    return recognition


def recognised_cards(recognition):
    cards = Card.objects.filter(establishment=recognition.issuer, state__in=KNOWN_STATES)
    populations = list(recognition.populations.values_list("pk", flat=True))
    if populations:
        cards = cards.filter(person__population__in=populations)
    return cards


def _announce(recognition, event):
    code = recognition.recogniser.code
    cards = (recognised_cards(recognition)
             .select_related("person__population", "establishment").order_by("pk"))
    outbox.enqueue_many(event, ((card, {**card_payload(card), "recognised_by": code})
                                for card in cards.iterator(chunk_size=1000)))


def _described(recognition):
    return {"issuer": recognition.issuer.code, "recogniser": recognition.recogniser.code,
            "populations": sorted(recognition.populations.values_list("code", flat=True))}
