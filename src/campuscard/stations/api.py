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

from campuscard.core import ratelimit
from campuscard.core.actors import Actor, client_ip
from campuscard.core.jsonbody import BadJson, load_json
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
