"""A print station of establishment A, a manager allowed on it, checked requests; jobs are
rendered by the real card renderer (campuscard.printing)."""

import json

import pytest
from django.test import Client

from campuscard.cards.states import State
from campuscard.core.actors import Actor
from campuscard.stations import services
from tests.conftest import actor, card_in_state, make_person


@pytest.fixture(autouse=True)
def default_template(db):
    """The default card template, as its migration makes it (a flushed database lost it)."""
    from campuscard.printing.defaults import ensure_default_template

    return ensure_default_template()


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
