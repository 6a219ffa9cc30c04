"""Manager card search benchmark, on PostgreSQL with 100,000 people and 1,000,000 cards.

    DATABASE_URL=postgres://user@host/db .venv/bin/python bench/search_bench.py [--runs 50]

Measures campuscard.backoffice.search.search_cards, the function behind the back-office list,
the CSV export and the API, the way the list page uses it: a Paginator of 50 rows, so one
COUNT(*) and one page of rows with their person, population and establishment. Beside each
search, the same SQL statements (captured from the ORM) replayed on a raw psycopg cursor: the
difference is what Django costs. Migrates the database, and seeds it first when it holds fewer
than 1M cards (campuscard seed: synthetic data, no audit).
See docs/benchmarks.md.
"""

import argparse
import os
import platform
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campuscard.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from campuscard.backoffice.search import CardQuery, search_cards  # noqa: E402
from campuscard.cards.models import Card  # noqa: E402
from campuscard.institutions.models import Establishment  # noqa: E402
from campuscard.people.models import Person, Population, StaffRole  # noqa: E402
from campuscard.people.permissions import Scope  # noqa: E402

PEOPLE, CARDS = 100_000, 1_000_000
PAGE_SIZE = 50  # what the back-office list shows
TARGET_MS = 100


def main():
    options = parse_args()
    require_postgresql()
    ensure_data()
    print(describe_setup(options.runs))
    rows = []
    for scope_name, scope, establishment in scopes():
        for name, query in cases(establishment):
            rows.append((scope_name, name, *measure(scope, query, options.runs)))
    print_table(rows)
    return 0 if all(orm[1] < TARGET_MS for *_, orm, _sql in rows) else 1


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="Runs of each search (default 50).")
    return parser.parse_args()


def require_postgresql():
    if connection.vendor != "postgresql":
        sys.exit(f"This benchmark targets PostgreSQL; DATABASE_URL points to {connection.vendor}. "
                 "Set DATABASE_URL=postgres://user@host/database (a database you can fill "
                 "with 1M synthetic cards).")


def ensure_data():
    call_command("migrate", interactive=False, verbosity=0)
    missing = CARDS - Card.objects.count()
    if missing <= 0:
        return
    people = max(PEOPLE - Person.objects.count(), missing // 10, 1)
    print(f"Seeding {people} people and {missing} cards (campuscard seed)…", flush=True)
    started = time.monotonic()
    call_command("seed", people=people, cards=missing, random_seed=1)
    print(f"Seeded in {time.monotonic() - started:.0f} s.", flush=True)


def scopes():
    """An administrator (everything) and a manager of the biggest establishment."""
    users = get_user_model().objects
    admin = users.filter(username="bench-admin").first() or users.create_superuser(
        "bench-admin", "bench-admin@example.org", None)
    rouen = Establishment.objects.order_by("pk").first()
    manager = users.get_or_create(username="bench-manager")[0]
    role = StaffRole.objects.get_or_create(user=manager, defaults={"kind": "manager"})[0]
    role.establishments.set([rouen])
    return [("admin", Scope(admin), rouen), (f"manager {rouen.code}", Scope(manager), rouen)]


def cases(establishment):
    """The five searches a card office runs all day, with real values from the data."""
    middle = Card.objects.order_by("-pk").values_list("pk", flat=True).first() // 2
    card = (Card.objects.filter(establishment=establishment, csn__isnull=False, pk__gte=middle)
            .order_by("pk").first())
    students = Population.objects.get(code="student")
    return [
        ("1 state = DISABLED", CardQuery(states=["DISABLED"])),
        ("1b state = CADUC (the biggest)", CardQuery(states=["CADUC"])),
        ("2 name fragment 'lemai'", CardQuery(text="lemai")),
        ("2b name fragment 'mart' (broad)", CardQuery(text="mart")),
        ("2c first and last name", CardQuery(text="emma moreau")),
        ("3 ESCN exact", CardQuery(text=str(card.escn))),
        ("4 CSN exact", CardQuery(text=card.csn)),
        ("5 establishment+population+state", CardQuery(
            establishment_ids=[establishment.pk], population_ids=[students.pk],
            states=["ENABLED"])),
    ]


def list_page(scope, query):
    """What the back-office list view does with a search: a count and the first page."""
    paginator = Paginator(search_cards(scope, query), PAGE_SIZE)
    page = paginator.page(1)
    rows = [(card.pk, card.person.last_name, card.establishment.code,
             card.person.population.code) for card in page.object_list]
    return paginator.count, rows


def measure(scope, query, runs):
    list_page(scope, query)  # warms the scope's cache, the connection and the database's
    with CaptureQueriesContext(connection) as captured:
        count, rows = list_page(scope, query)
    statements = [q["sql"] for q in captured.captured_queries]
    orm = timings(lambda: list_page(scope, query), runs)
    sql = timings(lambda: replay(statements), runs)
    return count, len(rows), orm, sql


def replay(statements):
    with connection.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
            cursor.fetchall()


def timings(function, runs):
    """(p50, p95) in milliseconds."""
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        durations.append((time.perf_counter() - started) * 1000)
    durations.sort()
    return statistics.median(durations), durations[min(len(durations) - 1,
                                                           round(0.95 * len(durations)) - 1)]


def describe_setup(runs):
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    machine = platform.processor() or platform.machine()
    return (f"PostgreSQL {version}, {Person.objects.count()} people, "
            f"{Card.objects.count()} cards; {os.cpu_count()} CPUs ({machine}); "
            f"{runs} runs each, page of {PAGE_SIZE} + count.\n")


def print_table(rows):
    header = ("scope", "search", "count", "ORM p50", "ORM p95", "SQL p50", "SQL p95", "ORM/SQL")
    lines = [header]
    for scope, name, count, _shown, orm, sql in rows:
        lines.append((scope, name, str(count), f"{orm[0]:.1f}", f"{orm[1]:.1f}", f"{sql[0]:.1f}",
                      f"{sql[1]:.1f}", f"{orm[0] / sql[0]:.2f}"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) + " |")
    print(f"\nTimes in ms. Target: ORM p95 < {TARGET_MS} ms for every search.")


if __name__ == "__main__":
    sys.exit(main())
