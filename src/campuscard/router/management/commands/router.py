"""`campuscard router issue-key --pic PIC --name NAME`, `list-keys`, `revoke-key --prefix P`:
the API keys of the router service."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from campuscard.router import keys
from campuscard.router.models import RouterKey


class Command(BaseCommand):
    @property
    def help(self):  # argparse needs a real string, so not gettext_lazy
        return _("Issue, list or revoke the API keys of the router service.")

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        issue = actions.add_parser("issue-key", help=_(
            "Issue a key for an organisation and print it (on standard output, alone)."))
        issue.add_argument("--pic", required=True, help=_("the organisation's 9-digit PIC"))
        issue.add_argument("--name", required=True, help=_("what the key is for"))
        issue.add_argument("--organisation-name", default=None, help=_(
            "the organisation's name, if the router does not know it yet"))
        listing = actions.add_parser("list-keys", help=_("List the keys (never the keys "
                                                         "themselves)."))
        listing.add_argument("--pic", default=None)
        revoke = actions.add_parser("revoke-key", help=_("Revoke a key at once."))
        revoke.add_argument("--prefix", required=True,
                            help=_("the key's prefix, as list-keys shows it"))

    def handle(self, *args, action, **options):
        try:
            getattr(self, "_" + action.replace("-", "_"))(**options)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc

    def _issue_key(self, *, pic, name, organisation_name, **options):
        key = keys.issue_key(pic, name, organisation_name)
        self.stderr.write(_("Router key “%(name)s” issued for PIC %(pic)s. It is shown only "
                            "this once:") % {"name": name, "pic": pic})
        self.stdout.write(key)

    def _list_keys(self, *, pic, **options):
        found = RouterKey.objects.select_related("organisation")
        if pic:
            found = found.filter(organisation__pic=pic)
        for key in found:
            self.stdout.write(self._line(key))

    def _line(self, key):
        status = _("revoked") if key.is_revoked else _("active")
        used = key.last_used_at.isoformat() if key.last_used_at else _("never used")
        return "\t".join([key.prefix, key.organisation.pic, key.organisation.name, key.name,
                          status, used])

    def _revoke_key(self, *, prefix, **options):
        key = keys.revoke_key(prefix)
        self.stdout.write(_("Router key “%(name)s” (%(prefix)s) of PIC %(pic)s revoked.")
                          % {"name": key.name, "prefix": key.prefix,
                             "pic": key.organisation.pic})
