"""A person who mistyped too often sees, on the login page, that they must wait."""

import pytest

from ..conftest import PASSWORD
from .conftest import csp_violations

pytestmark = pytest.mark.browser


def test_a_locked_out_person_sees_why_on_the_login_page(live_server, browser_page, student,
                                                        settings):
    settings.AXES_FAILURE_LIMIT = 2
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    for password in ("wrong", "still wrong", PASSWORD):
        page.get_by_label("User name").fill("alice")
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
    alert = page.get_by_role("alert")
    alert.filter(has_text="Too many failed log-in attempts").wait_for()
    assert page.url == f"{live_server.url}/login/"
    assert page.get_by_label("User name").input_value() == "alice"
    assert csp_violations(page) == []
