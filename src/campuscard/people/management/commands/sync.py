"""`campuscard sync [SOURCE…] [--full] [--dry-run] [--force]`: people from the sources."""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from campuscard.people.sources import config as source_config
from campuscard.people.sources import sync

BAR_WIDTH = 30


class Progress:
    """A one-line progress bar on stderr (only when it is a terminal)."""

    def __init__(self, stream):
        self.stream = stream
        self.live = stream.isatty()

    def __call__(self, source, phase, done, total):
        if not self.live:
            return
        label = _("reading %(source)s") % {"source": source} if phase == "read" \
            else _("writing")
        if total:
            filled = int(BAR_WIDTH * done / total)
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            text = f"\r[{bar}] {done}/{total} {label}"
        else:
            text = f"\r[{'.' * BAR_WIDTH}] {done} {label}"
        self.stream.write(text.ljust(79)[:79])
        self.stream.flush()

    def end(self):
        if self.live:
            self.stream.write("\r" + " " * 79 + "\r")
            self.stream.flush()


class Command(BaseCommand):
    help = _("Read people from the sources (CAMPUSCARD_SOURCES_FILE) and write what changed.")

    def add_arguments(self, parser):
        parser.add_argument("sources", nargs="*", metavar="SOURCE",
                            help=_("source names (default: all, in chain order)"))
        parser.add_argument("--full", action="store_true",
                            help=_("read everything, not only what changed since the last sync "
                                   "(also finds people who left a source)"))
        parser.add_argument("--dry-run", action="store_true",
                            help=_("say what would change, write nothing"))
        parser.add_argument("--force", action="store_true",
                            help=_("write even when many rights would end at once"))

    def handle(self, *args, **options):
        try:
            config = source_config.load()
        except source_config.ConfigError as exc:
            raise CommandError(str(exc)) from None
        if not config.sources:
            raise CommandError(_("No sources: set CAMPUSCARD_SOURCES_FILE (see docs/sources.md)."))
        progress = Progress(sys.stderr)
        try:
            result = sync.run(options["sources"], full=options["full"],
                              dry_run=options["dry_run"], force=options["force"],
                              progress=progress, config=config)
        except source_config.ConfigError as exc:
            raise CommandError(str(exc)) from None
        finally:
            progress.end()
        self.stdout.write(format_table(result))
        if result.stopped:
            raise CommandError(result.stopped)
        failed = [r.name for r in result.reports.values() if r.error]
        if failed:
            raise CommandError(_("Not read: %(names)s (nothing of them was applied).")
                               % {"names": ", ".join(failed)})


def format_table(result):
    headers = [pgettext("sync table", "source"), pgettext("sync table", "read"),
               pgettext("sync table", "created"), pgettext("sync table", "updated"),
               pgettext("sync table", "unchanged"), pgettext("sync table", "rights ended"),
               pgettext("sync table", "refused"), pgettext("sync table", "time (s)")]
    rows = []
    for report in result.reports.values():
        rows.append([report.name + ("" if report.full else " (" + _("incremental") + ")"),
                     report.read, report.created, report.updated, report.unchanged,
                     report.rights_ended, len(report.refused), f"{report.seconds:.1f}"])
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]

    def line(cells):
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    out = [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]
    for report in result.reports.values():
        if report.error:
            out.append(_("%(source)s: not read: %(error)s") % {"source": report.name,
                                                              "error": report.error})
        if report.missing:
            out.append(_("%(source)s: %(count)d people no longer listed (their rights end after "
                         "the grace period)") % {"source": report.name,
                                                 "count": report.missing})
        for entry, reason in report.refused[:20]:
            out.append(_("%(source)s: refused %(entry)s: %(reason)s")
                       % {"source": report.name, "entry": entry, "reason": reason})
        if len(report.refused) > 20:
            out.append(_("%(source)s: … and %(count)d more refused")
                       % {"source": report.name, "count": len(report.refused) - 20})
    if result.dry_run:
        out.append(_("Dry run: nothing was written."))
    return "\n".join(out) + "\n"
