"""The emulator's own state: an SQLite file (or memory) of its own, nothing of CampusCard's.

One connection behind a lock: the emulator is a test and demo tool, its requests are short.
"""

import json
import sqlite3
import threading
from contextlib import contextmanager

SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, client_id TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS holders (
    identifier TEXT PRIMARY KEY, data TEXT NOT NULL, priority_rne TEXT NOT NULL DEFAULT '',
    closed INTEGER NOT NULL DEFAULT 0, locked INTEGER NOT NULL DEFAULT 0,
    anonymised INTEGER NOT NULL DEFAULT 0, put_count INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS smartcards (
    id_zdc INTEGER PRIMARY KEY, identifier TEXT NOT NULL, uid TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL, revalidation_date TEXT NOT NULL DEFAULT '',
    cancel_date TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '',
    oppositions INTEGER NOT NULL DEFAULT 0, revalidations INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS forgotten_uids (uid TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS rules (
    crous TEXT NOT NULL, rne TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (crous, rne));
"""
TABLES = ("tokens", "holders", "smartcards", "forgotten_uids", "rules")


class Store:
    def __init__(self, path=":memory:"):
        self.path = str(path)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.executescript(SCHEMA)

    @contextmanager
    def transaction(self):
        """One read-modify-write at a time, all or nothing."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def execute(self, sql, params=()):
        with self._lock:
            return self._db.execute(sql, params)

    def one(self, sql, params=()):
        with self._lock:
            return self._db.execute(sql, params).fetchone()

    def all(self, sql, params=()):
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def reset(self):
        with self.transaction():
            for table in TABLES:
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)

    def close(self):
        with self._lock:
            self._db.close()

    # holders and smartcards

    def holder(self, identifier):
        return self.one("SELECT * FROM holders WHERE identifier = ?", (identifier,))

    def smartcard(self, identifier, id_zdc):
        return self.one("SELECT * FROM smartcards WHERE identifier = ? AND id_zdc = ?",
                        (identifier, id_zdc))

    def holders(self):
        return self.all("SELECT * FROM holders ORDER BY identifier")

    def smartcards(self):
        return self.all("SELECT * FROM smartcards ORDER BY identifier, id_zdc")


def loads(row):
    return json.loads(row["data"])


def dumps(data):
    return json.dumps(data, sort_keys=True)
