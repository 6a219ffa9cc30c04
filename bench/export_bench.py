"""Access-control export benchmark: our format engine against the bare csv module.

    .venv/bin/python bench/export_bench.py [--count 200000] [--runs 5]

Both write the Synchronic preset's bytes (ISO-8859-1, ";", CRLF, dates capped, birth date
falling back to the state date, state mapped to NON/OUI) for the same synthetic records; the
baseline is csv.writer with that formatting written by hand for this one format. The bytes are
compared first. Target: the engine takes at most twice the baseline's time. Exits with status 1
when it misses. See docs/exports.md.
"""

import argparse
import csv
import datetime
import io
import os
import random
import statistics
import sys
import tempfile
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campuscard.settings")
os.environ.setdefault("CAMPUSCARD_HOME", tempfile.mkdtemp(prefix="campuscard-bench-"))
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = records(args.count, random.Random(12))
    assert engine(rows) == baseline(rows), "the engine and the baseline disagree"
    ours, bare = seconds(engine, rows, args.runs), seconds(baseline, rows, args.runs)
    print(f"{args.count:,} Synchronic lines, median of {args.runs} runs")
    print(f"| engine | {ours * 1000:8.1f} ms | {args.count / ours:10,.0f} lines/s |")
    print(f"| csv    | {bare * 1000:8.1f} ms | {args.count / bare:10,.0f} lines/s |")
    ratio = ours / bare
    print(f"ratio {ratio:.2f} (target ≤ {TARGET})")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
