"""Helpers for the student pages: logged-in clients in English, targets that record pushes."""

import pytest
from django.core.files.base import ContentFile

from campuscard.cards.states import PUSHED_EVENTS
from campuscard.core import outbox


@pytest.fixture
def login(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def as_user(user):
        client.force_login(user)
        return client

    return as_user


class Recorder(outbox.Target):
    """A system that mirrors card validity (doors, CROUS…)."""

    def __init__(self, name):
        self.name = name
        self.received = []

    def wants(self, event, payload):
        return event in PUSHED_EVENTS or event.startswith("person.")

    def deliver(self, item):
        self.received.append(item.operation)


@pytest.fixture
def systems():
    """Two systems registered as outbox targets for the test."""
    recorders = [Recorder("doors"), Recorder("crous")]
    replaced = {name: target for name, target in outbox.targets().items()
                if name in {"doors", "crous"}}
    for recorder in recorders:
        outbox.register(recorder)
    yield recorders
    for recorder in recorders:
        outbox.unregister(recorder.name)
    for target in replaced.values():  # the configured CROUS target comes back
        outbox.register(target)


def jpeg_bytes(size=(350, 450), colour=(200, 120, 40)):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def give_photo(card):
    card.photo.save("p.jpg", ContentFile(jpeg_bytes()), save=True)
    return card
