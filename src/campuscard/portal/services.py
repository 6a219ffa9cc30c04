"""The student's card request, as a verb: the photo first, then everything in one transaction."""

from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language

from campuscard.cards import services as card_services
from campuscard.cards.models import Card
from campuscard.cards.photos import prepare_photo
from campuscard.cards.states import FRESH_REQUEST_AFTER
from campuscard.people import services as people_services
from campuscard.people.models import CONSENTS, Person


def latest_card(person):
    return person.cards.order_by("-requested_at", "-pk").first()


def blocks_request(card):
    """Whether the person's latest `card` stands in the way of a new request.

    A request in progress is followed on its own page; an issued card is renewed instead.
    After a rejected or canceled request (or none), a new request is welcome."""
    return card is not None and card.state not in FRESH_REQUEST_AFTER


def submit_request(person, actor, *, upload, crop, rotation, consents, delivery_mode,
                   postal_address, rules_accepted):
    """Request a card for `person` from what the request form collected.

    The photo pipeline runs first, so a refused photo stores nothing; the card, the consents
    and the language then go in one transaction. Raises ValidationError (photo),
    IllegalTransition or NotAllowed (from `request_card`)."""
    photo = process_photo(person.establishment, upload, crop=crop, rotation=rotation)
    with stored_photo(person.establishment, photo) as stored, transaction.atomic():
        card = card_services.request_card(
            person, actor, photo=stored, delivery_mode=delivery_mode,
            postal_address=postal_address,
            rules_accepted_at=timezone.now() if rules_accepted else None,
        )
        _record_consents(person, actor, consents)
        _remember_language(person)
    return card


def process_photo(establishment, upload, *, crop=None, rotation=0):
    """The final JPEG (a ContentFile) at the size of the establishment's card template, from
    what a PhotoForm collected; None without an upload. Raises ValidationError when refused."""
    if upload is None:
        return None
    return prepare_photo(upload, size=(establishment.photo_width, establishment.photo_height),
                         crop=crop, rotation=rotation)


@contextmanager
def stored_photo(establishment, photo):
    """Write the final JPEG where card photos go and give its name (None without a photo).
    Should what follows fail, the file is removed: it would belong to no card."""
    if photo is None:
        yield None
        return
    field = Card._meta.get_field("photo")
    name = field.storage.save(
        field.generate_filename(Card(establishment=establishment), "photo.jpg"), photo)
    try:
        yield name
    except BaseException:
        field.storage.delete(name)
        raise


def _record_consents(person, actor, consents):
    current = Person.objects.get(pk=person.pk)
    for consent, given in consents.items():
        if consent in CONSENTS and getattr(current, f"{consent}_consent") != bool(given):
            people_services.set_consent(person, actor, consent, bool(given))


def _remember_language(person):
    """Mails about the card are then written in the language the request was made in."""
    language = (get_language() or "")[:2]
    if language in dict(settings.LANGUAGES) and person.language != language:
        Person.objects.filter(pk=person.pk).update(language=language)
        person.language = language
