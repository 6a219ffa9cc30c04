"""The card request form: a photo framed in the browser, consents, delivery and rules.

A refused request, whatever the reason, stores nothing: no card, no photo file, no consent,
no outbox row."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape
from PIL import Image

from campuscard.cards import services as card_services
from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.core.models import OutboxItem
from campuscard.people.models import ConsentRecord, Person
from campuscard.portal import services as portal_services

from ..conftest import actor, card_in_state, make_user
from .conftest import jpeg_bytes

pytestmark = pytest.mark.django_db

URL = "/me/request/"


# --- building uploads --------------------------------------------------------------------------

def upload(content, name="me.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type)


def png_bytes(size=(700, 900)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_bomb(side=30000):
    """A PNG whose header claims side by side pixels, in a few hundred bytes: one compressed
    row of zeros stands for the picture (decoding it would need gigabytes)."""
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)  # 8-bit RGB
    rows = zlib.compress(b"\0" * (1 + 3 * side), 9)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", rows)
            + png_chunk(b"IEND", b""))


SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="350" '
       b'height="450"><rect width="350" height="450" fill="red"/></svg>')
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def form_data(photo=None, **extra):
    data = {"delivery_mode": "pickup"}
    if photo is not None:
        data["photo"] = photo
    return data | extra


# --- what is stored ----------------------------------------------------------------------------

def media_files(settings):
    root = settings.MEDIA_ROOT
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def assert_nothing_stored(person, settings):
    assert not Card.objects.filter(person=person).exists()
    assert not ConsentRecord.objects.filter(person=person).exists()
    assert not OutboxItem.objects.exists()
    assert media_files(settings) == []
    person.refresh_from_db()
    assert (person.esc_consent, person.photo_consent, person.crous_consent) == (False,) * 3


def photo_errors(response):
    return response.context["form"].errors.as_data().get("photo", [])


def assert_photo_refused(response, code):
    assert response.status_code == 200
    errors = photo_errors(response)
    assert [error.code for error in errors] == [code], errors
    assert escape(" ".join(errors[0].messages)) in response.content.decode()


@pytest.fixture
def as_student(login, student, systems):
    """The student, logged in, with two systems listening to the outbox."""
    return login(student.user)


# --- the page ----------------------------------------------------------------------------------

def test_the_form_offers_a_framed_photo_consents_and_a_card_preview(as_student, student):
    page = as_student.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'accept="image/jpeg,image/png,image/webp"' in html
    for name in ("crop_x", "crop_y", "crop_width", "crop_height", "rotation"):
        assert f'type="hidden" name="{name}"' in html
    assert 'data-photo-width="350" data-photo-height="450"' in html
    for name in ("consent-esc", "consent-photo", "consent-crous"):
        assert f'name="{name}"' in html
    assert "European Student Card router" in html and "Your photo is not sent." in html
    assert "MARTIN" in html and student.first_name in html and "Université A" in html
    assert "photo-picker.js" in html and "portal.css" in html


def test_a_single_delivery_mode_is_preselected(as_student, est_a):
    html = as_student.get(URL).content.decode()
    assert 'value="pickup"' in html and 'value="postal"' not in html
    assert "checked" in html.split('value="pickup"')[1].split(">")[0]


def test_the_french_page_renders(login, student):
    client = login(student.user)
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="fr")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.content.decode()


# --- a successful request ----------------------------------------------------------------------

def test_a_request_stores_a_new_card_with_the_photo_at_the_template_size(as_student, student,
                                                                         est_a, settings):
    data = form_data(upload(jpeg_bytes((700, 900))), **{"consent-esc": "on"},
                     crop_x="0", crop_y="0", crop_width="700", crop_height="900", rotation="0")
    response = as_student.post(URL, data)
    assert response.status_code == 302 and response.url == "/me/"
    card = Card.objects.get(person=student)
    assert card.state == State.NEW and card.delivery_mode == "pickup"
    assert card.rules_accepted_at is None and card.escn
    with Image.open(card.photo.path) as photo:
        assert photo.format == "JPEG"
        assert photo.size == (est_a.photo_width, est_a.photo_height)
    assert media_files(settings) == [settings.MEDIA_ROOT / card.photo.name]
    student.refresh_from_db()
    assert (student.esc_consent, student.photo_consent, student.crous_consent) == (
        True, False, False)
    assert student.esc_consent_at is not None and student.language == "en"
    records = list(ConsentRecord.objects.filter(person=student).values_list(
        "consent", "given", "recorded_by"))
    assert records == [("esc", True, student.user.pk)]
    assert "Your card request is sent." in as_student.get("/me/").content.decode()


def test_without_javascript_the_photo_is_centred(as_student, student, est_a):
    response = as_student.post(URL, form_data(upload(png_bytes((1600, 900)), "me.png",
                                                     "image/png")))
    assert response.status_code == 302
    card = Card.objects.get(person=student)
    with Image.open(card.photo.path) as photo:
        assert photo.size == (est_a.photo_width, est_a.photo_height)
    assert not ConsentRecord.objects.filter(person=student).exists()


def test_a_rotated_crop_is_in_pixels_of_the_turned_picture(as_student, student, est_a):
    """Left half red, right half blue: turned clockwise, red is on top, where the crop is."""
    picture = Image.new("RGB", (900, 700), (220, 0, 0))
    picture.paste((0, 0, 220), (450, 0, 900, 700))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG")
    data = form_data(upload(buffer.getvalue()), crop_x="100", crop_y="0",
                     crop_width="350", crop_height="450", rotation="90")
    assert as_student.post(URL, data).status_code == 302
    with Image.open(Card.objects.get(person=student).photo.path) as photo:
        assert photo.size == (est_a.photo_width, est_a.photo_height)
        red, _green, blue = photo.convert("RGB").getpixel((175, 225))
        assert red > 180 and blue < 60


def test_every_consent_given_is_recorded_with_its_history(as_student, student):
    data = form_data(upload(jpeg_bytes((700, 900))),
                     **{"consent-esc": "on", "consent-photo": "on", "consent-crous": "on"})
    assert as_student.post(URL, data).status_code == 302
    assert sorted(ConsentRecord.objects.filter(person=student, given=True)
                  .values_list("consent", flat=True)) == ["crous", "esc", "photo"]
    assert OutboxItem.objects.filter(operation="person.consent_changed").count() == 3 * 2


def test_the_request_remembers_the_language_it_was_made_in(login, student):
    client = login(student.user)
    data = form_data(upload(jpeg_bytes((700, 900))))
    assert client.post(URL, data, HTTP_ACCEPT_LANGUAGE="fr").status_code == 302
    student.refresh_from_db()
    assert student.language == "fr"


def test_postal_delivery_keeps_the_address(as_student, student, est_a):
    est_a.postal_offered = True
    est_a.save()
    data = form_data(upload(jpeg_bytes((700, 900))), delivery_mode="postal",
                     postal_address="  1 rue de la Paix\n76000 Rouen  ")
    assert as_student.post(URL, data).status_code == 302
    card = Card.objects.get(person=student)
    assert (card.delivery_mode, card.postal_address) == ("postal", "1 rue de la Paix\n76000 Rouen")


def test_a_pickup_forgets_an_address_typed_before_changing_one_s_mind(as_student, student,
                                                                        est_a):
    est_a.postal_offered = True
    est_a.save()
    data = form_data(upload(jpeg_bytes((700, 900))), postal_address="1 rue de la Paix")
    assert as_student.post(URL, data).status_code == 302
    assert Card.objects.get(person=student).postal_address == ""


# --- delivery and rules ------------------------------------------------------------------------

def test_postal_delivery_without_an_address_is_refused(as_student, student, est_a, settings):
    est_a.postal_offered = True
    est_a.save()
    data = form_data(upload(jpeg_bytes((700, 900))), delivery_mode="postal", postal_address=" ")
    response = as_student.post(URL, data)
    assert response.status_code == 200
    assert response.context["form"].errors["postal_address"] == [
        "Give the address the card should be sent to."]
    assert_nothing_stored(student, settings)


def test_a_delivery_mode_the_establishment_does_not_offer_is_refused(as_student, student,
                                                                      settings):
    data = form_data(upload(jpeg_bytes((700, 900))), delivery_mode="postal",
                     postal_address="1 rue de la Paix")
    response = as_student.post(URL, data)
    assert "delivery_mode" in response.context["form"].errors
    assert_nothing_stored(student, settings)


def test_rules_must_be_accepted_when_the_establishment_has_some(as_student, student, est_a,
                                                                settings):
    est_a.rules_en = "Keep your card with you."
    est_a.rules_fr = "Gardez votre carte sur vous."
    est_a.save()
    page = as_student.get(URL).content.decode()
    assert "Keep your card with you." in page and 'name="accept_rules"' in page
    response = as_student.post(URL, form_data(upload(jpeg_bytes((700, 900)))))
    assert "accept_rules" in response.context["form"].errors
    assert_nothing_stored(student, settings)
    data = form_data(upload(jpeg_bytes((700, 900))), accept_rules="on")
    assert as_student.post(URL, data).status_code == 302
    assert Card.objects.get(person=student).rules_accepted_at is not None


def test_the_rules_are_shown_in_the_current_language(login, student, est_a):
    est_a.rules_en = "Keep your card with you."
    est_a.rules_fr = "Gardez votre carte sur vous."
    est_a.save()
    page = login(student.user).get(URL, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Gardez votre carte sur vous." in page and "Keep your card" not in page


def test_without_rules_nothing_is_to_accept(as_student):
    assert 'name="accept_rules"' not in as_student.get(URL).content.decode()


# --- refused photos ----------------------------------------------------------------------------

BAD_FILES = {
    "not_image": lambda: upload(b"Hello, this is not a picture.\n" * 20, "me.txt", "text/plain"),
    "svg": lambda: upload(SVG),
    "pdf": lambda: upload(PDF),
    "truncated": lambda: upload(jpeg_bytes((700, 900))[:2000]),
    "bomb": lambda: upload(png_bomb(), "me.png", "image/png"),
    "small": lambda: upload(jpeg_bytes((120, 150))),
}
EXPECTED_CODE = {"not_image": "not_image", "svg": "not_image", "pdf": "not_image",
                 "truncated": "truncated", "bomb": "too_many_pixels", "small": "too_small"}


def test_the_bomb_is_small_on_disk():
    assert len(png_bomb()) < 1000


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_is_refused_with_a_message_and_nothing_is_stored(as_student, student,
                                                                    settings, case):
    data = form_data(BAD_FILES[case](), **{"consent-esc": "on", "consent-crous": "on"})
    response = as_student.post(URL, data)
    assert_photo_refused(response, EXPECTED_CODE[case])
    assert "please choose it again" in response.content.decode()
    assert_nothing_stored(student, settings)


def test_a_file_larger_than_allowed_is_refused(as_student, student, settings):
    settings.CAMPUSCARD_PHOTO_MAX_BYTES = 4096
    photo = jpeg_bytes((700, 900))
    assert len(photo) > 4096
    response = as_student.post(URL, form_data(upload(photo), **{"consent-esc": "on"}))
    assert_photo_refused(response, "too_large")
    assert_nothing_stored(student, settings)


def test_a_crop_outside_the_picture_is_refused(as_student, student, settings):
    data = form_data(upload(jpeg_bytes((700, 900))), **{"consent-esc": "on"},
                     crop_x="500", crop_y="0", crop_width="700", crop_height="900")
    assert_photo_refused(as_student.post(URL, data), "crop_outside")
    assert_nothing_stored(student, settings)


def test_a_photo_is_required(as_student, student, settings):
    response = as_student.post(URL, form_data(**{"consent-esc": "on"}))
    assert photo_errors(response)[0].messages == ["Choose a photo of yourself."]
    assert_nothing_stored(student, settings)


@pytest.mark.parametrize("framing", [
    {"crop_x": "0"},  # incomplete
    {"crop_x": "a", "crop_y": "0", "crop_width": "700", "crop_height": "900"},
    {"crop_x": "-5", "crop_y": "0", "crop_width": "700", "crop_height": "900"},
    {"crop_x": "0", "crop_y": "0", "crop_width": "0", "crop_height": "900"},
    {"rotation": "45"},
])
def test_a_broken_framing_is_refused_next_to_the_photo(as_student, student, settings, framing):
    response = as_student.post(URL, form_data(upload(jpeg_bytes((700, 900))), **framing))
    assert response.status_code == 200
    assert "frame it again" in " ".join(photo_errors(response)[0].messages)
    assert_nothing_stored(student, settings)


# --- who may request, and when -----------------------------------------------------------------

def test_a_second_request_while_one_is_pending_is_refused(as_student, student, settings):
    assert as_student.post(URL, form_data(upload(jpeg_bytes((700, 900))))).status_code == 302
    card = Card.objects.get(person=student)
    files = media_files(settings)
    page = as_student.get(URL).content.decode()
    assert "already have a card request in progress" in page
    assert f'href="/me/cards/{card.pk}/"' in page and 'name="photo"' not in page
    response = as_student.post(URL, form_data(upload(jpeg_bytes((700, 900)))))
    assert response.status_code == 200
    assert Card.objects.filter(person=student).count() == 1
    assert media_files(settings) == files


def test_a_request_refused_by_the_lifecycle_leaves_no_file(as_student, student, manager_a,
                                                          settings, monkeypatch):
    """Another tab sent a request meanwhile: the form was shown, the lifecycle says no."""
    card_in_state(student, State.NEW, manager_a)
    monkeypatch.setattr(portal_services, "blocks_request", lambda card: False)
    OutboxItem.objects.all().delete()
    response = as_student.post(URL, form_data(upload(jpeg_bytes((700, 900))),
                                              **{"consent-esc": "on"}))
    assert response.status_code == 200
    assert "A card request is already in progress." in response.content.decode()
    assert Card.objects.filter(person=student).count() == 1
    assert media_files(settings) == []
    assert not ConsentRecord.objects.exists() and not OutboxItem.objects.exists()


def test_a_holder_whose_rights_ended_is_refused(as_student, student, settings):
    Person.objects.filter(pk=student.pk).update(rights_end="2000-01-01")
    response = as_student.post(URL, form_data(upload(jpeg_bytes((700, 900))),
                                              **{"consent-esc": "on"}))
    assert "The holder&#x27;s rights have ended." in response.content.decode()
    assert_nothing_stored(student, settings)


def test_a_corrected_request_follows_a_rejected_one(as_student, student, manager_a):
    card = card_in_state(student, State.NEW, manager_a)
    card_services.reject_request(card, actor(manager_a), "The photo is blurred")
    page = as_student.get(URL).content.decode()
    assert "The photo is blurred" in page and 'name="photo"' in page
    assert as_student.post(URL, form_data(upload(jpeg_bytes((700, 900))))).status_code == 302
    assert list(Card.objects.filter(person=student).order_by("pk")
                .values_list("state", flat=True)) == [State.REJECTED, State.NEW]


def test_a_holder_of_an_issued_card_is_sent_to_the_card_page(as_student, student, manager_a):
    card = card_in_state(student, State.ENABLED, manager_a)
    page = as_student.get(URL).content.decode()
    assert "You already have a card." in page and f'href="/me/cards/{card.pk}/"' in page
    assert as_student.post(URL, form_data(upload(jpeg_bytes((700, 900))))).status_code == 200
    assert Card.objects.filter(person=student).count() == 1


def test_a_request_is_always_for_the_logged_in_student(login, student, other_student):
    client = login(other_student.user)
    data = form_data(upload(jpeg_bytes((700, 900))), person=str(student.pk),
                     person_id=str(student.pk), eppn=student.eppn)
    assert client.post(URL, data).status_code == 302
    assert not Card.objects.filter(person=student).exists()
    assert Card.objects.filter(person=other_student).count() == 1


def test_a_user_without_a_holder_record_gets_a_clear_message(login, settings):
    client = login(make_user("visitor"))
    page = client.get(URL)
    assert page.status_code == 200
    assert "No card holder record is linked to your account" in page.content.decode()
    assert client.post(URL, form_data(upload(jpeg_bytes((700, 900))))).status_code == 200
    assert not Card.objects.exists() and media_files(settings) == []


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.post(URL, form_data(upload(jpeg_bytes((700, 900)))))
    assert response.status_code == 302 and response.url.startswith("/login/")
