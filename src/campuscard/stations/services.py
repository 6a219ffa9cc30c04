"""Print stations and their queues, as verbs. Views, the station API and the CLI call these.

Each verb runs in one transaction and is audited; a card changes state only through
`campuscard.cards.services`, acting as the manager who sends it or as the station that prints it.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscard.cards import services as card_services
from campuscard.cards.badges import csn_readings
from campuscard.cards.states import IllegalTransition, State
from campuscard.core import audit, tokens
from campuscard.core.actors import Actor
from campuscard.core.validators import normalise_code
from campuscard.stations import documents
from campuscard.stations.models import (
    PRINTING_KINDS,
    JobStatus,
    PrintJob,
    Station,
    StationKind,
)

SCHEME = "st"
ONLINE_WITHIN = timedelta(minutes=2)


class JobRefused(Exception):
    """A station reported on a job it does not hold, or that is no longer open."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# --- stations --------------------------------------------------------------------------------

def describe(station):
    """What the audit trail keeps of a station (never its token)."""
    return {"name": station.name, "kind": station.kind,
            "establishment": station.establishment.code, "printer_model": station.printer_model,
            "token_prefix": station.token_prefix, "revoked_at": station.revoked_at}


def register_station(name, establishment, actor, *, printer_model="", allowed_users=(),
                     kind=StationKind.PRINT):
    """Create a station; returns (station, token). Only the token's hash is kept."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("The station needs a name."), code="name")
    with transaction.atomic():
        if Station.objects.filter(name=name).exists():
            raise ValidationError(_("A station with this name already exists."),
                                  code="name_taken")
        prefix, token = tokens.new_token(
            SCHEME, lambda taken: Station.objects.filter(token_prefix=taken).exists())
        station = Station.objects.create(
            name=name, kind=kind, establishment=establishment,
            printer_model=printer_model.strip(),
            token_prefix=prefix, token_hash=tokens.hash_token(token))
        station.allowed_users.set(allowed_users)
        audit.record("station.registered", actor, station, after=describe(station))
    return station, token


def renew_token(station, actor):
    """A new token for `station`, the old one refused from now on; returns the new token."""
    with transaction.atomic():
        station = Station.objects.select_for_update().get(pk=station.pk)
        before = describe(station)
        prefix, token = tokens.new_token(
            SCHEME, lambda taken: Station.objects.filter(token_prefix=taken).exists())
        station.token_prefix, station.token_hash = prefix, tokens.hash_token(token)
        station.save(update_fields=["token_prefix", "token_hash"])
        audit.record("station.token_renewed", actor, station, before=before,
                     after=describe(station))
    return token


def revoke_station(station, actor):
    with transaction.atomic():
        station = Station.objects.select_for_update().get(pk=station.pk)
        if station.is_revoked:
            return station
        before = describe(station)
        station.revoked_at = timezone.now()
        station.save(update_fields=["revoked_at"])
        audit.record("station.revoked", actor, station, before=before, after=describe(station))
    return station


def find_station(token):
    """The active station owning `token`, or None."""
    prefix = tokens.token_prefix(SCHEME, token)
    if prefix is None:
        return None
    candidates = Station.objects.filter(token_prefix=prefix, revoked_at__isnull=True)
    station = next((s for s in candidates if tokens.matches(s.token_hash, token)), None)
    if station is not None:
        tokens.touch(station)
    return station


def heartbeat(station, ip, message=""):
    Station.objects.filter(pk=station.pk).update(
        last_heartbeat_at=timezone.now(), last_seen_ip=ip or None,
        status_message=(message or "")[:500])


def record_badge(station, csn):
    """A reader at `station` read the badge `csn` (any form cards.badges understands): kept as
    the station's last read, for the badge page waiting on it. ValidationError if malformed."""
    csn_readings(csn)
    read_at = timezone.now()
    Station.objects.filter(pk=station.pk).update(last_badge=normalise_code(csn),
                                                 last_badge_at=read_at)
    station.last_badge, station.last_badge_at = normalise_code(csn), read_at
    return station


def is_online(station, now=None):
    now = now or timezone.now()
    return station.last_heartbeat_at is not None and now - station.last_heartbeat_at < ONLINE_WITHIN


def stations_for(user, kinds=PRINTING_KINDS):
    """The active stations of `kinds` `user` may use (by default: send cards to print)."""
    if user is None or not user.is_authenticated:
        return Station.objects.none()
    active = Station.objects.filter(revoked_at__isnull=True, kind__in=kinds).select_related(
        "establishment")
    return active if user.is_superuser else active.filter(allowed_users=user)


# --- sending cards ---------------------------------------------------------------------------

def send_to_print(cards, station, actor):
    """Move every card (REQUEST_CHECKED, of the station's establishment) to IN_PRINT and queue
    it on `station`: all of them, or none if one is refused (ValidationError)."""
    user = actor.user
    if station.is_revoked or not stations_for(user).filter(pk=station.pk).exists():
        raise ValidationError(_("You may not send cards to this station."), code="station")
    cards = list(cards)
    if not cards:
        raise ValidationError(_("Select at least one card."), code="required")
    try:
        with transaction.atomic():
            return [_queue(card, station, actor) for card in cards]
    except IllegalTransition as exc:
        raise ValidationError(card_services.error_message(exc), code="state") from exc
    except IntegrityError as exc:  # another manager queued the same card at the same moment
        raise ValidationError(_("One of these cards is already in a print queue."),
                              code="queued") from exc


def _queue(card, station, actor):
    if not station.serves(card.establishment_id):
        raise ValidationError(
            _("Card %(card)s belongs to an establishment this station does not serve.")
            % {"card": card.pk}, code="establishment")
    if card.state != State.REQUEST_CHECKED:
        raise ValidationError(
            _("Card %(card)s is “%(state)s”: only a checked request can be sent to print.")
            % {"card": card.pk, "state": State(card.state).label}, code="state")
    card = card_services.send_to_print(card, actor)
    job = PrintJob.objects.create(card=card, station=station, asked_by=actor.user,
                                  asked_at=timezone.now())
    audit.record("print_job.queued", actor, job, card=card, person=card.person_id,
                 after={"status": job.status, "station": station.name})
    return job


def print_again(job, actor):
    """Queue a failed job's card again on the same station (the card is still IN_PRINT)."""
    with transaction.atomic():
        job = PrintJob.objects.select_for_update().select_related("card", "station").get(
            pk=job.pk)
        if not stations_for(actor.user).filter(pk=job.station_id).exists():
            raise ValidationError(_("You may not send cards to this station."), code="station")
        if job.status != JobStatus.FAILED or job.card.state != State.IN_PRINT:
            raise ValidationError(_("Only a failed job whose card is still being printed can "
                                    "be printed again."), code="state")
        try:
            with transaction.atomic():
                again = PrintJob.objects.create(card=job.card, station=job.station,
                                                asked_by=actor.user, asked_at=timezone.now())
        except IntegrityError as exc:
            raise ValidationError(_("This card is already in a print queue."),
                                  code="queued") from exc
        audit.record("print_job.queued", actor, again, card=job.card, person=job.card.person_id,
                     after={"status": again.status, "station": job.station.name,
                            "again_after": job.pk})
    return again


# --- the station's side ------------------------------------------------------------------------

def lease_next_job(station, now=None):
    """Lease the oldest job of `station` that is queued, or whose lease ran out (the station
    died mid-job), to the caller; None if there is none. A job goes to one caller only."""
    now = now or timezone.now()
    while True:
        with transaction.atomic():
            due = (PrintJob.objects.filter(station=station)
                   .filter(Q(status=JobStatus.QUEUED)
                           | Q(status=JobStatus.LEASED, lease_until__lt=now))
                   .order_by("asked_at", "id").select_for_update(skip_locked=True))
            job = due.first()
            if job is None:
                return None
            if job.card.state != State.IN_PRINT:  # taken back or marked printed by hand
                _cancel(job)
                continue
            if _take(job, now):
                return PrintJob.objects.select_related("card__person", "card__establishment"
                                                       ).get(pk=job.pk)


def _take(job, now):
    """Lease `job` if nobody took it since it was read (the guard where SKIP LOCKED is not
    available, as on SQLite)."""
    lease_until = now + timedelta(seconds=settings.CAMPUSCARD_PRINT_LEASE_SECONDS)
    taken = PrintJob.objects.filter(pk=job.pk, status=job.status,
                                    lease_until=job.lease_until).update(
        status=JobStatus.LEASED, lease_until=lease_until, attempts=F("attempts") + 1)
    if taken and job.status == JobStatus.LEASED:
        audit.record("print_job.lease_expired", Actor.system(), job, card=job.card_id,
                     before={"lease_until": job.lease_until})
    return bool(taken)


def _cancel(job):
    job.status, job.lease_until = JobStatus.CANCELED, None
    job.save(update_fields=["status", "lease_until"])
    audit.record("print_job.canceled", Actor.system(), job, card=job.card_id,
                 reason=_("The card is no longer being printed."))


def _held(station, job_id):
    """The job `station` holds a lease on, locked; JobRefused otherwise."""
    job = (PrintJob.objects.select_for_update().select_related("card__person",
                                                               "card__establishment")
           .filter(pk=job_id, station=station).first())
    if job is None:
        raise PrintJob.DoesNotExist
    if job.status != JobStatus.LEASED:
        raise JobRefused(_("This job is “%(status)s”: there is nothing to report.")
                         % {"status": JobStatus(job.status).label})
    return job


def report_printed(station, job_id, actor):
    """The station printed the job: the card becomes PRINTED and what was printed is frozen."""
    with transaction.atomic():
        job = _held(station, job_id)
        try:
            card = card_services.mark_printed(job.card, actor)  # which freezes what it shows
        except IllegalTransition as exc:
            raise JobRefused(card_services.error_message(exc)) from exc
        job.status, job.lease_until, job.printed_at = JobStatus.PRINTED, None, timezone.now()
        job.printed_values = documents.values_printed(job)
        job.save(update_fields=["status", "lease_until", "printed_at", "printed_values"])
        # what was printed stays on the job (printed_values), not in the audit entry
        audit.record("print_job.printed", actor, job, card=card, person=card.person_id,
                     after={"status": job.status})
    return job


def report_failed(station, job_id, message, actor):
    """The printer failed: the job keeps its message and the card stays IN_PRINT, so that a
    manager may print it again (or take it back from print)."""
    message = (message or "").strip()[:2000] or _("The station gave no message.")
    with transaction.atomic():
        job = _held(station, job_id)
        job.status, job.lease_until, job.failure_message = JobStatus.FAILED, None, message
        job.save(update_fields=["status", "lease_until", "failure_message"])
        audit.record("print_job.failed", actor, job, card=job.card_id,
                     person=job.card.person_id, reason=message)
    return job


def readable_fields(card):
    """What a station operator sees of the card it prints."""
    person = card.person
    return {"card_id": card.pk, "first_name": person.first_name, "last_name": person.last_name,
            "number": person.student_id or person.employee_id,
            "establishment": card.establishment.name,
            "escn": str(card.escn) if card.escn else None}
