import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from PIL import Image

from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.core.models import AuditEntry, OutboxItem
from campuscard.demo.story import DEMO_PASSWORD, login_rows, seed_demo
from campuscard.institutions.models import Establishment
from campuscard.integrations.crous.models import CrousEstablishment
from campuscard.people.models import Person, StaffRole

pytestmark = pytest.mark.django_db


def test_demo_has_cards_in_every_state_through_the_services():
    assert seed_demo() is True
    assert set(Card.objects.values_list("state", flat=True)) == set(State.values)
    assert 55 <= Person.objects.count() <= 70
    for card in Card.objects.all():
        actions = set(card.audit_entries.values_list("action", flat=True))
        assert actions & {"card.requested", "card.renewal_requested"}, card
        if card.state not in (State.NEW, State.RENEWED):
            assert len(actions) >= 2, card
    assert OutboxItem.objects.filter(target="export:doors-univ-rouen").exists()
    assert OutboxItem.objects.filter(target="export:doors-insa-rouen",  # recognised there
                                     payload__establishment="univ-rouen").exists()
    assert not Card.objects.filter(photo="").exists()
    card = Card.objects.select_related("establishment").first()
    with card.photo.open("rb") as photo:  # demo photos go through the real pipeline
        assert Image.open(photo).size == (card.establishment.photo_width,
                                          card.establishment.photo_height)


def test_demo_establishments_and_logins():
    seed_demo()
    insa = Establishment.objects.get(code="insa-rouen")
    assert (insa.pic, insa.escn_prefix, insa.auto_enable) == ("999465982", "001", True)
    assert Establishment.objects.get(code="univ-rouen").auto_enable is False
    for username, password, _ in login_rows():
        assert password == DEMO_PASSWORD
        assert authenticate(username=username, password=password) is not None, username
    assert StaffRole.objects.get(user__username="manager-insa").establishments.get() == insa
    assert get_user_model().objects.get(username="admin").is_superuser
    student = Person.objects.get(user__username="etudiant")
    assert student.cards.get().state == State.ENABLED


def test_demo_establishments_send_to_crous_and_izly_students_consent(settings):
    settings.CAMPUSCARD_CROUS_URL = "http://127.0.0.1:9/crous"  # seeding sends nothing itself
    settings.CAMPUSCARD_CROUS_TOKEN_URL = "http://127.0.0.1:9/token"
    settings.CAMPUSCARD_CROUS_CLIENT_ID = "campuscard-demo"
    settings.CAMPUSCARD_CROUS_CLIENT_SECRET = "demo"
    seed_demo()
    crous = {c.establishment.code: c for c in CrousEstablishment.objects.all()}
    assert set(crous) == {"univ-rouen", "insa-rouen"} and all(c.enabled for c in crous.values())
    assert len({c.card_number_base for c in crous.values()}) == 2  # idZdc taken once at CROUS
    ready = Person.objects.get(user__username="carte-prete")
    assert ready.crous_consent and ready.cards.get().state == State.ENCODED
    assert ready.establishment.code == "univ-rouen"  # whose manager enables it by hand
    enabled = Person.objects.get(user__username="etudiant")
    assert enabled.crous_consent
    assert OutboxItem.objects.filter(target="crous", operation="card.enabled",
                                     object_id=str(enabled.cards.get().pk)).exists()


def test_seeding_twice_does_not_duplicate():
    assert seed_demo() is True
    counts = (Person.objects.count(), Card.objects.count(), AuditEntry.objects.count())
    assert seed_demo() is False
    assert (Person.objects.count(), Card.objects.count(), AuditEntry.objects.count()) == counts


def test_demo_command_without_serving(capsys):
    call_command("demo", no_serve=True)
    call_command("demo", no_serve=True)
    out = capsys.readouterr().out
    assert "Demo data created" in out and "reusing it" in out
    assert Establishment.objects.count() == 2
