"""The fuzzing harness: schemathesis against the live /api and the live router service.

- `world`: a live server (real HTTP on 127.0.0.1, one request at a time) over a seeded
  database (two establishments, people and cards in each, an API token with every scope,
  router keys of both organisations, router persons, cards and a picture), so generated
  requests also reach real objects.
- `api_schema`: our own OpenAPI document, read from the live /api/openapi.json.
- `router_schema`: the router's published document (tests/contract/esc-router-v2.json), aimed
  at our router service under /esc-rest.
- Every 5xx is recorded with the server's traceback (the exceptions that Django's request
  logger and our router's logger write) and listed at the end of the run.

CAMPUSCARD_FUZZ_EXAMPLES sets the examples per operation and mode (default: a bound for CI);
CAMPUSCARD_FUZZ_SEED a seed to explore with (default: derandomized, the same run each time).
"""

import logging
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import WSGIServer
from django.db import connections
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler
from schemathesis.config import SchemathesisConfig

from campuscard.api.clients import create_client
from campuscard.api.models import ApiScope
from campuscard.cards.states import State
from campuscard.router.keys import issue_key
from tests.conftest import card_in_state, make_person, make_staff
from tests.contract.checker import DOCUMENT_PATH
from tests.fuzz.harness import GAPS_SEEN, SEEN
from tests.router.conftest import Router, card_body, esi, jpeg, new_escn, person_body


def fuzz_config():
    """Schemathesis' own settings; the runs themselves are bounded in harness.py."""
    return SchemathesisConfig.from_dict({"generation": {"deterministic": True}})


@dataclass
class World:
    base_url: str
    api_tokens: list  # every scope over every establishment; over A only; people:read only
    router_keys: dict  # PIC -> key
    known: dict = field(default_factory=dict)  # path parameter name -> existing values
    server_errors: list = field(default_factory=list)  # tracebacks of this run's 5xx


def _seed_api(est_a, est_b, students, known):
    manager = make_staff("fuzz-manager", "manager", [est_a, est_b])
    people = [make_person(name, est, students)
              for name, est in (("alice", est_a), ("bob", est_a), ("chloe", est_b))]
    cards = [card_in_state(people[0], State.ENABLED, manager),
             card_in_state(people[1], State.NEW, manager),
             card_in_state(people[2], State.PRINTED, manager)]
    known["eppn"] = [person.eppn for person in people]
    known["card_id"] = [card.pk for card in cards]
    known["escn"] = [str(card.escn) for card in cards if card.escn]


def _seed_router(est_a, est_b, known):
    keys, esis, escns = {}, [], []
    for number, est in enumerate((est_a, est_b), start=1):
        keys[est.pic] = issue_key(est.pic, f"fuzz {est.code}", est.name)
        router = Router(keys[est.pic])
        identifier = esi(f"10000000{number:02d}A")
        response = router.post("/persons", person_body(est.pic, identifier,
                                                       email=f"p{number}@example.org"))
        assert response.status_code == 201, response.content
        response = router.post("/cards", card_body(est.pic, identifier, new_escn(est)))
        assert response.status_code == 201, response.content
        escns.append(response.json()["cardNumber"])
        response = router.upload(f"/organisations/{est.pic}/person/{identifier}/picture",
                                 jpeg(300, 400), "?resize=true")
        assert response.status_code == 201, response.content
        esis.append(identifier)
    known["router_escn"] = escns
    known["esi"] = esis
    known["pic"] = list(keys)
    return keys


class _OneRequestAtATime(LiveServerThread):
    """Django's live server thread, answering on its own thread one request at a time.

    pytest-django's threaded live server shares the in-memory SQLite connection with a new
    thread per request; under the fuzzer's stream of requests the test database was seen to
    vanish now and then ("no such table", at random places, in no request of its own), so
    the harness serves from one thread, as the in-memory connection is meant to be used."""

    def _create_server(self, connections_override=None):
        return WSGIServer((self.host, self.port), QuietWSGIRequestHandler,
                          allow_reuse_address=False)


@pytest.fixture
def fuzz_server(transactional_db, settings):
    """The base URL of a live server for this test."""
    shared = {conn.alias: conn for conn in connections.all()
              if conn.vendor == "sqlite" and conn.is_in_memory_db()}
    server = _OneRequestAtATime("127.0.0.1", StaticFilesHandler, connections_override=shared)
    server.daemon = True
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    for conn in shared.values():
        conn.inc_thread_sharing()
    server.start()
    server.is_ready.wait()
    try:
        if server.error:
            raise server.error
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.terminate()
        for conn in shared.values():
            conn.dec_thread_sharing()


@pytest.fixture
def world(fuzz_server, settings, est_a, est_b, students):
    # The public status is rate-limited per address; a fuzz run comes from one address.
    # (Its 429 is a listed contract gap; tests/router covers the limit itself.)
    settings.CAMPUSCARD_VERIFY_RATE_PER_MINUTE = 0
    known = {}
    _seed_api(est_a, est_b, students, known)
    tokens = [create_client("fuzz", list(ApiScope.values), all_establishments=True)[1],
              create_client("fuzz A", list(ApiScope.values), [est_a.code])[1],
              create_client("fuzz reader", [ApiScope.PEOPLE_READ], all_establishments=True)[1]]
    keys = _seed_router(est_a, est_b, known)
    world = World(fuzz_server, tokens, keys, known)

    handler = _TracebackRecorder(world.server_errors)
    loggers = [logging.getLogger(name) for name in ("django.request", "campuscard")]
    for logger in loggers:
        logger.addHandler(handler)
    yield world
    for logger in loggers:
        logger.removeHandler(handler)


class _TracebackRecorder(logging.Handler):
    """Keeps the traceback of every exception the server logs while it answers."""

    def __init__(self, into):
        super().__init__(logging.ERROR)
        self.into = into
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record):
        if record.exc_info:
            self.into.append((record.name, self.format(record)))


@pytest.fixture
def api_schema(world):
    return schemathesis.openapi.from_url(f"{world.base_url}/api/openapi.json",
                                         config=fuzz_config())


@pytest.fixture
def router_schema(world):
    schema = schemathesis.openapi.from_path(DOCUMENT_PATH, config=fuzz_config())
    schema.config.update(base_url=f"{world.base_url}/esc-rest")
    return schema


# --- the report of every 5xx seen, excused failure and known gap ---------------------------

def pytest_terminal_summary(terminalreporter):
    if GAPS_SEEN:
        terminalreporter.section("fuzz: answers in the router document's known gaps")
        for (operation_id, status, reason), count in sorted(GAPS_SEEN.items()):
            terminalreporter.write_line(f"{count:5} x {status} {operation_id}: {reason}")
    if not SEEN:
        return
    terminalreporter.section(f"fuzz: {len(SEEN)} server errors")
    for operation, request, status, summary in SEEN:
        terminalreporter.write_line(f"{status} {operation}: {request}")
        for line in summary:
            terminalreporter.write_line(f"    {line}")
