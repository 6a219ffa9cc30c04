"""Public card status at scale: GET /esc-rest/api/v2/cards/<ESCN>/status with 1,000,000 cards
on PostgreSQL, against a bare WSGI handler running the same single query (bench/
bare_status_app.py) under the same gunicorn with the same worker count.

    .venv/bin/python bench/status_bench.py [--cards 1000000] [--workers 2] [--seconds 10]

Needs `wrk` (apt-get install wrk) for the maximum rate; the latency at half that rate comes from
bench/loadgen.py (open loop, fixed rate). The database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/campuscard_status) is filled once and kept for later runs.
Targets: CampusCard reaches 0.7 x the bare handler's requests per second, and its p99 at half
its maximum rate is under 20 ms. Exits 1 when a target is missed. See docs/benchmarks.md.
CampusCard runs twice: with the rate limiter counting in PostgreSQL (the default) and in Redis
(CAMPUSCARD_CACHE_URL, --redis URL, default redis://127.0.0.1:6379/14); --redis '' skips it.
"""

import argparse
import asyncio
import datetime
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from harness import ROOT, free_port, use_database, wait_until_listening

DATABASE_URL = use_database("postgres://postgres@127.0.0.1:5432/campuscard_status",
                            fresh=False)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import loadgen  # noqa: E402
from campuscard.core import processes  # noqa: E402
from campuscard.esc.escn import generate_escns  # noqa: E402
from campuscard.router.models import Organisation, RouterCard  # noqa: E402

PIC = "999859608"
ESI = "urn:schac:personalUniqueCode:int:esi:fr:{:011d}"


def fill(count):
    """`count` cards, one person each, written with COPY (skipped when already there)."""
    if RouterCard.objects.count() >= count:
        return
    RouterCard.objects.all().delete()
    organisation = Organisation.objects.get_or_create(pic=PIC,
                                                      defaults={"name": "Université A"})[0]
    now, today = timezone.now(), timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM router_routerperson")
        raw = cursor.cursor
        with raw.copy("COPY router_routerperson (id, esi, created_at, updated_at) "
                      "FROM STDIN") as copy:
            for i in range(1, count + 1):
                copy.write_row((i, ESI.format(i), now, now))
        escns = generate_escns(66, PIC, count)
        columns = ("escn, person_id, issuer_id, processor_identifier, status, card_type, "
                   "display_name, issued_at, expires_at, created_at, updated_at")
        with raw.copy(f"COPY router_routercard ({columns}) FROM STDIN") as copy:
            for i, escn in enumerate(escns, start=1):
                status = "INACTIVE" if i % 10 == 0 else "ACTIVE"
                expires = today + datetime.timedelta(days=(i % 700) - 100)
                copy.write_row((str(escn), i, organisation.pk, "", status, "SMART_NO_CDZ",
                                f"Student {i}", today, expires, now, now))
        cursor.execute("SELECT setval(pg_get_serial_sequence('router_routerperson', 'id'), %s)",
                       [count])
        cursor.execute("ANALYZE router_routercard; ANALYZE router_routerperson")


def sample_paths(size=20_000):
    escns = RouterCard.objects.order_by("?").values_list("escn", flat=True)[:size]
    return [f"/esc-rest/api/v2/cards/{escn}/status" for escn in escns]


def serve(app, port, workers, **extra_env):
    # gthread with one thread a worker: like sync, one request at a time per worker, but
    # connections are kept alive, so the load generators measure the handler rather than
    # TCP set-up.
    command = [sys.executable, "-m", "gunicorn", app, "--workers", str(workers),
               "--worker-class", "gthread", "--threads", "1", "--keep-alive", "30",
               "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
               *processes.control_socket_options()]
    env = processes.child_env(DATABASE_URL=DATABASE_URL, PYTHONPATH=str(ROOT),
                              CAMPUSCARD_VERIFY_RATE_PER_MINUTE=str(10**9),
                              CAMPUSCARD_TRUSTED_PROXIES="127.0.0.1", **extra_env)
    env.pop("CAMPUSCARD_DEBUG", None)
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    return wait_until_listening(port, server, app)


def max_rate(port, paths_file, seconds):
    """Requests per second under wrk (closed loop, 2 threads, 16 connections)."""
    script = ROOT / "bench" / "random_paths.lua"
    output = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "-s", str(script), f"http://127.0.0.1:{port}",
         "--", str(paths_file)], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"errors under load:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])


def latency_at(port, paths, rate, seconds):
    latencies, statuses, _wall = asyncio.run(
        loadgen.run(f"http://127.0.0.1:{port}", paths, rate, seconds, connections=16))
    assert set(statuses) == {200}, statuses
    return loadgen.percentile(latencies, .5) * 1000, loadgen.percentile(latencies, .99) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("this benchmark needs wrk: apt-get install wrk")
    call_command("migrate", verbosity=0)
    started = time.monotonic()
    fill(args.cards)
    print(f"{RouterCard.objects.count():,} cards ready ({time.monotonic() - started:.0f} s)")
    paths = sample_paths()
    random.shuffle(paths)
    paths_file = Path(os.environ["CAMPUSCARD_HOME"]) / "paths.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    connection.close()
    ours = "campuscard.wsgi:application"
    apps = {"bare handler (same query, no Django)": ("bench.bare_status_app:application", {}),
            "CampusCard, limiter in PostgreSQL": (ours, {"CAMPUSCARD_CACHE_URL": ""})}
    if args.redis:
        apps["CampusCard, limiter in Redis"] = (ours, {"CAMPUSCARD_CACHE_URL": args.redis})
    ports = {name: free_port() for name in apps}
    servers = [serve(app, ports[name], args.workers, **env)
               for name, (app, env) in apps.items()]
    try:
        results = measure(ports, paths, paths_file, args)
    finally:
        for server in servers:
            server.terminate()
            server.wait()
    report(results, args)


def measure(ports, paths, paths_file, args):
    """Maximum rates in alternating rounds (median of each), then latency at half of it."""
    rates = {name: [] for name in ports}
    for port in ports.values():
        max_rate(port, paths_file, 2)  # warm-up: connections, caches
    for _ in range(args.rounds):
        for name, port in ports.items():
            rates[name].append(max_rate(port, paths_file, args.seconds))
    results = {}
    for name, port in ports.items():
        rps = statistics.median(rates[name])
        results[name] = (rps, *latency_at(port, paths, rps / 2, args.seconds))
    return results


def report(results, args):
    bare = next(iter(results.values()))[0]
    print(f"PostgreSQL, {args.cards:,} cards, gunicorn {args.workers} gthread workers "
          f"(1 thread) each, "
          f"random known ESCNs; max rate: median of {args.rounds} alternating {args.seconds} s "
          f"rounds; latency at half of each server's own maximum rate")
    print("| server | max req/s (wrk, 16 conn., median) | p50 at half | p99 at half |")
    print("|---|---:|---:|---:|")
    for name, (rps, p50_, p99_) in results.items():
        print(f"| {name} | {rps:,.0f} | {p50_:.1f} ms | {p99_:.1f} ms |")
    missed = False
    for name, (rps, _p50, p99) in list(results.items())[1:]:
        ratio = rps / bare
        print(f"{name}: ratio to bare {ratio:.2f} (target ≥ 0.70); "
              f"p99 {p99:.1f} ms (target < 20 ms)")
        missed = missed or ratio < 0.7 or p99 >= 20
    if missed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
