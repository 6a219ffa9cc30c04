"""Webhooks a card office configures, against a real HTTP receiver that checks signatures."""

import json
import time
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from campuscard.cards import recognition
from campuscard.cards import services as card_services
from campuscard.cards.states import State
from campuscard.core import outbox
from campuscard.core.models import OutboxItem
from campuscard.integrations.webhooks import signing
from campuscard.integrations.webhooks.models import CARD_EVENTS, Webhook
from tests.conftest import actor, card_in_state, make_person

from .receiver import Receiver

Status = OutboxItem.Status


@pytest.fixture(autouse=True)
def _quick_retries(settings):
    settings.OUTBOX_BACKOFF_BASE = 0.01
    settings.OUTBOX_BACKOFF_CAP = 0.02


def make_hook(code, url, establishments=(), populations=(), **fields):
    hook = Webhook.objects.create(code=code, label_en=code, url=f"{url}/hooks/{code}", **fields)
    hook.establishments.set(establishments)
    hook.populations.set(populations)
    return hook


def rows(hook):
    return OutboxItem.objects.filter(target=f"webhook:{hook.code}").order_by("id")


def drain_all(seconds=10):
    deadline = time.monotonic() + seconds
    while OutboxItem.objects.filter(status__in=[Status.PENDING, Status.IN_FLIGHT]).exists():
        assert time.monotonic() < deadline, "the outbox did not drain"
        if not outbox.drain():
            time.sleep(0.02)


def test_a_push_arrives_signed_with_the_hooks_own_secret(student, manager_a):
    with Receiver() as receiver:
        hook = make_hook("library", receiver.url)
        receiver.secret = hook.secret
        card = card_in_state(student, State.ENABLED, manager_a)
        [row] = rows(hook)
        assert outbox.drain() == 1

    [request] = receiver.requests
    assert request.verified and request.method == "POST" and request.path == "/hooks/library"
    assert request.headers["Idempotency-Key"] == str(row.key)
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith("CampusCard/")
    event = request.json()
    assert event == {"id": str(row.key), "event": "card.enabled", "object_type": "card",
                     "object_id": str(card.pk), "created_at": row.created_at.isoformat(),
                     "data": row.payload}
    assert event["data"]["csn"] == card.csn and "issuer" not in event["data"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_webhook")
        [stored] = cursor.fetchone()
    assert stored.startswith("sealed:") and hook.secret not in stored


def test_verify_refuses_a_tampered_body_an_old_timestamp_and_another_secret():
    body = b'{"event": "card.enabled"}'
    headers = signing.signed_headers("s3cret", body, now=1_700_000_000)
    assert headers[signing.SIGNATURE_HEADER] == "v1=" + signing.sign("s3cret", 1_700_000_000,
                                                                      body)
    lowered = {name.lower(): value for name, value in headers.items()}
    assert signing.verify("s3cret", lowered, body, now=1_700_000_000 + 300)
    assert not signing.verify("s3cret", headers, body + b" ", now=1_700_000_000)
    assert not signing.verify("s3cret", headers, body, now=1_700_000_000 + 301)
    assert not signing.verify("s3cret", headers, body, now=1_700_000_000 - 301)
    assert not signing.verify("other", headers, body, now=1_700_000_000)
    assert not signing.verify("s3cret", {}, body)
    moved = {**headers, signing.TIMESTAMP_HEADER: "1700000100"}  # a replay given a new time
    assert not signing.verify("s3cret", moved, body, now=1_700_000_100)
    both = {**headers, signing.SIGNATURE_HEADER: "v1=00ff, " + headers[signing.SIGNATURE_HEADER]}
    assert signing.verify("s3cret", both, body, now=1_700_000_000)


def test_a_hook_is_told_of_its_establishments_populations_and_states(
        est_a, est_b, students, staff_population, student, manager_a):
    with Receiver() as receiver:
        everything = make_hook("everything", receiver.url)
        of_b = make_hook("of-b", receiver.url, establishments=[est_b])
        of_a_staff = make_hook("a-staff", receiver.url, establishments=[est_a],
                               populations=[staff_population])
        disabled_only = make_hook("blocked", receiver.url, card_states=[State.DISABLED])
        card = card_in_state(student, State.DISABLED, manager_a)
        card_in_state(make_person("sam", est_a, staff_population), State.ENABLED, manager_a)
        drain_all()

    def told(hook):
        return [(row.operation, row.payload["eppn"].split("@")[0]) for row in rows(hook)]

    assert told(everything) == [("card.enabled", "alice"), ("card.disabled", "alice"),
                                ("card.enabled", "sam")]
    assert told(of_b) == []
    assert told(of_a_staff) == [("card.enabled", "sam")]
    assert told(disabled_only) == [("card.disabled", "alice")]
    assert [r.json()["object_id"] for r in receiver.requests
            if r.path == "/hooks/blocked"] == [str(card.pk)]


def test_b_hears_of_the_cards_of_a_it_recognises(est_a, est_b, students, student, manager_a,
                                                 admin_user):
    with Receiver() as receiver:
        hook_b = make_hook("library-b", receiver.url, establishments=[est_b])
        receiver.secret = hook_b.secret
        card = card_in_state(student, State.ENABLED, manager_a)
        assert not rows(hook_b).exists()  # not recognised yet

        agreement = recognition.agree_recognition(est_a, est_b, [students], actor(admin_user))
        card = card_services.disable(card, actor(manager_a), "LOST")
        recognition.withdraw_recognition(agreement, actor(admin_user))
        card_services.enable(card, actor(manager_a))  # no longer B's business
        drain_all()

    assert [row.operation for row in rows(hook_b)] == [
        "card.recognised", "card.disabled", "card.recognition_withdrawn"]
    assert all(request.verified for request in receiver.requests)
    events = [request.json() for request in receiver.requests]
    assert [(e["event"], e["data"]["state"], e["data"]["issuer"], e["data"]["recognised_by"])
            for e in events] == [("card.recognised", "ENABLED", "univ-a", "ecole-b"),
                                 ("card.disabled", "DISABLED", "univ-a", "ecole-b"),
                                 ("card.recognition_withdrawn", "DISABLED", "univ-a", "ecole-b")]


def test_a_receiver_that_was_down_gets_each_push_once(student, manager_a, settings):
    receiver = Receiver()
    hook = make_hook("down", receiver.url)
    receiver.secret = hook.secret
    card_in_state(student, State.ENABLED, manager_a)
    [row] = rows(hook)
    assert outbox.drain() == 0
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.PENDING, 1)
    assert "ConnectError" in row.last_error

    with receiver:
        receiver.apply_then_fail = 1  # applied, but the answer is lost: it comes again
        time.sleep(0.05)
        assert outbox.drain() == 0
        time.sleep(0.05)
        assert outbox.drain() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.DONE, 3)
    assert [r.headers["Idempotency-Key"] for r in receiver.requests] == [str(row.key)] * 2
    assert all(r.verified for r in receiver.requests)
    assert list(receiver.applied) == [str(row.key)]  # applied once


def test_a_gone_receiver_fails_the_push_for_good_and_a_slow_one_is_tried_again(
        student, manager_a):
    with Receiver(status=410) as gone, Receiver(delay=1.5) as slow:
        hook = make_hook("gone", gone.url)
        slow_hook = make_hook("slow", slow.url, timeout=1)
        card_in_state(student, State.ENABLED, manager_a)
        outbox.drain()
    [row] = rows(hook)
    assert (row.status, row.attempts, row.last_error) == (
        Status.FAILED, 1, f"{hook.url}: HTTP 410")
    assert len(gone.requests) == 1
    [slow_row] = rows(slow_hook)
    assert slow_row.status == Status.PENDING and "Timeout" in slow_row.last_error


def test_the_static_webhook_signs_the_same_way(student, manager_a, settings):
    with Receiver(secret="static-secret") as receiver:
        settings.CAMPUSCARD_WEBHOOK_URLS = [f"{receiver.url}/static"]
        settings.CAMPUSCARD_WEBHOOK_SECRET = "static-secret"
        card_in_state(student, State.ENABLED, manager_a)
        drain_all()
    [request] = receiver.requests
    assert request.verified and json.loads(request.body)["event"] == "card.enabled"


@pytest.mark.parametrize("url", ["ftp://files.example.org/in", "https://user:pw@example.org/",
                                 "file:///etc/passwd", "javascript:alert(1)"])
def test_a_hook_address_must_be_plain_http(db, url):
    hook = Webhook(code="bad", label_en="Bad", url=url)
    with pytest.raises(ValidationError) as error:
        hook.full_clean()
    assert "url" in error.value.message_dict


def test_an_inactive_hook_or_an_unchosen_event_is_not_told(student, manager_a):
    off = make_hook("off", "http://127.0.0.1:9", active=False)
    persons_only = make_hook("people", "http://127.0.0.1:9", events=["person.updated"])
    card_in_state(student, State.ENABLED, manager_a)
    assert not rows(off).exists() and not rows(persons_only).exists()
    assert off.events == list(CARD_EVENTS)  # every card event by default
    assert "card.recognised" in off.events and "person.updated" not in off.events


def documented_receiver(secret):
    """The receiver docs/integrations.md shows, as written there."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "integrations.md").read_text()
    section = doc.split("### A receiver in Python", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace = {}
    exec(compile(code, "integrations.md", "exec"), namespace)  # noqa: S102
    namespace["SECRET"] = secret.encode()
    return namespace["receive"]


def test_the_documented_receiver_accepts_a_push_once_and_refuses_forgeries(student, manager_a):
    with Receiver() as receiver:
        hook = make_hook("documented", receiver.url)
        card_in_state(student, State.ENABLED, manager_a)
        outbox.drain()
    [request] = receiver.requests
    receive = documented_receiver(hook.secret)
    assert receive(request.headers, request.body) is True
    assert receive(request.headers, request.body) is False  # a retry: not applied again
    with pytest.raises(PermissionError, match="bad signature"):
        receive(request.headers, request.body.replace(b"ENABLED", b"DISABLED"))
    old = signing.signed_headers(hook.secret, request.body, now=time.time() - 301)
    with pytest.raises(PermissionError, match="too old"):
        receive({**request.headers, **old}, request.body)
    with pytest.raises(PermissionError, match="bad signature"):
        documented_receiver("another secret")(request.headers, request.body)
