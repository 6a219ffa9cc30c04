"""What an API client may see, and turning query parameters into the search's terms."""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext as _

from campuscard.api.errors import SourceUnavailable
from campuscard.backoffice.search import SORTS, CardQuery, search_cards
from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.core.params import database_id
from campuscard.esc.escn import validate_escn
from campuscard.institutions.models import Establishment
from campuscard.people.models import Person, Population


def person_for(client, eppn):
    """The person with `eppn` if `client` covers them (404 otherwise), with their visible cards."""
    cards = client.filter_cards(Card.objects.order_by("-requested_at", "-id"))
    person = (client.filter_people(Person.objects.select_related("establishment", "population"))
              .prefetch_related(Prefetch("cards", queryset=cards, to_attr="visible_cards"))
              .filter(eppn=eppn.strip().lower()).first())
    if person is None:
        raise Http404
    return person


def card_for(client, card_id):
    """The card if `client` covers it; 404 otherwise, whether it exists or not. An id no card
    can have (0, negative, too large) is a 422."""
    cards = Card.objects.select_related("person", "person__population", "establishment")
    card = client.filter_cards(cards).filter(pk=database_id(card_id, name="card_id")).first()
    if card is None:
        raise Http404
    return card


def card_with_escn(client, escn):
    """The card numbered `escn` if `client` covers it; a malformed number is a 422."""
    cards = Card.objects.select_related("person", "person__population", "establishment")
    card = client.filter_cards(cards).filter(escn=validate_escn(escn)).first()
    if card is None:
        raise Http404
    return card


def parse_state(value):
    try:
        return State(value)
    except ValueError:
        raise ValidationError(_("Unknown card state: “%(value)s”.") % {"value": value},
                              code="state") from None


def search(client, filters):
    """One page of the cards `client` may see that match `filters` (a schemas.CardFilters)."""
    cards = search_cards(client, card_query(filters))
    start = (filters.page - 1) * filters.page_size
    return {"count": cards.count(), "page": filters.page, "page_size": filters.page_size,
            "results": list(cards[start:start + filters.page_size])}


def card_query(filters):
    if filters.sort not in SORTS:
        raise ValidationError(_("Unknown sort: “%(value)s”.") % {"value": filters.sort},
                              code="sort")
    return CardQuery(
        text=filters.q,
        states=[parse_state(value) for value in _split(filters.state)],
        establishment_ids=_ids_of(Establishment, _split(filters.establishment),
                                  _("Unknown establishment: %(codes)s.")),
        population_ids=_ids_of(Population, _split(filters.population),
                               _("Unknown population: %(codes)s.")),
        requested_from=filters.requested_from,
        requested_to=filters.requested_to,
        sort=filters.sort,
    )


def _split(values):
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _ids_of(model, codes, unknown_message):
    """Primary keys for `codes`; every code must exist (an empty list would mean no filter)."""
    found = dict(model.objects.filter(code__in=codes).values_list("code", "pk"))
    unknown = sorted(set(codes) - set(found))
    if unknown:
        raise ValidationError(unknown_message % {"codes": ", ".join(unknown)}, code="unknown")
    return list(found.values())


SYNC_TIMEOUT = 10


def sync_person_for(client, eppn, actor):
    """Sync `eppn` from the sources if `client` covers them (a client of every establishment may
    also bring in someone new). A source failing changes nothing: 503; refused data: 422."""
    from campuscard.people.sources.sync import sync_person

    eppn = eppn.strip().lower()
    existing = Person.objects.filter(eppn=eppn).first()
    if existing is None and not client.all_establishments:
        raise Http404
    if existing is not None and not client.filter_people(Person.objects.filter(
            pk=existing.pk)).exists():
        raise Http404
    result = sync_person(eppn, timeout=SYNC_TIMEOUT, actor=actor.as_system())
    if result.stopped:
        raise SourceUnavailable(result.stopped)
    refused = result.trace.get(eppn, {}).get("refused")
    if refused:
        raise ValidationError(refused, code="refused")
    try:
        person = person_for(client, eppn)
    except Http404:
        person = None
    reports = result.reports.values()
    return {"eppn": eppn, "person": person,
            "changed": any(r.created or r.updated or r.rights_ended for r in reports),
            "sources": {r.name: {"read": r.read, "created": r.created, "updated": r.updated,
                                 "rights_ended": r.rights_ended, "error": r.error}
                        for r in reports}}
