"""Delivery slips: which cards wait where, the slip's PDF, who may make and use one, and
"delivered" for every card of a slip in one action."""

import pypdfium2
import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from campuscard.cards import services as card_services
from campuscard.cards.models import Card, DeliveryMode
from campuscard.cards.states import State
from campuscard.core.models import AuditEntry
from campuscard.delivery.models import DeliverySlip
from tests.conftest import actor, make_staff

from .conftest import printed_card

pytestmark = pytest.mark.django_db


def pdf_pages(response):
    assert response["Content-Type"] == "application/pdf"
    document = pypdfium2.PdfDocument(response.content)
    try:
        width, height = document[0].get_size()
        assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)  # A4
        return [" ".join(page.get_textpage().get_text_range().split()) for page in document]
    finally:
        document.close()


def make_slip(client, establishment):
    response = client.post(reverse("delivery:slip_make", args=[establishment.code]))
    assert response.status_code == 302
    return DeliverySlip.objects.latest("made_at")


def test_the_page_counts_the_cards_waiting_at_each_place(login, manager_a, ready, est_a,
                                                         est_b, students, manager_b,
                                                         student_b):
    printed_card("paula", est_a, students, manager_a)  # below: sent by post instead
    Card.objects.filter(person__eppn__startswith="paula").update(
        delivery_mode=DeliveryMode.POSTAL)
    printed_card("nina", est_a, students, manager_a, state=State.REQUEST_CHECKED)
    card_services.mark_delivered(printed_card("dora", est_a, students, manager_a),
                                 actor(manager_a))
    printed_card("bea", est_a, students, manager_a, state=State.DISABLED)  # blocked: not out
    printed_card("chloe-b", est_b, students, manager_b)
    response = login(manager_a).get(reverse("delivery:slips"))
    assert response.status_code == 200
    places = response.context["places"]
    assert [(row["establishment"], row["ready"]) for row in places] == [(est_a, 3)]
    assert "Maison de l&#x27;Université, Mont-Saint-Aignan" in response.content.decode()


def test_a_slip_records_its_cards_and_lists_them_sorted_by_name_in_the_pdf(
        login, manager_a, ready, est_a, pickup_place):
    client = login(manager_a)
    slip = make_slip(client, est_a)
    assert set(slip.cards.all()) == set(ready)
    assert (slip.made_by, slip.place, slip.establishment) == (manager_a, pickup_place, est_a)
    assert AuditEntry.objects.filter(action="delivery_slip.made", object_id=str(slip.pk),
                                     after__card_count=3).exists()
    page = client.get(reverse("delivery:slip", args=[slip.pk]))
    assert [card.person.last_name for card in page.context["cards"]] == [
        "Bernard", "Écuyer", "Zeller"]
    [text] = pdf_pages(client.get(reverse("delivery:slip_pdf", args=[slip.pk])))
    for expected in ("Delivery slip", "Université A", pickup_place, slip.reference,
                     "Signature", "Card number", "Student or staff number",
                     "21900001", "21900003", "E-1044", "Zoe", "Emile", "Bruno"):
        assert expected in text, expected
    for card in ready:
        assert Card.objects.get(pk=card.pk).number in text
    assert text.index("Bernard") < text.index("Écuyer") < text.index("Zeller")
    assert date_format(timezone.localtime(slip.made_at), "DATE_FORMAT") in text
    assert "Page 1 of 1" in text


def test_a_long_slip_repeats_its_header_on_every_page(login, manager_a, est_a, students):
    for index in range(45):
        printed_card(f"p{index:02d}", est_a, students, manager_a, last_name=f"Name{index:02d}")
    client = login(manager_a)
    slip = make_slip(client, est_a)
    pages = pdf_pages(client.get(reverse("delivery:slip_pdf", args=[slip.pk])))
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert slip.reference in text and "Université A" in text
        assert "Signature" in text and "Last name" in text
        assert f"Page {number} of {len(pages)}" in text
    everything = "".join(pages)
    assert all(f"Name{index:02d}" in everything for index in range(45))


def test_the_slip_follows_the_language_for_its_words_and_date(client, manager_a, ready, est_a):
    client.force_login(manager_a)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    client.cookies["django_language"] = "fr"
    slip = make_slip(client, est_a)
    [text] = pdf_pages(client.get(reverse("delivery:slip_pdf", args=[slip.pk])))
    with translation.override("fr"):
        made_on = date_format(timezone.localtime(slip.made_at), "DATE_FORMAT")
    assert made_on in text
    assert timezone.localtime(slip.made_at).strftime("%B") not in text  # not English months


def test_no_card_waiting_makes_no_slip(login, manager_a, est_a):
    response = login(manager_a).post(reverse("delivery:slip_make", args=[est_a.code]),
                                     follow=True)
    assert "No card is waiting to be picked up here." in response.content.decode()
    assert not DeliverySlip.objects.exists()


def test_a_manager_of_another_establishment_gets_404_and_changes_nothing(
        login, manager_a, manager_b, ready, est_a):
    slip = make_slip(login(manager_a), est_a)
    client = login(manager_b)
    assert client.get(reverse("delivery:slips")).context["places"][0]["establishment"] != est_a
    for method, url in [("get", reverse("delivery:slip", args=[slip.pk])),
                        ("get", reverse("delivery:slip_pdf", args=[slip.pk])),
                        ("post", reverse("delivery:slip_deliver", args=[slip.pk])),
                        ("post", reverse("delivery:slip_make", args=[est_a.code]))]:
        assert getattr(client, method)(url).status_code == 404, url
    assert DeliverySlip.objects.count() == 1
    assert not Card.objects.filter(delivered_at__isnull=False).exists()
    assert not client.get(reverse("delivery:slips")).context["slips"]


def test_consultants_and_students_may_not_use_slips(client, consultant_a, student, ready,
                                                    est_a):
    for user, status in [(consultant_a, 403), (student.user, 403)]:
        client.force_login(user)
        assert client.get(reverse("delivery:slips")).status_code == status
        assert client.post(reverse("delivery:slip_make",
                                   args=[est_a.code])).status_code == status
    assert not DeliverySlip.objects.exists()


def test_a_manager_of_some_populations_lists_only_their_cards(login, est_a, ready,
                                                              staff_population, manager_a):
    printed_card("sam", est_a, staff_population, manager_a, last_name="Staffer")
    limited = make_staff("manager-staff", "manager", [est_a], [staff_population])
    client = login(limited)
    assert client.get(reverse("delivery:slips")).context["places"][0]["ready"] == 1
    slip = make_slip(client, est_a)
    assert [card.person.last_name for card in slip.cards.all()] == ["Staffer"]


def test_every_card_of_a_slip_is_delivered_in_one_action_skipping_those_that_cannot_be(
        login, manager_a, ready, est_a, students):
    extra = printed_card("yann", est_a, students, manager_a, state=State.ENCODED)
    client = login(manager_a)
    slip = make_slip(client, est_a)
    assert slip.cards.count() == 4
    card_services.mark_delivered(ready[0], actor(manager_a))  # handed over from its own page
    card_services.destroy(Card.objects.get(pk=extra.pk), actor(manager_a))  # a damaged card
    before = AuditEntry.objects.filter(action="card.delivered").count()
    page = client.get(reverse("delivery:slip", args=[slip.pk]))
    assert page.context["waiting"] == 2
    assert "(2 cards waiting)" in page.content.decode()
    response = client.post(reverse("delivery:slip_deliver", args=[slip.pk]), follow=True)
    text = response.content.decode()
    assert "2 cards marked as delivered." in text
    assert "2 cards skipped:" in text
    assert "1 card: This card has already been delivered." in text
    assert "1 card: Only a card that has been printed can be handed over." in text
    delivered = set(Card.objects.filter(delivered_at__isnull=False).values_list("pk", flat=True))
    assert delivered == {ready[0].pk, ready[1].pk, ready[2].pk}
    entries = AuditEntry.objects.filter(action="card.delivered")
    assert entries.count() == before + 2
    assert set(entries.values_list("card_id", flat=True)) == delivered
    assert all(entry.actor == manager_a for entry in entries)
    assert AuditEntry.objects.filter(action="delivery_slip.delivered", object_id=str(slip.pk),
                                     after={"delivered": 2, "skipped": 2}).exists()
    slip.refresh_from_db()
    assert slip.delivered_by == manager_a and slip.delivered_at is not None
    assert "Mark every card of this slip" not in text
    assert "No card of this slip is waiting to be handed over any more." in text
    again = client.post(reverse("delivery:slip_deliver", args=[slip.pk]), follow=True)
    assert "0 cards marked as delivered." in again.content.decode()
    assert "4 cards skipped:" in again.content.decode()


def test_past_slips_are_listed(login, manager_a, ready, est_a):
    client = login(manager_a)
    first = make_slip(client, est_a)
    second = make_slip(client, est_a)
    page = client.get(reverse("delivery:slips"))
    assert [slip.pk for slip in page.context["slips"]] == [second.pk, first.pk]
    assert first.reference in page.content.decode()
    assert [slip.card_count for slip in page.context["slips"]] == [3, 3]


def test_the_delivery_words_are_translatable(client, manager_a, ready, est_a):
    """Each page renders in French with no error (the catalogue itself is the lead's)."""
    client.force_login(manager_a)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    slip = make_slip(client, est_a)
    assert client.get(reverse("delivery:slip", args=[slip.pk])).status_code == 200


def test_a_slip_holds_at_most_so_many_cards_the_first_requested(login, manager_a, ready, est_a,
                                                               monkeypatch):
    from campuscard.delivery import services

    monkeypatch.setattr(services, "MAX_SLIP_CARDS", 2)
    client = login(manager_a)
    assert "A slip holds at most 2 cards" in client.get(reverse("delivery:slips")).content.decode()
    slip = make_slip(client, est_a)
    assert set(slip.cards.all()) == set(ready[:2])
