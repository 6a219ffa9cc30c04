"""ESCN generation benchmark: how many European Student Card Numbers one process mints.

    .venv/bin/python bench/escn_bench.py [--count 500000] [--runs 5]

Beside ours, in the same run: Python's own uuid.uuid1() and uuid.uuid4(), the bare cost of
making a UUID in this interpreter. The target is 100,000 ESCNs a second in one process.
Exits with status 1 when the batch generator misses it. See docs/benchmarks.md.
"""

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campuscard.settings")
os.environ.setdefault("CAMPUSCARD_HOME", tempfile.mkdtemp(prefix="campuscard-bench-"))
django.setup()

from campuscard.esc.escn import generate_escn, generate_escns  # noqa: E402

PIC, PREFIX = "999859608", "066"
TARGET = 100_000


def rate(make, count, runs):
    """Median numbers per second over `runs` runs of `make(count)`."""
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        made = make(count)
        rates.append(count / (time.perf_counter() - start))
        assert len(made) == count
    return statistics.median(rates)


CASES = [
    ("generate_escns (batch)", lambda n: generate_escns(PREFIX, PIC, n)),
    ("generate_escn (one call each)", lambda n: [generate_escn(PREFIX, PIC) for _ in range(n)]),
    ("baseline: uuid.uuid1()", lambda n: [uuid.uuid1() for _ in range(n)]),
    ("baseline: uuid.uuid4()", lambda n: [uuid.uuid4() for _ in range(n)]),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, "
          f"{args.count:,} numbers x {args.runs} runs, median")
    print(f"| {'case':<32} | {'per second':>12} | {'µs each':>8} |")
    print(f"|{'-' * 34}|{'-' * 13}:|{'-' * 9}:|")
    results = {}
    for name, make in CASES:
        results[name] = per_second = rate(make, args.count, args.runs)
        print(f"| {name:<32} | {per_second:>12,.0f} | {1e6 / per_second:>8.2f} |")
    batch = results[CASES[0][0]]
    print(f"target {TARGET:,}/s: {'met' if batch >= TARGET else 'MISSED'}")
    return 0 if batch >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
