"""The ESC router target against the real router service (campuscard.router), over HTTP.

Each test makes changes through the services, drains the outbox and asks the router what a
verifier would see. `sent` lists the requests the target made, to prove what it did not send.
"""

import datetime
import socket

import httpx
import pytest
from django.utils import timezone

from campuscard.cards import services as card_services
from campuscard.cards.states import State
from campuscard.core import outbox
from campuscard.core.models import OutboxItem
from campuscard.institutions.models import Establishment
from campuscard.integrations.esc_router import services
from campuscard.integrations.esc_router.client import NotFound
from campuscard.integrations.esc_router.models import SentCard, SentPerson
from campuscard.people import services as people_services
from campuscard.people.models import Person

from ..conftest import actor, card_in_state

TARGET = "esc_router"


@pytest.fixture
def fresh_pool(monkeypatch):
    """A connection pool of the test's own, closed after it: a kept-alive connection would keep
    a live-server thread, and its database connection, open."""
    http = httpx.Client(follow_redirects=False)
    monkeypatch.setattr(services, "_http", http)
    yield http
    http.close()


@pytest.fixture
def esc_on(live_router, fresh_pool, settings, est_a):
    """Router on, establishment A pushing with its key."""
    base_url, key = live_router
    settings.CAMPUSCARD_ESC_ROUTER_URL = base_url
    settings.CAMPUSCARD_VERIFY_RATE_PER_MINUTE = 0  # these tests read many public statuses
    Establishment.objects.filter(pk=est_a.pk).update(esc_router_key=key)
    est_a.refresh_from_db()
    return key


class RequestLog:
    def __init__(self):
        self.requests = []

    def mark(self):
        return len(self.requests)

    def since(self, mark):
        """(method, path below /api/v2) of each request made after `mark`."""
        return [(r.method, r.url.path.split("/api/v2", 1)[1]) for r in self.requests[mark:]]


@pytest.fixture
def sent(monkeypatch):
    """Every request the target sends."""
    log = RequestLog()
    http = httpx.Client(follow_redirects=False, event_hooks={"request": [log.requests.append]})
    monkeypatch.setattr(services, "_http", http)
    yield log
    http.close()


@pytest.fixture
def consenting(esc_on, student, manager_a):
    person = people_services.set_consent(student, actor(manager_a), "esc", True)
    outbox.drain()
    return person


def closed_port_url():
    """A router address where nobody listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/esc-rest"


def esc_rows(**filters):
    return OutboxItem.objects.filter(target=TARGET, **filters)


def drained():
    """Deliver until nothing is due (one pass delivers one row per card or person)."""
    while outbox.drain():
        pass
    stuck = esc_rows().exclude(status=OutboxItem.Status.DONE)
    assert not stuck.exists(), list(stuck.values("operation", "status", "last_error"))


def enabled_card(person, manager):
    card = card_in_state(person, State.ENABLED, manager)
    drained()
    return card


def public_status(router_client, card):
    return router_client.card_status(str(card.escn))


def test_an_enabled_card_of_a_consenting_student_is_active(consenting, manager_a,
                                                          router_client):
    card = enabled_card(consenting, manager_a)
    status = public_status(router_client, card)
    assert status.status == "ACTIVE"
    assert status.expires_at == consenting.rights_end
    assert status.issued_at == timezone.localdate(card.enabled_at)
    # The public status leaves the holder's name out (the issuer's choice): read the card.
    assert router_client.get_card(str(card.escn)).display_name == "Alice Martin"
    record = SentCard.objects.get(card=card)
    assert (record.status, record.operation, record.confirmed) == ("ACTIVE", "created", True)
    assert record.expires_at == consenting.rights_end
    person = router_client.get_person(consenting.esi)
    assert person.organisations[0].email == "alice@example.org"


def test_without_an_end_of_rights_the_card_gets_the_default_validity(consenting, manager_a,
                                                                     router_client, settings):
    settings.CAMPUSCARD_ESC_DEFAULT_VALIDITY_DAYS = 100
    Person.objects.filter(pk=consenting.pk).update(rights_end=None)
    card = enabled_card(consenting, manager_a)
    expected = timezone.localdate(card.enabled_at) + datetime.timedelta(days=100)
    assert public_status(router_client, card).expires_at == expected


def test_a_disabled_card_stays_known_as_inactive(consenting, manager_a, router_client):
    card = enabled_card(consenting, manager_a)
    card_services.disable(card, actor(manager_a), "LOST")
    drained()
    assert public_status(router_client, card).status == "INACTIVE"
    assert SentCard.objects.get(card=card).operation == "updated"


def test_a_destroyed_card_stays_known_as_inactive(consenting, manager_a, router_client):
    card = enabled_card(consenting, manager_a)
    card = card_services.disable(card, actor(manager_a), "THEFT")
    card_services.destroy(card, actor(manager_a))
    drained()
    assert public_status(router_client, card).status == "INACTIVE"


def test_an_expired_card_shows_its_expiry(consenting, manager_a, router_client):
    card = enabled_card(consenting, manager_a)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    people_services.update_person(consenting, actor(manager_a), rights_end=yesterday)
    drained()
    status = public_status(router_client, card)
    assert (status.status, status.expires_at) == ("EXPIRED", yesterday)
    record = SentCard.objects.get(card=card)
    assert (record.status, record.expires_at) == ("INACTIVE", yesterday)


def test_withdrawing_consent_deletes_the_cards_and_the_person(consenting, manager_a,
                                                              router_client):
    card = enabled_card(consenting, manager_a)
    people_services.set_consent(consenting, actor(manager_a), "esc", False)
    drained()
    with pytest.raises(NotFound):
        public_status(router_client, card)
    with pytest.raises(NotFound):
        router_client.get_person(consenting.esi)
    assert not SentCard.objects.exists() and not SentPerson.objects.exists()


def test_delivering_a_row_again_or_a_duplicate_sends_nothing(consenting, manager_a, sent):
    card = enabled_card(consenting, manager_a)
    row = esc_rows(operation="card.enabled").get()
    mark = sent.mark()
    outbox.targets()[TARGET].deliver(row)
    OutboxItem.objects.create(target=TARGET, operation=row.operation, object_type="card",
                              object_id=row.object_id, payload=row.payload)
    drained()
    assert sent.since(mark) == []
    assert SentCard.objects.get(card=card).operation == "created"


def test_a_late_row_sends_the_current_state(consenting, manager_a, router_client, settings,
                                            sent):
    base_url = settings.CAMPUSCARD_ESC_ROUTER_URL
    settings.CAMPUSCARD_ESC_ROUTER_URL = closed_port_url()
    card = card_in_state(consenting, State.ENABLED, manager_a)
    outbox.drain()
    card_services.disable(card, actor(manager_a), "LOST")
    settings.CAMPUSCARD_ESC_ROUTER_URL = base_url
    esc_rows().update(not_before=timezone.now())
    mark = sent.mark()
    drained()
    assert public_status(router_client, card).status == "INACTIVE"
    cards_sent = [call for call in sent.since(mark) if call[1].startswith("/cards")]
    assert cards_sent == [("POST", "/cards")]  # once, already INACTIVE; the disable row: nothing


def test_a_change_of_name_updates_the_person_and_the_card_once(consenting, manager_a,
                                                               router_client, sent):
    card = enabled_card(consenting, manager_a)
    mark = sent.mark()
    people_services.update_person(consenting, actor(manager_a), first_name="Alicia")
    drained()
    assert sent.since(mark) == [("PUT", f"/persons/{consenting.esi}"),
                                ("PUT", f"/cards/{card.escn}")]
    assert router_client.get_card(str(card.escn)).display_name == "Alicia Martin"
    assert router_client.get_person(consenting.esi).organisations[0].full_name == "Alicia Martin"
    mark = sent.mark()
    people_services.update_person(consenting, actor(manager_a), email="alicia@example.org")
    drained()
    assert sent.since(mark) == [("PUT", f"/persons/{consenting.esi}")]  # the card is unchanged


def test_consent_given_after_enabling_registers_the_card(esc_on, student, manager_a,
                                                         router_client):
    card = enabled_card(student, manager_a)
    assert not esc_rows().exists()
    people_services.set_consent(student, actor(manager_a), "esc", True)
    drained()
    assert public_status(router_client, card).status == "ACTIVE"


def test_push_again_sends_even_an_unchanged_card(consenting, manager_a, sent):
    card = enabled_card(consenting, manager_a)
    mark = sent.mark()
    queued, refused = services.push_again([card], actor(manager_a))
    assert queued == [card] and not refused
    drained()
    assert sent.since(mark) == [("PUT", f"/persons/{consenting.esi}"),
                                ("PUT", f"/cards/{card.escn}")]


def test_a_card_the_router_lost_is_created_again(consenting, manager_a, router_client, sent):
    card = enabled_card(consenting, manager_a)
    router_client.delete_card(str(card.escn))
    mark = sent.mark()
    services.push_again([card], actor(manager_a))
    drained()
    assert ("POST", "/cards") in sent.since(mark)
    assert public_status(router_client, card).status == "ACTIVE"
    assert SentCard.objects.get(card=card).operation == "created"


def test_what_the_router_has_but_we_forgot_is_updated_after_409(consenting, manager_a,
                                                               router_client, sent):
    card = enabled_card(consenting, manager_a)
    SentCard.objects.all().delete()
    SentPerson.objects.all().delete()
    Person.objects.filter(pk=consenting.pk).update(first_name="Alicia")
    mark = sent.mark()
    services.push_again([card], actor(manager_a))
    drained()
    assert sent.since(mark) == [("POST", "/persons"), ("PUT", f"/persons/{consenting.esi}"),
                                ("POST", "/cards"), ("PUT", f"/cards/{card.escn}")]
    assert router_client.get_card(str(card.escn)).display_name == "Alicia Martin"
    assert SentCard.objects.get(card=card).operation == "updated"


def test_a_wrong_key_fails_the_row_for_a_person_to_look(consenting, manager_a, est_a):
    Establishment.objects.filter(pk=est_a.pk).update(esc_router_key="not-the-key")
    card_in_state(consenting, State.ENABLED, manager_a)
    outbox.drain()
    row = esc_rows(operation="card.enabled").get()
    assert row.status == OutboxItem.Status.FAILED
    assert "API key" in row.last_error and "not-the-key" not in row.last_error
