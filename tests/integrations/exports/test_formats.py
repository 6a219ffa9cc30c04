"""A bad format dict is refused with a message naming the key; nothing is guessed."""

import pytest

from campuscard.integrations.exports.formats import FormatError, parse_format

ONE_COLUMN = [{"value": "eppn"}]


def refused(**data):
    data.setdefault("columns", ONE_COLUMN)
    with pytest.raises(FormatError) as caught:
        parse_format(data)
    return caught.value


@pytest.mark.parametrize(("data", "key", "words"), [
    ({"columns": [{"value": "eppn"}, {"value": "shoe_size"}]}, "columns[1].value", "shoe_size"),
    ({"encoding": "utf-16"}, "encoding", "iso-8859-1"),
    ({"separator": ";;"}, "separator", "one character"),
    ({"separator": "\n"}, "separator", "line break"),
    ({"columns": [{"value": "birth_date", "format": "%d/%Q/%Y"}]}, "columns[0].format", "%Q"),
    ({"columns": [{"value": "birth_date", "format": "%d/%m/%"}]}, "columns[0].format",
     "not a valid date pattern"),
    ({"colums": ONE_COLUMN}, "colums", "Unknown key"),
    ({"columns": [{"value": "eppn", "width": 3}]}, "columns[0].width", "Unknown key"),
    ({"columns": []}, "columns", "at least one column"),
    ({"quoting": "some"}, "quoting", "minimal"),
    ({"line_ending": "\r"}, "line_ending", "Choose one of"),
    ({"columns": [{"value": "eppn", "format": "%Y"}]}, "columns[0].format", "Only dates"),
    ({"columns": [{"value": "card_id", "format": "wide"}]}, "columns[0].format", "zeros"),
    ({"columns": [{"value": "due_date", "max": "31/12/2037"}]}, "columns[0].max", "YYYY-MM-DD"),
    ({"columns": [{"value": "eppn", "max": "2037-12-31"}]}, "columns[0].max", "Only a date"),
    ({"columns": [{"value": "birth_date", "fallback": "eppn"}]}, "columns[0].fallback",
     "same kind"),
    ({"columns": [{"value": "birth_date", "fallback": "nope"}]}, "columns[0].fallback", "nope"),
    ({"columns": [{"value": "eppn", "csn": {"reversed": True}}]}, "columns[0].csn", "chip"),
    ({"columns": [{"value": "eppn", "constant": "A"}]}, "columns[0].constant", "constant"),
    ({"columns": [{"value": "state", "map": {"ENABLED": 1}}]}, "columns[0].map", "pairs"),
    ({"columns": [{"value": "eppn", "length": 0}]}, "columns[0].length", "1 or more"),
    ({"states": ["ENABLED", "LOST"]}, "states", "LOST"),
    ({"lines_per_file": -1}, "lines_per_file", "0 or more"),
    ({"every_minutes": True}, "every_minutes", "0 or more"),
    ({"require_enabled_date": "yes"}, "require_enabled_date", "true or false"),
    ({"header": "a\nb"}, "header", "one line"),
    ({"file_name": "{eppn}.csv"}, "file_name", "one file per person only"),
    ({"grouping": "per_person", "file_name": "x.csv"}, "file_name", "needs {eppn}"),
    ({"file_name": "{date.year}.csv"}, "file_name", "Unknown field"),
    ({"file_name": "{date}.csv"}, "file_name", "pattern"),
    ({"file_name": "{seq:x}{foo}.csv"}, "file_name", "foo"),
    ({"file_name": "{seq:Z}.csv"}, "file_name", "cannot be written"),
    ({"file_name": "../{seq}.csv"}, "file_name", "cannot be a file name"),
    ({"file_name": "x{.csv"}, "file_name", "braces"),
    ({"columns": [{"value": "constant", "constant": "a;b"}]}, "columns[0].constant",
     "break the line"),
    ({"columns": [{"value": "state", "map": {"*": "x\ny"}}]}, "columns[0].map", "break"),
    ({"header": True, "columns": [{"title": "a;b", "value": "eppn"}]}, "columns[0].title",
     "break"),
])
def test_a_bad_key_is_named(data, key, words):
    error = refused(**data)
    assert error.key == key
    assert words in error.message


def test_a_format_that_is_not_a_dict():
    with pytest.raises(FormatError):
        parse_format(["columns"])


def test_defaults_and_accepted_values():
    fmt = parse_format({"columns": [{"value": "due_date"}, {"value": "csn",
                                                           "csn": {"decimal": True}}],
                        "separator": "\t", "encoding": "ISO-8859-1", "quoting": "minimal"})
    assert (fmt.separator, fmt.encoding, fmt.line_ending, fmt.header) == ("\t", "iso-8859-1",
                                                                          "\r\n", False)
    assert [c.value for c in fmt.columns] == ["due_date", "csn_dec"]
    assert fmt.columns[0].format == "%Y-%m-%d"
    assert fmt.states == ("ENABLED", "DISABLED", "CADUC")
    # With quoting, a separator in a constant is fine: it will be quoted.
    parse_format({"columns": [{"value": "constant", "constant": "a;b"}], "quoting": "minimal"})
