"""What the API reads and writes, as ninja schemas (they also make the OpenAPI document)."""

import re
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema
from pydantic import field_validator

from campuscard.backoffice.search import DEFAULT_SORT
from campuscard.cards.states import State
from campuscard.core.fields import ApiPage, whole_number
from campuscard.people.models import CONSENTS

MAX_PAGE_SIZE = 200
PageSize = whole_number("page_size", 1, MAX_PAGE_SIZE)
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class ErrorOut(Schema):
    """Every refusal: a translated `detail`; a `code` where a client may act on the kind of
    refusal; `errors` when the request did not validate."""

    detail: str = Field(..., description=_("what went wrong, in the caller's language"))
    code: str | None = Field(
        None, description=_("illegal_transition, stale_card (409) or not_allowed (403)"))
    errors: list[Any] | None = Field(
        None, description=_("422 only: each input that did not validate"))
    request_id: str | None = Field(
        None, description=_("the reference of the request in the logs (errors answered "
                            "before the API's own checks, and 500)"))


class CardOut(Schema):
    id: int
    state: str
    state_label: str
    requested_at: datetime
    state_changed_at: datetime
    escn: UUID | None
    csn: str | None
    delivered_at: datetime | None
    disable_reason: str | None

    @staticmethod
    def resolve_state_label(card):
        return str(State(card.state).label)

    @staticmethod
    def resolve_disable_reason(card):
        return card.disable_reason or None


class CardDetailOut(CardOut):
    """A card with enough of its holder to be recognised in a list."""

    eppn: str = Field(alias="person.eppn")
    first_name: str = Field(alias="person.first_name")
    last_name: str = Field(alias="person.last_name")
    establishment: str = Field(alias="establishment.code")
    population: str = Field(alias="person.population.code")


class ConsentOut(Schema):
    given: bool
    at: datetime | None


class PersonOut(Schema):
    eppn: str
    first_name: str
    last_name: str
    email: str
    establishment: str
    population: str
    academic_level: str | None
    rights_end: date | None
    consents: dict[str, ConsentOut]
    cards: list[CardOut]

    @staticmethod
    def resolve_establishment(person):
        return person.establishment.code

    @staticmethod
    def resolve_population(person):
        return person.population.code

    @staticmethod
    def resolve_academic_level(person):
        return person.academic_level or None

    @staticmethod
    def resolve_consents(person):
        return {key: {"given": getattr(person, f"{key}_consent"),
                      "at": getattr(person, f"{key}_consent_at")} for key in CONSENTS}

    @staticmethod
    def resolve_cards(person):
        return person.visible_cards


class CardFilters(Schema):
    """Query string of the card search; list filters accept repeats or commas."""

    q: str = ""
    state: list[str] = Field(default_factory=list)
    establishment: list[str] = Field(default_factory=list, description=_("establishment codes"))
    population: list[str] = Field(default_factory=list, description=_("population codes"))
    requested_from: date | None = None
    requested_to: date | None = None
    sort: str = DEFAULT_SORT
    page: ApiPage = 1
    page_size: PageSize = 50

    @field_validator("requested_from", "requested_to", mode="before")
    @classmethod
    def _iso_date(cls, value):
        """A date as the document says (YYYY-MM-DD), not a number read as a timestamp."""
        if isinstance(value, str) and value and not ISO_DATE.fullmatch(value):
            raise ValueError(_("Give the date as YYYY-MM-DD."))
        return value


class CardPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[CardDetailOut]


class TransitionIn(Schema):
    target: str = Field(..., description=_("the state the card should move to"),
                        examples=["REQUEST_CHECKED"])
    reason: str = ""
    disable_reason: str = ""
    csn: str = ""
    expected_state: str | None = Field(
        None, description=_("the state the caller saw; if the card has changed since: 409"))


class SourceAnswerOut(Schema):
    read: int
    created: int
    updated: int
    rights_ended: int
    error: str


class SyncOut(Schema):
    eppn: str
    changed: bool
    sources: dict[str, SourceAnswerOut]
    person: PersonOut | None
