"""The streamed CSV export of the current search."""

import csv
import io

from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from campuscard.backoffice.export import safe_cell
from campuscard.cards.states import State

from ..conftest import card_in_state, make_person
from .conftest import quick_card

URL = reverse("backoffice:export")
HEADER = ["id", "state", "eppn", "last_name", "first_name", "email", "establishment_code",
          "population_code", "requested_at", "state_changed_at", "escn", "csn", "delivered_at"]


def rows(response):
    assert isinstance(response, StreamingHttpResponse)
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_export_has_one_line_per_card_with_every_column(login, manager_a, student):
    card = card_in_state(student, State.ENCODED, manager_a)
    response = login(manager_a).get(URL)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="campuscard-cards-')
    header, line = rows(response)
    assert header == HEADER
    assert line == [
        str(card.pk), "ENCODED", student.eppn, "Martin", "Alice", student.email, "univ-a",
        "student", timezone.localtime(card.requested_at).isoformat(timespec="seconds"),
        timezone.localtime(card.state_changed_at).isoformat(timespec="seconds"),
        str(card.escn), card.csn, "",
    ]


def test_export_follows_the_search_parameters(login, manager_a, student, other_student):
    mine = quick_card(student, State.NEW)
    quick_card(other_student, State.ENABLED)
    client = login(manager_a)
    assert [r[0] for r in rows(client.get(URL, {"state": "NEW"}))[1:]] == [str(mine.pk)]
    assert [r[0] for r in rows(client.get(URL, {"q": "alice"}))[1:]] == [str(mine.pk)]
    assert len(rows(client.get(URL, {"sort": "nonsense"}))) == 1  # invalid: the header only


def test_export_guards_against_formulas(login, manager_a, est_a, students):
    person = make_person("mallory", est_a, students, last_name="=HYPERLINK(\"http://x\")",
                         first_name="+33 1 23", email="-cmd@example.org")
    quick_card(person)
    line = rows(login(manager_a).get(URL))[1]
    assert line[3] == "'=HYPERLINK(\"http://x\")"
    assert line[4] == "'+33 1 23"
    assert line[5] == "'-cmd@example.org"


def test_safe_cell():
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("\t=1") == "'\t=1"
    assert safe_cell("Martin") == "Martin"
    assert safe_cell(None) == ""
    assert safe_cell(12) == "12"
