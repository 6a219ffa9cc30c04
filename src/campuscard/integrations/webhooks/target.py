"""Webhooks: POST every card and person event, signed, to the URLs in CAMPUSCARD_WEBHOOK_URLS.

Each request carries `Idempotency-Key` (the outbox row's key, the same on every retry) and
`X-CampusCard-Signature: sha256=<HMAC of the body with CAMPUSCARD_WEBHOOK_SECRET>`.
A 2xx answer is success; 408, 429, 5xx, timeouts and refused connections are retried; any other
answer needs a person to look.
"""

import hashlib
import hmac
import json

import httpx
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from campuscard.cards.states import PUSHED_EVENTS
from campuscard.core.outbox import PermanentError, Target, TransientError

EVENTS = PUSHED_EVENTS | {"person.updated", "person.consent_changed", "person.esc_withdrawn"}
RETRYABLE = {408, 425, 429}


class WebhookTarget(Target):
    name = "webhooks"
    label = _("Connected services (webhooks)")
    events = EVENTS

    def __init__(self):
        self._client = None

    @property
    def client(self):
        """One connection pool per process: a new client per push costs a TLS set-up each."""
        if self._client is None:
            self._client = httpx.Client(timeout=10.0, follow_redirects=False)
        return self._client

    def wants(self, event, payload):
        return bool(settings.CAMPUSCARD_WEBHOOK_URLS) and event in self.events

    def deliver(self, item):
        body = json.dumps({
            "id": str(item.key), "event": item.operation, "object_type": item.object_type,
            "object_id": item.object_id, "created_at": item.created_at.isoformat(),
            "data": item.payload,
        }, sort_keys=True).encode()
        for url in settings.CAMPUSCARD_WEBHOOK_URLS:
            self._post(url, body, str(item.key))

    def _post(self, url, body, key):
        signature = hmac.new(settings.CAMPUSCARD_WEBHOOK_SECRET.encode(), body, hashlib.sha256)
        headers = {"Content-Type": "application/json", "Idempotency-Key": key,
                   "X-CampusCard-Signature": f"sha256={signature.hexdigest()}"}
        try:
            response = self.client.post(url, content=body, headers=headers)
        except httpx.TransportError as exc:
            raise TransientError(f"{url}: {type(exc).__name__}") from exc
        if response.is_success:
            return
        message = f"{url}: HTTP {response.status_code}"
        if response.status_code >= 500 or response.status_code in RETRYABLE:
            raise TransientError(message)
        raise PermanentError(message)
