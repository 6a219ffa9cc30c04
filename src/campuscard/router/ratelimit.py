"""How many public card checks one client address may make: settings.
CAMPUSCARD_VERIFY_RATE_PER_MINUTE (0 = no limit), counted across processes by core.ratelimit.
The client address is `core.actors.client_ip` (X-Forwarded-For only from a trusted proxy).

Use: `if not ratelimit.allow(request): answer 429 with a Retry-After of retry_after()`.
Both the router's JSON status and the public /v/<ESCN> page share one budget per address.
"""

from django.conf import settings

from campuscard.core import ratelimit
from campuscard.core.actors import client_ip

BUCKET = "verify"


def allow(request, *, rate=None, now=None):
    """Count this request; False when its address is over the rate in the current minute."""
    rate = settings.CAMPUSCARD_VERIFY_RATE_PER_MINUTE if rate is None else rate
    return ratelimit.allow(BUCKET, client_ip(request) or "-", rate, now=now)


def retry_after(now=None):
    return ratelimit.retry_after(now=now)
