"""The bulk card CSV: its columns, and the dry run that checks a file without writing anything.

A file is UTF-8 text (a byte-order mark is allowed), comma- or semicolon-separated. Its first
line names the columns (the names of `csv_config`, in any order); each further line is a card.
Row numbers are the file's line numbers, the header being row 1.
A CREATE file needs every column of a card but cardNumber (left empty, the router makes one);
an UPDATE file needs cardNumber too; a DELETE file needs cardNumber only.
"""

import csv
import io

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from campuscard.esc.escn import validate_escn
from campuscard.router.errors import BadRequest
from campuscard.router.inputs import CardLookups, FieldError, read_card

COLUMNS = ("cardNumber", "personIdentifier", "issuerIdentifier", "processorIdentifier",
           "cardType", "cardStatusType", "issuedAt", "expiresAt", "displayName")
CARD_COLUMNS = ("personIdentifier", "issuerIdentifier", "cardType", "cardStatusType",
                "issuedAt", "expiresAt")
REQUIRED = {"CREATE": CARD_COLUMNS, "UPDATE": ("cardNumber", *CARD_COLUMNS),
            "DELETE": ("cardNumber",)}
OPERATIONS = tuple(REQUIRED)
MAX_BYTES = 5 * 1024 * 1024
HEADER_ROW = 1


def csv_config():
    """Column name → zero-based index, the order a file is best written in."""
    return {name: index for index, name in enumerate(COLUMNS)}


def read_operation(value):
    if value not in OPERATIONS:
        raise BadRequest(_("operation is one of %(choices)s.")
                         % {"choices": ", ".join(OPERATIONS)})
    return value


def check_file(upload, operation, organisation):
    """[(row number, FieldError)] for the file `upload`; empty when it could be imported.
    A file that cannot be read as CSV text is a 400."""
    rows = _rows(_text(upload))
    if not rows:
        return [(HEADER_ROW, FieldError(None, _("The file is empty: its first line must name "
                                                "the columns.")))]
    header, records = rows[0], rows[1:]
    problems = [(HEADER_ROW, error) for error in _header_errors(header, operation)]
    if problems:
        return problems
    return _record_errors(header, records, operation, CardLookups(organisation))


def _text(upload):
    if upload.size > MAX_BYTES:
        raise BadRequest(_("The file is too large: %(megabytes)s MB at most.")
                         % {"megabytes": MAX_BYTES // (1024 * 1024)})
    data = upload.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest(_("The file is not UTF-8 text (byte %(position)s). Save it as "
                           "“CSV UTF-8” and send it again.") % {"position": exc.start}) from None
    if "\0" in text:
        raise BadRequest(_("The file holds binary data: send a CSV text file."))
    return text


def _rows(text):
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in header_line and "," not in header_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows = []
    try:
        while True:
            line = reader.line_num + 1  # where the row starts: a quoted value may run on
            rows.append((line, next(reader)))
    except StopIteration:
        return rows
    except csv.Error as exc:
        raise BadRequest(_("The file is not well-formed CSV near line %(line)s: %(error)s.")
                         % {"line": reader.line_num, "error": exc}) from None


def _header_errors(header, operation):
    _line, names = header
    names = [name.strip() for name in names]
    errors = [FieldError(name, _("Unknown column: the columns are %(columns)s.")
                         % {"columns": ", ".join(COLUMNS)})
              for name in names if name not in COLUMNS]
    errors += [FieldError(name, _("This column appears twice."))
               for name in sorted({n for n in names if names.count(n) > 1})]
    errors += [FieldError(name, _("This column is needed for %(operation)s.")
                          % {"operation": operation})
               for name in REQUIRED[operation] if name not in names]
    return errors


def _record_errors(header, records, operation, lookups):
    names = [name.strip() for name in header[1]]
    records = [(line, row) for line, row in records if any(value.strip() for value in row)]
    values = [dict(zip(names, row, strict=False)) for _line, row in records]
    lookups.preload([v.get("personIdentifier", "").strip() for v in values],
                    [_normalised(v.get("cardNumber", "")) for v in values])
    problems, seen = [], {}
    for (line, row), record in zip(records, values, strict=True):
        if len(row) != len(names):
            problems.append((line, FieldError(None, _(
                "This row has %(count)s values; the header names %(columns)s columns.")
                % {"count": len(row), "columns": len(names)})))
            continue
        errors = _row_errors(record, operation, lookups) or _repeat_errors(record, seen, line)
        problems += [(line, error) for error in errors]
    return problems


def _normalised(escn):
    try:
        return validate_escn(escn)
    except ValidationError:  # reported by the row's checks
        return escn.strip().lower()


def _row_errors(record, operation, lookups):
    if operation == "DELETE":
        return _delete_errors(record, lookups)
    card, errors = read_card(record, lookups, number_required=operation == "UPDATE")
    if errors:
        return errors
    if card.escn:
        return _existence_errors(card.escn, lookups, must_exist=operation == "UPDATE")
    return []


def _delete_errors(record, lookups):
    number = record.get("cardNumber", "").strip()
    if not number:
        return [FieldError("cardNumber", _("This field is required."))]
    try:
        escn = validate_escn(number, pic=lookups.organisation.pic)
    except ValidationError as exc:
        return [FieldError("cardNumber", " ".join(exc.messages))]
    return _existence_errors(escn, lookups, must_exist=True)


def _existence_errors(escn, lookups, *, must_exist):
    found = lookups.card(escn)
    if found is None and must_exist:
        return [FieldError("cardNumber", _("No card has this number."))]
    if found is not None and not must_exist:
        return [FieldError("cardNumber", _("A card with this number already exists."))]
    if found is not None and found[1] != lookups.organisation.pk:
        return [FieldError("cardNumber", _("This card belongs to another organisation."))]
    return []


def _repeat_errors(record, seen, line):
    escn = _normalised(record.get("cardNumber", ""))
    if not escn:
        return []
    if escn in seen:
        return [FieldError("cardNumber", _("This card number is on row %(row)s already.")
                           % {"row": seen[escn]})]
    seen[escn] = line
    return []
