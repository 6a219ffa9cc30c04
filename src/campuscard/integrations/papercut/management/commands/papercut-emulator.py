"""`campuscard papercut-emulator --port N --token-file F [--user NAME …]`: an emulator of
PaperCut's XML-RPC web services API at http://host:N/rpc/api/xmlrpc. Its users are kept in a
JSON file (--store), nothing of CampusCard's database."""

import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from campuscard.core.secrets import SecretUnavailable, read_secret
from campuscard.integrations.papercut.emulator import PapercutEmulator


class Command(BaseCommand):
    help = _("Run an emulator of PaperCut's XML-RPC API (tests, demo).")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=9191)
        parser.add_argument("--token-file", required=True,
                            help=_("File holding the authentication token it accepts."))
        parser.add_argument("--store", default=None,
                            help=_("Its JSON file of users (default $CAMPUSCARD_HOME/"
                                   "papercut-emulator.json)."))
        parser.add_argument("--user", action="append", default=[],
                            help=_("A username to create (repeatable)."))

    def handle(self, *args, **options):
        try:
            token = read_secret(("file", options["token_file"]))
        except SecretUnavailable as exc:
            raise CommandError(_("Cannot read the token file: %(reason)s.")
                               % {"reason": exc}) from None
        if not token:
            raise CommandError(_("The token file is empty."))
        store = options["store"] or str(settings.HOME / "papercut-emulator.json")
        try:
            server = PapercutEmulator(token, users=options["user"], host=options["host"],
                                      port=options["port"], store_path=store, verbose=True)
        except OSError as exc:
            raise CommandError(_("Cannot listen on %(host)s:%(port)d: %(reason)s.") % {
                "host": options["host"], "port": options["port"],
                "reason": exc.strerror or exc}) from None
        server.start()
        self.stdout.write(_("PaperCut emulator on %(url)s (users: %(store)s)") % {
            "url": server.url, "store": store})
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            self.stdout.write(_("Stopped."))
        finally:
            server.stop()
