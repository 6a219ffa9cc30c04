"""Webhooks and REST calls as outbox targets.

- `WebhookTarget` (`webhooks`): every card and person event, to the URLs of the
  CAMPUSCARD_WEBHOOK_URLS setting, signed with CAMPUSCARD_WEBHOOK_SECRET.
- `WebhookConnectionTarget` (`webhook:<code>`): a webhook configured in the back-office, with
  its own secret, events and filters.
- `RestCallTarget` (`rest:<code>`): a templated request when a card becomes valid or not.

A webhook's request carries `Idempotency-Key` (the outbox row's key, the same on every retry)
and the signature of `signing` (timestamp and HMAC-SHA256). Every answer is read the same way:
2xx is done; 408, 425, 429, 5xx, timeouts and refused connections are tried again later; any
other answer waits for a person to look.
"""

import importlib.metadata
import json
import threading

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from campuscard.cards.recognition import WITHDRAWN
from campuscard.cards.states import PUSHED_EVENTS, State
from campuscard.core.outbox import PermanentError, Target, TransientError
from campuscard.institutions.models import Recognition
from campuscard.integrations.connections.cardvalues import as_decimal, reversed_csn
from campuscard.integrations.connections.targets import ConnectionTarget
from campuscard.integrations.webhooks import signing, templates

EVENTS = PUSHED_EVENTS | {"person.updated", "person.consent_changed", "person.esc_withdrawn"}
RETRYABLE = {408, 425, 429}
NOT_FOUND = 404

_client = None
_client_lock = threading.Lock()


def client():
    """One connection pool per process: a new client per push costs a TLS set-up each."""
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client(timeout=10.0, follow_redirects=False)
    return _client


def user_agent():
    try:
        version = importlib.metadata.version("campuscard")
    except importlib.metadata.PackageNotFoundError:
        version = "dev"
    return f"CampusCard/{version}"


def send(method, url, *, content=b"", headers=None, timeout=10.0, what=None,
         not_found_is_done=False):
    """Make one request and sort its outcome: return on success, raise TransientError or
    PermanentError. `what` names the request in errors (the URL when not given)."""
    what = what or url
    headers = {"User-Agent": user_agent(), **(headers or {})}
    try:
        response = client().request(method, url, content=content, headers=headers,
                                    timeout=timeout)
    except httpx.TransportError as exc:
        raise TransientError(f"{what}: {type(exc).__name__}") from exc
    if response.is_success or (not_found_is_done and response.status_code == NOT_FOUND):
        return response
    message = f"{what}: HTTP {response.status_code}"
    if response.status_code >= 500 or response.status_code in RETRYABLE:
        raise TransientError(message)
    raise PermanentError(message)


def event_body(item, data):
    return json.dumps({
        "id": str(item.key), "event": item.operation, "object_type": item.object_type,
        "object_id": item.object_id, "created_at": item.created_at.isoformat(), "data": data,
    }, sort_keys=True).encode()


def post_signed(url, body, key, secret, timeout=10.0):
    headers = {"Content-Type": "application/json", "Idempotency-Key": key,
               **signing.signed_headers(secret, body)}
    send("POST", url, content=body, headers=headers, timeout=timeout)


class WebhookTarget(Target):
    name = "webhooks"
    label = _("Connected services (webhooks)")
    events = EVENTS

    def wants(self, event, payload):
        return bool(settings.CAMPUSCARD_WEBHOOK_URLS) and event in self.events

    def deliver(self, item):
        body = event_body(item, item.payload)
        for url in settings.CAMPUSCARD_WEBHOOK_URLS:
            post_signed(url, body, str(item.key), settings.CAMPUSCARD_WEBHOOK_SECRET)


# --- connections configured in the back-office ------------------------------------------------

def recognition_of(reach, payload):
    """The recognising establishment when this card (or holder) reaches the connection through
    an agreement and not as one of an establishment it serves; else None. An agreement
    withdrawn since the push was written still names who recognised it then."""
    if "recognised_by" in payload:
        return payload["recognised_by"]
    issuer = payload.get("establishment")
    if not reach.served or issuer in reach.served:
        return None
    return (reach.recognising(issuer, payload.get("population"))
            or Recognition.objects.filter(issuer__code=issuer, recogniser__code__in=reach.served)
            .order_by("-granted_at").values_list("recogniser__code", flat=True).first())


class WebhookConnectionTarget(ConnectionTarget):
    kind = "webhook"

    def __init__(self, connection, reach):
        super().__init__(connection, reach)
        self.events = frozenset(connection.events)

    def data(self, item):
        payload = dict(item.payload)
        recogniser = recognition_of(self.reach, payload)
        if recogniser:
            payload.update(issuer=payload.get("establishment"), recognised_by=recogniser)
        return payload

    def deliver(self, item):
        hook = self.connection
        post_signed(hook.url, event_body(item, self.data(item)), str(item.key), hook.secret,
                    timeout=hook.timeout)


class RestCallTarget(ConnectionTarget):
    kind = "rest"

    def __init__(self, connection, reach):
        super().__init__(connection, reach)
        self.events = frozenset(connection.events)

    def deliver(self, item):
        call = self.connection
        group = "valid" if is_valid(item.operation, item.payload) else "invalid"
        method, url_template, body_template = call.request_for(group)
        if not url_template.strip():
            return
        values = variables(item, recognition_of(self.reach, item.payload))
        try:
            url = templates.render_url(url_template, values)
            body = templates.render_body(body_template, values)
            headers = {name: templates.render_header(value, {**values, "secret": call.secret})
                       for name, value in templates.parse_headers(call.headers)}
        except (ValueError, ValidationError) as exc:
            raise PermanentError(f"{call.code}: {exc}") from exc
        if body:
            headers.setdefault("Content-Type", "application/json")
        headers.setdefault("Idempotency-Key", str(item.key))
        send(method, url, content=body, headers=headers, timeout=call.timeout,
             what=f"{method} {url_template}", not_found_is_done=call.not_found_is_nothing)


def is_valid(event, payload):
    return event != WITHDRAWN and payload.get("state") == State.ENABLED


def variables(item, recogniser):
    """The template variables of one push: the payload as it was."""
    payload = item.payload
    csn = payload.get("csn") or ""
    issuer = payload.get("establishment")
    values = {
        "event": item.operation, "card_id": payload.get("card_id"), "state": payload.get("state"),
        "csn": csn, "escn": payload.get("escn"), "eppn": payload.get("eppn"),
        "person_id": payload.get("person_id"), "population": payload.get("population"),
        "disable_reason": payload.get("disable_reason"), "rights_end": payload.get("rights_end"),
        "enabled_date": (payload.get("enabled_at") or "")[:10] or None,
        "issuer": issuer, "establishment": recogniser or issuer,
        "access_control_id": payload.get("access_control_id") or "",
    }
    values.update(_csn_forms(csn))
    return values


def _csn_forms(csn):
    if not csn:
        return {"csn_reversed": None, "csn_dec": None, "csn_reversed_dec": None}
    return {"csn_reversed": reversed_csn(csn), "csn_dec": as_decimal(csn),
            "csn_reversed_dec": as_decimal(reversed_csn(csn))}
