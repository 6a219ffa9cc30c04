"""Ids, pages and sizes from outside, on every page that reads one: a value no row or page can
have is a clear translated refusal that changes nothing, never a server error."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.core.models import AuditEntry, OutboxItem
from campuscard.core.params import MAX_DATABASE_ID, MAX_PAGE
from campuscard.portal.forms import PhotoForm
from tests.conftest import card_in_state

from .conftest import failed_push

HUGE = "1000000000000000000000000000000"  # the probe's value: 10**30
TOO_BIG = str(MAX_DATABASE_ID + 1)
GARBLED = "This selection could not be understood; reload the page. Nothing was changed."


def browser(user):
    client = Client(raise_request_exception=True, headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def card(student, manager_a):
    return card_in_state(student, State.NEW, manager_a)


def unchanged(card, audit_count):
    card.refresh_from_db()
    return card.state == State.NEW and AuditEntry.objects.count() == audit_count


# --- the probe's findings, one each -----------------------------------------------------------

def test_bulk_apply_with_an_id_too_large_changes_nothing(manager_a, card):
    audits = AuditEntry.objects.count()
    response = browser(manager_a).post("/manage/cards/bulk/apply/", {
        "card": [f"{card.pk}:NEW", f"{HUGE}:NEW"], "action": "CANCELED"})
    assert response.status_code == 302
    assert texts(response) == ["This action could not be understood; nothing was changed."]
    assert unchanged(card, audits)


def test_bulk_choose_with_an_id_too_large_is_refused(manager_a, card):
    response = browser(manager_a).post("/manage/cards/bulk/", {"card": [str(card.pk), HUGE]})
    assert response.status_code == 302
    assert texts(response) == [GARBLED]


def test_outbox_retry_of_an_id_too_large_is_refused(manager_a, card):
    push = failed_push(card=card)
    response = browser(manager_a).post("/manage/outbox/retry/", {"only": str(10**30)})
    assert response.status_code == 302
    assert texts(response) == [GARBLED]
    push.refresh_from_db()
    assert push.status == OutboxItem.Status.FAILED


# --- every id, page and size parameter ---------------------------------------------------------

@pytest.mark.parametrize("value", ["0", "-1", TOO_BIG, HUGE, "1.0", "1e3", "x", "\uff11"])
@pytest.mark.parametrize("url, data", [
    ("/manage/cards/bulk/", lambda v, card: {"card": [str(card.pk), v]}),
    ("/manage/cards/bulk/apply/",
     lambda v, card: {"card": [f"{card.pk}:NEW", f"{v}:NEW"], "action": "CANCELED"}),
    ("/manage/outbox/retry/", lambda v, card: {"only": v}),
    ("/manage/outbox/retry/", lambda v, card: {"item": ["1", v]}),
])
def test_posted_ids_are_checked(manager_a, card, url, data, value):
    audits = AuditEntry.objects.count()
    response = browser(manager_a).post(url, data(value, card))
    assert response.status_code == 302
    assert texts(response)[-1] in (GARBLED, "This action could not be understood; nothing "
                                            "was changed.")
    assert unchanged(card, audits)


@pytest.mark.parametrize("value", ["0", "-1", str(MAX_PAGE + 1), HUGE, "1e3", "x", "9" * 5000])
@pytest.mark.parametrize("url, param", [
    ("/manage/", "page"), ("/manage/outbox/", "page"), ("/manage/outbox/", "retrying_page"),
])
def test_page_numbers_are_checked(manager_a, card, url, param, value):
    response = browser(manager_a).get(url, {param: value})
    assert response.status_code == 200  # the first page, and why
    assert any(message.startswith(f"{param} must be") for message in texts(response))


@pytest.mark.parametrize("param", ["establishment", "population"])
@pytest.mark.parametrize("value", [HUGE, "-1", "x"])
def test_search_choices_are_checked(manager_a, card, param, value):
    response = browser(manager_a).get("/manage/", {param: value})
    assert response.status_code == 200
    assert response.context["form"].errors[param]
    assert list(response.context["page"].object_list) == []


@pytest.mark.parametrize("value", ["0", TOO_BIG, HUGE, "9" * 25])
@pytest.mark.parametrize("method, path", [
    ("get", "/manage/cards/{}/"), ("post", "/manage/cards/{}/transition/"),
    ("post", "/manage/cards/{}/delivered/"), ("post", "/manage/cards/{}/esc-push/"),
    ("get", "/cards/{}/photo.jpg"), ("get", "/cards/{}/qr.svg"), ("get", "/cards/{}/qr.png"),
    ("get", "/cards/{}/front/"),
])
def test_ids_in_staff_addresses_are_checked(manager_a, card, method, path, value):
    audits = AuditEntry.objects.count()
    assert getattr(browser(manager_a), method)(path.format(value)).status_code == 404
    assert unchanged(card, audits)


@pytest.mark.parametrize("value", ["0", TOO_BIG, HUGE])
@pytest.mark.parametrize("method, path", [
    ("get", "/me/cards/{}/"), ("get", "/me/cards/{}/block/"), ("post", "/me/cards/{}/enable/"),
    ("post", "/me/cards/{}/cancel/"), ("post", "/me/cards/{}/received/"),
    ("get", "/me/cards/{}/renew/"),
])
def test_ids_in_holder_addresses_are_checked(student, card, method, path, value):
    audits = AuditEntry.objects.count()
    assert getattr(browser(student.user), method)(path.format(value)).status_code == 404
    assert unchanged(card, audits)


@pytest.mark.parametrize("field", ["crop_x", "crop_y", "crop_width", "crop_height"])
@pytest.mark.parametrize("value", [HUGE, "-5", "1.5"])
def test_photo_framing_numbers_are_checked(est_a, field, value):
    data = {"crop_x": "0", "crop_y": "0", "crop_width": "100", "crop_height": "125"} | {
        field: value}
    form = PhotoForm(data, establishment=est_a, photo_required=False)
    assert not form.is_valid()
    assert form.errors["photo"] == ["The framing of the photo is invalid: frame it again."]


def test_the_card_list_still_pages(manager_a, card):
    response = browser(manager_a).get("/manage/", {"page": "1"})
    assert response.status_code == 200 and list(response.context["page"].object_list) == [card]
    assert Card.objects.count() == 1


@pytest.mark.parametrize("url", [
    f"/django-admin/cards/card/?establishment__id__exact={HUGE}",
    f"/django-admin/cards/card/?p={HUGE}",
    "/django-admin/cards/card/?p=-1",
    f"/django-admin/cards/card/{HUGE}/change/",
    f"/django-admin/core/auditentry/?id__in={HUGE}",
])
def test_the_admin_pages_hold_up_too(admin_user, card, url):
    response = browser(admin_user).get(url)
    assert response.status_code in (200, 302, 404)


def test_too_many_cards_at_once_says_the_limit(manager_a, card, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000  # else Django refuses first (400)
    response = browser(manager_a).post("/manage/cards/bulk/",
                                       {"card": [str(i) for i in range(1, 1002)]})
    assert texts(response) == ["Select at most 1000 items at once."]
