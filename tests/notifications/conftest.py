"""Fixtures for the mail tests: the mail target registered, the default texts in place."""

import importlib

import pytest
from django.apps import apps
from django.utils import translation

from campuscard.core import outbox
from campuscard.core.models import OutboxItem
from campuscard.notifications.target import MailTarget

DEFAULTS = importlib.import_module("campuscard.notifications.migrations.0002_default_templates")
IZLY = importlib.import_module("campuscard.notifications.migrations.0003_card_enabled_izly")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def mail_target(db):
    """The mail target, whether or not CAMPUSCARD_TARGETS lists it; restored as it was."""
    configured = outbox.targets().get(MailTarget.name)
    target = MailTarget()
    outbox.register(target)
    yield target
    if configured is not None:
        outbox.register(configured)
    else:
        outbox.unregister(MailTarget.name)


@pytest.fixture(autouse=True)
def default_templates(db):
    """The texts the data migration writes (a transactional test elsewhere may have flushed
    them)."""
    DEFAULTS.create_defaults(apps, None)
    IZLY.add_izly(apps, None)


@pytest.fixture
def public_url(settings):
    settings.CAMPUSCARD_PUBLIC_URL = "https://cards.example.edu"
    return "https://cards.example.edu/me/"


@pytest.fixture
def login(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def as_user(user, language="en"):
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
        client.force_login(user)
        return client

    return as_user


def mail_rows(**filters):
    return list(OutboxItem.objects.filter(target=MailTarget.name, **filters)
                .order_by("pk").values_list("operation", flat=True))


def drain_all():
    """Deliver everything due, whatever the batch size."""
    total = 0
    while (delivered := outbox.drain()):
        total += delivered
    return total
