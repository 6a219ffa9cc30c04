"""`campuscard crous-tariffs [ESTABLISHMENT…]`: fetch the CROUS tariff rules now."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from campuscard.institutions.models import Establishment
from campuscard.integrations.crous.models import CrousEstablishment
from campuscard.integrations.crous.tariff_rules import RefreshRefused, refresh_tariff_rules


class Command(BaseCommand):
    help = _("Fetch the CROUS tariff rules of establishments now (a failed or broken answer "
             "keeps the rules fetched before).")

    def add_arguments(self, parser):
        parser.add_argument("establishments", nargs="*", metavar="ESTABLISHMENT",
                            help=_("establishment codes (default: every one sending to CROUS "
                                   "with a CROUS number)"))

    def handle(self, *args, **options):
        failed = False
        for establishment in self._establishments(options["establishments"]):
            try:
                reports = refresh_tariff_rules(establishment)
            except RefreshRefused as exc:
                self.stderr.write(f"{establishment.code}: {exc}")
                failed = True
                continue
            for report in reports:
                if report.replaced:
                    self.stdout.write(_("%(grid)s: %(count)d rules stored.") % {
                        "grid": report.grid, "count": report.rules})
                else:
                    self.stderr.write(_("%(grid)s: kept the %(count)d rules fetched before: "
                                        "%(error)s") % {"grid": report.grid,
                                                        "count": report.rules,
                                                        "error": report.error})
                    failed = True
        if failed:
            raise CommandError(_("Some tariff rules could not be refreshed."))

    @staticmethod
    def _establishments(codes):
        if not codes:
            return [c.establishment for c in CrousEstablishment.objects.filter(enabled=True)
                    .exclude(crous_number="").select_related("establishment")]
        found = {e.code: e for e in Establishment.objects.filter(code__in=codes)}
        unknown = sorted(set(codes) - set(found))
        if unknown:
            raise CommandError(_("No establishment with the code %(codes)s.") % {
                "codes": ", ".join(unknown)})
        return [found[code] for code in codes]
