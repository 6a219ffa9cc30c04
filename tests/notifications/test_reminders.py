"""A reminder by mail some days before the end of rights, once per end-of-rights date."""

import datetime
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campuscard.cards.states import State
from campuscard.core.models import OutboxItem
from campuscard.core.tasks import periodic_tasks
from campuscard.notifications.services import send_rights_end_reminders
from campuscard.notifications.tasks import send_rights_end_reminders as reminder_task
from campuscard.people.models import Person

from ..conftest import card_in_state, make_person
from .conftest import drain_all, mail_rows

REMINDER = "person.rights_end_reminder"


@pytest.fixture(autouse=True)
def thirty_days(settings):
    settings.CAMPUSCARD_RIGHTS_END_REMINDER_DAYS = 30


def today():
    return timezone.localdate()


def in_days(days):
    return today() + timedelta(days=days)


def holder(username, establishment, population, manager, rights_end, state=State.ENABLED):
    """A person with a card in `state` whose rights end on `rights_end`."""
    person = make_person(username, establishment, population)
    card_in_state(person, state, manager)
    Person.objects.filter(pk=person.pk).update(rights_end=rights_end)
    return Person.objects.get(pk=person.pk)


def reminded_people():
    return set(OutboxItem.objects.filter(target="mail", operation=REMINDER)
               .values_list("object_id", flat=True))


@pytest.mark.parametrize(("days", "reminded"), [
    (-1, False), (0, True), (10, True), (30, True), (31, False),
])
def test_people_whose_rights_end_within_the_window_are_reminded(est_a, students, manager_a,
                                                                 days, reminded):
    person = holder("dana", est_a, students, manager_a, in_days(days))
    assert send_rights_end_reminders() == int(reminded)
    assert reminded_people() == ({str(person.pk)} if reminded else set())
    person.refresh_from_db()
    assert person.rights_reminder_for == (person.rights_end if reminded else None)


def test_a_person_is_reminded_once(est_a, students, manager_a):
    holder("dana", est_a, students, manager_a, in_days(10))
    assert send_rights_end_reminders() == 1
    assert send_rights_end_reminders() == 0
    assert send_rights_end_reminders(today=in_days(5)) == 0
    assert mail_rows(operation=REMINDER) == [REMINDER]


@pytest.mark.parametrize("state", [State.NEW, State.PRINTED, State.DISABLED])
def test_no_reminder_without_an_enabled_card(est_a, students, manager_a, state):
    holder("dana", est_a, students, manager_a, in_days(10), state=state)
    assert send_rights_end_reminders() == 0
    assert reminded_people() == set()


def test_no_reminder_without_an_end_of_rights(est_a, students, manager_a):
    holder("dana", est_a, students, manager_a, None)
    assert send_rights_end_reminders() == 0


def test_a_new_end_of_rights_gets_its_own_reminder_when_it_comes_near(est_a, students,
                                                                      manager_a):
    person = holder("dana", est_a, students, manager_a, in_days(10))
    assert send_rights_end_reminders() == 1
    Person.objects.filter(pk=person.pk).update(rights_end=in_days(375))  # re-enrolled
    assert send_rights_end_reminders() == 0  # too early for the new date
    assert send_rights_end_reminders(today=in_days(350)) == 1
    person.refresh_from_db()
    assert person.rights_reminder_for == in_days(375)
    assert mail_rows(operation=REMINDER) == [REMINDER, REMINDER]


def test_the_reminder_mail_gives_the_date_in_the_holders_language(est_a, students, manager_a,
                                                                  mailoutbox):
    person = holder("dana", est_a, students, manager_a, datetime.date(2031, 6, 30))
    Person.objects.filter(pk=person.pk).update(language="fr")
    send_rights_end_reminders(today=datetime.date(2031, 6, 10))
    drain_all()
    [mail] = [m for m in mailoutbox if m.extra_headers["X-CampusCard-Event"] == REMINDER]
    assert mail.subject == "Vos droits prennent fin le 30 juin 2031"
    assert "Université A" in mail.body


def test_people_without_an_address_are_marked_but_get_no_mail(est_a, students, manager_a):
    person = holder("dana", est_a, students, manager_a, in_days(10))
    Person.objects.filter(pk=person.pk).update(email="")
    assert send_rights_end_reminders() == 1
    assert mail_rows(operation=REMINDER) == []


def test_the_cost_per_person_is_constant(est_a, students, manager_a):
    def queries_for(count):
        with CaptureQueriesContext(connection) as queries:
            assert send_rights_end_reminders() == count
        return len(queries)

    for i in range(2):
        holder(f"p{i}", est_a, students, manager_a, in_days(10))
    two = queries_for(2)
    for i in range(4):
        holder(f"q{i}", est_a, students, manager_a, in_days(10))
    four = queries_for(4)
    none = queries_for(0)
    assert none == 1
    assert four - none == 2 * (two - none)


def test_the_worker_runs_the_reminders_daily(est_a, students, manager_a):
    holder("dana", est_a, students, manager_a, in_days(10))
    assert (reminder_task, timedelta(days=1)) in periodic_tasks()
    assert reminder_task.call() == 1
