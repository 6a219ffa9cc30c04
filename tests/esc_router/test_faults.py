"""The ESC router push under a faulty network, over real HTTP: a proxy in front of the router
service answers 500 to some requests and holds the answer of others past the client's timeout
(the router did the work, we never heard of it). Every card must reach the router, none with two
different results; and a router that is down for a while gets the backlog when it returns.

bench/esc_fault_bench.py runs the same with 10,000 cards and reports the drain time.
"""

import json
import time

import pytest

from campuscard.cards.states import State
from campuscard.core import outbox
from campuscard.core.models import OutboxItem
from campuscard.institutions.models import Establishment
from campuscard.integrations.esc_router.client import EscRouterClient
from campuscard.people.services import set_consent

from ..conftest import actor, card_in_state, make_person
from .fault_proxy import FaultProxy

Status = OutboxItem.Status
TARGET = "esc_router"


@pytest.fixture
def faulty_router(live_router, live_server, settings, est_a):
    """The router behind a proxy failing 30% of requests; the outbox retries quickly."""
    _base_url, key = live_router
    with FaultProxy(live_server.url, failure_rate=0.3, hold_seconds=0.6) as proxy:
        settings.CAMPUSCARD_ESC_ROUTER_URL = f"{proxy.url}/esc-rest"
        settings.CAMPUSCARD_ESC_ROUTER_TIMEOUT = 0.3
        settings.OUTBOX_BACKOFF_BASE = 0.01
        settings.OUTBOX_BACKOFF_CAP = 0.05
        settings.OUTBOX_MAX_ATTEMPTS = 1000
        Establishment.objects.filter(pk=est_a.pk).update(esc_router_key=key)
        yield proxy


@pytest.fixture
def straight_client(live_router):
    base_url, key = live_router
    with EscRouterClient(base_url, key, timeout=10.0) as client:
        yield client


def enable_cards(count, est_a, students, manager_a, start=0):
    cards = []
    for index in range(start, start + count):
        person = make_person(f"student{index:03d}", est_a, students)
        set_consent(person, actor(person.user), "esc", True)
        cards.append(card_in_state(person, State.ENABLED, manager_a))
    return cards


def open_rows():
    return OutboxItem.objects.filter(target=TARGET, status__in=[Status.PENDING,
                                                                Status.IN_FLIGHT])


def drain_until_empty(limit_seconds=240):
    started = time.monotonic()
    while open_rows().exists():
        outbox.drain()
        assert time.monotonic() - started < limit_seconds, "the backlog did not drain"
    return time.monotonic() - started


def assert_all_active(cards, client):
    assert not OutboxItem.objects.filter(target=TARGET, status=Status.FAILED).exists()
    for card in cards:
        assert client.card_status(str(card.escn)).status == "ACTIVE"


def test_every_card_reaches_a_router_failing_30_percent_of_requests(
        faulty_router, straight_client, est_a, students, manager_a):
    cards = enable_cards(40, est_a, students, manager_a)
    drain_until_empty()
    assert_all_active(cards, straight_client)
    assert faulty_router.counts["500"] > 0 and faulty_router.counts["held"] > 0
    for card in cards:  # applied again after a lost answer, but always the same card
        bodies = {json.dumps(body, sort_keys=True) for body in faulty_router.applied[
            str(card.escn)]}
        assert len(bodies) == 1
    assert len(list(straight_client.iter_persons())) == 40
    assert len(list(straight_client.iter_cards())) == 40


def test_the_backlog_drains_when_the_router_returns(faulty_router, straight_client, est_a,
                                                    students, manager_a):
    faulty_router.failure_rate = 0
    faulty_router.down = True
    cards = enable_cards(15, est_a, students, manager_a)
    stop = time.monotonic() + 1.0
    while time.monotonic() < stop:
        outbox.drain()
    waiting = open_rows()
    assert waiting.filter(object_type="card").count() == 15
    assert all(row.attempts >= 1 and row.last_error for row in waiting)
    faulty_router.down = False
    drain_until_empty(limit_seconds=60)
    assert_all_active(cards, straight_client)
