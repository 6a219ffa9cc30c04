"""What can be done to cards, as verbs. Views, API, CLI and jobs all call these.

Each verb runs in one transaction: it locks the card, re-checks the transition against
`cards.states`, writes the change, an audit entry and the outbox rows.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscard.cards import signals, states
from campuscard.cards.models import Card
from campuscard.cards.numbers import allocate_access_control_id
from campuscard.cards.permissions import roles_on_card
from campuscard.cards.states import DisableReason, IllegalTransition, NotAllowed, State
from campuscard.core import audit, outbox
from campuscard.core.validators import normalise_code, validate_csn
from campuscard.esc.escn import generate_escn
from campuscard.esc.esi import assign_esi

AUDITED_FIELDS = ("state", "csn", "disable_reason", "rejection_reason", "reject_count",
                  "delivered_at", "escn", "access_control_id")


class StaleCard(IllegalTransition):
    """Someone else changed the card between the moment it was shown and now."""


def card_payload(card):
    """What other systems are told about a card when it changes."""
    person = card.person
    return {
        "card_id": card.pk, "state": card.state, "escn": str(card.escn) if card.escn else None,
        "csn": card.csn, "access_control_id": card.access_control_id or None,
        "disable_reason": card.disable_reason or None,
        "eppn": person.eppn, "person_id": person.pk, "establishment": card.establishment.code,
        "population": person.population.code if person.population_id else None,
        "pic": card.establishment.pic,
        "rights_end": person.rights_end.isoformat() if person.rights_end else None,
        "esc_consent": person.esc_consent, "crous_consent": person.crous_consent,
        "enabled_at": card.enabled_at.isoformat() if card.enabled_at else None,
    }


def _lock_person(person_id):
    from campuscard.people.models import Person

    Person.objects.select_for_update().filter(pk=person_id).values_list("pk").first()


def _locked(card_id):
    return (Card.objects.select_for_update().select_related("person", "establishment")
            .get(pk=card_id))


def lock_card(card):
    """`card` read again and locked until the transaction ends, its person locked first: the
    order every verb here locks in, so that callers outside this module cannot deadlock."""
    _lock_person(card.person_id)
    return _locked(card.pk)


# --- creating cards ---------------------------------------------------------------------------

REQUEST_DETAILS = ("delivery_mode", "postal_address", "rules_accepted_at")


def request_card(person, actor, *, photo=None, **details):
    """A card request: a new card in NEW, with its ESCN.

    `details` are what the request form collected: delivery_mode, postal_address,
    rules_accepted_at."""
    _check_details(details)
    return _create_card(person, actor, State.NEW, photo=photo, **details)


def renew_card(card, actor, *, reason, photo=None, fee_due=None, **details):
    """A new card in RENEWED; the old one stays as it is until the new one is enabled."""
    if not (reason or "").strip():
        raise ValidationError(_("Say why a new card is needed."), code="reason")
    if card.state not in states.RENEWABLE_STATES:
        raise IllegalTransition(_("Only an issued card can be renewed."))
    _check_details(details)
    return _create_card(card.person, actor, State.RENEWED, photo=photo or card.photo,
                        renewal_of=card, renewal_reason=reason.strip(), fee_due=fee_due,
                        **details)


def _check_details(details):
    unknown = set(details) - set(REQUEST_DETAILS)
    if unknown:
        raise TypeError(f"unknown request details: {sorted(unknown)}")


def _create_card(person, actor, state, **fields):
    from campuscard.people.models import Person

    with transaction.atomic():
        person = (Person.objects.select_for_update().select_related("establishment")
                  .get(pk=person.pk))
        probe = Card(person=person, establishment=person.establishment)
        roles = roles_on_card(actor, probe)
        if not states.may_create(state, roles):
            raise NotAllowed(_("You are not allowed to request a card for this person."))
        if not person.may_request_card and not states.may_request_despite_refusal(roles):
            raise IllegalTransition(person.request_refusal
                                    or _("You cannot request a card: ask the card office."))
        if person.rights_ended():
            raise IllegalTransition(_("The holder's rights have ended."))
        if person.cards.filter(state__in=states.PENDING_STATES).exists():
            raise IllegalTransition(_("A card request is already in progress."))
        if person.esc_consent:
            assign_esi(person)
        now = timezone.now()
        card = _insert_with_new_escn(Card(
            person=person, establishment=person.establishment, state=state,
            state_changed_at=now, state_changed_by=actor.user, requested_at=now, **fields,
        ))
        action = states.REQUEST_EVENTS[state]
        audit.record(action, actor, card, card=card, person=person,
                     after=audit.snapshot(card, AUDITED_FIELDS),
                     reason=fields.get("renewal_reason", ""))
        outbox.enqueue(action, card, card_payload(card))
    return card


def _insert_with_new_escn(card, attempts=3):
    """Save a new card with a fresh ESCN. Another process may, once in a blue moon, have minted
    the same number (same 100-ns tick, same random clock sequence): then draw again."""
    for _retry in range(attempts - 1):
        try:
            return _insert(card)
        except IntegrityError:
            if not Card.objects.filter(escn=card.escn).exists():
                raise
    return _insert(card)


def _insert(card):
    establishment = card.establishment
    card.escn = generate_escn(establishment.escn_prefix, establishment.pic)
    with transaction.atomic():
        card.save(force_insert=True)
    return card


# --- transitions -------------------------------------------------------------------------------

def change_state(card, target, actor, *, reason="", disable_reason="", csn=""):
    """Move `card` to `target` if the lifecycle table allows it for `actor`.

    `card` is the card as the caller saw it: if its state changed meanwhile, StaleCard is raised
    so that of two people acting at once, exactly one wins.
    """
    target = State(target)
    with transaction.atomic():
        # Always the person first, then the card: the order update_person and request_card
        # lock in too, so that two verbs on one person's cards cannot deadlock.
        _lock_person(card.person_id)
        current = _locked(card.pk)
        roles = roles_on_card(actor, current)
        if not roles:  # before anything else, so nothing about the card is revealed
            raise NotAllowed(_("You are not allowed to do this on this card."))
        if current.state != card.state:
            raise StaleCard(
                _("Someone else changed this card meanwhile: it is now “%(state)s”.")
                % {"state": State(current.state).label}
            )
        transition, role = states.check(current, target, roles)
        before = audit.snapshot(current, AUDITED_FIELDS)
        _apply(current, transition, role, actor, reason=reason,
               disable_reason=disable_reason, csn=csn)
        audit.record(transition.action, actor, current, card=current, person=current.person,
                     before=before, after=audit.snapshot(current, AUDITED_FIELDS),
                     reason=reason or current.disable_reason)
        outbox.enqueue(transition.action, current, card_payload(current))
        signals.state_changed.send(Card, card=current, transition=transition, actor=actor)
    if target == State.ENCODED and current.establishment.auto_enable:
        current = _auto_enable(current, actor)
    return current


def _auto_enable(card, actor):
    try:
        return change_state(card, State.ENABLED, actor.as_system())
    except IllegalTransition:
        return card  # e.g. rights ended meanwhile: a manager will decide


def _apply(card, transition, role, actor, *, reason, disable_reason, csn):
    now = timezone.now()
    if "reason" in transition.needs and not (reason or "").strip():
        raise ValidationError(_("A reason is required."), code="reason")
    if transition.target == State.REJECTED:
        card.reject_count += 1
        card.rejection_reason = reason.strip()
    if transition.target == State.ENCODED:
        _bind_chip(card, csn)
        allocate_access_control_id(card)
        card.encoded_at = now
    if transition.target == State.DISABLED:
        card.disable_reason = states.disable_reason(transition, role, disable_reason)
    if transition.target == State.ENABLED:
        _replace_enabled_cards(card, actor)
        card.enabled_at = now
        card.disable_reason = ""
    card.state = transition.target
    card.state_changed_at = now
    card.state_changed_by = actor.user
    _save(card, transition)


def _save(card, transition):
    try:
        with transaction.atomic():
            card.save()
    except IntegrityError as exc:
        if transition.target == State.ENCODED:  # the same chip bound at the same moment
            raise ValidationError(_("This chip is already bound to another card."),
                                  code="csn_taken") from exc
        raise


def _bind_chip(card, csn):
    csn = normalise_code(csn)
    validate_csn(csn)
    if Card.objects.filter(csn=csn).exclude(pk=card.pk).exists():
        raise ValidationError(_("This chip is already bound to another card."), code="csn_taken")
    card.csn = csn


def _replace_enabled_cards(card, actor):
    """One enabled card per person: the previous one is disabled as REPLACED.

    change_state holds the person's lock, so two cards cannot be enabled side by side."""
    for other in card.person.cards.filter(state=State.ENABLED).exclude(pk=card.pk):
        change_state(other, State.DISABLED, actor.as_system(),
                     disable_reason=DisableReason.REPLACED)


# --- verbs the callers use ---------------------------------------------------------------------

def check_request(card, actor):
    return change_state(card, State.REQUEST_CHECKED, actor)


def reject_request(card, actor, reason):
    return change_state(card, State.REJECTED, actor, reason=reason)


def cancel_request(card, actor):
    return change_state(card, State.CANCELED, actor)


def send_to_print(card, actor):
    return change_state(card, State.IN_PRINT, actor)


def mark_printed(card, actor):
    return change_state(card, State.PRINTED, actor)


def start_encoding(card, actor):
    return change_state(card, State.IN_ENCODE, actor)


def mark_encoded(card, actor, csn):
    return change_state(card, State.ENCODED, actor, csn=csn)


def fail_encoding(card, actor):
    return change_state(card, State.PRINTED, actor)


def enable(card, actor):
    return change_state(card, State.ENABLED, actor)


def disable(card, actor, disable_reason, reason=""):
    return change_state(card, State.DISABLED, actor, disable_reason=disable_reason, reason=reason)


def destroy(card, actor):
    return change_state(card, State.DESTROYED, actor)


def bulk_change_state(cards, target, actor, **kwargs):
    """Apply one transition to many cards, each in its own transaction."""
    return apply_to_each(cards, lambda card: change_state(card, target, actor, **kwargs))


def apply_to_each(cards, verb):
    """Run `verb` on each card; returns (done, failures) where failures maps a card to the
    message explaining why it was refused."""
    done, failures = [], {}
    for card in cards:
        try:
            done.append(verb(card))
        except (IllegalTransition, ValidationError) as exc:
            failures[card] = error_message(exc)
    return done, failures


def error_message(exc):
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc.message)


# --- delivery ------------------------------------------------------------------------------------

def mark_delivered(card, actor):
    """Record that the card was handed over (separate from its state)."""
    with transaction.atomic():
        current = _locked(card.pk)
        states.check_delivery(current, roles_on_card(actor, current))
        current.delivered_at = timezone.now()
        current.delivered_by = actor.user
        current.save(update_fields=["delivered_at", "delivered_by"])
        audit.record("card.delivered", actor, current, card=current, person=current.person,
                     after={"delivered_at": current.delivered_at})
    return current


# --- end of rights -------------------------------------------------------------------------------

def apply_rights_end(person, actor):
    """Expire or cancel a person's cards when their rights have ended; restore when moved back."""
    ended = person.rights_ended()
    system = actor.as_system()
    for card in person.cards.order_by("pk"):
        if ended and card.state in states.EXPIRING_STATES:
            change_state(card, State.CADUC, system)
        elif ended and card.state in states.CANCELED_AT_RIGHTS_END:
            change_state(card, State.CANCELED, system)
        elif not ended and card.state == State.CADUC:
            change_state(card, State.DISABLED, system)


def sweep_rights_ends():
    """The daily job: apply every end of rights that passed, and every one moved back."""
    from django.db.models import Q

    from campuscard.core.actors import Actor
    from campuscard.people.models import Person

    today = timezone.localdate()
    live = states.EXPIRING_STATES | states.CANCELED_AT_RIGHTS_END
    due = Person.objects.filter(
        Q(rights_end__lt=today, cards__state__in=live)
        | (Q(rights_end__gte=today) | Q(rights_end__isnull=True)) & Q(cards__state=State.CADUC)
    ).distinct()
    count = 0
    for person in due.iterator():
        apply_rights_end(person, Actor.system())
        count += 1
    return count
