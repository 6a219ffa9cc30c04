import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections

from campuscard.core import demo, processes


class Command(BaseCommand):
    help = ("Try CampusCard: create the database and demo data in CAMPUSCARD_HOME if needed "
            "(two establishments, about 60 people, cards in every state, demo logins), then "
            "serve the web application and the worker on 127.0.0.1 until Ctrl+C.")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="Port (default 8000).")
        parser.add_argument("--no-serve", action="store_true",
                            help="Only create the database and the demo data.")

    def handle(self, *, port, no_serve, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if demo.seed_demo():
            self.stdout.write(f"Demo data created in {settings.HOME}.")
        else:
            self.stdout.write(f"Demo data found in {settings.HOME}: reusing it.")
        if no_serve:
            return
        self.stdout.write(self.welcome(port))
        connections.close_all()
        sys.exit(processes.run_together(
            [processes.worker_command(), processes.gunicorn_command(port, workers=2)],
            processes.child_env(CAMPUSCARD_TARGETS=",".join(self.targets())),
        ))

    def targets(self):
        """The configured outbox targets plus the demo's stand-in access system."""
        return [*dict.fromkeys([*settings.CAMPUSCARD_TARGETS, demo.DEMO_TARGET])]

    def welcome(self, port):
        rows = [("Login", "Password", "Who"), *demo.login_rows()]
        widths = [max(len(row[i]) for row in rows) for i in range(2)]
        lines = [f"  {a:<{widths[0]}}  {b:<{widths[1]}}  {c}" for a, b, c in rows]
        return "\n".join([
            "", f"CampusCard demo: http://127.0.0.1:{port}/", "", *lines, "",
            "The worker delivers pushes to a stand-in access system (see its log lines).",
            "Press Ctrl+C to stop.", "",
        ])
