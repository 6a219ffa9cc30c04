"""Access-control export benchmark: the format engine, a full snapshot from PostgreSQL, and its
delivery over SFTP, each against the bare csv module (or the bare SFTP upload) in the same run.

    .venv/bin/python bench/export_bench.py [--count 200000] [--runs 5] [--cards 100000]

1. Engine: the Synchronic preset's bytes (ISO-8859-1, ";", CRLF, dates capped, birth date
   falling back to the state date, state mapped to NON/OUI) for the same synthetic records in
   memory; the baseline is csv.writer with that formatting written by hand for this one format.
2. Snapshot: `--cards` ENABLED cards in a fresh PostgreSQL database (BENCH_DATABASE_URL,
   default postgres://postgres@127.0.0.1:5432/campuscard_bench_export), one P2S export in
   snapshot mode: `services.write_snapshot` (the query in chunks, the one-card-per-person rule,
   the file kept in storage, its delivery queued) against the bare query of the same columns
   written with csv.writer to a file. Peak Python memory (tracemalloc) at a tenth of the cards
   and at all of them: constant memory means the two peaks are about the same.
3. SFTP: the snapshot delivered by `services.deliver_export_file` to an asyncssh SFTP server on
   this machine (tests/integrations/exports/sftp_server.py), against asyncssh's bare `put` of
   the same file.

Targets: each at most twice its baseline. The bytes are compared first. Exits with status 1
when a target is missed. Figures go to docs/benchmarks.md.
"""

import argparse
import csv
import datetime
import io
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import use_database

use_database("postgres://postgres@127.0.0.1:5432/campuscard_bench_export", fresh=True)

import django  # noqa: E402

django.setup()

from campuscard.integrations.exports.formats import parse_format  # noqa: E402
from campuscard.integrations.exports.presets import PRESETS  # noqa: E402
from campuscard.integrations.exports.render import write_file  # noqa: E402

TARGET = 2.0
CAP = datetime.date(2037, 12, 31)
PARIS = datetime.timezone(datetime.timedelta(hours=1))
NAMES = ["Müller", "Dupont", "Lefèvre", "Nguyen", "Da Silva", "Benoît", "Martin", "Rivière"]
FIRST = ["Élodie", "Jean-Noël", "Zoë", "Hugo", "Inès", "Maël", "Léa", "Noah"]


def records(count, rng):
    start = datetime.datetime(2020, 9, 1, 8, tzinfo=PARIS)
    rows = []
    for i in range(count):
        enabled = start + datetime.timedelta(minutes=rng.randrange(6 * 365 * 24 * 60))
        rows.append({
            "secondary_id": f"{21900000 + i}", "last_name": rng.choice(NAMES),
            "first_name": rng.choice(FIRST), "access_control_id": str(i + 1),
            "enabled_date": enabled,
            "due_date": datetime.date(2026 + rng.randrange(25), 8, 31),
            "state": rng.choice(["ENABLED"] * 8 + ["DISABLED", "CADUC"]),
            "birth_date": (None if rng.random() < 0.05 else
                           datetime.date(1980, 1, 1) + datetime.timedelta(rng.randrange(9000))),
            "state_date": enabled + datetime.timedelta(days=rng.randrange(300)),
            "establishment_name": "Université de Rouen Normandie",
        })
    return rows


def engine(rows):
    out = io.BytesIO()
    write_file(parse_format(PRESETS["synchronic"]), rows, out)
    return out.getvalue()


def baseline(rows):
    out = io.BytesIO()
    text = io.TextIOWrapper(out, encoding="iso-8859-1", newline="")
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")

    def validity(value):
        value = value.date() if isinstance(value, datetime.datetime) else value
        return min(value, CAP).strftime("%Y%m%d")

    for r in rows:
        birth = r["birth_date"] or r["state_date"]
        writer.writerow([r["secondary_id"], r["last_name"], r["first_name"],
                         r["access_control_id"], validity(r["enabled_date"]),
                         validity(r["due_date"]), "NON" if r["state"] == "ENABLED" else "OUI",
                         birth.strftime("%d/%m/%Y"), r["establishment_name"]])
    text.flush()
    return out.getvalue()


def seconds(write, rows, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        write(rows)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def engine_rows(args):
    rows = records(args.count, random.Random(12))
    assert engine(rows) == baseline(rows), "the engine and the baseline disagree"
    ours, bare = seconds(engine, rows, args.runs), seconds(baseline, rows, args.runs)
    return (f"engine, {args.count:,} Synchronic lines in memory (median of {args.runs})",
            ours, "csv.writer, the same bytes", bare, "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cards", type=int, default=100_000)
    args = parser.parse_args()
    from bench import export_snapshot

    rows = [engine_rows(args)]
    rows += export_snapshot.run(args.cards)
    print()
    print("| step | time | baseline | baseline time | ratio | memory | target |")
    print("|---|---:|---|---:|---:|---|---|")
    missed = False
    for name, ours, bare_name, bare, memory in rows:
        ratio = ours / bare
        missed |= ratio > TARGET
        verdict = "met" if ratio <= TARGET else "**missed**"
        print(f"| {name} | {ours:.2f} s | {bare_name} | {bare:.2f} s | {ratio:.2f}x | "
              f"{memory} | ≤ {TARGET:g}x: {verdict} |")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
