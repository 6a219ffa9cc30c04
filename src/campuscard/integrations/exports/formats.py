"""An export format is data: a JSON-able dict, stored in the database and edited in a form.

`parse_format(data)` checks such a dict and returns an ExportFormat, or raises FormatError
naming the bad key. Keys (all optional except `columns`; defaults in brackets):

columns          list of column dicts, in file order (see below)
separator        one character, "\\t" allowed [";"]
quoting          "none": values are never quoted; a separator, CR or LF inside a value is
                 replaced by a space, so a line is never broken (ESUP-SGC never quotes).
                 "minimal": quoted when they hold the separator, the quote or a line break.
                 "all": every value quoted. A quote inside a quoted value is doubled. ["none"]
quote_char       one character ['"']
encoding         "utf-8", "iso-8859-1" or "windows-1252". A character the encoding lacks is
                 written without its accents (NFKD: "Ő" → "O", "ł" → "l", "Œ" → "OE",
                 a curly apostrophe → "'"), else as "?". ["utf-8"]
line_ending      "\\r\\n" or "\\n", after every line, the last one included ["\\r\\n"]
header           false; true for a line of the column titles; or a literal header line [false]
file_name        a template: {date:%Y%m%d} (any strftime pattern, on the file's time),
                 {epoch_ms}, {seq} or {seq:04} (the caller's sequence number, zero-padded),
                 {eppn} (per-person files only, and required there) ["export.csv"]
grouping         "batch": one file for many people; "per_person": one file per person,
                 as ESUP-SGC's <eppn>_synchronic.csv ["batch"]
mode             "changes": lines for the people whose cards changed; "snapshot": every
                 matching card ["changes"]
selection        "one_per_person": the ENABLED card, else the most recent DISABLED, else
                 the most recent CADUC; "all_cards": every card in `states` ["one_per_person"]
states           card states written [["ENABLED", "DISABLED", "CADUC"]]
require_enabled_date  leave out cards never enabled [false]
lines_per_file   at most this many lines in a file, 0 for no limit [0]
every_minutes    gather changes and write them every N minutes, 0 for at once [0]

A column:

title            its name in a header line [""]
value            one of records.VARIABLES, or "constant" (required)
constant         the text written when value is "constant"
format           dates: a strftime pattern ["%Y-%m-%d"]; numbers: a zero-padding width
max              dates: "YYYY-MM-DD", a later date is written as this one
map              {"ENABLED": "NON", "*": "OUI"}: text written for a value; "*" for any other
fallback         another variable of the same kind, used when the value is empty
length           cut the text to this many characters
prefix           written before a non-empty value
csn              with value "csn": {"reversed": true, "decimal": true} (the same as the
                 variables csn_reversed, csn_dec, csn_reversed_dec)

A value is formatted, then mapped, then prefixed, then cut to `length`.
"""

import datetime
import string
from dataclasses import dataclass, field
from functools import cached_property

from django.utils.translation import gettext as _

from campuscard.cards.states import State
from campuscard.integrations.exports.records import DATE, KINDS, NUMBER

ENCODINGS = ("utf-8", "iso-8859-1", "windows-1252")
QUOTING = ("none", "minimal", "all")
LINE_ENDINGS = ("\r\n", "\n")
GROUPINGS = ("batch", "per_person")
MODES = ("changes", "snapshot")
IF_EXISTS = ("wait", "replace", "refuse")
SELECTIONS = ("one_per_person", "all_cards")
DEFAULT_STATES = ("ENABLED", "DISABLED", "CADUC")
DEFAULT_DATE_FORMAT = "%Y-%m-%d"
FILE_NAME_FIELDS = ("date", "epoch_ms", "seq", "eppn")
# strftime directives every platform knows; %-d and friends are glibc-only.
STRFTIME_DIRECTIVES = frozenset("aAwdbBmyYHIpMSfzZjUWcxXGuV%")
TIME_DIRECTIVES = frozenset("HIpMSfzZcX")

FORMAT_KEYS = frozenset({
    "columns", "separator", "quoting", "quote_char", "encoding", "line_ending", "header",
    "file_name", "grouping", "mode", "selection", "states", "require_enabled_date",
    "lines_per_file", "every_minutes", "if_exists",
})
COLUMN_KEYS = frozenset({"title", "value", "constant", "format", "max", "map", "fallback",
                         "length", "prefix", "csn"})
CSN_VARIABLES = {(False, False): "csn", (True, False): "csn_reversed",
                 (False, True): "csn_dec", (True, True): "csn_reversed_dec"}


class FormatError(ValueError):
    """A format dict that cannot be used; `key` says where, e.g. "columns[2].format"."""

    def __init__(self, key, message):
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


@dataclass(frozen=True)
class Column:
    value: str
    title: str = ""
    constant: str = ""
    format: str | int | None = None
    max: datetime.date | None = None
    map: dict = field(default_factory=dict)
    fallback: str | None = None
    length: int | None = None
    prefix: str = ""

    @property
    def kind(self):
        return KINDS[self.value]


@dataclass(frozen=True)
class ExportFormat:
    columns: tuple
    separator: str = ";"
    quoting: str = "none"
    quote_char: str = '"'
    encoding: str = "utf-8"
    line_ending: str = "\r\n"
    header: bool | str = False
    file_name: str = "export.csv"
    grouping: str = "batch"
    mode: str = "changes"
    selection: str = "one_per_person"
    states: tuple = DEFAULT_STATES
    require_enabled_date: bool = False
    lines_per_file: int = 0
    every_minutes: int = 0
    # A file of that name already at the destination with other contents: "wait" until the
    # reader takes it, "replace" it (files named after a person), or "refuse" (a person looks).
    if_exists: str = "wait"

    @cached_property
    def compiled(self):
        """The line renderer, built once per format (render.py)."""
        from campuscard.integrations.exports.render import compile_format

        return compile_format(self)


def parse_format(data):
    """Check a format dict and return its ExportFormat; raise FormatError on the first fault."""
    if not isinstance(data, dict):
        raise FormatError("format", _("A format is a set of keys and values."))
    _refuse_unknown(data, FORMAT_KEYS, "")
    fmt = ExportFormat(
        columns=_columns(data.get("columns")),
        separator=_one_char(data, "separator", ";"),
        quoting=_choice(data, "quoting", QUOTING, "none"),
        quote_char=_one_char(data, "quote_char", '"'),
        encoding=_choice(data, "encoding", ENCODINGS, "utf-8", normalise=str.lower),
        line_ending=_choice(data, "line_ending", LINE_ENDINGS, "\r\n"),
        header=_header(data.get("header", False)),
        file_name=_text(data, "file_name", "export.csv"),
        grouping=_choice(data, "grouping", GROUPINGS, "batch"),
        mode=_choice(data, "mode", MODES, "changes"),
        selection=_choice(data, "selection", SELECTIONS, "one_per_person"),
        states=_states(data.get("states", list(DEFAULT_STATES))),
        require_enabled_date=_bool(data, "require_enabled_date", False),
        lines_per_file=_count(data, "lines_per_file", 0),
        every_minutes=_count(data, "every_minutes", 0),
        if_exists=_choice(data, "if_exists", IF_EXISTS,
                          "replace" if data.get("grouping") == "per_person" else "wait"),
    )
    _check_line_safety(fmt)
    _check_file_name(fmt)
    return fmt


# --- top-level keys -----------------------------------------------------------------------

def _refuse_unknown(data, known, where):
    for key in data:
        if key not in known:
            raise FormatError(f"{where}{key}", _("Unknown key “%(key)s”.") % {"key": key})


def _one_char(data, key, default):
    value = data.get(key, default)
    if not isinstance(value, str) or len(value) != 1 or value in "\r\n":
        raise FormatError(key, _("Give exactly one character (a tab is allowed, a line break "
                                 "is not)."))
    return value


def _choice(data, key, choices, default, normalise=None):
    value = data.get(key, default)
    if isinstance(value, str) and normalise:
        value = normalise(value)
    if value not in choices:
        raise FormatError(key, _("Choose one of: %(choices)s.")
                          % {"choices": ", ".join(repr(c) for c in choices)})
    return value


def _text(data, key, default):
    value = data.get(key, default)
    if not isinstance(value, str) or not value:
        raise FormatError(key, _("Give a text."))
    return value


def _bool(data, key, default):
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise FormatError(key, _("Give true or false."))
    return value


def _count(data, key, default):
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise FormatError(key, _("Give a whole number, 0 or more."))
    return value


def _header(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value and "\r" not in value and "\n" not in value:
        return value
    raise FormatError("header", _("Give true, false, or the header line itself (one line)."))


def _states(value):
    if not isinstance(value, list | tuple) or not value:
        raise FormatError("states", _("Give at least one card state."))
    for state in value:
        if state not in State.values:
            raise FormatError("states", _("Unknown card state “%(state)s”.") % {"state": state})
    return tuple(dict.fromkeys(value))


# --- columns ------------------------------------------------------------------------------

def _columns(value):
    if not isinstance(value, list | tuple) or not value:
        raise FormatError("columns", _("Give at least one column."))
    return tuple(_column(item, f"columns[{index}]") for index, item in enumerate(value))


def _column(data, where):
    if not isinstance(data, dict):
        raise FormatError(where, _("A column is a set of keys and values."))
    _refuse_unknown(data, COLUMN_KEYS, f"{where}.")
    value = _variable(data.get("value"), f"{where}.value")
    value = _csn_variant(data, value, where)
    kind = KINDS[value]
    return Column(
        value=value,
        title=_plain(data, "title", where),
        constant=_constant(data, value, where),
        format=_column_format(data.get("format"), kind, f"{where}.format"),
        max=_cap(data.get("max"), kind, f"{where}.max"),
        map=_map(data.get("map", {}), f"{where}.map"),
        fallback=_fallback(data.get("fallback"), kind, f"{where}.fallback"),
        length=_length(data.get("length"), f"{where}.length"),
        prefix=_plain(data, "prefix", where),
    )


def _variable(value, where):
    if value not in KINDS:
        raise FormatError(where, _("Unknown variable “%(value)s”.") % {"value": value})
    return value


def _csn_variant(data, value, where):
    options = data.get("csn")
    if options is None:
        return value
    key = f"{where}.csn"
    if value != "csn":
        raise FormatError(key, _("Only a column of the chip serial number takes these options."))
    if not isinstance(options, dict) or set(options) - {"reversed", "decimal"} or not all(
            isinstance(v, bool) for v in options.values()):
        raise FormatError(key, _("Give {\"reversed\": true or false, \"decimal\": true or "
                                 "false}."))
    return CSN_VARIABLES[(options.get("reversed", False), options.get("decimal", False))]


def _plain(data, key, where):
    value = data.get(key, "")
    if not isinstance(value, str):
        raise FormatError(f"{where}.{key}", _("Give a text."))
    return value


def _constant(data, value, where):
    constant = _plain(data, "constant", where)
    if constant and value != "constant":
        raise FormatError(f"{where}.constant",
                          _("A constant text needs the value “constant”."))
    return constant


def _column_format(value, kind, where):
    if value is None:
        return DEFAULT_DATE_FORMAT if kind == DATE else None
    if kind == DATE:
        if not isinstance(value, str) or not value:
            raise FormatError(where, _("Give a date pattern such as %d/%m/%Y."))
        check_strftime(value, where)
        return value
    if kind == NUMBER:
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 40:
            raise FormatError(where, _("Give the number of digits to pad to with zeros "
                                       "(0 to 40)."))
        return value
    raise FormatError(where, _("Only dates and numbers take a format."))


def check_strftime(pattern, where):
    index = 0
    while index < len(pattern):
        if pattern[index] == "%":
            directive = pattern[index + 1:index + 2]
            if directive not in STRFTIME_DIRECTIVES or not directive:
                raise FormatError(where, _("“%(pattern)s” is not a valid date pattern: "
                                           "“%%%(directive)s” is not a directive.")
                                  % {"pattern": pattern, "directive": directive})
            index += 2
        else:
            index += 1


def _cap(value, kind, where):
    if value is None:
        return None
    if kind != DATE:
        raise FormatError(where, _("Only a date takes a maximum."))
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise FormatError(where, _("Give the maximum date as YYYY-MM-DD.")) from None


def _map(value, where):
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise FormatError(where, _("Give pairs of texts: value → text written."))
    return dict(value)


def _fallback(value, kind, where):
    if value is None:
        return None
    _variable(value, where)
    if KINDS[value] != kind:
        raise FormatError(where, _("The fallback must be of the same kind as the value (a date "
                                   "for a date, a number for a number, a text for a text)."))
    return value


def _length(value, where):
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise FormatError(where, _("Give a number of characters, 1 or more."))
    return value


# --- whole-format checks --------------------------------------------------------------------

def _check_line_safety(fmt):
    """With quoting "none", what the format itself writes may not hold a separator or a line
    break: only the people's data is cleaned at render time."""
    if fmt.quoting != "none":
        return
    forbidden = {fmt.separator, "\r", "\n"}
    for index, column in enumerate(fmt.columns):
        where = f"columns[{index}]"
        texts = {"prefix": column.prefix, "constant": column.constant,
                 "map": "".join(column.map.values())}
        if column.kind == DATE:
            texts["format"] = column.format
        if fmt.header is True:
            texts["title"] = column.title
        for key, text in texts.items():
            if forbidden & set(text):
                raise FormatError(f"{where}.{key}", _(
                    "This holds the separator or a line break: without quoting, it would "
                    "break the line."))


def _check_file_name(fmt):
    template = fmt.file_name
    try:
        fields = [parsed for parsed in string.Formatter().parse(template) if parsed[1] is not None]
    except ValueError:
        raise FormatError("file_name", _("Unbalanced braces in the file name.")) from None
    names = set()
    for _literal, name, spec, conversion in fields:
        if name not in FILE_NAME_FIELDS or conversion:
            raise FormatError("file_name", _("Unknown field “{%(name)s}” in the file name; use "
                                             "{date:%%Y%%m%%d}, {epoch_ms}, {seq} or {eppn}.")
                              % {"name": name})
        if name == "date":
            if not spec:
                raise FormatError("file_name", _("Give the date's pattern, e.g. "
                                                 "{date:%Y%m%d}."))
            check_strftime(spec, "file_name")
        names.add(name)
    if fmt.grouping == "per_person" and "eppn" not in names:
        raise FormatError("file_name", _("One file per person needs {eppn} in its name."))
    if fmt.grouping == "batch" and "eppn" in names:
        raise FormatError("file_name", _("{eppn} is for one file per person only."))
    from campuscard.integrations.exports.render import file_name

    try:
        file_name(fmt, datetime.datetime(2026, 1, 31, 12, 0, tzinfo=datetime.UTC), 1,
                  eppn="someone@example.org")
    except FormatError:
        raise
    except (ValueError, TypeError) as exc:
        raise FormatError("file_name", _("This file name cannot be written: %(error)s")
                          % {"error": exc}) from None
