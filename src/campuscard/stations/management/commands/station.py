import time
from pathlib import Path

import httpx
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from campuscard.core.actors import Actor
from campuscard.institutions.models import Establishment
from campuscard.stations import services
from campuscard.stations.client import (
    Output,
    StationClient,
    StationError,
    Stopper,
    handle_one,
)
from campuscard.stations.models import Station

RETRY_AFTER_ERROR = 5


class Command(BaseCommand):
    @property
    def help(self):  # argparse needs a real string, so not gettext_lazy
        return _("Run a print station, or register and revoke stations.")

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        run = actions.add_parser("print", help=_("Print the jobs of a station, as they come."))
        run.add_argument("--server", required=True, help=_("The CampusCard address."))
        run.add_argument("--token-file", required=True, type=Path)
        where = run.add_mutually_exclusive_group(required=True)
        where.add_argument("--printer", help=_("A CUPS printer name (lp -d NAME)."))
        where.add_argument("--folder", type=Path, help=_("Write each PDF into this folder."))
        where.add_argument("--panels", type=Path, metavar="DIR",
                           help=_("Write each card's YMCKO panels (PNGs: front colour, black, "
                                  "overlay, back colour, black) into this folder."))
        run.add_argument("--once", action="store_true", help=_("Handle one job, then stop."))
        run.add_argument("--wait", type=int, default=30,
                         help=_("Seconds each long-poll waits (at most 60)."))
        run.add_argument("--wait-for-server", type=int, default=0, metavar="SECONDS",
                         help=_("Until the server first answers, retry quietly for up to this "
                                "many seconds (a station started together with its server)."))
        badge = actions.add_parser("badge", help=_("Send one badge read by the station's "
                                                   "reader (the badge page waits for it)."))
        badge.add_argument("--server", required=True, help=_("The CampusCard address."))
        badge.add_argument("--token-file", required=True, type=Path)
        badge.add_argument("--csn", required=True, metavar="HEX",
                           help=_("The chip serial number read (hexadecimal, or decimal)."))
        register = actions.add_parser("register",
                                      help=_("Register a station and print its token once."))
        register.add_argument("--name", required=True)
        register.add_argument("--establishment", required=True, metavar="CODE")
        register.add_argument("--printer-model", default="")
        register.add_argument("--allow", action="append", default=[], metavar="USERNAME",
                              help=_("A manager who may send cards to it; may be repeated."))
        revoke = actions.add_parser("revoke", help=_("Revoke a station's token at once."))
        revoke.add_argument("--name", required=True)

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc

    def _print(self, *, server, token_file, printer, folder, panels, once, wait,
               wait_for_server, verbosity=1, **options):
        token = _read_token(token_file)
        for path in (folder, panels):
            if path is not None and not path.is_dir():
                raise CommandError(_("No such folder: %(folder)s") % {"folder": path})
        client = StationClient(server, token)
        output = Output(printer=printer, folder=folder, panels=panels)
        wait = max(0, min(wait, 60))
        say = self.stdout.write if verbosity >= 1 else (lambda text: None)
        patient_until = time.monotonic() + max(0, wait_for_server)
        reached = False
        with Stopper() as stopper:
            while True:
                try:
                    handled = handle_one(client, output, wait, say=say,
                                         printing=stopper.printing)
                except (StationError, httpx.HTTPError, OSError) as exc:
                    if (not reached and isinstance(exc, httpx.TransportError)
                            and time.monotonic() < patient_until):
                        time.sleep(1)  # the server is still starting
                        continue
                    if once:
                        raise CommandError(str(exc)) from exc
                    self.stderr.write(str(exc))  # the server restarts, the network drops: retry
                    time.sleep(RETRY_AFTER_ERROR)
                    continue
                reached = True
                if once:
                    if not handled:
                        say(_("No job came."))
                    return

    def _badge(self, *, server, token_file, csn, **options):
        client = StationClient(server, _read_token(token_file))
        try:
            answer = client.badge(csn)
        except (StationError, httpx.HTTPError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(_("Badge %(csn)s sent.") % {"csn": answer["csn"]})

    def _register(self, *, name, establishment, printer_model, allow, **options):
        from django.contrib.auth import get_user_model

        found = Establishment.objects.filter(code=establishment).first()
        if found is None:
            raise CommandError(_("Unknown establishment: %(codes)s.") % {"codes": establishment})
        users = list(get_user_model().objects.filter(username__in=allow))
        missing = sorted(set(allow) - {user.get_username() for user in users})
        if missing:
            raise CommandError(_("Unknown user: %(names)s.") % {"names": ", ".join(missing)})
        station, token = services.register_station(name, found, Actor.system(),
                                                   printer_model=printer_model,
                                                   allowed_users=users)
        self.stdout.write(_("Station “%(name)s” registered. Its token is shown only this once:")
                          % {"name": station.name})
        self.stdout.write(token)

    def _revoke(self, *, name, **options):
        station = Station.objects.filter(name=name).first()
        if station is None:
            raise CommandError(_("No station is named “%(name)s”.") % {"name": name})
        services.revoke_station(station, Actor.system())
        self.stdout.write(_("Station “%(name)s” revoked.") % {"name": name})


def _read_token(token_file):
    try:
        return token_file.read_text().strip()
    except OSError as exc:
        raise CommandError(str(exc)) from exc
