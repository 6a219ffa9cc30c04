"""The endpoints. Each checks its scope through its `auth`, then asks lookups or services."""

from typing import Annotated

from django.utils.translation import gettext_lazy as _
from ninja import Query, Router
from pydantic import WithJsonSchema

from campuscard.api import lookups
from campuscard.api.auth import ClientToken
from campuscard.api.models import ApiScope
from campuscard.api.schemas import (
    CardDetailOut,
    CardFilters,
    CardPage,
    ErrorOut,
    PersonOut,
    SyncOut,
    TransitionIn,
)
from campuscard.cards import services
from campuscard.core.actors import Actor

router = Router()

# What the document promises of an ESCN path parameter (a subset of what validate_escn takes,
# so a request that fits the document is never refused for its form; it stays the check).
ESCN_PATTERN = (r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-1[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}"
                r"-[0-9]{12}$")
EscnParameter = Annotated[str, WithJsonSchema({"type": "string", "pattern": ESCN_PATTERN})]

# Every status an endpoint can answer besides 200, all with the ErrorOut body: 400 a NUL
# character anywhere in the request (or, for a body, not JSON), 401 no or a bad token, 403 a
# token without the scope (or a refused change), 404 outside the client's reach, 422 an input
# that does not validate; for a body also 409 (illegal or stale change) and 413 (too large).
SEARCH_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut}
READ_ERRORS = SEARCH_ERRORS | {404: ErrorOut}
WRITE_ERRORS = READ_ERRORS | {409: ErrorOut, 413: ErrorOut}


@router.get("/people/{eppn}", response={200: PersonOut, **READ_ERRORS}, tags=["people"],
            auth=ClientToken(ApiScope.PEOPLE_READ), summary=_("A person and their cards"))
def get_person(request, eppn: str):
    return lookups.person_for(request.auth, eppn)


@router.get("/cards", response={200: CardPage, **SEARCH_ERRORS},
            tags=["cards"], auth=ClientToken(ApiScope.CARDS_SEARCH), summary=_("Search cards"))
def search_cards(request, filters: Query[CardFilters]):
    return lookups.search(request.auth, filters)


@router.get("/cards/{card_id}", response={200: CardDetailOut, **READ_ERRORS}, tags=["cards"],
            auth=ClientToken(ApiScope.CARDS_SEARCH, ApiScope.PEOPLE_READ),
            summary=_("One card"))
def get_card(request, card_id: int):
    return lookups.card_for(request.auth, card_id)


@router.get("/cards/escn/{escn}", response={200: CardDetailOut, **READ_ERRORS},
            tags=["cards"], auth=ClientToken(ApiScope.CARDS_SEARCH, ApiScope.PEOPLE_READ),
            summary=_("The card with a European Student Card Number"))
def get_card_by_escn(request, escn: EscnParameter):
    return lookups.card_with_escn(request.auth, escn)


@router.post("/cards/{card_id}/transitions", response={200: CardDetailOut, **WRITE_ERRORS},
             tags=["cards"], auth=ClientToken(ApiScope.CARDS_TRANSITION, ApiScope.CARDS_STATION),
             summary=_("Change a card's state"))
def transition_card(request, card_id: int, body: TransitionIn):
    card = lookups.card_for(request.auth, card_id)
    target = lookups.parse_state(body.target)
    if body.expected_state:
        card.state = lookups.parse_state(body.expected_state)
    actor = Actor.from_request(request, client=request.auth)
    return services.change_state(card, target, actor, reason=body.reason,
                                 disable_reason=body.disable_reason, csn=body.csn)


@router.post("/people/{eppn}/sync", response={200: SyncOut, **READ_ERRORS, 422: ErrorOut,
                                              503: ErrorOut},
             tags=["people"], auth=ClientToken(ApiScope.PEOPLE_SYNC),
             summary=_("Sync a person from the sources now"))
def sync_person(request, eppn: str):
    return lookups.sync_person_for(request.auth, eppn, Actor.from_request(request, request.auth))
