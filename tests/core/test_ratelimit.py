"""The shared rate limiter (core.ratelimit) and the client address behind trusted proxies."""

import os
import socket
import threading

import pytest
from django.core.cache import caches
from django.db import connection

from campuscard.core import ratelimit
from campuscard.core.actors import client_ip
from campuscard.core.models import RateCounter

START = 1_800_000_000  # a minute boundary


def _redis_reachable():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


def test_counts_per_identity_and_bucket(db):
    hits = [ratelimit.allow("verify", "198.51.100.1", 2, now=START + s) for s in (0, 1, 2)]
    assert hits == [True, True, False]
    assert ratelimit.allow("verify", "198.51.100.2", 2, now=START + 3)
    assert ratelimit.allow("probe", "198.51.100.1", 2, now=START + 3)


def test_a_new_window_starts_afresh_and_old_ones_are_purged(db):
    assert [ratelimit.allow("b", "x", 1, now=START + s) for s in (0, 59, 60)] == [
        True, False, True]
    ratelimit.purge_past_windows(now=START + 60 * 5)
    assert RateCounter.objects.count() == 0


def test_zero_means_no_limit_and_no_write(db):
    assert all(ratelimit.allow("b", "x", 0) for _ in range(100))
    assert RateCounter.objects.count() == 0


def test_the_count_is_kept_in_the_database_not_in_the_process(db):
    ratelimit.allow("b", "x", 5, now=START)
    ratelimit.allow("b", "x", 5, now=START)
    assert list(RateCounter.objects.values_list("hits", flat=True)) == [2]


@pytest.mark.django_db(transaction=True)
def test_concurrent_connections_share_one_count():
    """Eight threads, each on its own database connection (as separate processes would be),
    make 20 hits each under a limit of 60: exactly 60 are allowed."""
    allowed = []
    lock = threading.Lock()

    def hit_twenty():
        try:
            mine = [ratelimit.allow("b", "shared", 60, now=START) for _ in range(20)]
            with lock:
                allowed.extend(mine)
        finally:
            connection.close()

    threads = [threading.Thread(target=hit_twenty) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 60
    assert allowed.count(False) == 100


@pytest.mark.skipif(not _redis_reachable() and not os.environ.get("CI"),
                    reason="no Redis on 127.0.0.1:6379 (CI starts one)")
def test_with_a_shared_cache_url_the_count_is_in_redis(db, settings):
    settings.CAMPUSCARD_CACHE_URL = "redis://127.0.0.1:6379/15"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": settings.CAMPUSCARD_CACHE_URL}}
    caches["default"].clear()
    try:
        assert [ratelimit.allow("b", "x", 2, now=START) for _ in range(3)] == [True, True, False]
        assert RateCounter.objects.count() == 0
    finally:
        caches["default"].clear()


def test_when_redis_is_unreachable_hits_are_let_through_and_logged(db, settings, caplog):
    settings.CAMPUSCARD_CACHE_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    assert all(ratelimit.allow("b", "x", 1, now=START) for _ in range(3))
    assert "Redis unreachable" in caplog.text


@pytest.mark.postgres
def test_on_postgresql_the_counters_are_unlogged(db):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = 'core_ratecounter'")
        assert cursor.fetchone() == ("u",)


def test_retry_after_is_the_rest_of_the_window():
    assert ratelimit.retry_after(now=START + 45) == 15
    assert ratelimit.retry_after(now=START + 59.5) == 1


# --- the client's address ----------------------------------------------------------------------

def _meta(remote, forwarded=None):
    class Request:
        META = {"REMOTE_ADDR": remote}

    if forwarded is not None:
        Request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return Request


def test_a_direct_client_cannot_choose_its_address(settings):
    settings.CAMPUSCARD_TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip(_meta("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.CAMPUSCARD_TRUSTED_PROXIES = []
    assert client_ip(_meta("127.0.0.1", "198.51.100.1")) == "127.0.0.1"


def test_from_a_trusted_proxy_the_last_untrusted_hop_is_the_client(settings):
    settings.CAMPUSCARD_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    request = _meta("127.0.0.1", "192.0.2.66, 198.51.100.1, 10.1.2.3")
    assert client_ip(request) == "198.51.100.1"  # what the client wrote first is not believed


def test_a_proxy_passing_garbage_leaves_the_proxy_address(settings):
    settings.CAMPUSCARD_TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip(_meta("127.0.0.1", "not-an-address")) == "127.0.0.1"
    assert client_ip(_meta("127.0.0.1", "")) == "127.0.0.1"
