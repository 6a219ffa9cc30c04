"""The card template editor in a real browser: the preview follows the unsaved content, says
what is wrong with it, and Save adds a version (the system Chromium)."""

import pytest

from campuscard.cards.states import State
from campuscard.printing import defaults
from campuscard.printing.models import CardTemplate

from ..conftest import card_in_state
from .conftest import log_in

pytestmark = pytest.mark.browser


def test_the_preview_follows_the_form_and_save_adds_a_version(live_server, browser_page,
                                                              admin_user, student, manager_a):
    from playwright.sync_api import expect

    defaults.ensure_default_template()  # an earlier transactional test may have flushed it
    card_in_state(student, State.REQUEST_CHECKED, manager_a)
    page = browser_page
    log_in(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/manage/printing/templates/{defaults.CODE}/edit/")
    expect(page.get_by_label("Preview on the card of")).to_contain_text("Alice Martin")
    page.locator("#preview-front img[src^='blob:']").wait_for()  # the draft, rendered

    front = page.get_by_label("Front HTML")
    source = front.input_value()
    front.fill(source + "{% if last_name %}")
    problems = page.locator("#preview-problems")
    expect(problems).to_be_visible()
    expect(problems).to_contain_text("Front HTML: Unclosed tag")

    front.fill(source + "<p>{{ first_name }}</p>")
    expect(problems).to_be_hidden()
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_text("Version 2 saved")).to_be_visible()
    page.locator("#preview-front img[src^='blob:']").wait_for()  # no request left running
    page.locator("#preview-back img[src^='blob:']").wait_for()
    versions = CardTemplate.objects.get(code=defaults.CODE).versions
    assert list(versions.values_list("number", flat=True)) == [2, 1]
    assert versions.get(number=2).front_html.endswith("<p>{{ first_name }}</p>")
