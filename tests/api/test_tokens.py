import hashlib
import json
import re
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campuscard.api.clients import find_client, touch
from campuscard.api.models import ApiClient
from campuscard.core.models import AuditEntry


def test_token_has_the_documented_shape_and_only_its_hash_is_stored(make_api_client, est_a):
    client, caller = make_api_client("sis", ["people:read"], [est_a])
    token = caller.token
    assert re.fullmatch(r"cc_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", token)
    row = ApiClient.objects.filter(pk=client.pk).values().get()
    assert row["token_prefix"] == token[3:11]
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    secret = token.split("_", 2)[2]
    stored = json.dumps(row, default=str) + json.dumps(
        list(AuditEntry.objects.values("before", "after", "reason")), default=str)
    assert secret not in stored


def test_each_client_gets_its_own_token(make_api_client, est_a):
    _, first = make_api_client("one", ["people:read"], [est_a])
    _, second = make_api_client("two", ["people:read"], [est_a])
    assert first.token != second.token
    assert first.token[3:11] != second.token[3:11]


def test_find_client_accepts_only_the_exact_active_token(make_api_client, est_a):
    client, caller = make_api_client("sis", ["people:read"], [est_a])
    token = caller.token
    assert find_client(token) == client
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert find_client(tampered) is None
    assert find_client(token.upper()) is None
    assert find_client(client.token_hash) is None
    assert find_client("") is None
    ApiClient.objects.filter(pk=client.pk).update(revoked_at=timezone.now())
    assert find_client(token) is None


def test_touch_writes_at_most_once_a_minute(make_api_client, est_a):
    client, _ = make_api_client("sis", ["people:read"], [est_a])
    now = timezone.now()
    touch(client, now)
    client.refresh_from_db()
    assert client.last_used_at == now
    with CaptureQueriesContext(connection) as queries:
        touch(client, now + timedelta(seconds=59))
    assert len(queries) == 0
    client.refresh_from_db()
    assert client.last_used_at == now
    later = now + timedelta(seconds=61)
    touch(client, later)
    client.refresh_from_db()
    assert client.last_used_at == later


def test_requests_record_last_use_without_a_write_each_time(make_api_client, est_a, student):
    client, caller = make_api_client("sis", ["people:read"], [est_a])
    url = f"/api/people/{student.eppn}"
    assert caller.get(url).status_code == 200
    client.refresh_from_db()
    first = client.last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        assert caller.get(url).status_code == 200
    assert not [q for q in queries if q["sql"].startswith("UPDATE")]
    client.refresh_from_db()
    assert client.last_used_at == first
