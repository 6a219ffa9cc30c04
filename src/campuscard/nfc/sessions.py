"""Encoding and reading chips through a station, as verbs (docs/nfc-encoding.md).

A station (the CLI, or the browser's station page) reads the chip's UID, starts a session and
then relays APDUs: each step sends the chip's answer to the last APDU and gets the next one,
until the session finishes. The server holds the keys and runs the program (encoding.relay).

Encoding binds the chip to the card (refusing a chip bound to another card), writes the layout,
reads every file back, and only then moves the card to ENCODED through cards.services, with
the CROUS smartcard record whose number the chip holds. A failed or abandoned encoding puts the
card back to PRINTED; one that simply stops (the card pulled, the station gone) leaves it being
encoded, and encoding it again starts over: the half-written chip is formatted first.
"""

import contextlib
import hashlib
import hmac
import re
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscard.cards import services as card_services
from campuscard.cards.models import Card
from campuscard.cards.permissions import roles_on_card
from campuscard.cards.states import (
    CHIP_REWRITABLE_STATES,
    CHIP_WRITABLE_STATES,
    IllegalTransition,
    Role,
    State,
)
from campuscard.core import audit
from campuscard.core.validators import normalise_code
from campuscard.nfc import keys, services
from campuscard.nfc.desfire import status
from campuscard.nfc.encoding import relay
from campuscard.nfc.encoding.checks import compare_with_record
from campuscard.nfc.encoding.plan import plan_chip
from campuscard.nfc.encoding.reading import read_chip
from campuscard.nfc.encoding.writing import ChipRefused, write_chip
from campuscard.nfc.models import CardLayoutVersion, ChipEncoding, ChipSession
from campuscard.stations.services import record_badge

UID_TEXT = re.compile(r"^(?:[0-9A-F]{2}){7}$")
ACTING_ROLES = {Role.MANAGER, Role.STATION}
_UUID_IN_TEXT = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                           r"[0-9a-fA-F]{12}")


class SessionRefused(Exception):
    """A step that cannot be taken: not this caller's session, no longer open, or out of
    order. `status` is the HTTP status an API answers with."""

    def __init__(self, message, status_code=409):
        super().__init__(str(message))
        self.message = message
        self.status_code = status_code


def lifetime():
    return timedelta(seconds=settings.CAMPUSCARD_CHIP_SESSION_SECONDS)


# --- finding the card ---------------------------------------------------------------------------

def card_for_qr(text):
    """The card whose ESCN the scanned QR code (or typed text) holds, or None."""
    match = _UUID_IN_TEXT.search(text or "")
    if not match:
        return None
    return Card.objects.filter(escn=uuid.UUID(match.group(0))).select_related(
        "person", "establishment").first()


def next_card_to_encode(establishment):
    """The card printed longest ago of `establishment` that no session is encoding."""
    busy = ChipSession.objects.filter(status=ChipSession.Status.OPEN,
                                      last_step_at__gte=timezone.now() - lifetime(),
                                      card__isnull=False).values("card")
    return (Card.objects.filter(establishment=establishment, state__in=CHIP_WRITABLE_STATES)
            .exclude(pk__in=busy).order_by("state_changed_at", "pk")
            .select_related("person", "establishment").first())


def normalised_uid(text):
    uid = normalise_code(text or "")
    if not UID_TEXT.match(uid):
        raise ValidationError(_("“%(uid)s” is not the UID of a DESFire chip: 7 bytes in "
                                "hexadecimal, as the reader's GET DATA answers.")
                              % {"uid": (text or "")[:40]}, code="uid")
    return uid


# --- starting ---------------------------------------------------------------------------------

def start_encoding(card, uid, actor, station=None):
    """Open an encoding session of the chip `uid` for `card` (at `station`, the actor's by
    default); returns (session, first APDU). ValidationError (translated, nothing changed) when
    the card or the chip cannot be encoded."""
    uid = normalised_uid(uid)
    with transaction.atomic():
        card = card_services.lock_card(card)
        _check_may_encode(card, uid, actor)
        version = _layout_version_for(card)
        values = _numbers_to_write(card, uid, version)
        known = _versions_on_chip(uid)
        _check_plan(version, uid, values, known)
        moved = card.state == State.PRINTED
        if moved:
            try:
                card = card_services.start_encoding(card, actor)
            except IllegalTransition as exc:
                raise ValidationError(card_services.error_message(exc), code="state") from exc
        _close_stale_sessions(card)
        session = ChipSession.objects.create(
            purpose=ChipSession.Purpose.ENCODE, station=station or actor.station,
            started_by=actor.user,
            card=card, version=version, uid=uid, moved_card=moved, values=values,
            known_versions=known, nonce=secrets.token_hex(32), last_step_at=timezone.now())
        audit.record("nfc.encoding_started", actor, card, card=card, person=card.person_id,
                     after={"session": str(session.pk), "uid": uid,
                            "layout": str(version)})
    return session, _first_apdu(session)


def start_reading(uid, actor, establishment=None):
    """Open a session that reads the chip `uid`: with the layout its card was encoded with, or
    else the establishment's. Returns (session, first APDU)."""
    uid = normalised_uid(uid)
    encoding = (ChipEncoding.objects.filter(csn=uid).select_related("version", "card")
                .order_by("-encoded_at", "-id").first())
    card = Card.objects.filter(csn=uid).first() or (encoding.card if encoding else None)
    if card is not None and not roles_on_card(actor, card) & ACTING_ROLES:
        raise ValidationError(_("This chip belongs to a card of an establishment this station "
                                "does not serve."), code="forbidden")
    version = encoding.version if encoding else None
    if version is None and establishment is not None:
        layout = services.layout_for(establishment)
        version = layout.current_version if layout else None
    if version is None:
        raise ValidationError(_("No card layout tells how to read this chip: give the "
                                "establishment a layout (docs/nfc-layouts.md)."), code="layout")
    _check_plan(version, uid, {}, [])
    session = ChipSession.objects.create(
        purpose=ChipSession.Purpose.READ, station=actor.station, started_by=actor.user,
        card=encoding.card if encoding else None, version=version, uid=uid,
        nonce=secrets.token_hex(32), last_step_at=timezone.now())
    return session, _first_apdu(session)


def _check_may_encode(card, uid, actor):
    if not roles_on_card(actor, card) & ACTING_ROLES:
        raise ValidationError(_("You may not encode this card."), code="forbidden")
    if card.state in CHIP_REWRITABLE_STATES:
        if card.csn != uid:
            raise ValidationError(
                _("This card is bound to the chip %(csn)s: only that chip can be encoded "
                  "again.") % {"csn": card.csn}, code="other_chip")
    elif card.state not in CHIP_WRITABLE_STATES:
        raise ValidationError(
            _("Card %(card)s is “%(state)s”: only a printed card can be encoded.")
            % {"card": card.pk, "state": State(card.state).label}, code="state")
    if Card.objects.filter(csn=uid).exclude(pk=card.pk).exists():
        raise ValidationError(_("This chip is already bound to another card."),
                              code="csn_taken")
    busy = (ChipSession.objects.filter(uid=uid, status=ChipSession.Status.OPEN,
                                       purpose=ChipSession.Purpose.ENCODE,
                                       last_step_at__gte=timezone.now() - lifetime())
            .exclude(card=card))
    if busy.exists():
        raise ValidationError(_("This chip is being encoded for another card right now."),
                              code="chip_busy")


def _layout_version_for(card):
    template = _printed_template(card)
    layout = services.layout_for(card.establishment, template)
    version = layout.current_version if layout else None
    if version is None:
        raise ValidationError(
            _("No card layout is set for %(establishment)s: create one in the admin site "
              "(Card layouts) or with “campuscard nfc-layout”.")
            % {"establishment": card.establishment.name}, code="layout")
    return version


def _printed_template(card):
    latest = card.prints.select_related("version__template").order_by("-id").first()
    return latest.version.template if latest and latest.version else None


def _holds(version):
    return {file["holds"] for app in version.declaration["applications"]
            for file in app["files"] if "holds" in file}


def _numbers_to_write(card, uid, version):
    """The numbers the layout's files hold, fixed for the whole session."""
    from campuscard.cards.numbers import allocate_access_control_id

    holds = _holds(version)
    values = {}
    if holds & {"access_control_id", "card_id_bound_to_csn"}:
        if not card.access_control_id:
            allocate_access_control_id(card)
            card.save(update_fields=["access_control_id"])
        values["access_control_id"] = card.access_control_id
    if "escn" in holds:
        if not card.escn:
            raise ValidationError(_("The layout writes the ESCN, and this card has none: its "
                                    "establishment needs a PIC."), code="escn")
        values["escn"] = str(card.escn)
    if "crous_number" in holds:
        values["crous_number"] = _crous_number(card, uid)
    return values


def _crous_number(card, uid):
    from campuscard.integrations.crous.services import smartcard_for_chip

    record = smartcard_for_chip(card, uid)
    if record is None:
        raise ValidationError(
            _("The layout writes a CROUS card number, and %(establishment)s has no CROUS "
              "settings to number it.") % {"establishment": card.establishment.name},
            code="crous")
    return str(record.id_zdc)


def _versions_on_chip(uid):
    """Layout versions the chip may hold already (it was encoded before), latest first."""
    found = (ChipEncoding.objects.filter(csn=uid).order_by("-encoded_at", "-id")
             .values_list("version_id", flat=True))
    return list(dict.fromkeys(found))


def _plan(version, uid, values, known):
    """The ChipPlan of `version` for the chip `uid`, trying first the master keys of the
    versions `known` to be on it (latest first); a version whose keys this server no longer
    has is passed over."""
    old_versions = CardLayoutVersion.objects.in_bulk(known)
    known_keys, previous_dam = [], None
    for version_id in known:
        try:
            old_plan = plan_chip(old_versions[version_id].declaration, bytes.fromhex(uid))
        except (KeyError, keys.KeyUnavailable):
            continue
        known_keys.append(old_plan.picc_key)
        previous_dam = old_plan.dam_keys if previous_dam is None else previous_dam
    return plan_chip(version.declaration, bytes.fromhex(uid), values,
                     format_before_write=version.layout.format_before_write,
                     known_picc_keys=known_keys, previous_dam_keys=previous_dam or ())


def _check_plan(version, uid, values, known):
    try:
        _plan(version, uid, values, known)
    except keys.KeyUnavailable as exc:
        raise ValidationError(_("A key of the layout cannot be read on this server: "
                                "%(reason)s") % {"reason": exc}, code="keys") from exc
    except ValueError as exc:
        raise ValidationError(_("A number does not fit the layout's file: %(reason)s")
                              % {"reason": exc}, code="value") from exc


def _close_stale_sessions(card):
    ChipSession.objects.filter(card=card, status=ChipSession.Status.OPEN).update(
        status=ChipSession.Status.FAILED, finished_at=timezone.now(),
        failure=_("Replaced by a new encoding of the card."))


# --- stepping -------------------------------------------------------------------------------

def _seed(session):
    return hmac.new(settings.SECRET_KEY.encode(), f"chip-session:{session.nonce}".encode(),
                    hashlib.sha256).digest()


def _program(session):
    plan = _plan(session.version, session.uid, session.values, session.known_versions)
    if session.purpose == ChipSession.Purpose.ENCODE:
        return lambda picc: write_chip(picc, plan)
    return lambda picc: read_chip(picc, plan)


def _first_apdu(session):
    apdu, _result = relay.run_to_next_apdu(_program(session), [], _seed(session))
    return apdu


def owned_session(session_id, actor):
    """The session `actor` started (the same station, or the same person); SessionRefused
    (404) otherwise, so that nobody learns of another's sessions."""
    session = ChipSession.objects.filter(pk=session_id).first()
    if session is None or not _owns(session, actor):
        raise SessionRefused(_("No such chip session for you."), status_code=404)
    return session


def _owns(session, actor):
    if actor.station is not None:
        return session.station_id == actor.station.pk
    return actor.user is not None and session.started_by_id == actor.user.pk


def take_step(session_id, step, answer_hex, actor):
    """The chip answered APDU number `step` with `answer_hex`: returns the session and the next
    APDU, or None once the session finished (its outcome says how)."""
    answer = _answer_bytes(answer_hex)
    with transaction.atomic():
        session = owned_session(session_id, actor)
        session = ChipSession.objects.select_for_update().get(pk=session.pk)
        refusal = _refusal(session, step)
        if refusal is None:
            return _advance(session, answer, actor)
    raise refusal


def _advance(session, answer, actor):
    session.answers = [*session.answers, answer.hex().upper()]
    session.last_step_at = timezone.now()
    try:
        apdu, result = relay.run_to_next_apdu(
            _program(session), [bytes.fromhex(a) for a in session.answers], _seed(session))
    except (status.DesfireError, ChipRefused) as exc:
        _fail(session, actor, _chip_failure(exc))
        return session, None
    if apdu is not None:
        session.save(update_fields=["answers", "last_step_at"])
        return session, apdu
    _finish(session, actor, result)
    return session, None


def _answer_bytes(answer_hex):
    text = (answer_hex or "").strip() if isinstance(answer_hex, str) else ""
    try:
        answer = bytes.fromhex(text)
    except ValueError:
        answer = b""
    if not 2 <= len(answer) <= 300:
        raise SessionRefused(_("Send the chip's answer in hexadecimal, its status bytes "
                               "included."), status_code=400)
    return answer


def _refusal(session, step):
    """Why this step cannot be taken (a SessionRefused to raise), or None. A session found
    timed out is closed on the way (saved: the caller raises after its transaction)."""
    if session.status != ChipSession.Status.OPEN:
        return SessionRefused(_("This chip session is over: start again."))
    if timezone.now() - session.last_step_at > lifetime():
        session.status, session.finished_at = ChipSession.Status.FAILED, timezone.now()
        session.failure = _("The station stopped answering.")
        session.save(update_fields=["status", "finished_at", "failure"])
        return SessionRefused(_("This chip session timed out: start again."))
    if step != session.step:
        return SessionRefused(_("This answers APDU %(sent)s; the session waits for the answer "
                                "to APDU %(expected)s.") % {"sent": step,
                                                            "expected": session.step})
    return None


def _chip_failure(exc):
    if isinstance(exc, status.TransportError):
        return _("The reader lost the chip: %(reason)s") % {"reason": exc}
    return _("The chip refused: %(reason)s") % {"reason": getattr(exc, "message", exc)}


def abandon(session_id, actor, message=""):
    """The station gives up (the card was pulled, the reader failed)."""
    with transaction.atomic():
        session = owned_session(session_id, actor)
        session = ChipSession.objects.select_for_update().get(pk=session.pk)
        if session.status != ChipSession.Status.OPEN:
            return session
        _fail(session, actor, (message or "").strip()[:500]
              or _("The station stopped the session."))
    return session


def _fail(session, actor, reason):
    session.status, session.finished_at = ChipSession.Status.FAILED, timezone.now()
    session.failure = str(reason)
    session.save(update_fields=["answers", "last_step_at", "status", "finished_at", "failure"])
    if session.purpose != ChipSession.Purpose.ENCODE:
        return
    card = session.card
    audit.record("nfc.encoding_failed", actor, card, card=card, person=card.person_id,
                 reason=session.failure, after={"session": str(session.pk),
                                                "apdus": session.step})
    if session.moved_card and card.state == State.IN_ENCODE:
        with contextlib.suppress(IllegalTransition):  # a manager moved the card meanwhile
            card_services.fail_encoding(card, actor)


def _finish(session, actor, result):
    session.status, session.finished_at = ChipSession.Status.DONE, timezone.now()
    if session.purpose == ChipSession.Purpose.ENCODE:
        try:
            _record_encoding(session, actor)
        except (IllegalTransition, ValidationError) as exc:
            reason = (card_services.error_message(exc) if isinstance(exc, IllegalTransition)
                      else " ".join(exc.messages))
            _fail(session, actor, _("The chip is written, but the card could not be marked "
                                    "encoded: %(reason)s") % {"reason": reason})
            return
        session.outcome = {"verified_files": result, "apdus": session.step}
    else:
        readings = [app.to_json() for app in result]
        session.outcome = {"applications": readings, "apdus": session.step,
                           "checks": compare_with_record(session, readings)}
        if session.station is not None:  # the badge page waiting on this station opens it
            record_badge(session.station, session.uid)
    session.save(update_fields=["answers", "last_step_at", "status", "finished_at",
                                "outcome"])


def _record_encoding(session, actor):
    card = Card.objects.select_related("establishment", "person").get(pk=session.card_id)
    if card.state == State.IN_ENCODE:
        card = card_services.mark_encoded(card, actor, session.uid)
    elif card.state not in CHIP_REWRITABLE_STATES or card.csn != session.uid:
        raise ValidationError(_("Someone else changed this card meanwhile: it is now "
                                "“%(state)s”.") % {"state": State(card.state).label},
                              code="state")
    ChipEncoding.objects.create(card=card, version=session.version, csn=session.uid,
                                encoded_by=actor.user, verified=True)
    audit.record("nfc.chip_encoded", actor, card, card=card, person=card.person_id,
                 after={"uid": session.uid, "layout": str(session.version),
                        "apdus": session.step})


# --- what a station is told -------------------------------------------------------------------

def session_json(session, apdu):
    """The answer to a start or a step: the next APDU to relay, or how the session ended."""
    answer = {"session": str(session.pk), "purpose": session.purpose, "status": session.status,
              "step": session.step, "apdu": apdu.hex().upper() if apdu is not None else None}
    if session.card_id is not None:
        card = Card.objects.select_related("person", "establishment").get(pk=session.card_id)
        answer["card"] = {"id": card.pk, "state": card.state,
                          "state_label": str(State(card.state).label),
                          "name": f"{card.person.first_name} {card.person.last_name}".strip(),
                          "establishment": card.establishment.name}
    if session.status == ChipSession.Status.FAILED:
        answer["failure"] = session.failure
    if session.status == ChipSession.Status.DONE:
        answer["outcome"] = session.outcome
    return answer
