import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.test.utils import override_settings
from django.utils.translation import gettext as _

from campuscard.core import processes
from campuscard.demo import serving, story


class Command(BaseCommand):
    help = _("Try CampusCard: create the database and demo data in CAMPUSCARD_HOME if needed "
             "(two establishments, about 60 people from a CSV directory, cards in every state, "
             "demo logins), then serve the web application and the worker on 127.0.0.1 until "
             "Ctrl+C.")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help=_("Port (default 8000)."))
        parser.add_argument("--crous-port", type=int, default=None,
                            help=_("Port of the CROUS API emulator (default: --port + 1)."))
        parser.add_argument("--papercut-port", type=int, default=None,
                            help=_("Port of the PaperCut emulator (default: --port + 2)."))
        parser.add_argument("--no-serve", action="store_true",
                            help=_("Only create the database and the demo data."))

    def handle(self, *, port, crous_port, no_serve, papercut_port=None, **options):
        problem = "" if no_serve else serving.port_problem(port, crous_port, papercut_port)
        if problem:
            raise CommandError(problem)
        call_command("migrate", interactive=False, verbosity=0)
        with override_settings(**serving.own_settings(port, crous_port, papercut_port)):
            if story.seed_demo():
                self.stdout.write(_("Demo data created in %(home)s.") % {"home": settings.HOME})
            else:
                story.point_qr_codes_here()
                story.connect_to_demo_crous()
                story.connect_to_demo_papercut()
                story.connect_demo_print_station()
                story.connect_demo_encoding_station()
                self.stdout.write(_("Demo data found in %(home)s: reusing it.")
                                  % {"home": settings.HOME})
        if no_serve:
            return
        sys.exit(self.serve(port, crous_port, papercut_port))

    def serve(self, port, crous_port, papercut_port=None):
        try:
            emulator = serving.start_crous_emulator(port, crous_port)
        except OSError as exc:
            raise CommandError(_(
                "Cannot listen on %(host)s:%(port)d for the CROUS API emulator: %(reason)s. The "
                "demo data is kept: start the demo again with another --crous-port.") % {
                "host": serving.HOST, "port": serving.crous_port_for(port, crous_port),
                "reason": exc.strerror or str(exc)}) from exc
        try:
            papercut = serving.start_papercut_emulator(port, papercut_port)
        except OSError as exc:
            emulator.stop()
            raise CommandError(_(
                "Cannot listen on %(host)s:%(port)d for the PaperCut emulator: %(reason)s. The "
                "demo data is kept: start the demo again with another --papercut-port.") % {
                "host": serving.HOST, "port": serving.papercut_port_for(port, papercut_port),
                "reason": exc.strerror or str(exc)}) from exc
        try:
            self.stdout.write(serving.banner(port, crous_port, papercut_port))
            connections.close_all()
            return processes.run_together(serving.commands(port),
                                          serving.child_environment(port, crous_port))
        finally:
            papercut.stop()
            emulator.stop()
