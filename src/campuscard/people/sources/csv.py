"""CSV source: a file read from a path (a manager's export dropped there, or a shipped
directory); the header names the columns, the Person field names unless [source.fields] says."""

import csv
from pathlib import Path

from django.utils.translation import gettext as _

from campuscard.people.sources import Source, SourceError, normalise_key


class CsvSource(Source):
    def describe(self):
        return self.config.options["path"]

    def _rows(self):
        options = self.config.options
        path = Path(options["path"])
        try:
            handle = path.open(encoding=options.get("encoding", "utf-8-sig"), newline="")
        except OSError as exc:
            raise SourceError(_("CSV: cannot read %(path)s (%(error)s).")
                              % {"path": path, "error": exc.strerror}) from None
        with handle:
            try:
                reader = csv.DictReader(handle, delimiter=options.get("delimiter", ","))
                if not reader.fieldnames:
                    raise SourceError(_("CSV: %(path)s has no header line.") % {"path": path})
                for row in reader:
                    yield {normalise_key(k): v for k, v in row.items() if k is not None}
            except (csv.Error, UnicodeDecodeError) as exc:
                raise SourceError(_("CSV: %(path)s line %(line)d: %(error)s.")
                                  % {"path": path, "line": reader.line_num,
                                     "error": exc}) from None

    def entries(self, since="", timeout=None):
        yield from self._rows()

    def lookup(self, eppn, timeout=None):
        column = normalise_key(self.config.fields["eppn"])
        wanted = eppn.strip().lower()
        for row in self._rows():
            if (row.get(column) or "").strip().lower() == wanted:
                return row
        return None

    def raw_value(self, raw, key):
        return raw.get(normalise_key(key))


SOURCE_CLASS = CsvSource
