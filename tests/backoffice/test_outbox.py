"""The failed pushes page and its retry buttons."""

from django.contrib.messages import get_messages
from django.urls import reverse

from campuscard.cards.display import card_title
from campuscard.cards.states import State
from campuscard.core.models import AuditEntry, OutboxItem

from ..conftest import card_in_state
from .conftest import failed_push

URL = reverse("backoffice:outbox")
RETRY = reverse("backoffice:outbox_retry")
Status = OutboxItem.Status


def listed(response, section="failed"):
    return [item.pk for item in response.context[section]["page"].object_list]


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_page_lists_failed_pushes_and_those_being_retried_in_scope(
        login, manager_a, student, student_b, manager_b):
    card = card_in_state(student, State.NEW, manager_a)
    card_b = card_in_state(student_b, State.NEW, manager_b)
    failed_card = failed_push(card=card)
    failed_person = failed_push(person=student)
    retrying = failed_push(card=card, status=Status.PENDING, attempts=2)
    failed_push(card=card, status=Status.PENDING, attempts=0)  # not tried yet: not shown
    failed_push(card=card, status=Status.DONE)
    failed_push(card=card_b)
    failed_push(person=student_b)
    response = login(manager_a).get(URL)
    assert response.status_code == 200
    assert listed(response) == [failed_person.pk, failed_card.pk]  # newest first
    assert listed(response, "retrying") == [retrying.pk]
    html = response.content.decode()
    assert "HTTP 410" in html
    assert f'name="only" value="{failed_card.pk}"' in html
    assert f'name="only" value="{retrying.pk}"' not in html


def test_pushes_name_the_card_and_the_person_as_people_read_them(login, manager_a, student):
    card = card_in_state(student, State.NEW, manager_a)
    failed_push(card=card)
    failed_push(person=student)
    html = login(manager_a).get(URL).content.decode()
    assert f'<a href="{reverse("backoffice:card", args=[card.pk])}">{card_title(card)}</a>' in html
    assert f">{student.full_name}</td>" in html
    assert "card #" not in html and "person #" not in html


def test_admin_sees_every_failed_push(login, admin_user, student, student_b, manager_a,
                                      manager_b):
    pushes = {failed_push(card=card_in_state(student, State.NEW, manager_a)).pk,
              failed_push(card=card_in_state(student_b, State.NEW, manager_b)).pk}
    assert set(listed(login(admin_user).get(URL))) == pushes


def test_retry_puts_a_failed_push_back_in_the_queue(login, manager_a, student):
    card = card_in_state(student, State.NEW, manager_a)
    push = failed_push(card=card)
    other = failed_push(card=card)
    response = login(manager_a).post(RETRY, {"only": push.pk, "item": [other.pk]})
    assert response.status_code == 302 and response["Location"] == URL
    assert texts(response) == ["1 push is back in the queue."]
    push.refresh_from_db()
    assert (push.status, push.attempts, push.last_error) == (Status.PENDING, 0, "")
    assert OutboxItem.objects.get(pk=other.pk).status == Status.FAILED  # only the one clicked
    entry = AuditEntry.objects.get(action="push.retry_requested")
    assert (entry.object_id, entry.actor) == (str(push.pk), manager_a)


def test_retry_selected(login, manager_a, student):
    card = card_in_state(student, State.NEW, manager_a)
    pushes = [failed_push(card=card), failed_push(person=student)]
    response = login(manager_a).post(RETRY, {"item": [p.pk for p in pushes]})
    assert texts(response) == ["2 pushes are back in the queue."]
    assert set(OutboxItem.objects.values_list("status", flat=True)) == {Status.PENDING}


def test_retry_of_a_push_no_longer_failed_says_so(login, manager_a, student):
    card = card_in_state(student, State.NEW, manager_a)
    push = failed_push(card=card, status=Status.DONE)
    response = login(manager_a).post(RETRY, {"only": push.pk})
    assert texts(response) == ["1 push was no longer failed and was left as it is."]
    assert OutboxItem.objects.get(pk=push.pk).status == Status.DONE


def test_retry_with_nothing_selected(login, manager_a):
    response = login(manager_a).post(RETRY, {})
    assert texts(response) == ["Select at least one push to retry."]


def test_retry_of_an_unknown_push_is_404(login, manager_a):
    assert login(manager_a).post(RETRY, {"only": 999999}).status_code == 404
