"""A manager walks a request to an enabled card in a real browser (the system Chromium)."""

import os
from pathlib import Path

import pytest

from campuscard.cards.models import Card
from campuscard.cards.states import State

from ..conftest import PASSWORD, card_in_state

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CSN = "04A1B2C3D4E5F6"

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_page():
    if not CHROMIUM.exists():
        if os.environ.get("CAMPUSCARD_REQUIRE_BROWSER"):  # CI installs it: absence is a failure
            pytest.fail("no Chromium at /usr/bin/chromium")
        pytest.skip("no Chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-US")
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def log_in(page, base_url, username):
    page.goto(f"{base_url}/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/manage/")


def click_and_expect_state(page, button, state_label):
    page.get_by_role("button", name=button, exact=True).click()
    page.locator("#card-state").filter(has_text=state_label).wait_for()


def test_manager_takes_a_request_to_an_enabled_card(live_server, browser_page, manager_a,
                                                   student, other_student):
    from playwright.sync_api import expect

    card = card_in_state(student, State.NEW, manager_a)
    card_in_state(other_student, State.ENABLED, manager_a)  # must not show up in the search
    page = browser_page
    log_in(page, live_server.url, "manager-a")

    page.locator("summary", has_text="States").click()  # opens the list of states
    page.get_by_label("New request").check()
    page.get_by_label("Search", exact=True).fill("alice")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_text("1 card found.")).to_be_visible()
    page.get_by_role("link", name="Martin Alice").click()
    expect(page.locator("#card-state")).to_have_text("New request")

    click_and_expect_state(page, "Accept the request", "Request checked")
    expect(page.get_by_text("Done: the card is now “Request checked”.")).to_be_visible()
    click_and_expect_state(page, "Send to print", "Being printed")
    click_and_expect_state(page, "Mark printed", "Printed")
    click_and_expect_state(page, "Start encoding", "Being encoded")
    page.get_by_label("Chip serial number (CSN), in hexadecimal").fill(CSN.lower())
    click_and_expect_state(page, "Mark encoded", "Encoded")
    click_and_expect_state(page, "Enable", "Enabled")
    expect(page.locator("#card-state")).to_have_text("Enabled")

    card.refresh_from_db()
    assert (card.state, card.csn, card.state_changed_by) == (State.ENABLED, CSN, manager_a)
    assert card.enabled_at is not None
    actions = list(card.audit_entries.order_by("at", "id").values_list("action", flat=True))
    assert actions == ["card.requested", "card.request_checked", "card.in_print",
                       "card.printed", "card.in_encode", "card.encoded", "card.enabled"]
    assert Card.objects.filter(state=State.ENABLED).count() == 2
