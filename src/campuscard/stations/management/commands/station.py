import contextlib
import time
from pathlib import Path

import httpx
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campuscard.core.actors import Actor
from campuscard.institutions.models import Establishment
from campuscard.nfc.desfire.status import DesfireError
from campuscard.nfc.softcard import SoftCard, SoftCardTransport
from campuscard.stations import services
from campuscard.stations.client import (
    Output,
    StationClient,
    StationError,
    Stopper,
    handle_one,
    relay_chip,
)
from campuscard.stations.models import Station, StationKind

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
        encode = actions.add_parser("encode", help=_("Encode the chip on the reader for a "
                                                     "card, the server driving it."))
        self._chip_arguments(encode)
        which = encode.add_mutually_exclusive_group(required=True)
        which.add_argument("--card", type=int, metavar="NUMBER", help=_("The card's number."))
        which.add_argument("--qr", metavar="TEXT", help=_("The card's QR code, as read."))
        which.add_argument("--next", action="store_true", dest="queue",
                           help=_("The card printed longest ago and not yet encoded."))
        read = actions.add_parser("read", help=_("Read the chip on the reader: what it holds, "
                                                 "which card it is, whether both agree."))
        self._chip_arguments(read)
        read.add_argument("--json", action="store_true", help=_("Print the answer as JSON."))
        agent = actions.add_parser("agent", help=_("Offer this machine's reader to the "
                                                   "station web page, on 127.0.0.1."))
        agent.add_argument("--origin", required=True, metavar="URL",
                           help=_("The CampusCard address whose pages may use the reader."))
        agent.add_argument("--port", type=int, default=8765)
        reader = agent.add_mutually_exclusive_group(required=True)
        reader.add_argument("--reader", metavar="NAME", nargs="?", const="",
                            help=_("A PC/SC reader (part of its name)."))
        reader.add_argument("--softcard", type=Path, metavar="FILE",
                            help=_("A software card kept in FILE."))
        reader.add_argument("--softcards", type=Path, metavar="DIR",
                            help=_("A software reader: blank cards laid on demand from the "
                                   "page, kept in DIR (the demo's reader)."))
        agent.add_argument("--wait-card", type=float, default=10.0, metavar="SECONDS")
        register = actions.add_parser("register",
                                      help=_("Register a station and print its token once."))
        register.add_argument("--name", required=True)
        register.add_argument("--establishment", required=True, metavar="CODE")
        register.add_argument("--kind", choices=[kind.value for kind in StationKind],
                              default=StationKind.PRINT.value,
                              help=_("What the station does: print, encode, or both "
                                     "(print_encode)."))
        register.add_argument("--printer-model", default="")
        register.add_argument("--allow", action="append", default=[], metavar="USERNAME",
                              help=_("A manager who may send cards to it; may be repeated."))
        revoke = actions.add_parser("revoke", help=_("Revoke a station's token at once."))
        revoke.add_argument("--name", required=True)

    @staticmethod
    def _chip_arguments(parser):
        parser.add_argument("--server", required=True, help=_("The CampusCard address."))
        parser.add_argument("--token-file", required=True, type=Path)
        reader = parser.add_mutually_exclusive_group(required=True)
        reader.add_argument("--reader", metavar="NAME", nargs="?", const="",
                            help=_("A PC/SC reader (part of its name; alone: the first with "
                                   "a card)."))
        reader.add_argument("--softcard", type=Path, metavar="FILE",
                            help=_("A software card kept in FILE (a blank one is made if "
                                   "FILE does not exist)."))
        parser.add_argument("--wait-card", type=float, default=10.0, metavar="SECONDS",
                            help=_("How long to wait for a card on the reader."))

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

    def _encode(self, *, server, token_file, card, qr, queue, **options):
        client = StationClient(server, _read_token(token_file))
        answer = self._relay(client, options, lambda uid: client.chip_encode(
            uid, card=card, qr=qr, queue=queue))
        if answer["status"] != "done":
            raise CommandError(answer.get("failure") or answer["status"])
        card_info = answer["card"]
        self.stdout.write(
            _("Card %(card)s (%(name)s) encoded: %(files)s files read back as written, in "
              "%(apdus)s APDUs. It is now “%(state)s”.")
            % {"card": card_info["id"], "name": card_info["name"],
               "files": answer["outcome"]["verified_files"], "apdus": answer["outcome"]["apdus"],
               "state": card_info["state_label"]})

    def _read(self, *, server, token_file, json, **options):
        client = StationClient(server, _read_token(token_file))
        answer = self._relay(client, options, client.chip_read)
        if answer["status"] != "done":
            raise CommandError(answer.get("failure") or answer["status"])
        if json:
            import json as json_module

            self.stdout.write(json_module.dumps(answer, indent=2, ensure_ascii=False))
            return
        for line in reading_lines(answer):
            self.stdout.write(line)

    def _relay(self, client, options, start):
        try:
            with _chip_transport(options) as transport:
                return relay_chip(client, transport, start)
        except (StationError, httpx.HTTPError, DesfireError) as exc:
            raise CommandError(str(exc)) from exc

    def _agent(self, *, origin, port, softcards, verbosity=1, **options):
        from campuscard.stations.agent import ReaderAgent, SoftReader, serve_agent

        reader = (SoftReader(softcards) if softcards is not None
                  else ReaderAgent(lambda: _open_transport(options)))
        server = serve_agent(reader, origin, port)
        if verbosity >= 1:
            self.stdout.write(_("Reader agent on http://127.0.0.1:%(port)s for the pages of "
                                "%(origin)s; Ctrl-C stops it.")
                              % {"port": server.server_port, "origin": origin})
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()

    def _register(self, *, name, establishment, kind, printer_model, allow, **options):
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
                                                   allowed_users=users, kind=kind)
        self.stdout.write(_("Station “%(name)s” registered. Its token is shown only this once:")
                          % {"name": station.name})
        self.stdout.write(token)

    def _revoke(self, *, name, **options):
        station = Station.objects.filter(name=name).first()
        if station is None:
            raise CommandError(_("No station is named “%(name)s”.") % {"name": name})
        services.revoke_station(station, Actor.system())
        self.stdout.write(_("Station “%(name)s” revoked.") % {"name": name})


@contextlib.contextmanager
def _chip_transport(options):
    """The reader the options name, with a card on it."""
    with _open_transport(options) as transport:
        yield transport


def _open_transport(options):
    if options.get("softcard") is not None:
        path = options["softcard"]
        card = SoftCard.load(path, file_backed=True) if path.exists() else _blank_card(path)
        return SoftCardTransport(card)
    from campuscard.nfc.pcsc import PcscTransport

    return PcscTransport(options.get("reader") or None, timeout=options["wait_card"])


def _blank_card(path):
    card = SoftCard(path=path)
    card.save()
    return card


def reading_lines(answer):
    """A chip reading as lines for a person."""
    outcome, card = answer["outcome"], answer.get("card")
    checks = outcome["checks"]
    if card is None:
        yield _("This chip is not bound to any card of ours.")
    else:
        yield _("Card %(card)s (%(name)s, %(establishment)s), “%(state)s”.") % {
            "card": card["id"], "name": card["name"], "establishment": card["establishment"],
            "state": card["state_label"]}
    for app in outcome["applications"]:
        yield _("Application %(aid)s: %(state)s") % {"aid": app["aid"],
                                                     "state": READING_STATES[app["state"]]}
        for file in app["files"]:
            yield "  " + _("file %(number)s (%(holds)s): %(value)s") % {
                "number": file["number"], "holds": file["holds"] or "-",
                "value": file["value"] if file["state"] == "present"
                else READING_STATES[file["state"]]}
    if checks["all_match"]:
        yield _("The chip matches our record of the card.")
    else:
        for check in checks["files"]:
            if not check["matches"]:
                yield _("Does not match our record: %(holds)s in %(aid)s file %(file)s.") % {
                    "holds": check["holds"], "aid": check["aid"], "file": check["file"]}
        if card is not None and not checks["bound"]:
            yield _("This chip's UID is not the one bound to the card.")


READING_STATES = {"present": gettext_lazy("present"), "missing": gettext_lazy("not on the chip"),
                  "refused": gettext_lazy("the chip refused our key"),
                  "unread": gettext_lazy("not read")}


def _read_token(token_file):
    try:
        return token_file.read_text().strip()
    except OSError as exc:
        raise CommandError(str(exc)) from exc
