from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from campuscard.api import clients
from campuscard.api.models import ApiClient, ApiScope


class Command(BaseCommand):
    @property
    def help(self):  # argparse needs a real string, so not gettext_lazy
        return _("Create, revoke or list the clients of the JSON API.")

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help=_("Create a client and print its token once."))
        create.add_argument("--name", required=True)
        create.add_argument("--scope", action="append", dest="scopes", required=True,
                            choices=ApiScope.values, help=_("May be repeated."))
        create.add_argument("--establishment", action="append", dest="establishments",
                            default=[], metavar="CODE",
                            help=_("An establishment code; may be repeated."))
        create.add_argument("--all-establishments", action="store_true",
                            help=_("Reach every establishment, present and future."))
        revoke = actions.add_parser("revoke", help=_("Revoke a client's token at once."))
        revoke.add_argument("--name", required=True)
        actions.add_parser("list", help=_("List the clients."))

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc

    def _create(self, *, name, scopes, establishments, all_establishments, **options):
        client, token = clients.create_client(name, scopes, establishments,
                                              all_establishments=all_establishments)
        if not establishments and not all_establishments:
            self.stderr.write(_("Warning: this client reaches no establishment yet."))
        self.stdout.write(_("API client “%(name)s” created. Its token is shown only this once:")
                          % {"name": client.name})
        self.stdout.write(token)

    def _revoke(self, *, name, **options):
        clients.revoke_client(name)
        self.stdout.write(_("API client “%(name)s” revoked.") % {"name": name})

    def _list(self, **options):
        for client in ApiClient.objects.prefetch_related("establishments"):
            self.stdout.write(self._line(client))

    def _line(self, client):
        if client.all_establishments:
            reach = _("all establishments")
        else:
            reach = ",".join(e.code for e in client.establishments.all()) or "-"
        status = _("revoked") if client.is_revoked else _("active")
        used = client.last_used_at.isoformat() if client.last_used_at else _("never used")
        return "\t".join([client.name, f"cc_{client.token_prefix}_…", status,
                          " ".join(client.scopes), reach, used])
