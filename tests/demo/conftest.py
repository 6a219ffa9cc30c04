"""Fixtures for the demo and seed tests."""

import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Demo photos, its directory and its mails go to a throw-away folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.HOME = tmp_path / "home"
    settings.EMAIL_FILE_PATH = str(tmp_path / "home" / "mail")
