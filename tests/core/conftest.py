"""Fixtures for the core tests: fast password hashing and a recording outbox target."""

import pytest
from django.utils import translation

from campuscard.core import outbox

from .helpers import RecordingTarget


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users are made by the dozen here: the production hasher would cost 0.4 s each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English, whatever the instance's default language."""
    with translation.override("en"):
        yield


@pytest.fixture
def recorder():
    target = RecordingTarget()
    outbox.register(target)
    try:
        yield target
    finally:
        outbox.unregister(target.name)
