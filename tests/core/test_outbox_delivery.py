"""The outbox against a real HTTP receiver that fails, drops connections and sees retries, and
the worker process killed in the middle of its work."""

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from campuscard.cards import services
from campuscard.cards.states import DisableReason, State
from campuscard.cards.tasks import sweep_rights_ends
from campuscard.core import outbox
from campuscard.core.models import AuditEntry, OutboxItem
from campuscard.core.tasks import prune_done_pushes
from campuscard.core.worker import Worker, schedule_periodic_jobs
from campuscard.integrations.webhooks.signing import verify
from campuscard.notifications.tasks import send_rights_end_reminders
from campuscard.people import services as people_services
from campuscard.people.models import Person
from campuscard.people.tasks import sync_sources, sync_sources_full

from ..conftest import actor, card_in_state, make_person
from .helpers import reload, yesterday

SECRET = "webhook-test-secret"
Status = OutboxItem.Status


class Receiver:
    """A webhook receiver: applies each Idempotency-Key once, acknowledges repeats."""

    def __init__(self, *, failure_rate=0.0, delay=0.0, hold_at=None, seed=0):
        self.failure_rate = failure_rate
        self.delay = delay
        self.hold_at = hold_at  # the n-th application waits for `release` before answering
        self.held = threading.Event()
        self.release = threading.Event()
        self.held_key = None
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.applied = {}  # key -> body
        self.order = defaultdict(list)  # (object_type, object_id) -> keys, as applied
        self.deliveries = Counter()  # key -> requests that reached the receiver
        self.duplicates = 0
        self.failures = Counter()
        self.bad_signatures = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.handle(self, body)

        return Handler

    def _answer(self, request, status):
        request.send_response(status)
        request.send_header("Content-Length", "0")
        request.end_headers()

    def handle(self, request, body):
        if self.delay:
            time.sleep(self.delay)
        if not verify(SECRET, request.headers, body):
            with self.lock:
                self.bad_signatures += 1
            return self._answer(request, 401)
        key = request.headers["Idempotency-Key"]
        event = json.loads(body)
        assert event["id"] == key
        with self.lock:
            self.deliveries[key] += 1
            failure = None
            if self.random.random() < self.failure_rate:
                failure = self.random.choice(("500", "drop", "applied-then-500"))
            if failure in ("500", "drop"):
                self.failures[failure] += 1
            elif key in self.applied:
                self.duplicates += 1
            else:
                self.applied[key] = event
                self.order[(event["object_type"], event["object_id"])].append(key)
            hold = (self.hold_at is not None and self.held_key is None
                    and len(self.applied) == self.hold_at and key in self.applied)
            if hold:
                self.held_key = key
            if failure == "applied-then-500":
                self.failures[failure] += 1
        if failure == "drop":
            request.close_connection = True
            return None  # the socket closes without an answer
        if hold:
            self.held.set()
            self.release.wait(30)
        return self._answer(request, 500 if failure else 200)


@pytest.fixture
def webhook_settings(settings):
    def configure(url):
        settings.CAMPUSCARD_WEBHOOK_URLS = [url]
        settings.CAMPUSCARD_WEBHOOK_SECRET = SECRET
        settings.OUTBOX_BACKOFF_BASE = 0.01
        settings.OUTBOX_BACKOFF_CAP = 0.05
        settings.OUTBOX_MAX_ATTEMPTS = 50
    return configure


def make_pushes(est_a, students, manager_a, people=10, cycles=9):
    """people * (1 + 2 * cycles) card pushes (enable, then disable and enable again), plus one
    person update each."""
    by = actor(manager_a)
    for n in range(people):
        person = make_person(f"holder{n}", est_a, students)
        card = card_in_state(person, State.ENABLED, manager_a)
        for cycle in range(cycles):
            card = services.disable(card, by, DisableReason.LOST if cycle % 2 else
                                    DisableReason.OUT_OF_ORDER)
            card = services.enable(card, by)
        people_services.update_person(person, by, email=f"holder{n}@new.example.org")


def webhook_rows():
    return OutboxItem.objects.filter(target="webhooks")


def assert_applied_once_in_order(receiver):
    rows = list(webhook_rows().order_by("id"))
    assert {str(r.key) for r in rows} == set(receiver.applied), "a push was lost or invented"
    assert len(receiver.applied) == len(rows)
    made = defaultdict(list)
    for row in rows:
        made[(row.object_type, row.object_id)].append(str(row.key))
    assert dict(receiver.order) == dict(made), "a receiver saw one object's events out of order"
    for row in rows:
        event = receiver.applied[str(row.key)]
        assert (event["event"], event["data"]) == (row.operation, row.payload)


def test_every_push_arrives_once_and_in_order(est_a, students, manager_a, webhook_settings):
    with Receiver(failure_rate=0.3, seed=4) as receiver:
        webhook_settings(receiver.url)
        make_pushes(est_a, students, manager_a)
        rows = webhook_rows()
        assert rows.count() == 200
        assert rows.filter(object_type="card").count() == 190

        deadline = time.monotonic() + 60
        while rows.exclude(status=Status.DONE).exists():
            assert time.monotonic() < deadline, "the outbox did not drain in time"
            assert not rows.filter(status=Status.FAILED).exists()
            if not outbox.drain():
                time.sleep(0.01)

        assert_applied_once_in_order(receiver)
        failed_attempts = sum(receiver.failures.values())
        assert failed_attempts > 20 and receiver.failures["applied-then-500"] > 0
        assert receiver.duplicates > 0, "an acknowledged-but-lost push must have come back"
        not_applied = receiver.failures["500"] + receiver.failures["drop"]
        assert sum(receiver.deliveries.values()) == 200 + not_applied + receiver.duplicates
        assert receiver.bad_signatures == 0
        assert sum(rows.values_list("attempts", flat=True)) == sum(receiver.deliveries.values())
        # every attempt is in the audit trail
        assert AuditEntry.objects.filter(action="push.webhooks.done").count() == 200
        assert AuditEntry.objects.filter(action="push.webhooks.failed").count() == failed_attempts


def test_a_refused_push_waits_for_a_person(est_a, students, manager_a, webhook_settings,
                                           settings):
    """A 4xx is not retried: the row is FAILED, and a manager's retry sends it again."""
    with Receiver() as receiver:
        webhook_settings(receiver.url)
        settings.CAMPUSCARD_WEBHOOK_SECRET = "not-the-receivers-secret"
        card = card_in_state(make_person("holder", est_a, students), State.ENABLED, manager_a)
        [row] = webhook_rows()
        assert outbox.drain() == 0
        row.refresh_from_db()
        assert (row.status, row.attempts, row.last_error) == (
            Status.FAILED, 1, f"{receiver.url}: HTTP 401")
        assert outbox.drain() == 0 and receiver.bad_signatures == 1  # not retried by itself
        settings.CAMPUSCARD_WEBHOOK_SECRET = SECRET
        assert outbox.retry([row], actor(manager_a)) == 1
        assert outbox.drain() == 1
        assert receiver.order[("card", str(card.pk))] == [str(row.key)]


def test_gives_up_after_max_attempts(est_a, students, manager_a, webhook_settings, settings):
    with Receiver(failure_rate=1.0) as receiver:
        webhook_settings(receiver.url)
        settings.OUTBOX_MAX_ATTEMPTS = 3
        card_in_state(make_person("holder", est_a, students), State.ENABLED, manager_a)
        [row] = webhook_rows()
        deadline = time.monotonic() + 10
        while webhook_rows().filter(status=Status.PENDING).exists():
            assert time.monotonic() < deadline
            outbox.drain()
            time.sleep(0.01)
        row.refresh_from_db()
        assert (row.status, row.attempts) == (Status.FAILED, 3)
        assert sum(receiver.deliveries.values()) == 3


# --- the worker process, killed -------------------------------------------------------------

def database_url():
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    user = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
    return (f"postgres://{user}@{config['HOST'] or 'localhost'}:{config['PORT'] or 5432}/"
            f"{config['NAME']}")


def start_worker(url, log_path, lease):
    env = os.environ | {
        "DATABASE_URL": database_url(),
        "CAMPUSCARD_HOME": str(django_settings.HOME),
        "CAMPUSCARD_WEBHOOK_URLS": url,
        "CAMPUSCARD_WEBHOOK_SECRET": SECRET,
        "CAMPUSCARD_OUTBOX_LEASE_SECONDS": str(lease),
        "CAMPUSCARD_OUTBOX_BACKOFF_BASE": "0.01",
        "CAMPUSCARD_OUTBOX_BACKOFF_CAP": "0.05",
        "CAMPUSCARD_OUTBOX_MAX_ATTEMPTS": "50",
        "CAMPUSCARD_LOG_LEVEL": "WARNING",
    }
    command = [str(Path(sys.executable).parent / "campuscard"), "worker", "--interval", "0.05",
               "--batch", "5"]
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log = log
    return process


def stop(process):
    if process.poll() is None:
        process.kill()
    process.wait(10)
    process.log.close()


def wait_for(condition, seconds, process, what):
    deadline = time.monotonic() + seconds
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the worker exited ({process.returncode}) before {what}: "
                        f"{Path(process.log.name).read_text()[-2000:]}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_loses_nothing(est_a, students, manager_a, webhook_settings, tmp_path):
    processes = []
    with Receiver(delay=0.05, hold_at=12) as receiver:
        webhook_settings(receiver.url)
        make_pushes(est_a, students, manager_a, people=8, cycles=2)
        rows = webhook_rows()
        total = rows.count()
        assert total == 8 * 6
        try:
            first = start_worker(receiver.url, tmp_path / "worker1.log", lease=1)
            processes.append(first)
            wait_for(receiver.held.is_set, 60, first, "the worker was mid-push")
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            receiver.release.set()

            done = rows.filter(status=Status.DONE).count()
            assert 0 < done < total, done
            held = rows.get(key=receiver.held_key)
            assert held.status == Status.IN_FLIGHT  # applied at the receiver, never marked done

            second = start_worker(receiver.url, tmp_path / "worker2.log", lease=1)
            processes.append(second)
            wait_for(lambda: not rows.exclude(status=Status.DONE).exists(), 60, second,
                     "every push was delivered")
        finally:
            for process in processes:
                stop(process)

        assert_applied_once_in_order(receiver)
        assert receiver.deliveries[receiver.held_key] == 2  # delivered twice, applied once
        assert receiver.duplicates >= 1
        held.refresh_from_db()
        assert held.attempts == 2


# --- periodic jobs through Django's task framework ------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_rights_sweep(student, other_student, manager_a):
    expired = card_in_state(student, State.ENABLED, manager_a)
    kept = card_in_state(other_student, State.ENABLED, manager_a)
    Person.objects.filter(pk=student.pk).update(rights_end=yesterday())  # e.g. an import

    schedule_periodic_jobs()
    waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert set(waiting.values_list("task_path", flat=True)) == {
        sweep_rights_ends.module_path, prune_done_pushes.module_path,
        send_rights_end_reminders.module_path, sync_sources.module_path,
        sync_sources_full.module_path,
        "campuscard.integrations.crous.tasks.refresh_tariff_rules",
        "campuscard.integrations.exports.tasks.write_export_files",
        "campuscard.integrations.exports.tasks.prune_export_files"}

    Worker(interval=0).run_once()

    assert reload(expired).state == State.CADUC
    assert reload(kept).state == State.ENABLED
    entry = AuditEntry.objects.filter(card=expired, action="card.expired").get()
    assert entry.actor_label == "system"
    run = DBTaskResult.objects.get(task_path=sweep_rights_ends.module_path)
    assert (run.status, run.return_value) == (TaskResultStatus.SUCCESSFUL, 1)

    # the next sweep is queued an hour after the last one, not run again at once
    schedule_periodic_jobs()
    schedule_periodic_jobs()
    nxt = DBTaskResult.objects.get(task_path=sweep_rights_ends.module_path,
                                   status=TaskResultStatus.READY)
    assert (nxt.run_after - run.run_after).total_seconds() == pytest.approx(3600, abs=5)
    Person.objects.filter(pk=student.pk).update(rights_end=None)
    Worker(interval=0).run_once()
    assert reload(expired).state == State.CADUC
    assert DBTaskResult.objects.filter(task_path=sweep_rights_ends.module_path).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_run_queued_under_a_jobs_old_name_is_still_run(student, manager_a):
    """The domain jobs left core/tasks.py: a run queued before the upgrade keeps its place."""
    import importlib

    from django.apps import apps

    moved = importlib.import_module("campuscard.core.migrations.0004_jobs_moved_to_their_apps")
    expired = card_in_state(student, State.ENABLED, manager_a)
    Person.objects.filter(pk=student.pk).update(rights_end=yesterday())
    queued = sweep_rights_ends.enqueue()
    DBTaskResult.objects.filter(pk=queued.id).update(
        task_path="campuscard.core.tasks.sweep_rights_ends")

    moved.forwards(apps, None)
    Worker(interval=0).run_once()

    run = DBTaskResult.objects.get(pk=queued.id)
    assert (run.task_path, run.status) == (sweep_rights_ends.module_path,
                                           TaskResultStatus.SUCCESSFUL)
    assert reload(expired).state == State.CADUC
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).exists()
