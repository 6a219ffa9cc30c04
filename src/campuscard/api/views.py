"""The endpoints. Each checks its scope through its `auth`, then asks lookups or services."""

from django.utils.translation import gettext_lazy as _
from ninja import Query, Router

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

READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = READ_ERRORS | {409: ErrorOut, 422: ErrorOut}


@router.get("/people/{eppn}", response={200: PersonOut, **READ_ERRORS}, tags=["people"],
            auth=ClientToken(ApiScope.PEOPLE_READ), summary=_("A person and their cards"))
def get_person(request, eppn: str):
    return lookups.person_for(request.auth, eppn)


@router.get("/cards", response={200: CardPage, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
            tags=["cards"], auth=ClientToken(ApiScope.CARDS_SEARCH), summary=_("Search cards"))
def search_cards(request, filters: Query[CardFilters]):
    return lookups.search(request.auth, filters)


@router.get("/cards/{card_id}", response={200: CardDetailOut, **READ_ERRORS}, tags=["cards"],
            auth=ClientToken(ApiScope.CARDS_SEARCH, ApiScope.PEOPLE_READ),
            summary=_("One card"))
def get_card(request, card_id: int):
    return lookups.card_for(request.auth, card_id)


@router.get("/cards/escn/{escn}", response={200: CardDetailOut, **READ_ERRORS, 422: ErrorOut},
            tags=["cards"], auth=ClientToken(ApiScope.CARDS_SEARCH, ApiScope.PEOPLE_READ),
            summary=_("The card with a European Student Card Number"))
def get_card_by_escn(request, escn: str):
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
