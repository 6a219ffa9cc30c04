"""Fixtures for the demo and seed tests."""

import pytest

from campuscard.core import outbox
from campuscard.demo.access import DemoAccessTarget


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Demo photos, its directory and its mails go to a throw-away folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.HOME = tmp_path / "home"
    settings.EMAIL_FILE_PATH = str(tmp_path / "home" / "mail")


@pytest.fixture(autouse=True)
def forget_demo_target():
    """seed_demo() registers its stand-in outbox target; other tests must not see it."""
    yield
    outbox.unregister(DemoAccessTarget.name)
