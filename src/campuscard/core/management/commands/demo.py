import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections
from django.test.utils import override_settings

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
        router = self.own_router(port)
        with override_settings(**router):
            if demo.seed_demo():
                self.stdout.write(f"Demo data created in {settings.HOME}.")
            else:
                demo.point_qr_codes_here()
                self.stdout.write(f"Demo data found in {settings.HOME}: reusing it.")
        if no_serve:
            return
        self.stdout.write(self.welcome(port))
        connections.close_all()
        sys.exit(processes.run_together(
            [processes.worker_command(), processes.gunicorn_command(port, workers=2)],
            processes.child_env(CAMPUSCARD_TARGETS=",".join(self.targets()), **router),
        ))

    def own_router(self, port):
        """The demo serves the ESC router too, and its establishments push to it."""
        base = f"http://127.0.0.1:{port}"
        return {"CAMPUSCARD_PUBLIC_URL": base, "CAMPUSCARD_ESC_ROUTER_URL": f"{base}/esc-rest",
                "CAMPUSCARD_ROUTER_VERIFIER_PREFIX": f"{base}/v/"}

    def targets(self):
        """The configured outbox targets plus the demo's stand-in access system."""
        return [*dict.fromkeys([*settings.CAMPUSCARD_TARGETS, demo.DEMO_TARGET])]

    def welcome(self, port):
        rows = [("Login", "Password", "Who"), *demo.login_rows()]
        widths = [max(len(row[i]) for row in rows) for i in range(2)]
        lines = [f"  {a:<{widths[0]}}  {b:<{widths[1]}}  {c}" for a, b, c in rows]
        return "\n".join([
            "", f"CampusCard demo: http://127.0.0.1:{port}/", "", *lines, "",
            "The worker delivers pushes to a stand-in access system (see its log lines) and to",
            f"the ESC router this demo serves at http://127.0.0.1:{port}/esc-rest/. A card's QR",
            f"code leads to http://127.0.0.1:{port}/v/<ESCN>, which says whether it is valid.",
            "Press Ctrl+C to stop.", "",
        ])
