"""Helpers for the back-office tests: pages in English, logged-in clients, quick cards."""

import datetime

import pytest
from django.utils import timezone

from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.core.models import OutboxItem
from campuscard.esc.escn import generate_escn
from campuscard.people.models import Person


@pytest.fixture
def login(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def quick_card(person, state=State.NEW, *, requested_at=None, csn=None):
    """A card written directly (test data only: real changes go through cards.services)."""
    now = requested_at or timezone.now()
    return Card.objects.create(
        person=person, establishment=person.establishment, state=state, state_changed_at=now,
        requested_at=now, csn=csn,
        escn=generate_escn(person.establishment.escn_prefix, person.establishment.pic),
    )


def many_people(count, establishment, population, prefix="p"):
    """People without a login account (creating accounts hashes passwords: slow)."""
    return [Person.objects.create(eppn=f"{prefix}{i:03d}@{establishment.code}.example.org",
                                  first_name=f"First{i:03d}", last_name=f"Name{i:03d}",
                                  establishment=establishment, population=population)
            for i in range(count)]


def failed_push(card=None, person=None, status=OutboxItem.Status.FAILED, attempts=3):
    obj_type, obj_id = ("card", card.pk) if card is not None else ("person", person.pk)
    return OutboxItem.objects.create(
        target="webhooks", operation="card.enabled", object_type=obj_type,
        object_id=str(obj_id), payload={}, status=status, attempts=attempts,
        last_error="https://example.org/hook: HTTP 410",
    )


def days_ago(days):
    return timezone.now() - datetime.timedelta(days=days)
