"""The CSV export of a card search, streamed row by row so that any size fits in memory."""

import csv

from django.utils import timezone

COLUMNS = (
    "id", "state", "eppn", "last_name", "first_name", "email", "establishment_code",
    "population_code",
    "requested_at", "state_changed_at", "escn", "csn", "delivered_at",
)
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write() hands the line back instead of storing it."""

    def write(self, value):
        return value


def csv_lines(cards):
    """The header, then one line per card of the queryset `cards`, fetched 2,000 at a time."""
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for card in cards.iterator(chunk_size=2000):
        yield writer.writerow([safe_cell(value) for value in card_row(card)])


def card_row(card):
    person = card.person
    return (
        card.pk, card.state, person.eppn, person.last_name, person.first_name, person.email,
        card.establishment.code, person.population.code, _moment(card.requested_at),
        _moment(card.state_changed_at), card.escn, card.csn, _moment(card.delivered_at),
    )


def safe_cell(value):
    """The cell as text, with a leading quote when a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _moment(value):
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def export_filename():
    return f"campuscard-cards-{timezone.localtime():%Y%m%d-%H%M}.csv"


def csv_rows(columns, rows):
    """The header `columns`, then each row of `rows` (formulas defused), line by line."""
    writer = csv.writer(_Echo())
    yield writer.writerow(columns)
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])
