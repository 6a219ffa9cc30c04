from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campuscard.core.actors import Actor
from campuscard.institutions.models import Establishment
from campuscard.nfc import keys, services
from campuscard.nfc.layouts import check_keys, key_entries
from campuscard.nfc.models import CardLayout
from campuscard.nfc.presets import LABELS


class Command(BaseCommand):
    @property
    def help(self):  # argparse needs a real string, so not gettext_lazy
        return _("Card layouts: create one from a preset, check or create its key files.")

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("presets", help=_("List the presets."))
        create = actions.add_parser("create", help=_("Create a layout from a preset."))
        create.add_argument("preset", choices=sorted(LABELS))
        create.add_argument("--code", required=True)
        create.add_argument("--name", required=True)
        create.add_argument("--establishment", metavar="CODE",
                            help=_("Leave out for every establishment."))
        check = actions.add_parser("check-keys",
                                   help=_("Say which keys of a layout this host cannot read."))
        check.add_argument("code")
        make = actions.add_parser("make-keys", help=_(
            "Create the missing file: keys of a layout with random values (owner-only files)."))
        make.add_argument("code")
        behind = actions.add_parser("behind", help=_(
            "List the cards whose chip holds an older version of a layout (to encode again "
            "after a key rotation)."))
        behind.add_argument("code")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action.replace('-', '_')}")(**options)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        except keys.KeyUnavailable as exc:
            raise CommandError(str(exc)) from exc

    def _presets(self, **options):
        for name, label in LABELS.items():
            self.stdout.write(f"{name}\t{label}")

    def _create(self, *, preset, code, name, establishment, **options):
        found = None
        if establishment:
            found = Establishment.objects.filter(code=establishment).first()
            if found is None:
                raise CommandError(_("Unknown establishment: %(codes)s.")
                                   % {"codes": establishment})
        layout = services.create_layout_from_preset(preset, code=code, name=name,
                                                    establishment=found, actor=Actor.system())
        self.stdout.write(_("Layout %(code)s created (version 1).") % {"code": layout.code})

    def _declaration(self, code):
        layout = CardLayout.objects.filter(code=code).first()
        if layout is None or layout.current_version is None:
            raise CommandError(_("Unknown card layout: %(code)s.") % {"code": code})
        return layout.current_version.declaration

    def _check_keys(self, *, code, **options):
        problems = check_keys(self._declaration(code))
        for problem in problems:
            self.stdout.write(str(problem))
        if problems:
            raise CommandError(_("%(count)d keys cannot be read.") % {"count": len(problems)})
        self.stdout.write(_("Every key can be read."))

    def _make_keys(self, *, code, **options):
        for path, reference, key_type in key_entries(self._declaration(code)):
            if keys.parse_reference(reference).scheme == "file" and keys.create_key_file(
                    reference, key_type):
                self.stdout.write(_("%(path)s: created %(ref)s") % {"path": path,
                                                                    "ref": reference})

    def _behind(self, *, code, **options):
        layout = CardLayout.objects.filter(code=code).first()
        if layout is None or layout.current_version is None:
            raise CommandError(_("Unknown card layout: %(code)s.") % {"code": code})
        encodings = list(services.encodings_behind(layout).select_related("card__person"))
        for encoding in encodings:
            person = encoding.card.person
            self.stdout.write(f"{encoding.card_id}\t{encoding.csn}\tv{encoding.version.number}"
                              f"\t{person.first_name} {person.last_name}")
        self.stdout.write(ngettext("%(count)d chip to encode again to version %(version)d.",
                                   "%(count)d chips to encode again to version %(version)d.",
                                   len(encodings))
                          % {"count": len(encodings), "version": layout.current_version.number})
