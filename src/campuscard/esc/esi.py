"""European Student Identifier (ESI): urn:schac:personalUniqueCode:int:esi:<scope>:<code>.

The scope is the ISO 3166 country code (lower case) where the student code is national (the
French INE), otherwise the establishment's schacHomeOrganization domain. The router cannot
change an ESI, so a person's is built once, stored, and never changed after.
"""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

ESI_PREFIX = "urn:schac:personalUniqueCode:int:esi:"
ESI_MAX_LENGTH = 255
SCOPE_RE = re.compile(r"^(?:[a-z]{2}|[a-z0-9-]+(?:\.[a-z0-9-]+)+)$")
CODE_RE = re.compile(r"^[A-Za-z0-9._-]+$")


def build_esi(scope, code):
    """The ESI for `code` within `scope` (country code or domain); raises ValidationError."""
    scope, code = (scope or "").strip().lower(), (code or "").strip()
    if not SCOPE_RE.match(scope):
        raise ValidationError(_("An ESI scope is a two-letter country code or a domain name."),
                              code="esi_scope")
    if not CODE_RE.match(code):
        raise ValidationError(_("A student code in an ESI is letters, digits, dots, dashes or "
                                "underscores."), code="esi_code")
    esi = f"{ESI_PREFIX}{scope}:{code}"
    if len(esi) > ESI_MAX_LENGTH:
        raise ValidationError(_("An ESI is at most 255 characters."), code="esi_length")
    return esi


def esi_for(person):
    """The ESI a person would get now: national (country + INE), else the eppn's domain and
    login. None when neither is available."""
    if person.ine:
        return build_esi(person.establishment.country, person.ine)
    login, _at, domain = person.eppn.partition("@")
    if login and domain:
        return build_esi(domain, login)
    return None


def assign_esi(person):
    """Store the person's ESI if they have none yet; an ESI once stored never changes."""
    from campuscard.people.models import Person

    if person.esi:
        return person.esi
    esi = esi_for(person)
    if esi is None:
        return None
    with transaction.atomic():
        updated = Person.objects.filter(pk=person.pk, esi="").update(esi=esi)
    person.esi = esi if updated else Person.objects.values_list("esi", flat=True).get(
        pk=person.pk)
    return person.esi
