"""Numbers that come from outside (ids, pages, sizes in query strings, forms and bodies), checked
once at the boundary: a value the database cannot hold never reaches a query.

`bounded_int(raw, name=…, minimum=…, maximum=…)` returns an int or raises a translated
ValidationError; `is_database_id(value)` says whether an int fits a primary key.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_DATABASE_ID = 2**63 - 1  # a BigAutoField on PostgreSQL, and SQLite's INTEGER
MAX_PAGE = 1_000_000
MAX_DIGITS = 20


def bounded_int(raw, *, name, minimum=0, maximum=MAX_DATABASE_ID, default=None):
    """`raw` (a str or int; None or "" gives `default`) as an int in [minimum, maximum]."""
    if raw is None or raw == "":
        if default is None:
            raise ValidationError(_("%(name)s is required.") % {"name": name}, code="required")
        return default
    value = _as_int(raw, name)
    if not minimum <= value <= maximum:
        raise ValidationError(
            _("%(name)s must be between %(minimum)s and %(maximum)s.")
            % {"name": name, "minimum": minimum, "maximum": maximum}, code="out_of_range")
    return value


def database_id(raw, *, name="id"):
    """A primary key given by a caller: a whole number from 1 to MAX_DATABASE_ID."""
    return bounded_int(raw, name=name, minimum=1, maximum=MAX_DATABASE_ID)


def is_database_id(value):
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_DATABASE_ID


def _as_int(raw, name):
    if isinstance(raw, bool):
        raise _not_a_number(name, raw)
    if isinstance(raw, int):
        return raw
    text = str(raw).strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isascii() or not digits.isdigit() or len(digits) > MAX_DIGITS:
        raise _not_a_number(name, raw)
    return int(text)


def _not_a_number(name, raw):
    shown = str(raw)[:40]
    return ValidationError(_("%(name)s must be a whole number, not “%(value)s”.")
                           % {"name": name, "value": shown}, code="invalid")
