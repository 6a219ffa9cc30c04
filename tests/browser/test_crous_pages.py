"""CROUS / Izly in a real browser, against the CROUS emulator: the student consents from their
card page and sees their Izly account "active" once the card is enabled; a manager pushes the
card to CROUS again."""

import pytest

from campuscard.cards import services as card_services
from campuscard.cards.states import State
from campuscard.core.models import OutboxItem
from campuscard.integrations.crous import services
from tests.crous.conftest import (  # noqa: F401 (fixtures)
    crous_on,
    crous_settings_a,
    drained,
    emulator,
    fresh_connection,
    holders,
)

from ..conftest import actor, card_in_state
from .conftest import DESKTOP, log_in

pytestmark = pytest.mark.browser


def test_student_sees_izly_active_and_manager_pushes_again(live_server, new_page, student,
                                                           manager_a, crous_on):  # noqa: F811
    from playwright.sync_api import expect

    card = card_in_state(student, State.ENCODED, manager_a)
    page = new_page(**DESKTOP)
    log_in(page, live_server.url, "alice", lands_on="/me/")
    page.goto(f"{live_server.url}/me/cards/{card.pk}/")
    panel = page.locator("#crous-panel")
    panel.get_by_role("button", name="Send my card to the CROUS (Izly)").click()
    expect(page.get_by_text("The mail to activate your Izly account will come from the "
                            "CROUS.")).to_be_visible()
    expect(page.locator("#crous-state")).to_have_text("not opened yet")

    card_services.enable(card, actor(manager_a))
    drained()
    page.reload()
    expect(page.locator("#crous-state")).to_have_text("active")
    assert student.eppn in holders(crous_on)

    manager = new_page(**DESKTOP)
    log_in(manager, live_server.url, "manager-a")
    manager.goto(f"{live_server.url}/manage/cards/{card.pk}/")
    expect(manager.locator("#crous-live")).to_have_text("active")
    manager.get_by_role("button", name="Push to CROUS again").click()
    expect(manager.get_by_text("The card will be pushed to CROUS again.")).to_be_visible()
    assert OutboxItem.objects.filter(target="crous", operation=services.PUSH_AGAIN).count() == 1
    drained()
    assert holders(crous_on)[student.eppn]["putCount"] == 1
