"""The manager's card search: one function used by the back-office, the CSV export, the API and
the benchmark, so that what is measured is what managers run."""

import re
import uuid
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import BooleanField, F, Func, Q, Value

from campuscard.cards.models import Card
from campuscard.core.validators import CSN_RE, normalise_code
from campuscard.esc.escn import escn_prefix_from_short
from campuscard.people.models import Person

SORTS = {
    "requested": ("requested_at", "id"),
    "-requested": ("-requested_at", "-id"),
    "changed": ("state_changed_at", "id"),
    "-changed": ("-state_changed_at", "-id"),
    "name": ("person__last_name", "person__first_name", "id"),
    "-name": ("-person__last_name", "-person__first_name", "-id"),
    "state": ("state", "-requested_at", "-id"),
    "-state": ("-state", "-requested_at", "-id"),
}
DEFAULT_SORT = "-requested"
# When no more people than this match a text, cards are filtered on the list of their ids rather
# than on a subquery: the database then knows how many cards to expect. With a subquery,
# PostgreSQL misjudges how many people match, then walks all cards by date for a name that
# matches a few hundred people, or reads every card to count a broad one (docs/benchmarks.md).
# Beyond this, the subquery is kept: the list would only get long.
LISTED_PEOPLE_MAX = 20000


@dataclass
class CardQuery:
    text: str = ""
    establishment_ids: list = field(default_factory=list)
    population_ids: list = field(default_factory=list)
    states: list = field(default_factory=list)
    requested_from: date | None = None
    requested_to: date | None = None
    sort: str = DEFAULT_SORT


ACCESS_CONTROL_ID_MAX = Card._meta.get_field("access_control_id").max_length


def search_cards(scope, query):
    """Cards visible to `scope` (a people.permissions.Scope) matching `query`, sorted."""
    cards = scope.filter_cards(Card.objects.all())
    if query.establishment_ids:
        cards = cards.filter(establishment_id__in=query.establishment_ids)
    if query.population_ids:
        cards = cards.filter(person__population_id__in=query.population_ids)
    if query.states:
        cards = cards.filter(state__in=query.states)
    if query.requested_from:
        cards = cards.filter(requested_at__date__gte=query.requested_from)
    if query.requested_to:
        cards = cards.filter(requested_at__date__lte=query.requested_to)
    if query.text.strip():
        cards = cards.filter(text_condition(query.text.strip()))
    return (cards.select_related("person", "person__population", "establishment")
            .order_by(*SORTS.get(query.sort, SORTS[DEFAULT_SORT])))


def text_condition(text):
    """An ESCN or a chip number is looked up exactly, a card's readable number (cards.display)
    too; anything else searches people."""
    escn = _as_uuid(text)
    if escn is not None:
        return Q(escn=escn)
    condition = Q(_cards_of_people_matching(text))
    number = _card_number_condition(text)
    if number:
        condition |= number
    csn = normalise_code(text)
    return (Q(csn=csn) | condition) if CSN_RE.match(csn) else condition


def _card_number_condition(text):
    """The card numbered `text` as people read it: its access-control number, or the short
    form of its ESCN (its first eight hex digits, an index range)."""
    condition = Q(access_control_id=text) if len(text) <= ACCESS_CONTROL_ID_MAX else Q()
    prefix = escn_prefix_from_short(text)
    if prefix is not None:
        low, high = (uuid.UUID(prefix + fill * 24) for fill in "0f")
        condition |= Q(escn__gte=low, escn__lte=high)
    return condition


def _cards_of_people_matching(text):
    """Cards of the people matching `text`: on their ids when they are few, else a subquery."""
    people = _people_matching(text)
    most = LISTED_PEOPLE_MAX
    if connection.features.max_query_params:  # SQLite: stay well within its parameter limit
        most = min(most, connection.features.max_query_params // 2)
    ids = list(people.values_list("pk", flat=True)[:most + 1])
    if len(ids) > most:
        return Q(person__in=people)
    if ids and connection.vendor == "postgresql":
        return PersonIdAmong(F("person_id"), Value(ids))
    return Q(person__in=ids)


class PersonIdAmong(Func):
    """`person_id = ANY(%s)`: the ids go to PostgreSQL as one array parameter, however many."""

    arg_joiner = " = ANY("
    template = "%(expressions)s::bigint[])"
    output_field = BooleanField()


def _people_matching(text):
    words = [w for w in re.split(r"\s+", text) if w]
    people = Person.objects.all()
    for word in words:
        people = people.filter(
            Q(last_name__icontains=word) | Q(first_name__icontains=word)
            | Q(eppn__icontains=word) | Q(email__icontains=word)
        )
    return people.values("pk")


def _as_uuid(text):
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return None
