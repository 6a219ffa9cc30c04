"""What the server benchmarks share: their own PostgreSQL database, and servers on free ports.

Import it before Django: `use_database` sets the environment Django's settings read."""

import os
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def use_database(default_url, *, fresh):
    """Point this process (and the servers it starts) at BENCH_DATABASE_URL or `default_url`,
    creating the database, or dropping and creating it again when `fresh`."""
    import psycopg

    url = os.environ.get("BENCH_DATABASE_URL", default_url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campuscard.settings")
    os.environ.setdefault("CAMPUSCARD_HOME", tempfile.mkdtemp(prefix="campuscard-bench-"))
    sys.path.insert(0, str(ROOT))
    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as db:
        if fresh:
            db.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            db.execute(f'CREATE DATABASE "{name}"')
    return url


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_listening(port, process, what, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"{what} did not start")
