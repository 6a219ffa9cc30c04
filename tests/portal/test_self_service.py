"""The student's own pages: tracking, blocking, re-enabling, delivery, renewal, consents."""

from decimal import Decimal

import pytest

from campuscard.cards import services as card_services
from campuscard.cards.models import Card
from campuscard.cards.states import DisableReason, State
from campuscard.core.models import AuditEntry, OutboxItem
from campuscard.people.models import ConsentRecord

from ..conftest import actor, card_in_state

pytestmark = pytest.mark.django_db


def steps(response):
    return [(step.key, step.status) for step in response.context["steps"]]


def test_new_request_shows_its_first_step_as_current(login, student, manager_a):
    card = card_in_state(student, State.NEW, manager_a)
    response = login(student.user).get(f"/me/cards/{card.pk}/")
    assert steps(response) == [("requested", "current"), ("checked", "todo"),
                               ("printed", "todo"), ("encoded", "todo"), ("enabled", "todo")]
    assert response.context["steps"][0].at is not None


def test_checked_request_moves_the_current_step(login, student, manager_a):
    card_in_state(student, State.REQUEST_CHECKED, manager_a)
    response = login(student.user).get("/me/")
    assert steps(response)[:3] == [("requested", "done"), ("checked", "current"),
                                   ("printed", "todo")]


def test_enabled_card_shows_every_step_done_and_its_details(login, student, manager_a):
    card = card_in_state(student, State.ENABLED, manager_a)
    response = login(student.user).get(f"/me/cards/{card.pk}/")
    assert {status for _key, status in steps(response)} == {"done"}
    assert str(card.escn) in response.content.decode()


def test_rejected_request_shows_the_reason_and_a_way_to_submit_again(login, student,
                                                                      manager_a):
    card = card_in_state(student, State.NEW, manager_a)
    card_services.reject_request(card, actor(manager_a), "The photo is blurred")
    response = login(student.user).get("/me/")
    page = response.content.decode()
    assert "The photo is blurred" in page
    assert 'href="/me/request/"' in page
    assert ("checked", "stopped") in steps(response)


def test_lost_card_is_blocked_in_two_clicks_and_every_system_hears_of_it(login, student,
                                                                         manager_a, systems):
    card = card_in_state(student, State.ENABLED, manager_a)
    client = login(student.user)
    card_page = client.get(f"/me/cards/{card.pk}/").content.decode()
    assert f'href="/me/cards/{card.pk}/block/?reason=LOST"' in card_page  # first click
    confirm = client.get(f"/me/cards/{card.pk}/block/?reason=LOST")
    assert confirm.context["form"]["reason"].value() == "LOST"
    client.post(f"/me/cards/{card.pk}/block/", {"reason": "LOST"})  # second click
    card.refresh_from_db()
    assert (card.state, card.disable_reason) == (State.DISABLED, DisableReason.LOST)
    rows = OutboxItem.objects.filter(object_type="card", object_id=str(card.pk),
                                     operation="card.disabled")
    assert sorted(rows.values_list("target", flat=True)) == ["crous", "doors"]
    assert AuditEntry.objects.filter(card=card, action="card.disabled",
                                     actor=student.user).exists()


def test_a_holder_cannot_give_a_staff_reason(login, student, manager_a):
    card = card_in_state(student, State.ENABLED, manager_a)
    response = login(student.user).post(f"/me/cards/{card.pk}/block/", {"reason": "REPLACED"})
    assert response.context["form"].errors["reason"]
    card.refresh_from_db()
    assert card.state == State.ENABLED


def test_card_found_again_is_enabled_by_its_holder(login, student, manager_a, systems):
    card = card_in_state(student, State.ENABLED, manager_a)
    card_services.disable(card, actor(student.user), DisableReason.LOST)
    client = login(student.user)
    assert "enable" in client.get(f"/me/cards/{card.pk}/").context["actions"]
    client.post(f"/me/cards/{card.pk}/enable/")
    card.refresh_from_db()
    assert card.state == State.ENABLED
    assert OutboxItem.objects.filter(object_id=str(card.pk), operation="card.enabled",
                                     target="doors").count() == 2


def test_a_replaced_card_cannot_be_enabled_again_by_its_holder(login, student, manager_a):
    old = card_in_state(student, State.ENABLED, manager_a)
    card_services.disable(old, actor(student.user), DisableReason.LOST)
    new = card_services.renew_card(old, actor(student.user), reason="lost")
    for verb in (card_services.check_request, card_services.send_to_print,
                 card_services.mark_printed, card_services.start_encoding):
        new = verb(new, actor(manager_a))
    new = card_services.mark_encoded(new, actor(manager_a), "04A1B2C3D4E5F6")
    card_services.enable(new, actor(manager_a))
    client = login(student.user)
    assert "enable" not in client.get(f"/me/cards/{old.pk}/").context["actions"]
    response = client.post(f"/me/cards/{old.pk}/enable/", follow=True)
    assert "replaced" in next(str(m) for m in response.context["messages"])
    old.refresh_from_db()
    assert old.state == State.DISABLED


def test_holder_confirms_they_got_their_card(login, student, manager_a):
    card = card_in_state(student, State.ENABLED, manager_a)
    client = login(student.user)
    client.post(f"/me/cards/{card.pk}/received/")
    card.refresh_from_db()
    assert card.delivered_at is not None and card.delivered_by == student.user
    assert "received" not in client.get(f"/me/cards/{card.pk}/").context["actions"]


def test_a_request_not_printed_cannot_be_confirmed_received(login, student, manager_a):
    card = card_in_state(student, State.NEW, manager_a)
    response = login(student.user).post(f"/me/cards/{card.pk}/received/", follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Only a card that has been printed can be handed over."]
    card.refresh_from_db()
    assert card.delivered_at is None


def test_holder_cancels_their_request(login, student, manager_a):
    card = card_in_state(student, State.NEW, manager_a)
    login(student.user).post(f"/me/cards/{card.pk}/cancel/")
    card.refresh_from_db()
    assert card.state == State.CANCELED


def test_free_renewal_keeps_the_old_card_enabled(login, student, manager_a):
    old = card_in_state(student, State.ENABLED, manager_a)
    response = login(student.user).post(f"/me/cards/{old.pk}/renew/",
                                        {"reason": "broken"})
    new = Card.objects.get(renewal_of=old)
    assert response.url == f"/me/cards/{new.pk}/"
    assert (new.state, new.fee_due) == (State.RENEWED, None)
    assert new.renewal_reason == "My card is broken or does not work"
    old.refresh_from_db()
    assert old.state == State.ENABLED


def test_paid_renewal_needs_the_fee_accepted_and_records_it(login, student, manager_a):
    student.population.free_renewal = False
    student.population.renewal_fee = Decimal("8.00")
    student.population.save()
    old = card_in_state(student, State.ENABLED, manager_a)
    client = login(student.user)
    refused = client.post(f"/me/cards/{old.pk}/renew/", {"reason": "lost"})
    assert refused.context["form"].errors["accept_fee"]
    assert not Card.objects.filter(renewal_of=old).exists()
    client.post(f"/me/cards/{old.pk}/renew/", {"reason": "lost", "accept_fee": "on"})
    assert Card.objects.get(renewal_of=old).fee_due == Decimal("8.00")


def test_renewal_needs_a_reason(login, student, manager_a):
    old = card_in_state(student, State.ENABLED, manager_a)
    client = login(student.user)
    assert client.post(f"/me/cards/{old.pk}/renew/", {}).context["form"].errors["reason"]
    other = client.post(f"/me/cards/{old.pk}/renew/", {"reason": "other", "details": " "})
    assert other.context["form"].errors["details"]
    assert not Card.objects.filter(renewal_of=old).exists()


def test_no_second_renewal_while_one_is_in_progress(login, student, manager_a):
    old = card_in_state(student, State.ENABLED, manager_a)
    client = login(student.user)
    client.post(f"/me/cards/{old.pk}/renew/", {"reason": "lost"})
    assert "renew" not in client.get(f"/me/cards/{old.pk}/").context["actions"]
    response = client.post(f"/me/cards/{old.pk}/renew/", {"reason": "lost"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "A card request is already in progress."]
    assert Card.objects.filter(renewal_of=old).count() == 1


def test_consent_changes_are_kept_with_their_date(login, student):
    client = login(student.user)
    client.post("/me/consents/", {"esc": "on", "photo": "on"})
    client.post("/me/consents/", {"photo": "on"})
    student.refresh_from_db()
    assert (student.esc_consent, student.photo_consent, student.crous_consent) == (
        False, True, False)
    history = list(ConsentRecord.objects.filter(person=student).order_by("recorded_at", "id")
                   .values_list("consent", "given"))
    assert history == [("esc", True), ("photo", True), ("esc", False)]
    page = client.get("/me/consents/")
    assert len(page.context["history"]) == 3


def test_withdrawing_the_european_consent_enqueues_the_removal(login, student, manager_a,
                                                               systems):
    card = card_in_state(student, State.ENABLED, manager_a)
    client = login(student.user)
    client.post("/me/consents/", {"esc": "on"})
    client.post("/me/consents/", {})
    row = OutboxItem.objects.get(target="doors", operation="person.esc_withdrawn")
    assert row.payload["escns"] == [str(card.escn)]
    assert row.payload["pic"] == student.establishment.pic


def test_a_user_without_a_person_record_is_told_so(login, manager_a):
    client = login(manager_a)
    assert "No card holder record" in client.get("/me/").content.decode()
    assert client.get("/me/consents/").status_code == 404
    assert client.get("/me/data/download/").status_code == 404


def test_renewal_with_a_new_photo_stores_it_at_the_card_size(login, student, manager_a):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from .conftest import jpeg_bytes

    old = card_in_state(student, State.ENABLED, manager_a)
    upload = SimpleUploadedFile("new.jpg", jpeg_bytes((700, 900)), "image/jpeg")
    login(student.user).post(f"/me/cards/{old.pk}/renew/", {"reason": "details",
                                                            "photo": upload})
    new = Card.objects.get(renewal_of=old)
    with new.photo.open("rb") as photo:
        assert Image.open(photo).size == (350, 450)


def test_renewal_with_a_bad_photo_is_refused_and_stores_nothing(login, student, manager_a,
                                                                settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    old = card_in_state(student, State.ENABLED, manager_a)
    upload = SimpleUploadedFile("x.jpg", b"%PDF-1.4 not a photo", "image/jpeg")
    response = login(student.user).post(f"/me/cards/{old.pk}/renew/",
                                        {"reason": "details", "photo": upload})
    assert response.context["form"].errors["photo"]
    assert not Card.objects.filter(renewal_of=old).exists()
    assert not list((settings.MEDIA_ROOT / "photos").rglob("*.jpg"))
