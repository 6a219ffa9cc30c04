"""`campuscard crous-emulator [--port N] [--client ID:SECRET …]`: an emulator of the CROUS API.

The token endpoint is /api/oauth/token on the same port; /_emulator/ lists its right-holders
and smartcards; POST /_emulator/faults {"failure_rate": 0.3, "down_seconds": 60} makes it fail.
Its state is its own SQLite file (--db), nothing of CampusCard's database.
"""

import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from campuscard.integrations.crous.emulator import EmulatorServer


def client_pair(value):
    client_id, sep, secret = value.partition(":")
    if not sep or not client_id or not secret:
        raise CommandError(f"--client takes ID:SECRET, not {value.split(':')[0]!r}:…")
    return client_id, secret


class Command(BaseCommand):
    help = "Run an emulator of the CROUS API (tests, demo, benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1",
                            help="Address to listen on (default 127.0.0.1: its control side "
                                 "has no authentication).")
        parser.add_argument("--port", type=int, default=8089)
        parser.add_argument("--client", action="append", default=[], metavar="ID:SECRET",
                            help="Client credentials the token endpoint accepts (repeatable).")
        parser.add_argument("--db", default=None,
                            help="Its SQLite file (default $CAMPUSCARD_HOME/crous-emulator."
                                 "sqlite3; ':memory:' for none).")
        parser.add_argument("--token-seconds", type=int, default=3600,
                            help="Lifetime of the tokens it issues.")
        parser.add_argument("--failure-rate", type=float, default=0.0,
                            help="Share of API requests answered 500 (0 to 1).")
        parser.add_argument("--delay", type=float, default=0.0,
                            help="Seconds to wait before each API answer.")

    def handle(self, *args, **options):
        clients = dict(client_pair(value) for value in options["client"])
        if not clients:
            raise CommandError("Give the client credentials it accepts: --client ID:SECRET.")
        db_path = options["db"] or str(settings.HOME / "crous-emulator.sqlite3")
        try:
            server = EmulatorServer(clients, host=options["host"], port=options["port"],
                                    db_path=db_path, token_seconds=options["token_seconds"],
                                    quiet=False)
        except OSError as exc:
            raise CommandError(f"Cannot listen on {options['host']}:{options['port']}: "
                               f"{exc}") from exc
        server.emulator.faults.failure_rate = options["failure_rate"]
        server.emulator.faults.delay = options["delay"]
        server.start()
        self.stdout.write(f"CROUS API emulator on {server.url} (token: {server.token_url}, "
                          f"page: {server.url}/_emulator/, state: {db_path}, "
                          f"clients: {', '.join(sorted(clients))})")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
        finally:
            server.stop()
