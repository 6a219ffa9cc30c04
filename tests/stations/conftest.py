"""A print station of establishment A, a manager allowed on it, checked requests, and a small
real PDF standing in for the card renderer (campuscard.printing, wired at merge)."""

import json

import pytest
from django.test import Client

from campuscard.cards.states import State
from campuscard.core.actors import Actor
from campuscard.stations import documents, services
from tests.conftest import actor, card_in_state, make_person


def minimal_pdf(text="card"):
    """A one-page PDF any reader opens (objects, a cross-reference table and a trailer)."""
    stream = f"BT /F1 12 Tf 10 20 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 242.6 153] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


@pytest.fixture(autouse=True)
def card_pdf(monkeypatch):
    """The renderer's seam returns a small real PDF naming the card."""
    monkeypatch.setattr(documents, "job_pdf", lambda job: minimal_pdf(f"card {job.card_id}"))


@pytest.fixture
def station(est_a, manager_a):
    station, token = services.register_station("Office A", est_a, Actor.system(),
                                               printer_model="Evolis Primacy 2",
                                               allowed_users=[manager_a])
    station.token = token
    return station


@pytest.fixture
def second_station(est_a, manager_a):
    station, token = services.register_station("Office A bis", est_a, Actor.system(),
                                               allowed_users=[manager_a])
    station.token = token
    return station


@pytest.fixture
def checked_cards(student, other_student, manager_a):
    return [card_in_state(person, State.REQUEST_CHECKED, manager_a)
            for person in (student, other_student)]


@pytest.fixture
def make_checked(est_a, students, manager_a):
    def make(username):
        return card_in_state(make_person(username, est_a, students), State.REQUEST_CHECKED,
                             manager_a)
    return make


@pytest.fixture
def queued(checked_cards, station, manager_a):
    return services.send_to_print(checked_cards, station, actor(manager_a))


class Device:
    """Calls the station API with a token (None: no Authorization header)."""

    def __init__(self, token):
        self.http = Client()
        self.headers = {"Accept-Language": "en"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def get(self, url, data=None):
        return self.http.get(url, data, headers=self.headers)

    def post(self, url, body=None):
        return self.http.post(url, json.dumps(body or {}), content_type="application/json",
                              headers=self.headers)


@pytest.fixture
def device(station):
    return Device(station.token)
