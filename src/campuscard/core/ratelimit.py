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
    key, expires = hit_key(bucket, identity, window=window, now=now)
    return count_hit(key, expires=expires) <= rate


def hit_key(bucket, identity, *, window=WINDOW_SECONDS, now=None):
    """(key, expires): where a hit of `identity` in `bucket` is counted in the current window,
    and when that count may be forgotten."""
    now = time.time() if now is None else now
    digest = hashlib.sha256(f"{bucket}\0{identity}".encode()).hexdigest()[:40]
    current = window_of(now, window)
    return f"{bucket[:16]}:{digest}:{current}", (current + 2) * window


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


def counts_in_database():
    return not settings.CAMPUSCARD_CACHE_URL


def count_statement(key, expires):
    """(sql, params) that count a hit of `key` in the database and return the new count; for a
    caller that sends it with another statement in one round trip (then see counted())."""
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    sql = (f"INSERT INTO {table} (key, expires, hits) VALUES (%s, %s, 1) "  # noqa: S608
           f"ON CONFLICT (key) DO UPDATE SET hits = {table}.hits + 1 RETURNING hits")
    return sql, [key, int(expires)]


def counted(hits):
    """What follows a hit counted in the database (past windows are cleaned up now and then);
    returns `hits`."""
    if random.randrange(PURGE_ONE_IN) == 0:
        purge_past_windows()
    return hits


def _count_in_database(key, expires):
    with connection.cursor() as cursor:
        cursor.execute(*count_statement(key, expires))
        return counted(cursor.fetchone()[0])


def purge_past_windows(now=None):
    """Forget the counts of windows that have ended."""
    RateCounter.objects.filter(expires__lt=int(time.time() if now is None else now)).delete()
