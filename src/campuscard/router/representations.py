"""The JSON views of the contract (PersonView, CardView, CardStatusView, the paging wrapper…),
in camelCase. Empty optional fields are left out rather than sent as null: the contract types
them as strings or objects, never as null."""

from django.utils import timezone
from django.utils.translation import gettext as _

from campuscard.institutions.models import EscCardType
from campuscard.router.models import EXPIRED, AcademicLevel, CardStatus, shown_status


def code_view(key, label):
    return {"key": key, "label": str(label)}


def _without_empty(view):
    return {name: value for name, value in view.items() if value not in (None, "")}


def organisation_view(organisation):
    view = {"id": organisation.pk, "identifier": organisation.pic,
            "identifierCode": code_view("PIC", "PIC"), "name": organisation.name,
            "fullLabel": f"{organisation.pic} - {organisation.name}",
            "schacHomeOrganization": organisation.schac_home_organization}
    if organisation.country:
        view["address"] = {"country": code_view(organisation.country, organisation.country)}
    return _without_empty(view)


def membership_view(membership):
    level = membership.academic_level
    return _without_empty({
        "organisation": organisation_view(membership.organisation),
        "fullName": membership.full_name,
        "contactPoint": {"email": membership.email} if membership.email else None,
        "academicLevel": code_view(level, AcademicLevel(level).label) if level else None,
        "hasPicture": bool(getattr(membership, "has_picture", False)),
    })


def person_lite_view(person, memberships):
    """PersonLiteView of `person` as told by `memberships`, the caller's own entry: the
    deprecated top-level fullName is that entry's name."""
    return _without_empty({
        "identifier": person.esi,
        "fullName": memberships[0].full_name if memberships else "",
        "organisations": [membership_view(m) for m in memberships],
    })


def person_view(person):
    """PersonView of a person as read by `services.persons_of` (own memberships only, hence
    an organisationCount of the caller's own entries: what others registered is theirs)."""
    return person_lite_view(person, person.own_memberships) | {
        "identifierCode": code_view("ESI", "ESI"),
        "organisationCount": len(person.own_memberships),
    }


def status_code_view(status):
    label = _("Expired") if status == EXPIRED else CardStatus(status).label
    return code_view(status, label)


def card_lite_view(card, organisation, today=None):
    today = today or timezone.localdate()
    view = {
        "cardNumber": card.escn,
        "cardStatusType": status_code_view(shown_status(card.status, card.expires_at, today)),
        "displayName": card.display_name,
        "issuedAt": card.issued_at.isoformat(),
        "expiresAt": card.expires_at.isoformat(),
        "hasOwnerAuthorization": card.issuer_id == organisation.pk,
        "issuer": organisation_view(card.issuer),
        "processor": ({"identifier": card.processor_identifier}
                      if card.processor_identifier else None),
        "person": person_lite_view(card.person, card.person.own_memberships),
    }
    return _without_empty(view)


def card_view(card, organisation, today=None):
    """CardView of a card as read by `services.cards_of`."""
    return card_lite_view(card, organisation, today) | {
        "cardType": code_view(card.card_type, EscCardType(card.card_type).label)}


def page_view(items, total, paging, links):
    pages = -(-total // paging.size)
    return {"content": items, "empty": not items, "links": links,
            "page": {"number": paging.page, "size": paging.size, "totalElements": total,
                     "totalPages": pages}}


def error_view(problem):
    return {"code": problem.code, "message": problem.message}


def row_error_view(row_number, error):
    return {"rowNumber": row_number, "fieldName": error.field, "errorMessage": error.message}
