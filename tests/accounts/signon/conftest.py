"""What the sign-on tests share: a sign-on file of their own, the login signal's records, a
person waiting for their first sign-on."""

import pytest
from django.contrib.auth.signals import user_logged_in

from campuscard.people.models import Person

# The browser tests' Chromium, for the sign-on flows driven in it.
from ...browser.conftest import browser_page, chromium, new_page  # noqa: F401


@pytest.fixture
def signon_file(tmp_path, settings):
    """signon_file(toml text): the sign-on file the instance reads from now on."""

    def write(text):
        path = tmp_path / "signon.toml"
        path.write_text(text, encoding="utf-8")
        settings.CAMPUSCARD_SIGNON_FILE = str(path)
        return path

    return write


@pytest.fixture
def sign_ons():
    """What each login left on its request for finish.py: [(username, SignOn or None)]."""
    seen = []

    def record(sender, request, user, **kwargs):
        seen.append((user.get_username(), getattr(request, "campuscard_signon", None)))

    user_logged_in.connect(record, dispatch_uid="test-sign-ons")
    yield seen
    user_logged_in.disconnect(dispatch_uid="test-sign-ons")


@pytest.fixture
def waiting_person(est_a, students):
    """Alice is in the directory, with no account yet: her first sign-on links her."""
    return Person.objects.create(eppn="alice@univ-a.example.org", establishment=est_a,
                                 population=students, first_name="Alice", last_name="Martin",
                                 email="alice@univ-a.example.org")
