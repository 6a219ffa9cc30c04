"""Lines and files: quoting, encodings, headers, file names, streaming."""

import datetime
import io

import pytest

from campuscard.integrations.exports.formats import parse_format
from campuscard.integrations.exports.render import (
    file_name,
    header_bytes,
    render_line,
    write_file,
)

from .conftest import paris

RECORD = {"eppn": "a@x.org", "last_name": 'O"Neil; Jr', "first_name": "Zoë\nAnn",
          "birth_date": None, "state_date": paris(2024, 2, 29, 23, 30), "state": "ENABLED",
          "due_date": datetime.date(2045, 8, 31), "access_control_id": "42", "csn": "",
          "population": "", "constant": ""}


def fmt(columns, **keys):
    return parse_format({"columns": columns, **keys})


NAMES = [{"title": "last", "value": "last_name"}, {"title": "first", "value": "first_name"}]


def test_without_quoting_separators_and_line_breaks_become_spaces():
    assert render_line(fmt(NAMES), RECORD) == 'O"Neil  Jr;Zoë Ann'


def test_minimal_quoting_quotes_only_what_needs_it():
    line = render_line(fmt([*NAMES, {"value": "eppn"}], quoting="minimal"), RECORD)
    assert line == '"O""Neil; Jr";"Zoë\nAnn";a@x.org'


def test_all_quoting_with_another_quote_char_and_a_tab():
    line = render_line(fmt(NAMES, quoting="all", quote_char="'", separator="\t"), RECORD)
    assert line == "'O\"Neil; Jr'\t'Zoë\nAnn'"


def test_dates_fallback_cap_and_time():
    columns = [
        {"value": "birth_date", "format": "%d/%m/%Y", "fallback": "state_date"},
        {"value": "due_date", "format": "%Y%m%d", "max": "2037-12-31"},
        {"value": "state_date", "format": "%d/%m/%Y %H:%M"},
        {"value": "due_date", "format": "'%d/%m/%Y"},
    ]
    assert render_line(fmt(columns), RECORD) == (
        "29/02/2024;20371231;29/02/2024 23:30;'31/08/2045")


def test_map_prefix_length_padding_and_constant():
    columns = [
        {"value": "state", "map": {"ENABLED": "NON", "*": "OUI"}},
        {"value": "state", "map": {"DISABLED": "0"}},  # no "*": the value itself
        {"value": "access_control_id", "format": 6, "prefix": "07"},
        {"value": "last_name", "length": 3},
        {"value": "csn", "prefix": "X"},  # empty stays empty
        {"value": "constant", "constant": "13"},
    ]
    assert render_line(fmt(columns, quoting="minimal"), RECORD) == 'NON;ENABLED;07000042;"O""N";;13'


def test_encodings_keep_what_they_can_and_transliterate_the_rest():
    record = RECORD | {"last_name": "Œuvre Łódź Ősz 中 €5 l\u2019été"}
    columns = [{"value": "last_name"}]
    latin1 = io.BytesIO()
    write_file(fmt(columns, encoding="iso-8859-1"), [record], latin1)
    assert latin1.getvalue() == "OEuvre Lódz Osz ? EUR5 l'été\r\n".encode("iso-8859-1")
    cp1252 = io.BytesIO()
    write_file(fmt(columns, encoding="windows-1252", line_ending="\n"), [record], cp1252)
    assert cp1252.getvalue() == "Œuvre Lódz Osz ? €5 l\u2019été\n".encode("cp1252")
    utf8 = io.BytesIO()
    write_file(fmt(columns), [record], utf8)
    assert utf8.getvalue() == "Œuvre Łódź Ősz 中 €5 l\u2019été\r\n".encode()


def test_headers_from_titles_or_literal():
    assert header_bytes(fmt(NAMES)) == b""
    assert header_bytes(fmt(NAMES, header=True, quoting="all")) == b'"last";"first"\r\n'
    literal = fmt(NAMES, header="nom;prénom", encoding="iso-8859-1", line_ending="\n")
    assert header_bytes(literal) == "nom;prénom\n".encode("iso-8859-1")
    out = io.BytesIO()
    assert write_file(literal, [], out) == 0
    assert out.getvalue() == "nom;prénom\n".encode("iso-8859-1")


def test_write_file_streams_and_counts():
    """A generator of records is consumed as it is written, in chunks."""
    chunks = []

    class Sink:
        def write(self, data):
            chunks.append(data)

    count = write_file(fmt([{"value": "eppn"}], line_ending="\n"),
                       ({"eppn": f"p{i}"} for i in range(1200)), Sink())
    assert count == 1200
    assert len(chunks) == 1 + 3  # the (empty) header, then 512 + 512 + 176 lines
    assert b"".join(chunks).split(b"\n")[1199] == b"p1199"


@pytest.mark.parametrize(("template", "expected"), [
    ("{date:%Y%m%d}_cartes.csv", "20250916_cartes.csv"),
    ("{epoch_ms}_{seq}_p2s.csv", "1758000000000_7_p2s.csv"),
    ("export-{seq:04}.txt", "export-0007.txt"),
    ("{date:%Y-%m-%dT%H%M}.csv", "2025-09-16T0720.csv"),  # local time (Paris)
])
def test_file_names(template, expected):
    at = datetime.datetime(2025, 9, 16, 5, 20, tzinfo=datetime.UTC)
    assert file_name(fmt(NAMES, file_name=template), at, 7) == expected


def test_per_person_file_names_keep_slashes_out():
    per_person = fmt(NAMES, grouping="per_person", file_name="{eppn}_til.csv")
    at = paris(2025, 1, 1)
    assert file_name(per_person, at, 1, eppn="a@x.org") == "a@x.org_til.csv"
    assert file_name(per_person, at, 1, eppn="../a/b") == ".._a_b_til.csv"
