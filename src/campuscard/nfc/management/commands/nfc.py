"""`campuscard nfc readers`: the PC/SC readers this machine sees.
`campuscard nfc softcard-vpcd --card FILE [--port N]`: a software card, read from FILE, laid on
vsmartcard's virtual reader (vpcd), so that anything speaking PC/SC finds it there."""

import importlib

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from campuscard.nfc import pcsc, vpcd
from campuscard.nfc.desfire.status import TransportError

SOFTCARD_LOADER = "campuscard.nfc.softcard:SoftCard.load"


class Command(BaseCommand):
    @property
    def help(self):  # argparse needs a real string, so not gettext_lazy
        return _("List the card readers, or put a software card on the virtual reader.")

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("readers", help=_("List the PC/SC readers, one a line."))
        softcard = actions.add_parser("softcard-vpcd", help=_(
            "Lay a software card on the virtual reader of vsmartcard (vpcd), until interrupted."))
        softcard.add_argument("--card", required=True, metavar="FILE",
                              help=_("the software card's file"))
        softcard.add_argument("--port", type=int, default=vpcd.DEFAULT_PORT, help=_(
            "the port vpcd listens on (its reader.conf; slot n is the port + n)"))
        softcard.add_argument("--host", default="127.0.0.1",
                              help=_("the machine whose pcscd runs vpcd"))
        softcard.add_argument("--wait", type=float, default=10.0,
                              help=_("seconds to wait for vpcd to listen"))
        softcard.add_argument("--loader", default=SOFTCARD_LOADER, metavar="MODULE:CALLABLE",
                              help=_("what reads FILE into a card (the software card's own "
                                     "loader unless told)"))

    def handle(self, *args, action, **options):
        try:
            getattr(self, "_" + action.replace("-", "_"))(**options)
        except TransportError as exc:
            raise CommandError(exc.detail) from exc

    def _readers(self, **options):
        for name in pcsc.list_readers():
            self.stdout.write(name)

    def _softcard_vpcd(self, *, card, port, host, wait, loader, **options):
        bridge = vpcd.VpcdBridge(_load_card(loader, card), port=port, host=host)
        self.stderr.write(_("Laying the card from %(file)s on the virtual reader at "
                            "%(host)s:%(port)s; Ctrl-C takes it off.")
                          % {"file": card, "host": host, "port": port})
        try:
            bridge.run(wait=wait)
        except KeyboardInterrupt:
            bridge.remove()


def _load_card(loader, path):
    module_name, _colon, attribute = loader.partition(":")
    try:
        found = importlib.import_module(module_name)
        for name in attribute.split("."):
            found = getattr(found, name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise CommandError(_("Cannot load cards with %(loader)s: %(error)s")
                           % {"loader": loader, "error": exc}) from exc
    try:
        return found(path)
    except (OSError, ValueError) as exc:
        raise CommandError(_("Cannot read the card file %(file)s: %(error)s")
                           % {"file": path, "error": exc}) from exc
