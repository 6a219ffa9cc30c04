"""How many public card checks one client address may make: settings.
CAMPUSCARD_VERIFY_RATE_PER_MINUTE (0 = no limit), in fixed one-minute windows.

The count lives in Django's cache (cache.add then cache.incr, atomic on memcached, Redis and
the database cache). With the default local-memory cache each worker process counts on its own,
so the real limit is the rate times the number of processes: configure a shared cache where
that matters. The client address is `core.actors.client_ip` (X-Forwarded-For behind our proxy).

Use: `if not ratelimit.allow(request): answer 429 with a Retry-After of retry_after()`.
Both the router's JSON status and the public /v/<ESCN> page share one budget per address.
"""

import time

from django.conf import settings
from django.core.cache import cache

from campuscard.core.actors import client_ip

WINDOW_SECONDS = 60
KEY_PREFIX = "campuscard:verify-rate"


def _window(now):
    return int(now // WINDOW_SECONDS)


def allow(request, *, rate=None, now=None):
    """Count this request; False when its address is over the rate in the current minute."""
    rate = settings.CAMPUSCARD_VERIFY_RATE_PER_MINUTE if rate is None else rate
    if rate <= 0:
        return True
    key = f"{KEY_PREFIX}:{client_ip(request) or '-'}:{_window(now or time.time())}"
    return _count(key) <= rate


def _count(key):
    """Add one to the window's count: one cache call once the window has begun."""
    try:
        return cache.incr(key)
    except ValueError:  # the window's first request (or its count was evicted)
        # The key outlives its window a little, so that a late incr never finds it gone.
        if cache.add(key, 1, timeout=WINDOW_SECONDS * 2):
            return 1
        return cache.incr(key)  # another process began the window just now


def retry_after(now=None):
    """Whole seconds until the current window ends (for the Retry-After header)."""
    now = now or time.time()
    return max(1, int((_window(now) + 1) * WINDOW_SECONDS - now))
