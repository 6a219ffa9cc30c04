"""Who may open what: staff only, consultants read only, managers within their scope.

A card outside the scope is a 404 on every URL, and nothing changes: no state, no audit entry.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.core.models import AuditEntry, OutboxItem

from ..conftest import card_in_state, make_person, make_staff
from .conftest import failed_push


def jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, "JPEG")
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def card_b(student_b, manager_b, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    card = card_in_state(student_b, State.ENCODED, manager_b)
    card.photo = jpeg()
    card.save(update_fields=["photo"])
    return card


def card_urls(card):
    """Every URL about one card, with a POST body that would change it if allowed."""
    return [
        (reverse("backoffice:card", args=[card.pk]), {}),
        (reverse("backoffice:card_transition", args=[card.pk]),
         {"target": "ENABLED", "seen_state": card.state}),
        (reverse("backoffice:card_delivered", args=[card.pk]), {}),
        (reverse("card_photo", args=[card.pk]), {}),
    ]


def other_urls(card, push):
    """The URLs that are not about one card, with bodies naming `card` and `push`."""
    return [
        (reverse("backoffice:cards"), {}),
        (reverse("backoffice:export"), {}),
        (reverse("backoffice:bulk_choose"), {"card": [card.pk]}),
        (reverse("backoffice:bulk_apply"), {"card": [f"{card.pk}:{card.state}"],
                                             "action": "ENABLED"}),
        (reverse("backoffice:bulk_apply"), {"card": [f"{card.pk}:{card.state}"],
                                             "action": "deliver"}),
        (reverse("backoffice:outbox"), {}),
        (reverse("backoffice:outbox_retry"), {"only": push.pk}),
        (reverse("backoffice:outbox_retry"), {"item": [push.pk]}),
    ]


def body_of(response):
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def snapshot(card):
    card = Card.objects.get(pk=card.pk)
    return (card.state, card.delivered_at, AuditEntry.objects.count(),
            list(OutboxItem.objects.values_list("status", flat=True).order_by("pk")))


def test_manager_a_gets_404_on_every_url_of_a_card_of_b(login, manager_a, manager_b, card_b):
    before = snapshot(card_b)
    client = login(manager_a)
    for url, body in card_urls(card_b):
        assert client.get(url).status_code == 404, url
        assert client.post(url, body).status_code == 404, url
    assert snapshot(card_b) == before


def test_the_same_urls_work_for_the_manager_of_b(login, manager_b, card_b):
    client = login(manager_b)
    assert client.get(reverse("backoffice:card", args=[card_b.pk])).status_code == 200
    assert client.get(reverse("card_photo", args=[card_b.pk])).status_code == 200


def test_manager_a_cannot_reach_cards_or_pushes_of_b_through_other_urls(
        login, manager_a, card_b, student_b):
    push = failed_push(card=card_b)
    person_push = failed_push(person=student_b)
    before = snapshot(card_b)
    client = login(manager_a)
    for url, body in other_urls(card_b, push):
        response = client.post(url, body)
        assert response.status_code in (404, 405), url  # 405: a read-only page
        response = client.get(url, body)
        assert response.status_code in (200, 405), url  # 405: an action
        assert student_b.eppn not in body_of(response), url
    assert client.post(reverse("backoffice:outbox_retry"),
                       {"only": person_push.pk}).status_code == 404
    assert snapshot(card_b) == before


def test_manager_a_never_sees_cards_or_pushes_of_b(login, manager_a, card_b, student_b):
    failed_push(card=card_b)
    failed_push(person=student_b)
    client = login(manager_a)
    assert list(client.get(reverse("backoffice:cards")).context["page"].object_list) == []
    assert list(client.get(reverse("backoffice:cards"), {"q": card_b.csn})
                .context["page"].object_list) == []
    export = b"".join(client.get(reverse("backoffice:export")).streaming_content).decode()
    assert export.count("\n") == 1  # the header only
    outbox = client.get(reverse("backoffice:outbox"))
    assert list(outbox.context["failed"]["page"].object_list) == []


def test_bulk_with_one_card_out_of_scope_is_404_and_changes_nothing(
        login, manager_a, student, card_b):
    mine = card_in_state(student, State.NEW, manager_a)
    audit_count = AuditEntry.objects.count()
    client = login(manager_a)
    response = client.post(reverse("backoffice:bulk_apply"), {
        "card": [f"{mine.pk}:NEW", f"{card_b.pk}:ENCODED"], "action": "CANCELED"})
    assert response.status_code == 404
    assert Card.objects.get(pk=mine.pk).state == State.NEW
    assert AuditEntry.objects.count() == audit_count


def test_population_limit_hides_other_populations(login, est_a, students, staff_population,
                                                  manager_a):
    colleague = make_person("dan", est_a, staff_population)
    card = card_in_state(colleague, State.NEW, manager_a)
    limited = make_staff("students-only", "manager", [est_a], [students])
    client = login(limited)
    assert client.get(reverse("backoffice:card", args=[card.pk])).status_code == 404
    assert client.post(reverse("backoffice:card_transition", args=[card.pk]),
                       {"target": "REQUEST_CHECKED", "seen_state": "NEW"}).status_code == 404
    assert Card.objects.get(pk=card.pk).state == State.NEW


def test_consultant_reads_but_every_post_is_403(login, consultant_a, manager_a, student):
    card = card_in_state(student, State.ENCODED, manager_a)
    push = failed_push(card=card)
    before = snapshot(card)
    client = login(consultant_a)
    page = client.get(reverse("backoffice:card", args=[card.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("backoffice:card_transition", args=[card.pk]) not in html
    assert reverse("backoffice:card_delivered", args=[card.pk]) not in html
    assert page.context["offers"] == []
    assert client.get(reverse("backoffice:cards")).status_code == 200
    assert client.get(reverse("backoffice:export")).status_code == 200
    for url, body in card_urls(card)[:3] + other_urls(card, push):
        assert client.post(url, body).status_code == 403, url
    assert snapshot(card) == before


def test_consultant_has_no_outbox_page(login, consultant_a):
    assert login(consultant_a).get(reverse("backoffice:outbox")).status_code == 403


def test_student_gets_403_everywhere(login, student, manager_a):
    card = card_in_state(student, State.ENCODED, manager_a)
    push = failed_push(card=card)
    before = snapshot(card)
    client = login(student.user)
    for url, body in card_urls(card)[:3] + other_urls(card, push):
        assert client.get(url).status_code == 403, url
        assert client.post(url, body).status_code == 403, url
    assert snapshot(card) == before


def test_anonymous_is_sent_to_the_login_page(client, student, manager_a):
    card = card_in_state(student, State.NEW, manager_a)
    response = client.get(reverse("backoffice:card", args=[card.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.post(reverse("backoffice:card_transition", args=[card.pk]),
                       {"target": "CANCELED", "seen_state": "NEW"}).status_code == 302
    assert Card.objects.get(pk=card.pk).state == State.NEW


def test_admin_sees_every_establishment(login, admin_user, card_b):
    response = login(admin_user).get(reverse("backoffice:card", args=[card_b.pk]))
    assert response.status_code == 200


def test_mutations_need_the_csrf_token(manager_a, student):
    card = card_in_state(student, State.NEW, manager_a)
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager_a)
    response = client.post(reverse("backoffice:card_transition", args=[card.pk]),
                           {"target": "REQUEST_CHECKED", "seen_state": "NEW"})
    assert response.status_code == 403
    assert Card.objects.get(pk=card.pk).state == State.NEW


def test_read_pages_refuse_other_methods(login, manager_a, student):
    card = card_in_state(student, State.NEW, manager_a)
    client = login(manager_a)
    assert client.post(reverse("backoffice:card", args=[card.pk])).status_code == 405
    assert client.get(reverse("backoffice:card_transition", args=[card.pk])).status_code == 405
    assert client.post(reverse("backoffice:cards")).status_code == 405
