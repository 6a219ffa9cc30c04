"""Keeping the ESC router in step with our cards, and what a manager sees and does about it.

The outbox target (`target.py`) calls the `sync_*` and `forget_person` verbs. They read the
card or person as it is now, so a late retry sends today's truth rather than an old state, and
they send nothing the router already has from us (`models.SentCard`, `models.SentPerson`).
"""

import datetime
from contextlib import suppress
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campuscard.cards.models import Card
from campuscard.cards.permissions import roles_on_card
from campuscard.cards.states import Role, State
from campuscard.core import audit
from campuscard.core.models import OutboxItem
from campuscard.core.outbox import PermanentError
from campuscard.esc.esi import assign_esi
from campuscard.institutions.models import Establishment
from campuscard.integrations.esc_router.client import (
    AlreadyExists,
    CardUpdate,
    EscRouterClient,
    NotFound,
    PersonOrganisationUpdate,
    PersonUpdate,
    RouterError,
)
from campuscard.integrations.esc_router.models import RouterStatus, SentCard, SentPerson
from campuscard.people.models import Person

TARGET = "esc_router"
PUSH_AGAIN = "esc_router.push_again"
LIVE_STATUS_TIMEOUT = 2.0
PUBLIC_STATUS_LABELS = {"ACTIVE": gettext_lazy("Active"), "INACTIVE": gettext_lazy("Inactive"),
                        "EXPIRED": gettext_lazy("Expired")}

_http = None


# --- the connection ----------------------------------------------------------------------------

def http_pool():
    """One connection pool per process, shared by every establishment's key."""
    global _http
    if _http is None:
        _http = httpx.Client(follow_redirects=False)
    return _http


def router_client(api_key="", *, timeout=None, retries=2):
    return EscRouterClient(settings.CAMPUSCARD_ESC_ROUTER_URL, api_key,
                           timeout=timeout or settings.CAMPUSCARD_ESC_ROUTER_TIMEOUT,
                           retries=retries, http_client=http_pool())


def router_configured():
    return bool(settings.CAMPUSCARD_ESC_ROUTER_URL)


def pushes_to_router(establishment):
    return router_configured() and bool(establishment.esc_router_key)


def pushing_establishment(pic):
    """The establishment of `pic` if its cards go to the router, else None."""
    if not router_configured() or not pic:
        return None
    return Establishment.objects.filter(pic=pic).exclude(esc_router_key="").first()


def card_was_sent(card_id):
    return SentCard.objects.filter(card_id=card_id).exists()


def person_was_sent(person_id):
    return SentPerson.objects.filter(person_id=person_id).exists()


# --- what the router should hold ---------------------------------------------------------------

def status_for(card, record):
    """ACTIVE for an enabled card; INACTIVE for one that was enabled once or that the router
    knows (kept, so that a scan says "not valid" rather than "unknown"); None: nothing to send."""
    if not card.escn:
        return None
    if card.state == State.ENABLED:
        return RouterStatus.ACTIVE
    if record is not None or card.enabled_at is not None:
        return RouterStatus.INACTIVE
    return None


def issue_date(card):
    """The day the card was enabled, or earlier if its validity ended before that (the router
    is never told a card expired before it was issued)."""
    enabled = timezone.localdate(card.enabled_at or card.state_changed_at)
    return min(enabled, card.person.rights_end or enabled)


def expiry_date(card):
    """The end of the holder's rights; without one, a default validity from the issue date."""
    issued = issue_date(card)
    if card.person.rights_end:
        return card.person.rights_end
    if card.state == State.CADUC:
        return max(timezone.localdate(card.state_changed_at), issued)
    days = settings.CAMPUSCARD_ESC_DEFAULT_VALIDITY_DAYS
    return issued + datetime.timedelta(days=days)


def card_update_for(card, esi, status):
    return CardUpdate(
        card_number=str(card.escn), person_identifier=esi,
        issuer_identifier=card.establishment.pic, card_type=card.establishment.esc_card_type,
        card_status_type=str(status), issued_at=issue_date(card), expires_at=expiry_date(card),
        display_name=card.person.full_name,
    )


def person_update_for(person, establishment, esi):
    organisation = PersonOrganisationUpdate(
        organisation_identifier=establishment.pic, full_name=person.full_name,
        email=person.email or None, academic_level=person.academic_level or None,
    )
    return PersonUpdate(identifier=esi, organisations=(organisation,))


# --- sending -------------------------------------------------------------------------------------

def sync_card_by_id(card_id, *, force=False):
    card = (Card.objects.select_related("person", "person__establishment", "establishment")
            .filter(pk=card_id).first())
    if card is not None and pushes_to_router(card.establishment):
        sync_card(card, force=force)


def sync_person_cards(person_id):
    """After a change of the person: their enabled card and every card the router knows."""
    cards = (Card.objects.filter(person_id=person_id)
             .filter(Q(state=State.ENABLED) | Q(sent_to_esc_router__isnull=False))
             .select_related("person", "person__establishment", "establishment").order_by("pk"))
    for card in cards:
        if pushes_to_router(card.establishment):
            sync_card(card)


def sync_card(card, *, force=False):
    """Make the router hold the card's current truth; `force` sends even an unchanged body."""
    record = SentCard.objects.filter(card=card).first()
    client = router_client(card.establishment.esc_router_key)
    if not card.person.esc_consent:
        if record is not None:  # the withdrawal of consent may not have been delivered yet
            remove_card(client, record.escn)
        return
    status = status_for(card, record)
    if status is None:
        return
    esi = assign_esi(card.person)
    if not esi:
        raise PermanentError(_("No European Student Identifier can be built for %(person)s: "
                               "an INE or an eppn with a domain is needed.")
                             % {"person": card.person})
    sync_person(client, card.person, card.establishment, esi, force=force)
    update = card_update_for(card, esi, status)
    body = update.to_json()
    if force or record is None or record.body != body:
        answer, operation = _upsert(lambda: client.create_card(update),
                                    lambda: client.update_card(str(card.escn), update),
                                    known=record is not None)
        _remember_card(card, update, body, answer, operation)


def sync_person(client, person, establishment, esi, *, force=False):
    update = person_update_for(person, establishment, esi)
    body = update.to_json()
    record = SentPerson.objects.filter(person=person).first()
    if not force and record is not None and record.body == body:
        return
    _upsert(lambda: client.create_person(update), lambda: client.update_person(esi, update),
            known=record is not None)
    SentPerson.objects.update_or_create(
        person=person, defaults={"esi": esi, "body": body, "sent_at": timezone.now()})


def _upsert(create, update, *, known):
    """PUT what the router should know (POST if it lost it); POST what is new (PUT if it
    already has it). Returns the answer and the operation that succeeded."""
    if known:
        try:
            return update(), SentCard.Operation.UPDATED
        except NotFound:
            return create(), SentCard.Operation.CREATED
    try:
        return create(), SentCard.Operation.CREATED
    except AlreadyExists:
        return update(), SentCard.Operation.UPDATED


def _remember_card(card, update, body, answer, operation):
    confirmed = (answer.card_status_type == update.card_status_type
                 and answer.expires_at == update.expires_at)
    SentCard.objects.update_or_create(card=card, defaults={
        "escn": str(card.escn), "body": body, "status": update.card_status_type,
        "expires_at": update.expires_at, "operation": operation, "sent_at": timezone.now(),
        "confirmed": confirmed,
    })


def remove_card(client, escn):
    with suppress(NotFound):  # already gone: what was asked is done
        client.delete_card(escn)
    SentCard.objects.filter(escn=escn).delete()


def forget_person(person_id, pic, escns):
    """Consent withdrawn: delete every card of the person, then the person, from the router."""
    establishment = Establishment.objects.filter(pic=pic).first()
    known = list(SentCard.objects.filter(card__person_id=person_id)
                 .values_list("escn", flat=True))
    if establishment is None or not pushes_to_router(establishment):
        if known or person_was_sent(person_id):
            raise PermanentError(_("The router still holds this person's cards, but %(pic)s no "
                                   "longer has an ESC router key to delete them with.")
                                 % {"pic": pic})
        return
    client = router_client(establishment.esc_router_key)
    for escn in dict.fromkeys([*escns, *known]):
        remove_card(client, escn)
    esi = _esi_of(person_id)
    if esi:
        with suppress(NotFound):
            client.delete_person(esi)
    SentPerson.objects.filter(person_id=person_id).delete()


def _esi_of(person_id):
    sent = SentPerson.objects.filter(person_id=person_id).values_list("esi", flat=True).first()
    return sent or Person.objects.filter(pk=person_id).values_list("esi", flat=True).first()


# --- what the manager sees -----------------------------------------------------------------------

@dataclass(frozen=True)
class RouterView:
    """The router's public answer about a card, as the card page shows it."""

    reached: bool
    status: str = ""  # ACTIVE, INACTIVE or EXPIRED; empty when the router does not know it
    expires_at: datetime.date | None = None

    @property
    def known(self):
        return bool(self.status)

    @property
    def status_label(self):
        return PUBLIC_STATUS_LABELS.get(self.status, self.status)


def router_view_of(card):
    """The router's live public status of the card; None when there is no router to ask."""
    if not router_configured() or not card.escn:
        return None
    client = router_client(timeout=LIVE_STATUS_TIMEOUT, retries=0)
    try:
        status = client.card_status(str(card.escn))
    except NotFound:
        return RouterView(reached=True)
    except (RouterError, httpx.HTTPError, httpx.InvalidURL):
        return RouterView(reached=False)
    return RouterView(reached=True, status=status.status or "", expires_at=status.expires_at)


def last_sent(card):
    return SentCard.objects.filter(card=card).first()


# --- what the manager does -----------------------------------------------------------------------

def push_again_refusal(card, roles):
    """Why `card` cannot be pushed again by someone holding `roles`, or None."""
    if Role.MANAGER not in roles:
        return _("You are not allowed to do this on this card.")
    if not pushes_to_router(card.establishment):
        return _("%(establishment)s does not send its cards to the ESC router.") % {
            "establishment": card.establishment}
    if not card.escn:
        return _("This card has no ESCN.")
    return None


def may_push_again(cards, actor):
    return bool(cards) and all(
        push_again_refusal(card, roles_on_card(actor, card)) is None for card in cards)


def push_again(cards, actor):
    """Ask the worker to send each card to the router again, even unchanged (one transaction).

    Returns (the cards queued, {card: why it was not})."""
    refused = {}
    for card in cards:
        reason = push_again_refusal(card, roles_on_card(actor, card))
        if reason:
            refused[card] = reason
    queued = [card for card in cards if card not in refused]
    with transaction.atomic():
        OutboxItem.objects.bulk_create([_push_again_row(card) for card in queued])
        for card in queued:
            audit.record("push.esc_router.requested", actor, card, card=card,
                         person=card.person_id)
    return queued, refused


def _push_again_row(card):
    payload = {"card_id": card.pk, "person_id": card.person_id,
               "pic": card.establishment.pic, "escn": str(card.escn)}
    return OutboxItem(target=TARGET, operation=PUSH_AGAIN, object_type="card",
                      object_id=str(card.pk), payload=payload)
