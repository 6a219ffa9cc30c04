"""Fixtures for the core tests: messages in English and a recording outbox target."""

import pytest
from django.utils import translation

from campuscard.core import outbox

from .helpers import RecordingTarget


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
