"""The fixed set of variables a card template sees (docs/printing.md): the printed values,
frozen as text on the card when it is printed, and the pictures built from the card."""

import base64

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from campuscard.esc.qr import card_verify_url, qr_png

# Dates print as pages show them (campuscard/formats): SHORT_DATE_FORMAT in the card's
# language, day/month/year in French and in English unless CAMPUSCARD_ENGLISH_DATE_ORDER=mdy.
DATE_FORMAT = "SHORT_DATE_FORMAT"
TEXT_VARIABLES = (
    "language", "last_name", "first_name", "birth_date", "birth_label", "number",
    "number_label", "student_number", "staff_number", "establishment", "pic", "population",
    "valid_until", "valid_label", "escn", "escn_label", "qr_url", "free_text",
)
PICTURE_VARIABLES = ("qr", "photo", "logo")


def card_language(card):
    language = card.person.language or settings.LANGUAGE_CODE
    return language.split("-")[0]


def printed_values(card, version):
    """Every text the card shows, in the card's language: what a print freezes."""
    person, establishment = card.person, card.establishment
    language = card_language(card)
    with translation.override(language):
        is_student = bool(person.student_id) or not person.employee_id
        return {
            "language": language,
            "last_name": person.last_name.upper(),
            "first_name": person.first_name,
            "birth_date": _format_date(person.birth_date),
            "birth_label": _("Born on"),
            "student_number": person.student_id,
            "staff_number": person.employee_id,
            "number": person.student_id if is_student else person.employee_id,
            "number_label": _("Student no.") if is_student else _("Staff no."),
            "establishment": establishment.name,
            "pic": f"{establishment.pic} {establishment.country}",
            "population": str(person.population),
            "valid_until": _format_date(person.rights_end),
            "valid_label": _("Valid until"),
            "escn": str(card.escn) if card.escn else "",
            "escn_label": _("ESC number"),
            "qr_url": card_verify_url(card) if card.escn else "",
            "free_text": version.free_text,
        }


def picture_values(card, version, values, pictures=None):
    """The QR (of the frozen URL), the photo and the logo, for <img src>: data URIs, or URLs
    of `pictures` (pages.Pictures) when a batch gives one."""
    def source(media_type, data):
        if not data:
            return ""
        return pictures.add(media_type, data) if pictures is not None else _data_uri(
            media_type, data)

    qr = qr_png(values["qr_url"], scale=1) if values.get("qr_url") else b""
    return {
        "qr": source("image/png", qr),
        "photo": source("image/jpeg", _photo_bytes(card)),
        "logo": source("image/svg+xml", version.logo_svg.encode()),
    }


def template_variables(card, version, frozen=None, pictures=None):
    values = {name: (frozen or {}).get(name, value)
              for name, value in printed_values(card, version).items()}
    return values | picture_values(card, version, values, pictures)


def _format_date(date):
    """The date in the active language's short format (printed_values activates the card's)."""
    return date_format(date, DATE_FORMAT) if date else ""


def _photo_bytes(card):
    if not card.photo:
        return b""
    try:
        with card.photo.open("rb") as photo:
            return photo.read()
    except OSError:
        return b""


def _data_uri(media_type, data):
    # Base64 holds no character HTML escaping would touch; safe marks it as already clean.
    return mark_safe(f"data:{media_type};base64,{base64.b64encode(data).decode()}")  # noqa: S308
