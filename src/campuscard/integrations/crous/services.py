"""Keeping CROUS / Izly in step with our cards, and what the pages show and do about it.

The outbox target (`target.py`) calls `sync_card_by_id`, `sync_person_by_id` and `reopen_by_id`.
They read the card or person as it is now, so a late retry sends today's truth. The business
rules (integrations.md §1.4, §1.5) live here:

- the identifier is the INE (when the establishment or CAMPUSCARD_CROUS_IDENTIFIER says so and
  the person has one), else the eppn; an account known under another identifier is renamed;
- the right-holder is read first and written only when it differs (every PUT makes Izly mail the
  person again): a 404 creates it;
- the end of rights is never sent in the past (at least now + 3 h) and a student's is only ever
  extended; a student's tariff owned by CROUS (company rate 10), names, e-mail and birth date
  are copied back, not overwritten;
- an enabled card's smartcard is registered (404) or revalidated; a card disabled, lost, stolen,
  broken, replaced, destroyed or expired is opposed with the reason of `opposition_reason`;
- a locked account (423) or an "already in that state" answer counts as done, and is kept in the
  CROUS errors; a business refusal (422…) goes there too and fails the push.
"""

import concurrent.futures
import datetime
import unicodedata
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscard.cards.models import Card
from campuscard.cards.permissions import roles_on_card
from campuscard.cards.states import DisableReason, Role, State
from campuscard.core import audit
from campuscard.core.models import OutboxItem
from campuscard.core.outbox import PermanentError
from campuscard.integrations.crous import tariff_rules
from campuscard.integrations.crous.client import (
    BadAnswer,
    CrousClient,
    CrousError,
    Forbidden,
    Locked,
    NotAcceptable,
    NotFound,
    RightHolder,
    SmartCard,
    TokenCache,
    Unavailable,
    Unprocessable,
    already_exists,
)
from campuscard.integrations.crous.models import (
    CrousAccount,
    CrousEstablishment,
    CrousFailure,
    CrousSmartCard,
    IdentifierChoice,
)

TARGET = "crous"
PUSH_AGAIN = "crous.push_again"
REOPEN = "crous.reopen"
LIVE_TIMEOUT = 2.0
LIVE_READERS = 8  # live reads of CROUS at once, for the pages
DUE_DATE_MARGIN = datetime.timedelta(hours=3)  # Izly refuses a due date in the past
DUE_DATE_TOLERANCE = datetime.timedelta(minutes=5)
DEFAULT_VALIDITY = datetime.timedelta(days=365)  # a person without an end of rights
STUDENT_COMPANY_RATE = 10
# The one place that says how a card's end is told to CROUS.
OPPOSITION_REASONS = {DisableReason.LOST: "DP", DisableReason.THEFT: "DV",
                      DisableReason.OUT_OF_ORDER: "CD"}
OTHER_REASON = "HS"
OPPOSED_STATES = frozenset({State.DISABLED, State.DESTROYED, State.CADUC})
ALREADY_OPPOSED_CODES = frozenset({"-9", "-8"})  # already invalidated (by hand or by date)

Operation = CrousFailure.Operation

_http = None
_live_pool = None
_tokens = TokenCache()


# --- the connection ----------------------------------------------------------------------------

def crous_configured():
    return all((settings.CAMPUSCARD_CROUS_URL, settings.CAMPUSCARD_CROUS_TOKEN_URL,
                settings.CAMPUSCARD_CROUS_CLIENT_ID, settings.CAMPUSCARD_CROUS_CLIENT_SECRET))


def http_pool():
    global _http
    if _http is None:
        _http = httpx.Client(follow_redirects=False)
    return _http


def crous_client(*, timeout=None):
    return CrousClient(settings.CAMPUSCARD_CROUS_URL,
                       token_url=settings.CAMPUSCARD_CROUS_TOKEN_URL,
                       client_id=settings.CAMPUSCARD_CROUS_CLIENT_ID,
                       client_secret=settings.CAMPUSCARD_CROUS_CLIENT_SECRET,
                       timeout=timeout or settings.CAMPUSCARD_CROUS_TIMEOUT,
                       tokens=_tokens, http_client=http_pool())


def crous_settings_of(establishment):
    """The establishment's CROUS settings if it sends to CROUS, else None."""
    if not crous_configured() or establishment is None:
        return None
    return CrousEstablishment.objects.filter(establishment=establishment, enabled=True).first()


def pushing_establishment_code(code):
    return bool(code) and crous_configured() and CrousEstablishment.objects.filter(
        establishment__code=code, enabled=True).exists()


def crous_applies(person):
    """CROUS hears of this person: their establishment sends to CROUS and they consent."""
    return bool(person.crous_consent) and crous_settings_of(person.establishment) is not None


def account_of(person_id):
    return CrousAccount.objects.filter(person_id=person_id).first()


# --- the right-holder we want ------------------------------------------------------------------

def identifier_choice(crous_settings):
    return crous_settings.identifier or settings.CAMPUSCARD_CROUS_IDENTIFIER


def wanted_identifier(person, crous_settings):
    if identifier_choice(crous_settings) == IdentifierChoice.INE and person.ine:
        return person.ine
    return person.eppn


def rights_due(person):
    """The end of the person's rights as a moment (the end of that day), None without one."""
    if person.rights_end is None:
        return None
    end_of_day = datetime.datetime.combine(person.rights_end, datetime.time(23, 59, 59))
    return timezone.make_aware(end_of_day)


def is_student(person, remote):
    """A student, for CROUS: an INE here and there (integrations.md §1.4)."""
    return bool(person.ine) and remote is not None and bool(remote.ine)


def due_date_for(person, remote, now):
    """Never in the past; a student's only ever extended; without an end of rights, the date
    CROUS has if still ahead, else a year."""
    due = rights_due(person)
    remote_due = remote.due_date if remote is not None else None
    if due is None:
        due = remote_due if remote_due and remote_due > now else now + DEFAULT_VALIDITY
    due = max(due, now + DUE_DATE_MARGIN)
    if is_student(person, remote) and remote_due and remote_due > due:
        due = remote_due
    return due


def right_holder_for(person, crous_settings, identifier, remote, now):
    company_rate, rate = tariff_rules.tariff_for(person, crous_holder=remote).pair
    names = {"first_name": person.first_name, "last_name": person.last_name,
             "email": person.email or None,
             "simple_birth_date": person.birth_date.isoformat() if person.birth_date else ""}
    if is_student(person, remote):
        if remote.id_company_rate == STUDENT_COMPANY_RATE:
            company_rate, rate = remote.id_company_rate, remote.id_rate
        # Names, e-mail and birth date of a student come to CROUS from the CVEC: keep them.
        names = {key: getattr(remote, key) or value for key, value in names.items()}
    return RightHolder(
        identifier=identifier, due_date=due_date_for(person, remote, now),
        id_company_rate=company_rate, id_rate=rate, ine=person.ine or None,
        rne_org_code=crous_settings.establishment.uai or None, **names)


def _same(a, b):
    """Case- and accent-insensitive; None is "" (integrations.md §1.4)."""
    def fold(value):
        decomposed = unicodedata.normalize("NFKD", str(value if value is not None else ""))
        return "".join(c for c in decomposed if not unicodedata.combining(c)).strip().casefold()
    return fold(a) == fold(b)


STUDENT_FIELDS = ("identifier", "ine", "rne_org_code", "id_company_rate")
OTHER_FIELDS = ("simple_birth_date", "email", "first_name", "identifier", "last_name", "ine",
                "rne_org_code", "id_company_rate", "id_rate")


def differs(wanted, remote, student):
    fields = STUDENT_FIELDS if student else OTHER_FIELDS
    if any(not _same(getattr(wanted, name), getattr(remote, name)) for name in fields):
        return True
    if remote.due_date is None:
        return True
    return abs(wanted.due_date - remote.due_date) > DUE_DATE_TOLERANCE


# --- calls and their failures ------------------------------------------------------------------

def _locked(exc):
    return isinstance(exc, Locked)


def _already_opposed(exc):
    return isinstance(exc, Unprocessable) and exc.code in ALREADY_OPPOSED_CODES


def _nothing_to_oppose(exc):
    return isinstance(exc, NotFound)


def _call(operation, person, card, call, *, done_on=()):
    """Run one write to CROUS. An answer matching one of `done_on` counts as done: it is kept in
    the CROUS errors and False is returned. Other refusals are kept and raised; transient
    failures are only raised (the outbox retries). True when CROUS accepted it."""
    try:
        call()
    except (Unavailable, BadAnswer):
        raise
    except CrousError as exc:
        accepted = any(test(exc) for test in done_on)
        record_failure(operation, exc, person=person, card=card, blocking=not accepted)
        if accepted:
            return False
        raise
    _resolve(operation, person, card)
    return True


def record_failure(operation, exc, *, person, card=None, blocking=True):
    now = timezone.now()
    details = {"http_status": exc.status, "code": exc.code or "",
               "message": exc.api_message or exc.message, "blocking": blocking, "last_at": now}
    updated = (CrousFailure.objects
               .filter(person=person, card=card, operation=operation, resolved_at=None)
               .update(occurrences=F("occurrences") + 1, **details))
    if not updated:
        CrousFailure.objects.create(person=person, card=card, operation=operation,
                                    first_at=now, **details)


def _resolve(operation, person, card):
    CrousFailure.objects.filter(person=person, card=card, operation=operation,
                                resolved_at=None).update(resolved_at=timezone.now())


def refusal(exc):
    """The PermanentError a push fails with when CROUS refused (the API's message in it)."""
    return PermanentError(_("CROUS refused it: %(error)s") % {"error": exc.api_message
                                                                 or exc.message})


# --- the right-holder --------------------------------------------------------------------------

def _find_right_holder(client, person, card, candidates):
    """(the right-holder, the identifier it was found under) or (None, None); a locked account
    (423) is (None, "") and kept in the CROUS errors."""
    for identifier in candidates:
        try:
            return client.get_right_holder(identifier), identifier
        except NotFound:
            continue
        except Locked as exc:
            record_failure(Operation.GET, exc, person=person, card=card, blocking=False)
            return None, ""
        except Forbidden as exc:
            record_failure(Operation.GET, exc, person=person, card=card)
            raise PermanentError(_("CROUS refuses to show this account: is it held by another "
                                   "establishment? (%(error)s)") % {"error": exc.message}) from exc
    return None, None


def _candidates(person, account, wanted):
    return list(dict.fromkeys(filter(None, (wanted, account and account.identifier,
                                            person.eppn, person.ine))))


def sync_right_holder(client, person, crous_settings, *, card=None, force=False):
    """Create or update the person's right-holder; the CrousAccount, or None when nothing may
    be sent (rights ended on both sides, account locked)."""
    account = account_of(person.pk)
    wanted_id = wanted_identifier(person, crous_settings)
    remote, found_as = _find_right_holder(client, person, card,
                                          _candidates(person, account, wanted_id))
    if found_as == "":
        return None
    now = timezone.now()
    rights = rights_due(person)
    rights_over = rights is not None and rights < now
    if remote is None:
        if rights_over:
            return None  # Izly refuses an account whose rights are over: nothing to create
        return _create_right_holder(client, person, crous_settings, card, wanted_id, now)
    if rights_over and remote.due_date is not None and remote.due_date < now:
        return _remember(person, found_as, None, remote, now)  # over on both sides
    current_id = found_as
    if found_as != wanted_id and not rights_over:
        renamed = _call(Operation.IDENTIFIER, person, card, lambda: client.change_identifier(
            found_as, wanted_id, remote.email), done_on=(_locked,))
        current_id = wanted_id if renamed else found_as
    wanted = right_holder_for(person, crous_settings, current_id, remote, now)
    sent = None
    if force or differs(wanted, remote, is_student(person, remote)):
        accepted = _call(Operation.UPDATE, person, card,
                         lambda: client.update_right_holder(current_id, wanted),
                         done_on=(_locked, lambda exc: isinstance(exc, NotAcceptable)))
        sent = wanted if accepted else None
    return _remember(person, current_id, sent, remote, now, wanted=wanted)


class _Exists(Exception):
    """CROUS already has it (409, 422 -11): a lost answer, or someone else was quicker."""


def _unless_exists(call):
    def run():
        try:
            call()
        except CrousError as exc:
            if already_exists(exc):
                raise _Exists from exc
            raise
    return run


def _create_right_holder(client, person, crous_settings, card, identifier, now):
    wanted = right_holder_for(person, crous_settings, identifier, None, now)
    try:
        accepted = _call(Operation.CREATE, person, card,
                         _unless_exists(lambda: client.create_right_holder(wanted)),
                         done_on=(_locked,))
    except _Exists:
        remote = client.get_right_holder(identifier)  # then update it as any other
        wanted = right_holder_for(person, crous_settings, identifier, remote, now)
        accepted = _call(Operation.UPDATE, person, card,
                         lambda: client.update_right_holder(identifier, wanted),
                         done_on=(_locked, lambda exc: isinstance(exc, NotAcceptable)))
        return _remember(person, identifier, wanted if accepted else None, remote, now,
                         wanted=wanted)
    return _remember(person, identifier, wanted if accepted else None, None, now, wanted=wanted)


def _remember(person, identifier, sent, remote, now, *, wanted=None):
    values = {"identifier": identifier, "seen": _as_json(remote), "seen_at": now}
    if sent is not None:
        values |= {"sent": sent.to_json(), "sent_at": now}
    if wanted is not None:
        values |= {"id_company_rate": wanted.id_company_rate, "id_rate": wanted.id_rate}
    account, _created = CrousAccount.objects.update_or_create(person=person, defaults=values)
    return account


def _as_json(remote):
    if remote is None:
        return None
    return remote.to_json() | {"accountStatus": remote.account_status,
                               "blockingStatus": remote.blocking_status}


# --- the smartcard record ----------------------------------------------------------------------

def reserve_card_number(crous_settings):
    """The next CROUS card number of the establishment. The UPDATE holds the row (PostgreSQL) or
    the database (SQLite) until the transaction ends, so two callers never get the same one."""
    with transaction.atomic():
        CrousEstablishment.objects.filter(pk=crous_settings.pk).update(
            last_card_number=F("last_card_number") + 1)
        base, last = (CrousEstablishment.objects.filter(pk=crous_settings.pk)
                      .values_list("card_number_base", "last_card_number").get())
    return base + last


def smartcard_for(card):
    """The card's CROUS smartcard record: the one imported for its CSN, else one built now from
    its CSN, a new CROUS card number and the establishment's constants. None if the card has
    no CSN yet or its establishment has no CROUS settings."""
    crous_settings = CrousEstablishment.objects.filter(establishment=card.establishment).first()
    if crous_settings is None or not card.csn:
        return None
    with transaction.atomic():
        Card.objects.select_for_update().filter(pk=card.pk).values_list("pk").first()
        existing = CrousSmartCard.objects.filter(card=card).first()
        if existing is not None:
            return existing
        imported = CrousSmartCard.objects.filter(uid=card.csn.upper(), card=None).first()
        if imported is not None:
            imported.card = card
            imported.save(update_fields=["card"])
            return imported
        return CrousSmartCard.objects.create(
            establishment=card.establishment, card=card, uid=card.csn.upper(),
            id_zdc=reserve_card_number(crous_settings),
            id_transmitter=crous_settings.id_transmitter, id_mapping=crous_settings.id_mapping,
            zdc_creation_date=card.encoded_at or timezone.now(), pix_ss=crous_settings.pix_ss,
            pix_nn=crous_settings.pix_nn, appl=crous_settings.appl,
            origin=CrousSmartCard.Origin.BUILT)


def smartcard_for_chip(card, csn):
    """The CROUS smartcard record whose number the chip `csn` of `card` is about to hold (the
    number is written in the chip, as CROUS's own encoder does): the card's record, moved to
    this chip if CROUS was never told of it, else the record imported for the chip, else a new
    one. None if the establishment has no CROUS settings. ValidationError (nothing changed)
    when the card's record is registered at CROUS for another chip, or the chip's record
    belongs to another card."""
    crous_settings = CrousEstablishment.objects.filter(establishment=card.establishment).first()
    if crous_settings is None:
        return None
    uid = csn.upper()
    with transaction.atomic():
        Card.objects.select_for_update().filter(pk=card.pk).values_list("pk").first()
        own = CrousSmartCard.objects.filter(card=card).first()
        for_chip = CrousSmartCard.objects.filter(uid=uid).first()
        if for_chip is not None and for_chip.card_id not in (None, card.pk):
            raise ValidationError(_("CROUS already holds this chip for another card."),
                                  code="crous_uid")
        if own is not None and own.uid == uid:
            return own
        if own is not None and own.registered_at is not None:
            raise ValidationError(
                _("CROUS knows this card by the chip %(uid)s: encode that chip, or renew the "
                  "card.") % {"uid": own.uid}, code="crous_registered")
        if for_chip is not None:  # imported from the supplier's file for this chip
            if own is not None:
                own.delete()
            for_chip.card = card
            for_chip.save(update_fields=["card"])
            return for_chip
        if own is not None:
            own.uid = uid
            own.save(update_fields=["uid"])
            return own
        return CrousSmartCard.objects.create(
            establishment=card.establishment, card=card, uid=uid,
            id_zdc=reserve_card_number(crous_settings),
            id_transmitter=crous_settings.id_transmitter, id_mapping=crous_settings.id_mapping,
            zdc_creation_date=timezone.now(), pix_ss=crous_settings.pix_ss,
            pix_nn=crous_settings.pix_nn, appl=crous_settings.appl,
            origin=CrousSmartCard.Origin.BUILT)


def smartcard_json(record):
    return SmartCard(id_zdc=record.id_zdc, uid=record.uid, id_transmitter=record.id_transmitter,
                     id_mapping=record.id_mapping, zdc_creation_date=record.zdc_creation_date,
                     pix_ss=record.pix_ss or None, pix_nn=record.pix_nn or None,
                     appl=record.appl or None, rid=record.rid or None)


def opposition_reason(card):
    """Why the card stopped: DP lost, DV stolen, CD out of order (a card destroyed or expired
    after that keeps its reason); HS for anything else (replaced, other, destroyed, expired)."""
    return OPPOSITION_REASONS.get(card.disable_reason, OTHER_REASON)


def smartcard_valid_since_enabled(card, record):
    """Registered or revalidated since the card was last enabled, and not opposed since."""
    last = max(filter(None, (record.registered_at, record.revalidated_at)), default=None)
    return (last is not None and not record.opposed
            and (card.enabled_at is None or last >= card.enabled_at))


def register_smartcard(client, card, record, account, *, force=False):
    """After an enable: register the smartcard (404) or revalidate it, unless that was done
    since the card was enabled."""
    if not force and smartcard_valid_since_enabled(card, record):
        return
    person = card.person
    try:
        client.get_smartcard(account.identifier, record.id_zdc)
        known = True
    except NotFound:
        known = False
    now = timezone.now()
    if not known:
        create = _unless_exists(
            lambda: client.create_smartcard(account.identifier, smartcard_json(record)))
        try:
            if _call(Operation.SMARTCARD_CREATE, person, card, create, done_on=(_locked,)):
                _mark(record, registered_at=now, revalidated_at=now)
            return
        except _Exists:
            pass  # registered meanwhile: revalidate it
    if _call(Operation.SMARTCARD_REVALIDATE, person, card,
             lambda: client.revalidate_smartcard(account.identifier, record.id_zdc, record.uid,
                                                 when=now),
             done_on=(_locked,)):
        _mark(record, registered_at=record.registered_at or now, revalidated_at=now)


def oppose_smartcard(client, card, record, account):
    """Put the card's smartcard in opposition, once: not again once opposed since its last
    registration or revalidation; "already invalidated", 404 and 423 count as done."""
    if record.opposed:
        return
    reason = opposition_reason(card)
    now = timezone.now()
    done = (_locked, _already_opposed, _nothing_to_oppose)
    _call(Operation.SMARTCARD_OPPOSE, card.person, card,
          lambda: client.oppose_smartcard(account.identifier, record.id_zdc, record.uid, reason,
                                          when=now), done_on=done)
    _mark(record, opposed_at=now, opposition_reason=reason)


def _mark(record, **values):
    for name, value in values.items():
        setattr(record, name, value)
    record.save(update_fields=list(values))


# --- what the target calls ---------------------------------------------------------------------

def _card(card_id):
    return (Card.objects.select_related("person", "person__establishment", "establishment")
            .filter(pk=card_id).first())


def number_card_by_id(card_id):
    """A card was encoded: its smartcard record is numbered now (for the encoding station);
    nothing is sent."""
    card = _card(card_id)
    if card is not None and crous_settings_of(card.establishment) is not None:
        smartcard_for(card)


def sync_card_by_id(card_id, *, force=False):
    card = _card(card_id)
    if card is None:
        return
    crous_settings = crous_settings_of(card.establishment)
    if crous_settings is not None:
        sync_card(card, crous_settings, force=force)


def sync_card(card, crous_settings, *, force=False):
    """Make CROUS hold the card's current truth; `force` writes even what did not change."""
    person = card.person
    if card.state == State.ENABLED and person.crous_consent:
        record = smartcard_for(card)
        if record is None:
            raise PermanentError(_("This card has no CROUS smartcard record: was the CROUS "
                                   "application encoded?"))
        client = crous_client()
        account = sync_right_holder(client, person, crous_settings, card=card, force=force)
        if account is not None:
            register_smartcard(client, card, record, account, force=force)
    elif card.state in OPPOSED_STATES:
        _end_card(card, crous_settings, force=force)


def _end_card(card, crous_settings, *, force):
    """Oppose a smartcard CROUS holds from us (even once consent is withdrawn: it only stops
    payments and tells CROUS nothing new); an expired card's end of rights is sent too."""
    record = CrousSmartCard.objects.filter(card=card).first()
    account = account_of(card.person_id)
    if record is None or account is None:
        return
    client = crous_client()
    oppose_smartcard(client, card, record, account)
    if card.state == State.CADUC and card.person.crous_consent:
        sync_right_holder(client, card.person, crous_settings, card=card, force=force)


def sync_person_by_id(person_id):
    """After a change of the person (end of rights, names…) or a consent given: their
    right-holder, and their enabled card's smartcard."""
    enabled = (Card.objects.filter(person_id=person_id, state=State.ENABLED)
               .select_related("person", "establishment").first())
    if enabled is not None:
        sync_card_by_id(enabled.pk)
        return
    from campuscard.people.models import Person

    person = Person.objects.select_related("establishment").filter(pk=person_id).first()
    crous_settings = crous_settings_of(person.establishment) if person else None
    if crous_settings is not None and person.crous_consent and account_of(person_id):
        sync_right_holder(crous_client(), person, crous_settings)


def reopen_by_id(person_id):
    """Reopen a closed account, then send the person (and their enabled card) again."""
    from campuscard.people.models import Person

    person = Person.objects.select_related("establishment").filter(pk=person_id).first()
    account = account_of(person_id)
    if person is None or account is None or crous_settings_of(person.establishment) is None:
        return
    client = crous_client()
    _call(Operation.UNCLOSE, person, None,
          lambda: client.unclose_right_holder(account.identifier))
    sync_person_by_id(person_id)


# --- what the pages show -----------------------------------------------------------------------

@dataclass(frozen=True)
class LiveAccount:
    """The person's account as CROUS shows it now. `reached` False: CROUS did not answer in
    time (the page says so and goes on); `holder` None: CROUS does not know them."""

    reached: bool
    holder: RightHolder | None = None
    locked: bool = False
    smartcard: SmartCard | None = None

    @property
    def state(self):
        """active, closed, blocked, unknown or unreachable."""
        if not self.reached:
            return "unreachable"
        if self.locked:
            return "blocked"
        if self.holder is None:
            return "unknown"
        if self.holder.closed:
            return "closed"
        if self.holder.blocking_status not in (None, "", "NON_BLOQUE"):
            return "blocked"
        return "active"


def live_account(person, *, card=None, timeout=LIVE_TIMEOUT):
    """CROUS's live view of `person` (and of `card`'s smartcard), within `timeout` seconds in
    all (a page waits no longer, however many calls it takes); None when the person's
    establishment does not send to CROUS."""
    crous_settings = crous_settings_of(person.establishment)
    if crous_settings is None:
        return None
    candidates = _candidates(person, account_of(person.pk),
                             wanted_identifier(person, crous_settings))
    record = CrousSmartCard.objects.filter(card=card).first() if card is not None else None
    client = crous_client(timeout=timeout)
    # The HTTP calls run in a worker thread (no database there) so that the deadline is one
    # for them all: httpx's timeouts are per call.
    future = _live_readers().submit(_read_live, client, candidates, record)
    try:
        return future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        return LiveAccount(reached=False)


def _live_readers():
    global _live_pool
    if _live_pool is None:
        _live_pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=LIVE_READERS, thread_name_prefix="crous-live")
    return _live_pool


def _read_live(client, candidates, record):
    try:
        holder, found_as = _live_holder(client, candidates)
        if holder is None:
            return LiveAccount(reached=True, locked=found_as == "")
        return LiveAccount(reached=True, holder=holder,
                           smartcard=_live_smartcard(client, record, found_as))
    except (CrousError, httpx.HTTPError, httpx.InvalidURL):
        return LiveAccount(reached=False)


def _live_holder(client, candidates):
    for identifier in candidates:
        try:
            return client.get_right_holder(identifier), identifier
        except NotFound:
            continue
        except Locked:
            return None, ""
    return None, None


def _live_smartcard(client, record, identifier):
    if record is None:
        return None
    try:
        return client.get_smartcard(identifier, record.id_zdc)
    except NotFound:
        return None


def last_sent(person):
    return account_of(person.pk)


def failures(**filters):
    """The CROUS errors, newest first (the errors page filters and exports these)."""
    return (CrousFailure.objects.filter(**filters)
            .select_related("person", "card").order_by("-last_at", "-id"))


# --- what managers and holders do --------------------------------------------------------------

def push_again_refusal(card, roles):
    if Role.MANAGER not in roles:
        return _("You are not allowed to do this on this card.")
    if crous_settings_of(card.establishment) is None:
        return _("%(establishment)s does not send its cards to CROUS.") % {
            "establishment": card.establishment}
    if not card.person.crous_consent and card.state not in OPPOSED_STATES:
        return _("The holder does not consent to CROUS / Izly.")
    return None


def push_again(cards, actor):
    """Ask the worker to send each card to CROUS again, even unchanged (one transaction).

    Returns (the cards queued, {card: why it was not})."""
    refused = {card: reason for card in cards
               if (reason := push_again_refusal(card, roles_on_card(actor, card)))}
    queued = [card for card in cards if card not in refused]
    with transaction.atomic():
        OutboxItem.objects.bulk_create([_row(PUSH_AGAIN, "card", card.pk, {
            "card_id": card.pk, "person_id": card.person_id,
            "establishment": card.establishment.code}) for card in queued])
        for card in queued:
            audit.record("push.crous.requested", actor, card, card=card, person=card.person_id)
    return queued, refused


def request_reopen(person, actor):
    """"Reopen my Izly account": the worker asks CROUS to reopen it, then sends the person
    again. Returns False when there is nothing to reopen (not sent to CROUS, or the person no
    longer consents: then nothing more is sent)."""
    if (not person.crous_consent or crous_settings_of(person.establishment) is None
            or account_of(person.pk) is None):
        return False
    with transaction.atomic():
        _row(REOPEN, "person", person.pk, {"person_id": person.pk,
                                           "establishment": person.establishment.code}).save()
        audit.record("push.crous.reopen_requested", actor, person, person=person)
    return True


def _row(operation, object_type, object_id, payload):
    return OutboxItem(target=TARGET, operation=operation, object_type=object_type,
                      object_id=str(object_id), payload=payload)
