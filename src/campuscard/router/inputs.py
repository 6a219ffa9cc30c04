"""Reading what callers send: paging parameters, path identifiers, PersonUpdateView and
CardUpdateView bodies (camelCase, as the contract names them), and card CSV rows.

Card checks collect every field's complaint (`FieldError`), so that a CSV row reports all its
faults at once; the JSON endpoints turn them into one 400.
"""

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from campuscard.core.jsonbody import BadJson, load_json
from campuscard.core.params import MAX_PAGE, bounded_int
from campuscard.esc.escn import validate_escn
from campuscard.esc.esi import ESI_MAX_LENGTH, ESI_PREFIX
from campuscard.institutions.models import EscCardType
from campuscard.router.errors import AccessDenied, BadRequest
from campuscard.router.models import AcademicLevel, CardStatus, Membership, RouterCard

MAX_PAGE_SIZE = 10  # the real router ignores larger sizes; clients walk 10 at a time
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TEXT_MAX_LENGTH = 255
PROCESSOR_MAX_LENGTH = 64
PRELOAD_CHUNK = 500


# --- query parameters and path identifiers -----------------------------------------------------

@dataclass(frozen=True)
class Paging:
    page: int
    size: int
    search: str
    order_by: tuple


def query_int(request, name, default, *, minimum=0, maximum=MAX_PAGE):
    """The query parameter `name` as a whole number in [minimum, maximum] (`default` when
    absent or empty), else a 400."""
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        return bounded_int(raw, name=name, minimum=minimum, maximum=maximum)
    except ValidationError as exc:
        raise BadRequest(" ".join(exc.messages)) from None


def read_paging(request, sortable):
    """page (0 to core.params.MAX_PAGE), size (sizes above MAX_PAGE_SIZE are taken as
    MAX_PAGE_SIZE), search, and sort/direction over `sortable` (the contract's field name →
    the model field)."""
    page = query_int(request, "page", 0)
    size = query_int(request, "size", MAX_PAGE_SIZE, minimum=1)
    search = request.GET.get("search", "").strip()
    return Paging(page, min(size, MAX_PAGE_SIZE), search, _order_by(request, sortable))


def _order_by(request, sortable):
    # Spring's form "field,desc" is accepted as well as sort=field&direction=DESC.
    field, _comma, inline = request.GET.get("sort", "").partition(",")
    direction = (inline or request.GET.get("direction") or "ASC").strip().upper()
    if direction not in ("ASC", "DESC"):
        raise BadRequest(_("The direction is ASC or DESC."))
    field = field.strip()
    if not field:
        return ("pk",) if direction == "ASC" else ("-pk",)
    if field not in sortable:
        raise BadRequest(_("Lists can be sorted by %(fields)s only.")
                         % {"fields": ", ".join(sorted(sortable))})
    sign = "-" if direction == "DESC" else ""
    return (f"{sign}{sortable[field]}", f"{sign}pk")


def is_esi(value):
    return (isinstance(value, str) and len(value) <= ESI_MAX_LENGTH
            and value[:len(ESI_PREFIX)].lower() == ESI_PREFIX.lower()
            and len(value) > len(ESI_PREFIX) and value.isprintable())


def path_esi(value):
    if not is_esi(value):
        raise BadRequest(_("“%(value)s” is not a European Student Identifier (%(prefix)s…).")
                         % {"value": value, "prefix": ESI_PREFIX})
    return value


def path_escn(value):
    try:
        return validate_escn(value)
    except ValidationError as exc:
        raise BadRequest(" ".join(exc.messages)) from None


def read_object(body):
    """The request's JSON object (read by core.jsonbody: size, depth, no NUL), or a 400."""
    try:
        data = load_json(body)
    except BadJson as exc:
        raise BadRequest(str(exc)) from None
    if not isinstance(data, dict):
        raise BadRequest(_("The body must be a JSON object."))
    return data


def _text(value, field, max_length=TEXT_MAX_LENGTH):
    """A text value, stripped; None and absent are ''. Numbers are taken as their digits
    (the contract's own examples write PICs as numbers)."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise BadRequest(_("%(field)s must be text.") % {"field": field})
    if "\x00" in value:
        raise BadRequest(_("%(field)s may not contain a NUL character.") % {"field": field})
    value = value.strip()
    if len(value) > max_length:
        raise BadRequest(_("%(field)s is at most %(max)s characters.")
                         % {"field": field, "max": max_length})
    return value


# --- persons -------------------------------------------------------------------------------

@dataclass(frozen=True)
class PersonInput:
    """A PersonUpdateView, reduced to what the calling organisation may say: its entry (whose
    name is the entry's fullName, else the deprecated top-level one)."""

    esi: str
    full_name: str
    email: str
    academic_level: str


def read_person(data, organisation):
    """Check a PersonUpdateView sent by `organisation`; 400 when malformed, 403 when it
    speaks for another organisation."""
    esi = data.get("identifier")
    if not is_esi(esi):
        raise BadRequest(_("identifier must be a European Student Identifier (%(prefix)s…, "
                           "at most %(max)s characters).")
                         % {"prefix": ESI_PREFIX, "max": ESI_MAX_LENGTH})
    if data.get("identifierCode") not in (None, "ESI"):
        raise BadRequest(_("identifierCode can only be ESI."))
    entry = _own_entry(data.get("personOrganisationUpdateViews"), organisation)
    top_level_name = _text(data.get("fullName"), "fullName")
    full_name = _text(entry.get("fullName"), "fullName") or top_level_name
    return PersonInput(esi, full_name, _email(entry.get("email")),
                       _academic_level(entry.get("academicLevel")))


def _own_entry(entries, organisation):
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise BadRequest(_("personOrganisationUpdateViews must be a list of objects."))
    identifiers = [_text(entry.get("organisationIdentifier"), "organisationIdentifier")
                   for entry in entries]
    if not all(identifiers):
        raise BadRequest(_("Each entry of personOrganisationUpdateViews needs its "
                           "organisationIdentifier."))
    if any(identifier != organisation.pic for identifier in identifiers):
        raise AccessDenied(_("Your key can only register a person for your own organisation "
                             "(PIC %(pic)s).") % {"pic": organisation.pic})
    if len(identifiers) != 1:
        raise BadRequest(_("personOrganisationUpdateViews must hold exactly one entry, for "
                           "your organisation (PIC %(pic)s).") % {"pic": organisation.pic})
    return entries[0]


def _email(value):
    email = _text(value, "email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise BadRequest(_("“%(value)s” is not an email address.")
                             % {"value": email}) from None
    return email


def _academic_level(value):
    level = _text(value, "academicLevel")
    if level and level not in AcademicLevel.values:
        raise BadRequest(_("academicLevel is one of %(choices)s.")
                         % {"choices": ", ".join(AcademicLevel.values)})
    return level


# --- cards ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldError:
    field: str | None
    message: str


@dataclass(frozen=True)
class CardInput:
    """A checked CardUpdateView. `escn` is '' when the router is to make one."""

    escn: str
    person: object
    card_type: str
    status: str
    issued_at: datetime.date
    expires_at: datetime.date
    display_name: str
    processor_identifier: str


class CardLookups:
    """Finds, within one organisation, the persons and cards that card checks refer to. It
    remembers what it found; `preload` fetches a whole CSV file's worth in a few queries."""

    def __init__(self, organisation):
        self.organisation = organisation
        self._persons = {}
        self._cards = {}

    def person(self, esi):
        """The person `esi` if registered by this organisation, else None."""
        if esi not in self._persons:
            self._fetch_persons([esi])
        return self._persons[esi]

    def card(self, escn):
        """(id, issuer id) of the card `escn`, or None."""
        if escn not in self._cards:
            self._fetch_cards([escn])
        return self._cards[escn]

    def preload(self, esis, escns):
        self._fetch_persons(sorted(set(esis) - set(self._persons)))
        self._fetch_cards(sorted(set(escns) - set(self._cards)))

    def _fetch_persons(self, esis):
        for start in range(0, len(esis), PRELOAD_CHUNK):
            chunk = esis[start:start + PRELOAD_CHUNK]
            memberships = (Membership.objects.select_related("person")
                           .filter(organisation=self.organisation, person__esi__in=chunk))
            found = {m.person.esi: m.person for m in memberships}
            self._persons.update({esi: found.get(esi) for esi in chunk})

    def _fetch_cards(self, escns):
        for start in range(0, len(escns), PRELOAD_CHUNK):
            chunk = escns[start:start + PRELOAD_CHUNK]
            found = {escn: (pk, issuer_id) for escn, pk, issuer_id in RouterCard.objects
                     .filter(escn__in=chunk).values_list("escn", "pk", "issuer_id")}
            self._cards.update({escn: found.get(escn) for escn in chunk})


def card_errors_message(errors):
    return "; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in errors)


def read_card(data, lookups, *, number_required=False):
    """(CardInput or None, [FieldError]) for a CardUpdateView of `lookups.organisation`."""
    checks = {
        "cardNumber": lambda value: _card_number(value, lookups.organisation, number_required),
        "personIdentifier": lambda value: _person(value, lookups),
        "issuerIdentifier": lambda value: _issuer(value, lookups.organisation),
        "cardType": _card_type,
        "cardStatusType": _card_status,
        "issuedAt": _date,
        "expiresAt": _date,
        "displayName": lambda value: _field_text(value),
        "processorIdentifier": lambda value: _field_text(value, PROCESSOR_MAX_LENGTH),
    }
    values, errors = {}, []
    for field, check in checks.items():
        try:
            values[field] = check(data.get(field))
        except ValidationError as exc:
            errors.append(FieldError(field, " ".join(exc.messages)))
    if not errors and values["expiresAt"] < values["issuedAt"]:
        errors.append(FieldError("expiresAt", _("The expiry date (%(expires)s) is before the "
                                                "issue date (%(issued)s).")
                                 % {"expires": values["expiresAt"].isoformat(),
                                    "issued": values["issuedAt"].isoformat()}))
    if errors:
        return None, errors
    return CardInput(values["cardNumber"], values["personIdentifier"], values["cardType"],
                     values["cardStatusType"], values["issuedAt"], values["expiresAt"],
                     values["displayName"], values["processorIdentifier"]), []


def _required():
    return ValidationError(_("This field is required."))


def _field_text(value, max_length=TEXT_MAX_LENGTH):
    if value is None:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValidationError(_("This must be text."))
    if isinstance(value, str) and "\x00" in value:
        raise ValidationError(_("This may not contain a NUL character."))
    value = str(value).strip()
    if len(value) > max_length:
        raise ValidationError(_("This is at most %(max)s characters.") % {"max": max_length})
    return value


def _card_number(value, organisation, required):
    value = _field_text(value)
    if not value:
        if required:
            raise _required()
        return ""
    return validate_escn(value, pic=organisation.pic)


def _person(value, lookups):
    esi = _field_text(value)
    if not esi:
        raise _required()
    if not is_esi(esi):
        raise ValidationError(_("This is not a European Student Identifier (%(prefix)s…).")
                              % {"prefix": ESI_PREFIX})
    person = lookups.person(esi)
    if person is None:
        raise ValidationError(_("No person with this ESI is registered for your "
                                "organisation: create the person first."))
    return person


def _issuer(value, organisation):
    pic = _field_text(value)
    if not pic:
        raise _required()
    if pic != organisation.pic:
        raise ValidationError(_("Your key issues cards for PIC %(pic)s only.")
                              % {"pic": organisation.pic})
    return pic


def _card_type(value):
    card_type = _field_text(value)
    if not card_type:
        raise _required()
    if card_type not in EscCardType.values:
        raise ValidationError(_("The card type is one of %(choices)s.")
                              % {"choices": ", ".join(EscCardType.values)})
    return card_type


def _card_status(value):
    status = _field_text(value)
    if not status:
        raise _required()
    if status not in CardStatus.values:
        raise ValidationError(_("The card status is ACTIVE or INACTIVE (EXPIRED follows from "
                                "the expiry date)."))
    return status


def _date(value):
    text = _field_text(value)
    if not text:
        raise _required()
    try:
        if DATE_RE.match(text):
            return datetime.date.fromisoformat(text)
    except ValueError:
        pass
    raise ValidationError(_("“%(value)s” is not a date written yyyy-MM-dd.") % {"value": text})
