"""Counting requests in fixed windows, shared by every process of the instance.

`allow(bucket, identity, rate)` counts one hit for `identity` (an address, a key prefix…) in
`bucket` and says whether it is still within `rate` hits in the current window. The count lives
where every web process sees it:

- with `CAMPUSCARD_CACHE_URL` set (Redis), in that cache (an atomic INCR);
- otherwise in the database (`core.RateCounter`, one atomic upsert a hit).

A process-local count would multiply the limit by the number of workers.
"""

import hashlib
import random
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from campuscard.core.models import RateCounter

WINDOW_SECONDS = 60
PURGE_ONE_IN = 500  # hits between two clean-ups of past windows (on average)


def window_of(now, window=WINDOW_SECONDS):
    return int(now // window)


def allow(bucket, identity, rate, *, window=WINDOW_SECONDS, now=None):
    """Count a hit; False once `identity` is over `rate` hits in this window (0: no limit)."""
    if rate <= 0:
        return True
    now = time.time() if now is None else now
    digest = hashlib.sha256(f"{bucket}\0{identity}".encode()).hexdigest()[:40]
    key = f"{bucket[:16]}:{digest}:{window_of(now, window)}"
    return count_hit(key, expires=(window_of(now, window) + 2) * window) <= rate


def retry_after(*, window=WINDOW_SECONDS, now=None):
    """Whole seconds until the current window ends (for a Retry-After header)."""
    now = time.time() if now is None else now
    return max(1, int((window_of(now, window) + 1) * window - now))


def count_hit(key, *, expires):
    """Add one to `key`'s count and return it; the count may be forgotten after `expires`."""
    if settings.CAMPUSCARD_CACHE_URL:
        return _count_in_cache(key, timeout=max(1, int(expires - time.time())))
    return _count_in_database(key, expires)


def _count_in_cache(key, timeout):
    try:
        return cache.incr(key)
    except ValueError:  # the window's first hit (or its count was evicted)
        if cache.add(key, 1, timeout=timeout):
            return 1
        return cache.incr(key)  # another process began the window just now


def _count_in_database(key, expires):
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, expires, hits) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (key) DO UPDATE SET hits = {table}.hits + 1 RETURNING hits",
            [key, int(expires)])
        hits = cursor.fetchone()[0]
    if random.randrange(PURGE_ONE_IN) == 0:
        purge_past_windows()
    return hits


def purge_past_windows(now=None):
    """Forget the counts of windows that have ended."""
    RateCounter.objects.filter(expires__lt=int(time.time() if now is None else now)).delete()
