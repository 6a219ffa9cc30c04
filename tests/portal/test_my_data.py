"""“My data”: the download holds everything about the student; the systems list comes from
the pushes made for them."""

import io
import json
import zipfile

import pytest

from campuscard.cards.states import DisableReason, State
from campuscard.core import outbox
from campuscard.people.services import set_consent

from ..conftest import actor, card_in_state
from .conftest import give_photo

pytestmark = pytest.mark.django_db


def test_download_holds_the_person_consents_cards_history_and_photos(login, student,
                                                                      manager_a):
    card = give_photo(card_in_state(student, State.ENABLED, manager_a))
    set_consent(student, actor(student.user), "esc", True)
    response = login(student.user).get("/me/data/download/")
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("data.json"))
    assert data["person"]["eppn"] == student.eppn
    assert data["person"]["esc_consent"] is True
    assert data["consent_history"][0]["consent"] == "esc"
    assert data["cards"][0]["escn"] == str(card.escn)
    assert data["cards"][0]["photo"] == f"photos/card-{card.pk}.jpg"
    assert {"card.requested", "card.enabled", "person.consent_changed"} <= {
        entry["action"] for entry in data["history"]}
    assert archive.read(f"photos/card-{card.pk}.jpg") == card.photo.open("rb").read()


def test_systems_list_shows_each_system_with_dates_and_what_waits(login, student, manager_a,
                                                                  systems):
    card = card_in_state(student, State.ENABLED, manager_a)
    outbox.drain()
    from campuscard.cards import services

    services.disable(card, actor(student.user), DisableReason.LOST)
    outbox.unregister("crous")  # crous is down: its push waits
    outbox.drain()
    listed = {s.target: s for s in login(student.user).get("/me/data/").context["systems"]}
    assert set(listed) == {"doors", "crous"}
    assert (listed["doors"].count, listed["doors"].waiting) == (2, 0)
    assert (listed["crous"].count, listed["crous"].waiting) == (1, 1)
    assert listed["doors"].first_sent <= listed["doors"].last_sent


def test_no_system_listed_before_anything_was_sent(login, student):
    response = login(student.user).get("/me/data/")
    assert response.context["systems"] == []
    assert "has not been sent to any other system" in response.content.decode()
