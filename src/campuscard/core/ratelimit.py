"""Counting requests in fixed windows, shared by every process of the instance.

`allow(bucket, identity, rate)` counts one hit for `identity` (an address, a key prefix…) in
`bucket` and says whether it is still within `rate` hits in the current window. The count lives
where every web process sees it:

- with `CAMPUSCARD_CACHE_URL` set (Redis), there: INCR and EXPIRE in one round trip;
- otherwise in the database (`core.RateCounter`, one atomic upsert a hit; on PostgreSQL an
  UNLOGGED table, so a hit writes no WAL and its commit waits for no disk).

A process-local count would multiply the limit by the number of workers.
"""

import functools
import hashlib
import logging
import random
import time

import redis
from django.conf import settings
from django.db import connection

from campuscard.core.models import RateCounter

logger = logging.getLogger("campuscard.ratelimit")

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
        return _count_in_redis(settings.CAMPUSCARD_CACHE_URL, key, int(expires))
    return _count_in_database(key, expires)


@functools.cache
def _redis(url):
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def _count_in_redis(url, key, expires):
    """One round trip. When Redis cannot be reached the hit is let through (and logged): the
    limit guards the service, an outage of the counter must not take the service down."""
    pipe = _redis(url).pipeline(transaction=False)
    pipe.incr(f"campuscard:rate:{key}")
    pipe.expireat(f"campuscard:rate:{key}", expires)  # the window's end: the same every hit
    try:
        hits, _expiry_set = pipe.execute()
    except redis.RedisError as exc:
        logger.error("rate limit not counted, Redis unreachable: %s", exc)
        return 0
    return hits


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
