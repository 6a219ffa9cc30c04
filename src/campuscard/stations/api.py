"""The HTTP API print stations call with their device token (docs/stations.md). Thin views:
the work is in stations.services."""

import time
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from campuscard.cards.models import Card
from campuscard.core import ratelimit
from campuscard.core.actors import Actor, client_ip
from campuscard.core.jsonbody import BadJson, load_json
from campuscard.nfc import sessions as chip_sessions
from campuscard.stations import documents, services
from campuscard.stations.models import PrintJob

MAX_WAIT = 60
POLL_EVERY = 0.5
MAX_BODY = 65_536


def _error(status, message):
    return JsonResponse({"detail": str(message)}, status=status)


def device_view(*methods):
    """A view for a station holding a valid token: 401 otherwise, 429 over the rate."""
    def decorate(view):
        @wraps(view)
        @csrf_exempt
        @require_http_methods(methods)
        def wrapper(request, *args, **kwargs):
            scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
            station = services.find_station(token.strip()) if scheme == "Bearer" else None
            if station is None:
                response = _error(401, _("Unknown or revoked station token."))
                response["WWW-Authenticate"] = "Bearer"
                return response
            if not ratelimit.allow("stations", station.token_prefix,
                                   settings.CAMPUSCARD_STATION_RATE):
                response = _error(429, _("Too many requests: slow down."))
                response["Retry-After"] = str(ratelimit.retry_after())
                return response
            request.station = station
            request.actor = Actor.device(station, client_ip(request))
            return view(request, *args, **kwargs)
        return wrapper
    return decorate


def _body(request):
    return load_json(request.body or b"{}", max_bytes=MAX_BODY)


def _wait_seconds(request):
    try:
        return min(max(float(request.GET.get("wait", 0)), 0), MAX_WAIT)
    except ValueError:
        return 0


@device_view("GET")
def next_job(request):
    """Long-poll: a job leased to this station (200), or 204 once `wait` seconds passed."""
    deadline = time.monotonic() + _wait_seconds(request)
    while True:
        job = services.lease_next_job(request.station)
        if job is not None:
            return JsonResponse(_job_json(request, job))
        if time.monotonic() >= deadline:
            return HttpResponse(status=204)
        try:
            time.sleep(POLL_EVERY)
        except SystemExit:
            # The web server stops this worker (gunicorn's quick shutdown raises SystemExit in
            # whatever it runs) while the station waits: no job came, and the worker ends once
            # this answer is sent, without a traceback of an interrupted request in the log.
            return HttpResponse(status=204)


def _job_json(request, job):
    return {"job": job.pk, "card": services.readable_fields(job.card),
            "pdf": request.build_absolute_uri(reverse("stations_api:job_pdf", args=[job.pk])),
            "panels": request.build_absolute_uri(reverse("stations_api:job_panels",
                                                         args=[job.pk])),
            "lease_until": job.lease_until.isoformat(), "attempts": job.attempts}


def _leased_or_404(request, job_id):
    return PrintJob.objects.filter(pk=job_id, station=request.station,
                                   status="leased").select_related("card").first()


@device_view("GET")
def job_document(request, job_id):
    job = _leased_or_404(request, job_id)
    if job is None:
        return _error(404, _("No such job leased to this station."))
    try:
        pdf = documents.job_pdf(job)
    except documents.NotPrintable as exc:
        return _error(409, str(exc))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="card-{job.card_id}.pdf"'
    return response


@device_view("GET")
def job_panels(request, job_id):
    """The job's YMCKO panels, a zip of PNGs, for desktop clients that drive the printer's
    panels themselves (as ESUP's does)."""
    job = _leased_or_404(request, job_id)
    if job is None:
        return _error(404, _("No such job leased to this station."))
    try:
        archive = documents.job_panels_zip(job)
    except documents.NotPrintable as exc:
        return _error(409, str(exc))
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = (f'attachment; filename="card-{job.card_id}-job-{job.pk}'
                                       f'-panels.zip"')
    return response


def _report(request, job_id, verb):
    try:
        job = verb()
    except PrintJob.DoesNotExist:
        return _error(404, _("No such job for this station."))
    except services.JobRefused as exc:
        return _error(409, exc.message)
    return JsonResponse({"job": job.pk, "status": job.status})


@device_view("POST")
def job_printed(request, job_id):
    return _report(request, job_id,
                   lambda: services.report_printed(request.station, job_id, request.actor))


@device_view("POST")
def job_failed(request, job_id):
    try:
        message = str(_body(request).get("message", ""))
    except (BadJson, AttributeError) as exc:
        return _error(400, exc if isinstance(exc, BadJson) else _("Send a JSON object."))
    return _report(request, job_id, lambda: services.report_failed(
        request.station, job_id, message, request.actor))


@device_view("POST")
def station_heartbeat(request):
    try:
        message = str(_body(request).get("message", ""))
    except (BadJson, AttributeError) as exc:
        return _error(400, exc if isinstance(exc, BadJson) else _("Send a JSON object."))
    services.heartbeat(request.station, client_ip(request), message)
    return JsonResponse({"ok": True})


@device_view("POST")
def badge_read(request):
    """A reader at the station read a badge: `{"csn": "…"}` (hex, reversed, or decimal)."""
    try:
        csn = _body(request).get("csn", "")
    except (BadJson, AttributeError) as exc:
        return _error(400, exc if isinstance(exc, BadJson) else _("Send a JSON object."))
    if not isinstance(csn, str) or not csn.strip():
        return _error(400, _("Send the badge's chip serial number as \"csn\"."))
    try:
        station = services.record_badge(request.station, csn)
    except ValidationError as exc:
        return _error(400, " ".join(exc.messages))
    return JsonResponse({"csn": station.last_badge,
                         "read_at": station.last_badge_at.isoformat()})


# --- chips: encoding and reading, relayed APDU by APDU (docs/nfc-encoding.md) ------------------

def _encoding_station_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.station.encodes:
            return _error(403, _("This station is not an encoding station."))
        return view(request, *args, **kwargs)
    return wrapper


def _json_object(request):
    body = _body(request)
    if not isinstance(body, dict):
        raise BadJson(_("Send a JSON object."))
    return body


def _card_to_encode(station, body):
    """The card named by `card` (its number), `qr` (the QR code read) or `next` (the queue)."""
    if body.get("next"):
        return chip_sessions.next_card_to_encode(station.establishment)
    if body.get("qr"):
        return chip_sessions.card_for_qr(str(body["qr"]))
    card_id = body.get("card")
    if isinstance(card_id, int) and not isinstance(card_id, bool):
        return Card.objects.filter(pk=card_id).first()
    return None


def _chip_answer(session, apdu, status=200):
    return JsonResponse(chip_sessions.session_json(session, apdu), status=status)


@device_view("POST")
@_encoding_station_only
def chip_encode(request):
    """Start encoding: `{"uid": "04…", "card": 12}` (or `"qr": "…"`, or `"next": true`)."""
    try:
        body = _json_object(request)
    except BadJson as exc:
        return _error(400, exc)
    card = _card_to_encode(request.station, body)
    if card is None or not request.station.serves(card.establishment_id):
        return _error(404, _("No card to encode was found for this station."))
    try:
        session, apdu = chip_sessions.start_encoding(card, body.get("uid"), request.actor)
    except ValidationError as exc:
        return _error(409 if exc.code not in ("uid",) else 400, " ".join(exc.messages))
    return _chip_answer(session, apdu, status=201)


@device_view("POST")
@_encoding_station_only
def chip_read(request):
    """Start reading the chip on the reader: `{"uid": "04…"}`; once read, the badge page
    hears of it."""
    try:
        body = _json_object(request)
        session, apdu = chip_sessions.start_reading(body.get("uid"), request.actor,
                                                    request.station.establishment)
    except BadJson as exc:
        return _error(400, exc)
    except ValidationError as exc:
        return _error(400 if exc.code == "uid" else 409, " ".join(exc.messages))
    return _chip_answer(session, apdu, status=201)


@device_view("POST")
def chip_step(request, session_id):
    """The chip's answer to APDU `step`: `{"step": 3, "answer": "…9100"}`."""
    try:
        body = _json_object(request)
    except BadJson as exc:
        return _error(400, exc)
    step = body.get("step")
    if not isinstance(step, int) or isinstance(step, bool):
        return _error(400, _("Say which APDU this answers (\"step\")."))
    try:
        session, apdu = chip_sessions.take_step(session_id, step, body.get("answer"),
                                                request.actor)
    except chip_sessions.SessionRefused as exc:
        return _error(exc.status_code, exc.message)
    return _chip_answer(session, apdu)


@device_view("POST")
def chip_abandon(request, session_id):
    try:
        message = str(_json_object(request).get("message", ""))
        session = chip_sessions.abandon(session_id, request.actor, message)
    except BadJson as exc:
        return _error(400, exc)
    except chip_sessions.SessionRefused as exc:
        return _error(exc.status_code, exc.message)
    return _chip_answer(session, None)
