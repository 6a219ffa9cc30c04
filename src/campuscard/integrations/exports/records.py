"""What a line of an export can say about a card: a fixed set of variables, and the rule that
chooses which of a person's cards are written.

`card_record` turns a Card into a plain dict of those variables (str, date or datetime, or None
when unknown); render.py formats them. The set is closed on purpose: a format names variables,
it never runs code or reaches into the models.
"""

from collections import namedtuple

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campuscard.cards.states import State
from campuscard.integrations.connections.cardvalues import reversed_csn as reverse_csn

TEXT, DATE, NUMBER = "text", "date", "number"

# name → (label, kind). The kind decides what a column's `format` means: a strftime pattern
# for dates, a zero-padding width for numbers, nothing for text.
_VARIABLES = {
    "eppn": (_("eppn"), TEXT),
    "last_name": (_("last name"), TEXT),
    "first_name": (_("first name"), TEXT),
    "birth_date": (_("birth date"), DATE),
    "student_id": (_("student number"), TEXT),
    "employee_id": (_("employee number"), TEXT),
    "secondary_id": (_("student number, else employee number"), TEXT),
    "population": (_("population code"), TEXT),
    "population_name_en": (_("population name in English"), TEXT),
    "population_name_fr": (_("population name in French"), TEXT),
    "card_id": (_("card number in CampusCard"), NUMBER),
    "escn": (_("ESCN"), TEXT),
    "csn": (_("chip serial number (hexadecimal)"), TEXT),
    "csn_reversed": (_("chip serial number, bytes reversed (hexadecimal)"), TEXT),
    "csn_dec": (_("chip serial number in decimal"), NUMBER),
    "csn_reversed_dec": (_("chip serial number, bytes reversed, in decimal"), NUMBER),
    "access_control_id": (_("access-control number"), NUMBER),
    "state": (_("card state (ENABLED, DISABLED, CADUC…)"), TEXT),
    "state_date": (_("date of the last state change"), DATE),
    "encoded_date": (_("encoding date"), DATE),
    "enabled_date": (_("enabling date"), DATE),
    "due_date": (_("end of rights"), DATE),
    "validity_end": (_("end of validity: end of rights if enabled, else date of the last "
                       "state change"), DATE),
    "delivered_date": (_("delivery date"), DATE),
    "establishment": (_("establishment code"), TEXT),
    "establishment_name": (_("establishment name"), TEXT),
    "establishment_uai": (_("establishment UAI"), TEXT),
    "establishment_pic": (_("establishment PIC"), TEXT),
    "issuer_establishment": (_("code of the establishment that issued the card"), TEXT),
    "constant": (_("a constant text"), TEXT),
}
VARIABLES = {name: label for name, (label, _kind) in _VARIABLES.items()}
KINDS = {name: kind for name, (_label, kind) in _VARIABLES.items()}

EXPORTED_STATES = (State.ENABLED, State.DISABLED, State.CADUC)


# The card's values a record is made of, as one query reads them (`card_rows`): snapshots of
# 100,000 cards read these tuples, not model instances.
ROW_FIELDS = (
    "pk", "state", "state_changed_at", "encoded_at", "enabled_at", "delivered_at", "csn", "escn",
    "access_control_id", "person_id", "person__eppn", "person__last_name",
    "person__first_name", "person__birth_date", "person__student_id", "person__employee_id",
    "person__rights_end", "person__population__code", "person__population__name_en",
    "person__population__name_fr", "establishment__code", "establishment__name",
    "establishment__uai", "establishment__pic",
)
CardRow = namedtuple("CardRow", ROW_FIELDS, rename=False)


def card_rows(cards):
    """The cards of a queryset as CardRow-like tuples (one query, no model instances)."""
    return cards.values_list(*ROW_FIELDS, named=True)


def row_of(card):
    """A Card (fetched with select_related("person__population", "establishment")) as a row."""
    person, establishment = card.person, card.establishment
    population = person.population
    return CardRow(
        card.pk, card.state, card.state_changed_at, card.encoded_at, card.enabled_at,
        card.delivered_at, card.csn, card.escn, card.access_control_id, person.pk, person.eppn,
        person.last_name, person.first_name, person.birth_date, person.student_id,
        person.employee_id, person.rights_end, population.code, population.name_en,
        population.name_fr, establishment.code, establishment.name, establishment.uai,
        establishment.pic)


def card_record(card, issuer=None):
    """The variables of `card` (fetched with select_related("person__population",
    "establishment")). `issuer` is the establishment (or its code) that issued the card when it
    is not the card's own, e.g. a card another establishment recognises."""
    return row_record(row_of(card), issuer)


def row_record(row, issuer=None):
    """The variables of a card read as a row (`card_rows`, `row_of`)."""
    csn = row.csn or ""
    reversed_csn = reverse_csn(csn)
    state_date = _local(row.state_changed_at)
    return {
        "eppn": row.person__eppn,
        "last_name": row.person__last_name,
        "first_name": row.person__first_name,
        "birth_date": row.person__birth_date,
        "student_id": row.person__student_id,
        "employee_id": row.person__employee_id,
        "secondary_id": row.person__student_id or row.person__employee_id,
        "population": row.person__population__code,
        "population_name_en": row.person__population__name_en,
        "population_name_fr": row.person__population__name_fr,
        "card_id": str(row.pk),
        "escn": str(row.escn) if row.escn else "",
        "csn": csn,
        "csn_reversed": reversed_csn,
        "csn_dec": str(int(csn, 16)) if csn else "",
        "csn_reversed_dec": str(int(reversed_csn, 16)) if csn else "",
        "access_control_id": row.access_control_id,
        "state": row.state,
        "state_date": state_date,
        "encoded_date": _local(row.encoded_at),
        "enabled_date": _local(row.enabled_at),
        "due_date": row.person__rights_end,
        "validity_end": row.person__rights_end if row.state == State.ENABLED else state_date,
        "delivered_date": _local(row.delivered_at),
        "establishment": row.establishment__code,
        "establishment_name": row.establishment__name,
        "establishment_uai": row.establishment__uai,
        "establishment_pic": row.establishment__pic,
        "issuer_establishment": getattr(issuer, "code", issuer) or row.establishment__code,
        "constant": "",
    }


def _local(moment):
    return timezone.localtime(moment) if moment else None


def select_cards(cards, fmt):
    """The cards of one person that `fmt` writes, in the order given.

    "all_cards": every card in fmt.states. "one_per_person": the ENABLED card, else the most
    recently changed DISABLED one, else the most recent CADUC one (as ESUP-SGC chooses), among
    fmt.states. With require_enabled_date, a chosen card that was never enabled is left out
    (after the choice, as ESUP-SGC does: an older enabled card does not take its place)."""
    eligible = [card for card in cards if card.state in fmt.states]
    if fmt.selection == "one_per_person":
        eligible = _preferred(eligible)
    if fmt.require_enabled_date:
        eligible = [card for card in eligible if card.enabled_at is not None]
    return eligible


_PREFERENCE = {State.ENABLED: 0, State.DISABLED: 1, State.CADUC: 2}


def _preferred(cards):
    if not cards:
        return []
    rank = len(_PREFERENCE)

    def key(card):
        return (_PREFERENCE.get(card.state, rank), -card.state_changed_at.timestamp(), -card.pk)

    return [min(cards, key=key)]
