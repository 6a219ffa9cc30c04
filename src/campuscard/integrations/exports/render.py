"""Writing records (records.card_record) as the lines and files of an ExportFormat.

Each format is compiled once (ExportFormat.compiled): one closure per column, chosen by the
column's kind and options, so a line costs a call per column and a join, with no parsing and
no regular expression. Files are written as bytes in the format's encoding, a few hundred lines
at a time: memory stays constant whatever the number of records.
"""

import codecs
import datetime
import unicodedata

from django.utils import timezone
from django.utils.translation import gettext as _

from campuscard.integrations.exports.records import DATE, NUMBER

TIME_DIRECTIVES = "HIpMSfzZcX"

ERRORS = "campuscard-transliterate"
LINES_PER_WRITE = 512
DATE_MEMO_SIZE = 20_000  # about 55 years of days, a few MB at most
# What NFKD does not take apart: written as their usual Latin letters.
SPELLED_OUT = {
    "Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "Ł": "L", "ł": "l", "Đ": "D", "đ": "d",
    "Ø": "O", "ø": "o", "ß": "ss", "\u0131": "i", "€": "EUR",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"',
    "\u201e": '"', "\u2013": "-", "\u2014": "-",
}
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _transliterate(error):
    """Codec error handler: a character the encoding lacks loses its accents, else is "?"."""
    replacement = []
    for char in error.object[error.start:error.end]:
        replacement.append(_nearest(char, error.encoding))
    return "".join(replacement), error.end


def _nearest(char, encoding):
    for candidate in (SPELLED_OUT.get(char), _without_marks(char)):
        if candidate:
            try:
                candidate.encode(encoding)
                return candidate
            except UnicodeEncodeError:
                continue
    return "?"


def _without_marks(char):
    return "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))


codecs.register_error(ERRORS, _transliterate)


# --- public interface -----------------------------------------------------------------------

def render_line(fmt, record):
    """One line of `fmt` for `record`, without its line ending."""
    return fmt.compiled.line(record)


def header_bytes(fmt):
    """The header line with its line ending, encoded; b"" for a format without one."""
    header = fmt.compiled.header
    return (header + fmt.line_ending).encode(fmt.encoding, ERRORS) if header is not None else b""


def write_file(fmt, records, fileobj):
    """Write the header and a line per record to the binary `fileobj`; return the line count."""
    line = fmt.compiled.line
    return _write(fmt, (line(record) for record in records), fileobj)


def write_lines(fmt, lines, fileobj):
    """The same with lines already rendered (render_line), e.g. kept from earlier changes."""
    return _write(fmt, lines, fileobj)


def _write(fmt, lines, fileobj):
    fileobj.write(header_bytes(fmt))
    eol, encoding = fmt.line_ending, fmt.encoding
    count, chunk = 0, []
    for text in lines:
        chunk.append(text)
        if len(chunk) == LINES_PER_WRITE:
            fileobj.write((eol.join(chunk) + eol).encode(encoding, ERRORS))
            count += len(chunk)
            chunk = []
    if chunk:
        fileobj.write((eol.join(chunk) + eol).encode(encoding, ERRORS))
        count += len(chunk)
    return count


def file_name(fmt, at, seq, eppn=None):
    """The file's name at the moment `at` (a datetime), with sequence number `seq`."""
    from campuscard.integrations.exports.formats import FormatError

    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    name = fmt.file_name.format(
        date=timezone.localtime(at), epoch_ms=(at - EPOCH) // datetime.timedelta(milliseconds=1),
        seq=seq, eppn=_safe_eppn(eppn))
    if name in ("", ".", "..") or any(c in name for c in "/\\") or not name.isprintable():
        raise FormatError("file_name", _("“%(name)s” cannot be a file name.") % {"name": name})
    return name


def _safe_eppn(eppn):
    return (eppn or "").replace("/", "_").replace("\\", "_")


# --- compiling -------------------------------------------------------------------------------

class Compiled:
    def __init__(self, line, header):
        self.line = line
        self.header = header


def compile_format(fmt):
    quote = _quoter(fmt)
    formatters = [_formatter(column, fmt, quote) for column in fmt.columns]
    join = fmt.separator.join

    def line(record):
        return join([format_value(record) for format_value in formatters])

    return Compiled(line, _header_text(fmt, quote))


def _header_text(fmt, quote):
    if fmt.header is True:
        return fmt.separator.join(quote(column.title) for column in fmt.columns)
    return fmt.header or None


def _quoter(fmt):
    sep, q = fmt.separator, fmt.quote_char
    qq = q + q
    if fmt.quoting == "all":
        return lambda value: q + value.replace(q, qq) + q
    if fmt.quoting == "minimal":
        def quote_minimal(value):
            if sep in value or q in value or "\n" in value or "\r" in value:
                return q + value.replace(q, qq) + q
            return value
        return quote_minimal
    return None  # "none": values are cleaned instead (see _cleaner)


def _cleaner(fmt):
    """With quoting "none", a separator or a line break in a value becomes a space."""
    if fmt.quoting != "none":
        return None
    sep = fmt.separator
    table = str.maketrans({sep: " ", "\r": " ", "\n": " "})

    def clean(value):
        if sep in value or "\n" in value or "\r" in value:
            return value.translate(table)
        return value

    return clean


def _formatter(column, fmt, quote):
    """record → str for one column: read, fall back, format, map, prefix, cut, quote.

    The common case, a text read as it is, is a single closure with no call inside."""
    finish = _finisher(column, quote)
    if column.value == "constant":
        constant = finish(column.constant) if finish else column.constant
        return lambda record: constant
    name, fallback = column.value, column.fallback
    if column.kind != DATE and not fallback and not finish and not column.format:
        return _bare_text(name, fmt)
    to_text = _date_text(column) if column.kind == DATE else _plain_text(column, fmt)
    if fallback:
        def read(record):
            value = record[name]
            if value is None or value == "":
                value = record[fallback]
            return to_text(value)
    else:
        def read(record):
            return to_text(record[name])
    if not finish:
        return read
    return lambda record: finish(read(record))


def _bare_text(name, fmt):
    if fmt.quoting != "none":
        return lambda record: record[name] or ""
    sep = fmt.separator
    table = str.maketrans({sep: " ", "\r": " ", "\n": " "})

    def bare(record):
        value = record[name]
        if not value:
            return ""
        if sep in value or "\n" in value or "\r" in value:
            return value.translate(table)
        return value

    return bare


def _plain_text(column, fmt):
    clean = _cleaner(fmt)
    width = column.format if column.kind == NUMBER else None

    def plain(value):
        if not value:
            return ""
        if clean:
            value = clean(value)
        return value.zfill(width) if width else value

    return plain


def _date_text(column):
    """The date's text, memoised per date: a file repeats the same few thousand days."""
    pattern, cap = column.format, column.max
    keep_time = any(f"%{d}" in pattern for d in TIME_DIRECTIVES)
    memo = {}

    def date_text(value):
        if not value:
            return ""
        if not keep_time and isinstance(value, datetime.datetime):
            value = value.date()
        text = memo.get(value)
        if text is None:
            if len(memo) >= DATE_MEMO_SIZE:
                memo.clear()
            text = memo[value] = _capped(value, cap).strftime(pattern)
        return text

    return date_text


def _capped(value, cap):
    day = value.date() if isinstance(value, datetime.datetime) else value
    return cap if cap is not None and day > cap else value


def _finisher(column, quote):
    """map, prefix, length and quoting, in that order; None when none applies."""
    mapping, default = dict(column.map), column.map.get("*")
    mapping.pop("*", None)
    prefix, length = column.prefix, column.length
    if not (mapping or default is not None or prefix or length or quote):
        return None

    def finish(text):
        if mapping or default is not None:
            text = mapping.get(text, default if default is not None else text)
        if prefix and text:
            text = prefix + text
        if length:
            text = text[:length]
        return quote(text) if quote else text

    return finish
