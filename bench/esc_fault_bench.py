"""ESC router push under faults: 10,000 enabled cards reach a router that fails 30% of requests
(500, or the answer held past the client's timeout after the router did the work), then a
router that is down for a while gets the backlog when it returns.

    .venv/bin/python bench/esc_fault_bench.py [--cards 10000] [--down 60] [--threads 4]

PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/campuscard_faults,
dropped and created again) holds our cards and the router service's data; the router runs under
gunicorn (2 workers) behind tests/esc_router/fault_proxy.py; the outbox is drained by worker
threads of this process. Prints a table for docs/benchmarks.md; exits 1 if a card is missing,
inactive, or was applied with two different bodies.
"""

import argparse
import datetime
import json
import subprocess
import threading
import time

from harness import free_port, use_database, wait_until_listening

DATABASE_URL = use_database("postgres://postgres@127.0.0.1:5432/campuscard_faults", fresh=True)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from campuscard.cards import services as card_services  # noqa: E402
from campuscard.cards.models import Card  # noqa: E402
from campuscard.cards.states import State  # noqa: E402
from campuscard.core import outbox, processes  # noqa: E402
from campuscard.core.actors import Actor  # noqa: E402
from campuscard.core.models import OutboxItem  # noqa: E402
from campuscard.esc.escn import generate_escns  # noqa: E402
from campuscard.esc.esi import esi_for  # noqa: E402
from campuscard.institutions.models import Establishment  # noqa: E402
from campuscard.integrations.esc_router.client import EscRouterClient  # noqa: E402
from campuscard.people.models import Person, Population  # noqa: E402
from campuscard.router.keys import issue_key  # noqa: E402
from tests.esc_router.fault_proxy import FaultProxy  # noqa: E402

OPEN = [OutboxItem.Status.PENDING, OutboxItem.Status.IN_FLIGHT]
TARGET = "esc_router"


def start_router(port):
    env = processes.child_env(DATABASE_URL=DATABASE_URL, CAMPUSCARD_VERIFY_RATE_PER_MINUTE="0")
    server = subprocess.Popen(processes.gunicorn_command(port, workers=2), env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return wait_until_listening(port, server, "the router")


def make_encoded_cards(establishment, count, start):
    """`count` consenting students with an encoded card each (bulk: the set-up is not timed)."""
    population = Population.objects.get_or_create(
        code="student", defaults={"name_en": "Student", "name_fr": "Étudiant"})[0]
    rights_end = timezone.localdate() + datetime.timedelta(days=300)
    people = Person.objects.bulk_create([
        Person(eppn=f"s{start + i}@{establishment.code}.example.org", first_name="Ana",
               last_name=f"Student{start + i}", email=f"s{start + i}@example.org",
               establishment=establishment, population=population, rights_end=rights_end,
               esc_consent=True)
        for i in range(count)])
    for person in people:
        person.esi = esi_for(person)
    Person.objects.bulk_update(people, ["esi"], batch_size=2000)
    now = timezone.now()
    escns = generate_escns(establishment.escn_prefix, establishment.pic, count)
    return Card.objects.bulk_create([
        Card(person=person, establishment=establishment, state=State.ENCODED,
             state_changed_at=now, requested_at=now, encoded_at=now, escn=escn,
             csn=f"04{start + i:012X}")
        for i, (person, escn) in enumerate(zip(people, escns, strict=True))])


def enable_all(cards):
    system = Actor.system()
    for card in Card.objects.filter(pk__in=[c.pk for c in cards]).select_related(
            "person", "establishment"):
        card_services.change_state(card, State.ENABLED, system)


def drain_with_threads(threads, until=None):
    """Deliver with `threads` workers until nothing is open (or until `until`)."""
    def work():
        while (until is None or time.monotonic() < until) and \
                OutboxItem.objects.filter(target=TARGET, status__in=OPEN).exists():
            if not outbox.drain(limit=20):
                time.sleep(0.05)
        connection.close()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def check(cards, proxy, client):
    """(missing or inactive cards, cards applied with two different bodies, failed rows)."""
    status = {card.card_number: card.card_status_type for card in client.iter_cards()}
    wrong = sum(status.get(str(card.escn)) != "ACTIVE" for card in cards)
    twice = sum(len({json.dumps(body, sort_keys=True) for body in proxy.applied[str(card.escn)]})
                != 1 for card in cards)
    failed = OutboxItem.objects.filter(target=TARGET, status=OutboxItem.Status.FAILED).count()
    return wrong, twice, failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--backlog", type=int, default=2_000)
    parser.add_argument("--down", type=float, default=60, help="seconds the router is down")
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    for name in list(outbox.targets()):
        if name != TARGET:
            outbox.unregister(name)
    port = free_port()
    router = start_router(port)
    try:
        run(args, port)
    finally:
        router.terminate()
        router.wait()


def run(args, port):
    establishment = Establishment.objects.create(name="Université A", code="univ-a",
                                                 pic="999859608", escn_prefix="066")
    key = issue_key(establishment.pic, "bench", establishment.name)
    Establishment.objects.filter(pk=establishment.pk).update(esc_router_key=key)
    base = f"http://127.0.0.1:{port}"
    with FaultProxy(base, failure_rate=0.3, hold_seconds=0.5) as proxy, \
            EscRouterClient(f"{base}/esc-rest", key, timeout=30) as client:
        settings.CAMPUSCARD_ESC_ROUTER_URL = f"{proxy.url}/esc-rest"
        settings.CAMPUSCARD_ESC_ROUTER_TIMEOUT = 0.25
        settings.OUTBOX_BACKOFF_BASE, settings.OUTBOX_BACKOFF_CAP = 0.2, 5.0
        settings.OUTBOX_MAX_ATTEMPTS = 1000
        rows = []

        cards = make_encoded_cards(establishment, args.cards, 0)
        started = time.monotonic()
        enable_all(cards)
        enabled = time.monotonic() - started
        started = time.monotonic()
        drain_with_threads(args.threads)
        drained = time.monotonic() - started
        wrong, twice, failed = check(cards, proxy, client)
        rows.append((f"{args.cards:,} cards, 30% of requests failing", enabled, drained,
                     dict(proxy.counts), wrong, twice, failed))

        proxy.counts.clear()
        proxy.failure_rate, proxy.down = 0.0, True
        backlog = make_encoded_cards(establishment, args.backlog, args.cards)
        enable_all(backlog)
        drain_with_threads(args.threads, until=time.monotonic() + args.down)
        waiting = OutboxItem.objects.filter(target=TARGET, status__in=OPEN).count()
        proxy.down = False
        started = time.monotonic()
        drain_with_threads(args.threads)
        drained = time.monotonic() - started
        wrong, twice, failed = check([*cards, *backlog], proxy, client)
        rows.append((f"router down {args.down:g} s with {waiting:,} rows waiting", 0.0, drained,
                     dict(proxy.counts), wrong, twice, failed))
    report(rows, args)
    if any(row[4] or row[5] or row[6] for row in rows):
        raise SystemExit(1)


def report(rows, args):
    print(f"PostgreSQL, router: gunicorn 2 workers behind a fault proxy, {args.threads} outbox "
          f"threads, client timeout 0.25 s (answers held 0.5 s), backoff 0.2 s doubling up to 5 s")
    print("| scenario | enabling | drain time | proxy outcomes | not active | "
          "two bodies | failed rows |")
    print("|---|---:|---:|---|---:|---:|---:|")
    for name, enabled, drained, counts, wrong, twice, failed in rows:
        outcomes = ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()))
        print(f"| {name} | {enabled:.1f} s | {drained:.1f} s | {outcomes} | {wrong} | {twice} |"
              f" {failed} |")


if __name__ == "__main__":
    main()
