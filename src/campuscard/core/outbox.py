"""The outbox: changes other systems must hear of, written in the same transaction as the change.

A target is a small class per external system (`integrations/<x>/target.py`) listed in the
CAMPUSCARD_TARGETS setting or registered with `register()`. Targets a card office configures in
the database (an export, an LDAP write-back, a webhook…) come from providers registered with
`register_provider()`: callables returning the targets of the moment.

`drain()` (run by `campuscard worker`) delivers due rows with exponential backoff and jitter.
Delivery is at least once; every row carries an idempotency key so a receiver applies it once.
"""

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from campuscard.core.models import OutboxItem

logger = logging.getLogger("campuscard.outbox")
Status = OutboxItem.Status


class TransientError(Exception):
    """The target could not take it now (timeout, 5xx, down): try again later."""


class PermanentError(Exception):
    """The target refused it for good: a person must look and retry by hand."""


class Target:
    """Subclass per external system: say which events it wants and how to deliver one."""

    name = ""
    label = ""  # what people read for it (translated); the name when empty
    events = frozenset()

    def wants(self, event, payload):
        return event in self.events

    def deliver(self, item):
        raise NotImplementedError


_registry = {}
_providers = []
_loaded = False


def _load_configured():
    global _loaded
    if not _loaded:
        _loaded = True
        for path in settings.CAMPUSCARD_TARGETS:
            register(import_string(path)())


def register(target):
    _registry[target.name] = target


def unregister(name):
    _registry.pop(name, None)


def register_provider(provider):
    """`provider()` returns the targets configured in the database (it may cache them)."""
    if provider not in _providers:
        _providers.append(provider)


def registered():
    """The targets of the settings and of register(), without the providers' (no query)."""
    _load_configured()
    return dict(_registry)


def forget_cached_targets():
    """Providers that cache (most do) read the database again at the next call."""
    for provider in _providers:
        getattr(provider, "forget", lambda: None)()


def targets():
    _load_configured()
    found = dict(_registry)
    for provider in _providers:
        found.update((target.name, target) for target in provider())
    return found


def enqueue(event, obj, payload):
    """Write one row per target that wants `event`. Must run inside the change's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("outbox.enqueue must run inside the transaction that makes the change")
    rows = [
        OutboxItem(target=name, operation=event, object_type=obj._meta.model_name,
                   object_id=str(obj.pk), payload=payload)
        for name, target in sorted(targets().items())
        if target.wants(event, payload)
    ]
    return OutboxItem.objects.bulk_create(rows)


def enqueue_many(event, items):
    """enqueue() for many (obj, payload) pairs in one insert: the sync's bulk writes."""
    if not connection.in_atomic_block:
        raise RuntimeError("outbox.enqueue must run inside the transaction that makes the change")
    wanting = sorted(targets().items())
    rows = [
        OutboxItem(target=name, operation=event, object_type=obj._meta.model_name,
                   object_id=str(obj.pk), payload=payload)
        for obj, payload in items
        for name, target in wanting
        if target.wants(event, payload)
    ]
    return OutboxItem.objects.bulk_create(rows, batch_size=1000)


def backoff_delay(attempts):
    """Exponential backoff capped, with jitter so that retries of many rows spread out."""
    delay = min(settings.OUTBOX_BACKOFF_CAP, settings.OUTBOX_BACKOFF_BASE * 2 ** (attempts - 1))
    return timedelta(seconds=delay * random.uniform(0.5, 1.0))


def _due(now):
    earlier_open = OutboxItem.objects.filter(
        target=OuterRef("target"), object_type=OuterRef("object_type"),
        object_id=OuterRef("object_id"), id__lt=OuterRef("id"),
        status__in=[Status.PENDING, Status.IN_FLIGHT],
    )
    ready = Q(status=Status.PENDING, not_before__lte=now)
    abandoned = Q(status=Status.IN_FLIGHT, lease_until__lt=now)  # its worker died
    return (OutboxItem.objects.filter(ready | abandoned, target__in=list(targets()))
            .exclude(Exists(earlier_open)).order_by("id"))


def claim(limit=50):
    """Lease due rows to this worker; other workers skip them (SKIP LOCKED where supported)."""
    now = timezone.now()
    with transaction.atomic():
        due = _due(now).select_for_update(skip_locked=True)
        ids = list(due.values_list("id", flat=True)[:limit])
        OutboxItem.objects.filter(id__in=ids).update(
            status=Status.IN_FLIGHT, attempts=F("attempts") + 1,
            lease_until=now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS),
        )
    return list(OutboxItem.objects.filter(id__in=ids).order_by("id"))


def deliver(item):
    """Push one claimed row to its target and record the outcome. Returns True when done.

    A target's `deliver` may return a note (text): the row is done, and the note is kept on it
    and in its audit entry (e.g. "no such person there: nothing to do")."""
    target = targets()[item.target]
    try:
        note = target.deliver(item)
    except PermanentError as exc:
        _finish(item, Status.FAILED, error=str(exc))
        return False
    except Exception as exc:  # any other failure is worth another try
        if item.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            _finish(item, Status.FAILED, error=f"{type(exc).__name__}: {exc}")
        else:
            _finish(item, Status.PENDING, error=f"{type(exc).__name__}: {exc}",
                    not_before=timezone.now() + backoff_delay(item.attempts))
        return False
    _finish(item, Status.DONE, error=note if isinstance(note, str) else "")
    return True


def _finish(item, status, error="", not_before=None):
    changes = {"status": status, "last_error": error[:2000], "lease_until": None}
    if status == Status.DONE:
        changes["done_at"] = timezone.now()
    if not_before is not None:
        changes["not_before"] = not_before
    OutboxItem.objects.filter(pk=item.pk, status=Status.IN_FLIGHT).update(**changes)
    _record_attempt(item, status, error)


def _record_attempt(item, status, error):
    from campuscard.core.actors import Actor
    from campuscard.core.audit import record

    action = f"push.{item.target}.{'done' if status == Status.DONE else 'failed'}"
    record(action, Actor.system(), item, **_subject(item),
           after={"operation": item.operation, "object": f"{item.object_type}:{item.object_id}",
                  "attempt": item.attempts, "status": status},
           reason=error)


def drain(limit=50):
    """Deliver what is due now; returns how many rows were delivered successfully."""
    return sum(deliver(item) for item in claim(limit))


def retry(items, actor):
    """Send failed rows, or rows waiting for their next attempt, again now (the "retry" button)."""
    from campuscard.core.audit import record

    retryable = [item for item in items if item.status == Status.FAILED
                 or (item.status == Status.PENDING and item.attempts)]
    ids = [item.pk for item in retryable]
    now = timezone.now()
    with transaction.atomic():
        # A failed row gets a whole new series of attempts; a waiting one just goes now.
        OutboxItem.objects.filter(pk__in=ids, status=Status.FAILED).update(
            status=Status.PENDING, attempts=0, not_before=now, last_error="")
        OutboxItem.objects.filter(pk__in=ids, status=Status.PENDING).update(not_before=now)
        for item in retryable:
            record("push.retry_requested", actor, item, **_subject(item))
    return len(retryable)


def _subject(item):
    """The card or person a push is about, so that it shows in their history."""
    object_id = int(item.object_id)
    return {"card": object_id if item.object_type == "card" else None,
            "person": object_id if item.object_type == "person" else None}
