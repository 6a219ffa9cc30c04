import sys

from django.core.management.base import BaseCommand
from django.db import connections

from campuscard.core import processes


class Command(BaseCommand):
    help = ("Serve the web application with gunicorn (campuscard.wsgi:application). "
            "Run `campuscard worker` beside it, and put a TLS proxy in front in production.")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="Port (default 8000).")
        parser.add_argument("--host", default="127.0.0.1",
                            help="Address to bind (default 127.0.0.1).")
        parser.add_argument("--workers", type=int, default=2,
                            help="gunicorn worker processes (default 2).")

    def handle(self, *, port, host, workers, **options):
        connections.close_all()
        self.stdout.write(f"Serving CampusCard on http://{host}:{port}/ (Ctrl+C to stop)")
        sys.exit(processes.run_together([processes.gunicorn_command(port, workers, host)],
                                        processes.child_env()))
