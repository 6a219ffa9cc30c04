"""The card as people read it: one readable number for every page, title, message and mail.

A card is named by its access-control number (given when it is encoded, unique within its
establishment, printed on the card) when it has one; else by the short form of its ESCN (the
first eight hexadecimal digits, which a person can read and type); else, not yet numbered, as
"the request of <date>". The database id stays in URLs only.
"""

from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from campuscard.core.names import NamePhrase
from campuscard.esc.escn import escn_short


def card_number(card):
    """The number a person reads for `card`: "1234", "ESC 1a2b-3c4d" or "request of 31/08/2028"."""
    if card.access_control_id:
        return card.access_control_id
    if card.escn:
        return _("ESC %(short)s") % {"short": escn_short(card.escn)}
    requested = date_format(localtime(card.requested_at), "SHORT_DATE_FORMAT")
    return _("request of %(date)s") % {"date": requested}


CARD_OF = NamePhrase(
    pgettext_lazy("name starts with a vowel", "Card %(number)s of %(name)s"),
    pgettext_lazy("name starts with a consonant", "Card %(number)s of %(name)s"))
SELECT_CARD_OF = NamePhrase(
    pgettext_lazy("name starts with a vowel", "Select card %(number)s of %(name)s"),
    pgettext_lazy("name starts with a consonant", "Select card %(number)s of %(name)s"))
PHOTO_OF = NamePhrase(pgettext_lazy("name starts with a vowel", "Photo of %(name)s"),
                      pgettext_lazy("name starts with a consonant", "Photo of %(name)s"))


def card_title(card):
    """ "Card 1234 of Alix Martin" (French: "Carte 1234 d'Alix Martin")."""
    return CARD_OF.format(card.person.full_name, number=card_number(card))


def select_card_label(card):
    return SELECT_CARD_OF.format(card.person.full_name, number=card_number(card))


def photo_label(person):
    return PHOTO_OF.format(person.full_name)
