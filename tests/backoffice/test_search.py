"""The card search page: filters, free text, sort, pagination, scope of the choices."""

import datetime

import pytest
from django.urls import reverse

from campuscard.cards.states import State

from ..conftest import card_in_state, make_staff
from .conftest import days_ago, many_people, quick_card

URL = reverse("backoffice:cards")


def found_ids(response):
    return [card.pk for card in response.context["page"].object_list]


def test_search_lists_cards_of_the_scope_newest_request_first(login, manager_a, student,
                                                               other_student, student_b):
    older = quick_card(student, requested_at=days_ago(3))
    newer = quick_card(other_student, requested_at=days_ago(1))
    quick_card(student_b)
    response = login(manager_a).get(URL)
    assert response.status_code == 200
    assert found_ids(response) == [newer.pk, older.pk]
    assert "2 cards found." in response.content.decode()


@pytest.mark.parametrize("text", ["alice", "ALIC", "Martin alice", "alice@univ-a.example.org",
                                  "alice@example.org"])
def test_text_finds_by_name_eppn_and_email(login, manager_a, student, other_student, text):
    mine = quick_card(student)
    quick_card(other_student)
    assert found_ids(login(manager_a).get(URL, {"q": text})) == [mine.pk]


def test_text_finds_by_csn_whatever_its_spelling(login, manager_a, student, other_student):
    encoded = card_in_state(student, State.ENCODED, manager_a)
    quick_card(other_student)
    spaced = " ".join(encoded.csn[i:i + 2] for i in range(0, len(encoded.csn), 2)).lower()
    assert found_ids(login(manager_a).get(URL, {"q": spaced})) == [encoded.pk]


def test_text_finds_by_escn(login, manager_a, student, other_student):
    mine = quick_card(student)
    quick_card(other_student)
    assert found_ids(login(manager_a).get(URL, {"q": str(mine.escn).upper()})) == [mine.pk]


def test_filter_by_several_states(login, manager_a, student, other_student, est_a, students):
    new = quick_card(student, State.NEW)
    checked = quick_card(other_student, State.REQUEST_CHECKED)
    third = many_people(1, est_a, students)[0]
    quick_card(third, State.ENABLED)
    response = login(manager_a).get(URL, {"state": ["NEW", "REQUEST_CHECKED"]})
    assert sorted(found_ids(response)) == sorted([new.pk, checked.pk])


def test_filter_by_request_dates(login, manager_a, student, other_student, est_a, students):
    old = quick_card(student, requested_at=days_ago(30))
    middle = quick_card(other_student, requested_at=days_ago(10))
    quick_card(many_people(1, est_a, students)[0], requested_at=days_ago(1))
    today = datetime.date.today()
    response = login(manager_a).get(URL, {
        "requested_from": (today - datetime.timedelta(days=31)).isoformat(),
        "requested_to": (today - datetime.timedelta(days=5)).isoformat(),
    })
    assert sorted(found_ids(response)) == sorted([old.pk, middle.pk])


def test_filter_by_population(login, admin_user, student, est_a, staff_population):
    quick_card(student)
    colleague = many_people(1, est_a, staff_population, prefix="staff")[0]
    theirs = quick_card(colleague)
    response = login(admin_user).get(URL, {"population": staff_population.pk})
    assert found_ids(response) == [theirs.pk]


def test_filter_by_establishment_for_an_admin(login, admin_user, student, student_b, est_b):
    quick_card(student)
    theirs = quick_card(student_b)
    assert found_ids(login(admin_user).get(URL, {"establishment": est_b.pk})) == [theirs.pk]


@pytest.mark.parametrize(("sort", "expected"), [
    ("name", ["Name000", "Name001", "Name002"]),
    ("-name", ["Name002", "Name001", "Name000"]),
])
def test_sort_by_name(login, manager_a, est_a, students, sort, expected):
    for person in reversed(many_people(3, est_a, students)):
        quick_card(person)
    response = login(manager_a).get(URL, {"sort": sort})
    assert [c.person.last_name for c in response.context["page"].object_list] == expected


def test_sort_by_request_date_both_ways(login, manager_a, est_a, students):
    people = many_people(3, est_a, students)
    cards = [quick_card(p, requested_at=days_ago(10 - i)) for i, p in enumerate(people)]
    client = login(manager_a)
    assert found_ids(client.get(URL, {"sort": "requested"})) == [c.pk for c in cards]
    assert found_ids(client.get(URL, {"sort": "-requested"})) == [c.pk for c in reversed(cards)]


def test_sort_headers_toggle_and_keep_the_filters(login, manager_a, student):
    quick_card(student)
    response = login(manager_a).get(URL, {"sort": "name", "state": "NEW", "page": "1"})
    html = response.content.decode()
    assert 'aria-sort="ascending"' in html
    assert 'href="?sort=-name&amp;state=NEW"' in html  # the same column again: reversed
    assert 'href="?sort=-requested&amp;state=NEW"' in html  # dates: newest first


def test_pagination_is_fifty_per_page_and_keeps_the_filters(login, manager_a, est_a, students):
    for person in many_people(55, est_a, students):
        quick_card(person)
    client = login(manager_a)
    first = client.get(URL, {"state": "NEW", "sort": "name"})
    assert len(first.context["page"].object_list) == 50
    assert 'href="?state=NEW&amp;sort=name&amp;page=2"' in first.content.decode()
    second = client.get(URL, {"state": "NEW", "sort": "name", "page": 2})
    assert [c.person.last_name for c in second.context["page"].object_list] == [
        f"Name{i:03d}" for i in range(50, 55)]
    assert client.get(URL, {"page": "nonsense"}).status_code == 200


@pytest.mark.parametrize("params", [
    {"state": "FLYING"},
    {"requested_from": "yesterday"},
    {"requested_from": "2025-02-01", "requested_to": "2025-01-01"},
    {"sort": "password"},
    {"establishment": "abc"},
    {"q": "x" * 201},
])
def test_invalid_input_gives_an_error_and_no_result(login, manager_a, student, params):
    quick_card(student)
    response = login(manager_a).get(URL, params)
    assert response.status_code == 200
    assert found_ids(response) == []
    assert "The search could not be run" in response.content.decode()


def test_date_range_error_is_explained(login, manager_a):
    response = login(manager_a).get(URL, {"requested_from": "2025-02-01",
                                          "requested_to": "2025-01-01"})
    assert "The start date must not be after the end date." in response.content.decode()


def test_choices_offered_are_those_of_the_scope(login, manager_a, est_a, est_b, students,
                                                staff_population):
    form = login(manager_a).get(URL).context["form"]
    assert [value for value, _label in form.fields["establishment"].choices][1:] == [est_a.pk]
    offered = {value for value, _label in form.fields["population"].choices}
    assert {students.pk, staff_population.pk} <= offered  # no population limit: every one


def test_population_choices_follow_a_population_limit(login, est_a, students,
                                                      staff_population):
    user = make_staff("staff-officer", "manager", [est_a], [staff_population])
    form = login(user).get(URL).context["form"]
    offered = [value for value, _label in form.fields["population"].choices][1:]
    assert offered == [staff_population.pk]
    assert students.pk not in offered


def test_establishment_outside_the_scope_is_refused(login, manager_a, est_b, student_b):
    quick_card(student_b)
    response = login(manager_a).get(URL, {"establishment": est_b.pk})
    assert found_ids(response) == []
    assert "The search could not be run" in response.content.decode()


def test_consultant_searches_without_checkboxes(login, consultant_a, student):
    quick_card(student)
    response = login(consultant_a).get(URL)
    assert len(found_ids(response)) == 1
    html = response.content.decode()
    assert 'name="card"' not in html
    assert reverse("backoffice:bulk_choose") not in html


def test_manager_gets_checkboxes_and_the_bulk_form(login, manager_a, student):
    card = quick_card(student)
    html = login(manager_a).get(URL).content.decode()
    assert f'name="card" value="{card.pk}"' in html
    assert reverse("backoffice:bulk_choose") in html
