"""Rate limits of the router service, counted across processes by core.ratelimit.

- Public card checks per client address: settings.CAMPUSCARD_VERIFY_RATE_PER_MINUTE (0 = no
  limit). The client address is `core.actors.client_ip` (X-Forwarded-For only from a trusted
  proxy). Use: `if not ratelimit.allow(request): answer 429 with a Retry-After of
  retry_after()`. The router's JSON status and the public /v/<ESCN> page share one budget.
- Probes per router key: settings.CAMPUSCARD_ROUTER_PROBE_RATE_PER_MINUTE (0 = no limit)
  requests naming a person or card that is not the caller's own (`allow_probe(key)`).
"""

from django.conf import settings

from campuscard.core import ratelimit
from campuscard.core.actors import client_ip

BUCKET = "verify"
PROBE_BUCKET = "router-probe"
VERDICT = "campuscard.verify_allowed"  # set in the WSGI environ once a request is counted


def allow(request, *, rate=None, now=None):
    """Count this request; False when its address is over the rate in the current minute. A
    request the fast status path already counted (router/fast_status.py) is not counted again."""
    if VERDICT in request.META:
        return request.META[VERDICT]
    rate = settings.CAMPUSCARD_VERIFY_RATE_PER_MINUTE if rate is None else rate
    return ratelimit.allow(BUCKET, client_ip(request) or "-", rate, now=now)


def remember(environ, allowed):
    """Record that this request was counted, with its verdict, for the views behind."""
    environ[VERDICT] = allowed


def hit_key(request, now=None):
    """(key, expires) of this request's hit in the public checks' budget."""
    return ratelimit.hit_key(BUCKET, client_ip(request) or "-", now=now)


def allow_probe(key, *, rate=None, now=None):
    """Count a probe by the router key `key`; False once it is over the rate this minute."""
    rate = settings.CAMPUSCARD_ROUTER_PROBE_RATE_PER_MINUTE if rate is None else rate
    return ratelimit.allow(PROBE_BUCKET, key.prefix, rate, now=now)


def retry_after(now=None):
    return ratelimit.retry_after(now=now)
