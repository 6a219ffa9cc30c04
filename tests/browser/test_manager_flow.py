"""A manager walks a request to an enabled card in a real browser (the system Chromium)."""

import pytest

from campuscard.cards.models import Card
from campuscard.cards.states import State

from ..conftest import card_in_state
from .conftest import log_in

CSN = "04A1B2C3D4E5F6"

pytestmark = pytest.mark.browser


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
