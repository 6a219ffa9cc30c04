"""The encoding station page: a manager encodes printed cards from the browser, the page
relaying APDUs between the server and a reader offered by the local agent (stations/agent.py;
the demo's is a software reader). The JSON endpoints call the same verbs as the device API."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campuscard.backoffice.views import staff_only
from campuscard.cards.models import Card
from campuscard.cards.states import CHIP_WRITABLE_STATES
from campuscard.core.actors import Actor
from campuscard.core.jsonbody import BadJson, load_json
from campuscard.nfc import sessions as chip_sessions
from campuscard.stations import services
from campuscard.stations.models import ENCODING_KINDS

WAITING = 50


def _encoding_station(request, station_id):
    return get_object_or_404(services.stations_for(request.user, kinds=ENCODING_KINDS),
                             pk=station_id)


@staff_only
def encode_page(request, station_id):
    station = _encoding_station(request, station_id)
    waiting = (Card.objects.filter(establishment=station.establishment,
                                   state__in=CHIP_WRITABLE_STATES)
               .select_related("person").order_by("state_changed_at", "pk")[:WAITING])
    response = render(request, "stations/encode.html", {
        "station": station, "waiting": waiting,
        "agent_url": settings.CAMPUSCARD_READER_AGENT_URL,
    })
    # The page may talk to the local agent, and to no other address (django-csp reads this).
    response._csp_update = {"connect-src": ["'self'", settings.CAMPUSCARD_READER_AGENT_URL]}
    return response


def _error(status, message):
    return JsonResponse({"detail": str(message)}, status=status)


def _body(request):
    """The request's JSON object, or None (core.jsonbody's limits apply)."""
    try:
        body = load_json(request.body or b"{}")
    except BadJson:
        return None
    return body if isinstance(body, dict) else None


@staff_only
@require_POST
def chip_encode(request, station_id):
    """`{"card": 12, "uid": "04…"}`: start encoding the card at this station."""
    station = _encoding_station(request, station_id)
    body = _body(request)
    if body is None:
        return _error(400, _("Send a JSON object."))
    card = Card.objects.filter(pk=body.get("card") if isinstance(body.get("card"), int)
                               else None, establishment=station.establishment).first()
    if card is None:
        return _error(404, _("No card to encode was found for this station."))
    try:
        session, apdu = chip_sessions.start_encoding(card, body.get("uid"),
                                                     Actor.from_request(request), station)
    except ValidationError as exc:
        return _error(400 if exc.code == "uid" else 409, " ".join(exc.messages))
    return JsonResponse(chip_sessions.session_json(session, apdu), status=201)


@staff_only
@require_POST
def chip_step(request, session_id):
    """`{"step": 3, "answer": "…9100"}`, for a session this person started."""
    body = _body(request)
    if body is None or not isinstance(body.get("step"), int):
        return _error(400, _("Say which APDU this answers (\"step\")."))
    try:
        session, apdu = chip_sessions.take_step(session_id, body["step"], body.get("answer"),
                                                Actor.from_request(request))
    except chip_sessions.SessionRefused as exc:
        return _error(exc.status_code, exc.message)
    return JsonResponse(chip_sessions.session_json(session, apdu))


@staff_only
@require_POST
def chip_abandon(request, session_id):
    body = _body(request) or {}
    try:
        session = chip_sessions.abandon(session_id, Actor.from_request(request),
                                        str(body.get("message", "")))
    except chip_sessions.SessionRefused as exc:
        return _error(exc.status_code, exc.message)
    return JsonResponse(chip_sessions.session_json(session, None))
