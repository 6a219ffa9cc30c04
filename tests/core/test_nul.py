"""A NUL character is refused wherever text comes in (PostgreSQL cannot take one: psycopg raises
ValueError), with a translated 400, before anything is read or changed."""

import pytest
from django.conf import settings
from django.test import Client

from campuscard.cards.models import Card
from campuscard.cards.states import State
from tests.conftest import card_in_state

MESSAGE = "Text may not contain a NUL character."


def browser(user=None):
    client = Client(raise_request_exception=False, headers={"Accept-Language": "en"})
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("url", [
    "/manage/?q=%00",  # the probe's case: the search reaches people's names unchecked
    "/manage/?q=al%00ice&state=NEW",
    "/manage/?page=1%00",
    "/manage/?a%00=1",
    "/manage/cards/export.csv?q=%00",
    "/manage/outbox/?retrying_page=%00",
    "/me/cards/1/block/?reason=LOST%00",
    "/manage/nothing%00here/",
])
def test_a_nul_in_the_address_is_refused(manager_a, url):
    response = browser(manager_a).get(url)
    assert response.status_code == 400
    page = response.content.decode()
    assert MESSAGE in page and response["X-Request-ID"] in page


def test_a_nul_in_a_form_value_is_refused_and_changes_nothing(manager_a, student):
    card = card_in_state(student, State.NEW, manager_a)
    response = browser(manager_a).post(f"/manage/cards/{card.pk}/transition/", {
        "target": "REJECTED", "seen_state": "NEW", "reason": "bad\x00photo"})
    assert response.status_code == 400
    assert MESSAGE in response.content.decode()
    card.refresh_from_db()
    assert card.state == State.NEW


def test_a_nul_in_a_field_name_is_refused(manager_a):
    response = browser(manager_a).post("/manage/cards/bulk/", {"card\x00": "1"})
    assert response.status_code == 400


def test_a_nul_in_a_header_is_refused(db):
    response = browser().get("/login/", headers={"X-Anything": "a\x00b"})
    assert response.status_code == 400


def test_a_session_cookie_with_a_nul_is_no_session(db):
    """`"…\\000…"` is how a quoted cookie writes a NUL; it must not reach the session table."""
    client = browser()
    client.cookies[settings.SESSION_COOKIE_NAME] = "abcdefgh\x00ijklmnop"
    response = client.get("/manage/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    quoted = Client(raise_request_exception=False,
                    HTTP_COOKIE=f'{settings.SESSION_COOKIE_NAME}="abcdefgh\\000ijklmnop"')
    response = quoted.get("/manage/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_uploaded_file_may_hold_nul_bytes(student, est_a):
    """Files are not text values: a photo is binary and goes to its own checks."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("photo.jpg", b"\xff\xd8\x00\x00not really", "image/jpeg")
    response = browser(student.user).post("/me/request/", {"photo": upload})
    assert response.status_code == 200  # the form's own refusal, not the NUL one
    assert MESSAGE not in response.content.decode()
    assert not Card.objects.exists()


@pytest.mark.parametrize("url", ["/api/cards?q=%00", "/api/people/a%00b@x"])
def test_the_api_refuses_a_nul_as_json(db, url):
    response = browser().get(url)
    assert response.status_code == 400
    assert response.json() == {"detail": MESSAGE, "request_id": response["X-Request-ID"]}
