"""A student never sees nor acts on another student's card or photo: every URL is tried."""

import io
import json
import zipfile

import pytest
from django.urls import URLPattern, reverse

from campuscard.cards.states import DisableReason, State
from campuscard.core.models import AuditEntry, OutboxItem
from campuscard.portal import urls as portal_urls

from ..conftest import card_in_state
from .conftest import give_photo

pytestmark = pytest.mark.django_db

CARD_URLS = [p.name for p in portal_urls.urlpatterns
             if isinstance(p, URLPattern) and "card_id" in p.pattern.converters]
OWN_URLS = ["/me/", "/me/consents/", "/me/data/", "/me/data/download/", "/me/request/"]
# Form data that would make each card URL act, were the card the student's own.
ACTING_DATA = {"block": {"reason": DisableReason.LOST}, "renew": {"reason": "lost"},
               "crous_consent": {"given": "yes"}}
# These only take POST: a GET is refused (405) before any card is even looked up.
POST_ONLY = {"enable", "cancel", "received", "crous_consent", "crous_reopen"}
# And this one only GET (the "who has been told" panel): a POST is refused the same way.
GET_ONLY = {"told"}


def test_every_card_url_is_covered():
    assert set(CARD_URLS) == {"card", "block", "enable", "cancel", "received", "renew", "told",
                              "crous_consent", "crous_reopen"}
    assert len(portal_urls.urlpatterns) == len(CARD_URLS) + len(OWN_URLS)


def snapshot(card):
    card.refresh_from_db()
    return (card.state, card.disable_reason, card.delivered_at, card.person.cards.count(),
            AuditEntry.objects.count(), OutboxItem.objects.count())


@pytest.mark.parametrize("state", [State.NEW, State.ENABLED, State.DISABLED])
@pytest.mark.parametrize("name", CARD_URLS)
def test_another_students_card_urls_answer_404_and_change_nothing(
        login, student, other_student, manager_a, name, state):
    card = card_in_state(student, state if state != State.DISABLED else State.ENABLED, manager_a)
    if state == State.DISABLED:
        from campuscard.cards import services

        from ..conftest import actor
        card = services.disable(card, actor(student.user), DisableReason.LOST)
    before = snapshot(card)
    client = login(other_student.user)
    url = reverse(f"portal:{name}", args=[card.pk])
    assert client.get(url).status_code == (405 if name in POST_ONLY else 404)
    assert client.post(url, ACTING_DATA.get(name, {})).status_code == (
        405 if name in GET_ONLY else 404)
    assert snapshot(card) == before


def test_another_students_photo_is_never_served(login, student, other_student, manager_a,
                                                student_b):
    card = give_photo(card_in_state(student, State.NEW, manager_a))
    assert login(student.user).get(f"/cards/{card.pk}/photo.jpg").status_code == 200
    for intruder in (other_student, student_b):
        assert login(intruder.user).get(f"/cards/{card.pk}/photo.jpg").status_code == 404


def test_pages_without_a_card_id_only_show_the_students_own_data(login, student, other_student,
                                                                 manager_a):
    theirs = give_photo(card_in_state(student, State.ENABLED, manager_a))
    mine = card_in_state(other_student, State.NEW, manager_a)
    client = login(other_student.user)
    for url in OWN_URLS:
        page = client.get(url)
        assert page.status_code == 200, url
        body = page.content
        assert student.eppn.encode() not in body and str(theirs.escn).encode() not in body, url
    archive = zipfile.ZipFile(io.BytesIO(client.get("/me/data/download/").content))
    data = json.loads(archive.read("data.json"))
    assert data["person"]["eppn"] == other_student.eppn
    assert [c["id"] for c in data["cards"]] == [mine.pk]
    assert not [n for n in archive.namelist() if n.startswith("photos/")]


def test_anonymous_visitors_are_sent_to_the_login_page(client, student, manager_a):
    card = card_in_state(student, State.ENABLED, manager_a)
    urls = [(url, "GET") for url in OWN_URLS] + [
        (reverse(f"portal:{n}", args=[card.pk]), "POST" if n in POST_ONLY else "GET")
        for n in CARD_URLS]
    for url, method in urls:
        response = client.post(url) if method == "POST" else client.get(url)
        assert response.status_code == 302 and response.url.startswith("/login/"), url
    assert client.get(f"/cards/{card.pk}/photo.jpg").status_code == 302
