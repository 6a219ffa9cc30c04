"""The main pages, each as the persona who uses it, keep to the Content-Security-Policy: the
header is there and the browser reports no violation (securitypolicyviolation, console)."""

import datetime

import pytest
from django.utils import timezone

from campuscard.cards.states import State
from campuscard.esc.escn import generate_escn
from campuscard.router.models import Organisation, RouterCard, RouterPerson

from ..conftest import card_in_state
from .conftest import csp_violations, log_in

pytestmark = pytest.mark.browser



def router_card():
    issuer = Organisation.objects.create(pic="999859608", name="Université A")
    person = RouterPerson.objects.create(esi="urn:schac:personalUniqueCode:int:esi:fr:00000000001")
    return RouterCard.objects.create(
        escn=str(generate_escn("066", issuer.pic)), person=person, issuer=issuer,
        status="ACTIVE", card_type="SMART_NO_CDZ", display_name="Alice Martin",
        issued_at=timezone.localdate(),
        expires_at=timezone.localdate() + datetime.timedelta(days=100))


def visit(page, url, ready=None):
    response = page.goto(url)
    assert response.status < 400, f"{url}: HTTP {response.status}"
    policy = response.header_value("content-security-policy") or ""
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, url
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, url
    if ready:
        page.locator(ready).first.wait_for()
    page.wait_for_load_state("networkidle")
    assert csp_violations(page) == [], url


def test_public_pages_keep_to_the_policy(live_server, browser_page):
    visit(browser_page, f"{live_server.url}/login/", "input[name=password]")
    visit(browser_page, f"{live_server.url}/v/{router_card().escn}")
    # The language menu sends itself on change (app.js, no inline handler).
    visit(browser_page, f"{live_server.url}/login/", "input[name=password]")
    browser_page.get_by_label("Language").select_option("fr")
    browser_page.get_by_role("heading", name="Se connecter").wait_for()
    assert csp_violations(browser_page) == []


def test_student_pages_keep_to_the_policy(live_server, browser_page, student, manager_a):
    page = browser_page
    log_in(page, live_server.url, "alice", lands_on="/me/")
    visit(page, f"{live_server.url}/me/")
    visit(page, f"{live_server.url}/me/request/", "[data-photo-picker]")
    card = card_in_state(student, State.ENABLED, manager_a)
    visit(page, f"{live_server.url}/me/cards/{card.pk}/")


def test_manager_pages_keep_to_the_policy(live_server, browser_page, manager_a, student):
    card = card_in_state(student, State.NEW, manager_a)
    page = browser_page
    log_in(page, live_server.url, "manager-a")
    visit(page, f"{live_server.url}/manage/?q=alice", "table")
    # The select-all box ticks every card of the page (app.js, no inline handler).
    page.locator("#select-all").check()
    boxes = page.locator("input[name=card]")
    assert boxes.count() >= 1
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    visit(page, f"{live_server.url}/manage/cards/{card.pk}/", "#card-state")


def test_admin_pages_keep_to_the_policy(live_server, browser_page, admin_user):
    page = browser_page
    log_in(page, live_server.url, "admin")
    visit(page, f"{live_server.url}/django-admin/", "#content")
    visit(page, f"{live_server.url}/django-admin/axes/accessattempt/", "#changelist")
    # A change form with the admin's widgets (permission filter, date shortcuts).
    visit(page, f"{live_server.url}/django-admin/auth/user/{admin_user.pk}/change/",
          ".selector-filter")
    visit(page, f"{live_server.url}/api/docs", ".swagger-ui .info")
