"""What a source may say about a person, the SupAnn/eduPerson defaults, and turning the merged
strings into `Person` field values (or the reason the entry is refused)."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from campuscard.core.validators import normalise_code, validate_ine
from campuscard.people.models import AcademicLevel, Person

# The Person fields a source (or a computed rule) may set.
SYNCED_FIELDS = (
    "eppn", "first_name", "last_name", "display_name", "email", "birth_date", "ine",
    "student_id", "employee_id", "primary_affiliation", "affiliations", "department",
    "establishment", "population", "academic_level", "rights_end", "card_template",
    "may_request_card", "request_refusal",
)
# Fields written on the Person row (establishment and population as objects).
PERSON_FIELDS = tuple(name for name in SYNCED_FIELDS if name != "eppn")

# Person field = SupAnn / eduPerson attribute, for an LDAP source (and the names a REST source
# or a CSV with SupAnn headers may use). Any of them can be overridden per source.
SUPANN_FIELDS = {
    "eppn": "eduPersonPrincipalName",
    "first_name": "givenName",
    "last_name": "sn",
    "display_name": "displayName",
    "email": "mail",
    "birth_date": "schacDateOfBirth",
    "ine": "supannCodeINE",
    "student_id": "supannEtuId",
    "employee_id": "supannEmpId",
    "primary_affiliation": "eduPersonPrimaryAffiliation",
    "affiliations": "eduPersonAffiliation",
    "establishment": "supannEtablissement",
    "department": "supannEntiteAffectationPrincipale",
    "rights_end": "schacExpiryDate",
}
# Attributes read for the computed rules only (name in the rules = attribute).
SUPANN_EXTRA = {
    "supannEtuAnneeInscription": "supannEtuAnneeInscription",
    "supannEntiteAffectation": "supannEntiteAffectation",
}
# CSV, SQL, REST: the Person field names themselves.
PLAIN_FIELDS = {name: name for name in SYNCED_FIELDS}

REQUIRED = ("eppn", "first_name", "last_name")
MULTI_SEPARATOR = ";"
_MAX_LENGTHS = {f.name: f.max_length for f in Person._meta.get_fields()
                if getattr(f, "max_length", None) and f.name in SYNCED_FIELDS}
_LEVELS = {"6": AcademicLevel.BACHELOR, "L": AcademicLevel.BACHELOR,
           "7": AcademicLevel.MASTER, "M": AcademicLevel.MASTER,
           "8": AcademicLevel.DOCTORATE, "D": AcademicLevel.DOCTORATE}
_LEVELS.update({level.value: level for level in AcademicLevel})
_TRUE, _FALSE = {"true", "1", "yes", "oui", "y"}, {"false", "0", "no", "non", "n"}
_UAI_PREFIX = re.compile(r"^\{UAI\}", re.IGNORECASE)


class Refused(Exception):
    """An entry that cannot become a person: the message says why."""


def as_text(value):
    """One string from what a source returned: lists joined with ';', None as ''."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return MULTI_SEPARATOR.join(as_text(v) for v in value if v is not None and v != "")
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value).strip()


def normalise_eppn(value):
    return as_text(value).lower()


def parse_date(value, field):
    """schacDateOfBirth (YYYYMMDD), schacExpiryDate (YYYYMMDDhhmmssZ), ISO, or DD/MM/YYYY."""
    text = value.strip()
    if not text:
        return None
    candidates = [text[:8]] if re.fullmatch(r"\d{8}(\d{4,6})?(\.\d+)?Z?", text) else []
    candidates.append(text[:10])
    for candidate in candidates:
        for fmt in ("%Y%m%d", "%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
            try:
                return datetime.datetime.strptime(candidate, fmt).date()
            except ValueError:
                continue
    raise Refused(_("%(field)s “%(value)s” is not a date.") % {"field": field, "value": text})


def parse_bool(value, field):
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Refused(_("%(field)s “%(value)s” is neither true nor false.")
                  % {"field": field, "value": value})


def resolve_establishment(value, establishments):
    """An establishment from a code, a UAI, or a SupAnn `{UAI}0761904G` list (the first known)."""
    by_code, by_uai = establishments
    for part in value.split(MULTI_SEPARATOR):
        part = part.strip()
        found = by_code.get(part.lower()) or by_uai.get(_UAI_PREFIX.sub("", part).upper())
        if found is not None:
            return found
    return None


def person_fields(record, establishments, populations):
    """The Person field values for a merged record (strings by field name); raises Refused.

    `establishments` is (by code, by UAI); `populations` maps a code to its Population."""
    values = {}
    for name in REQUIRED:
        if not record.get(name, "").strip():
            raise Refused(_("No %(field)s.") % {"field": name})
    eppn = normalise_eppn(record["eppn"])
    if "@" not in eppn or any(c.isspace() for c in eppn):
        raise Refused(_("“%(value)s” is not an eppn (user@domain).") % {"value": eppn})
    values["eppn"] = eppn
    for name in ("first_name", "last_name", "display_name", "student_id", "employee_id",
                 "primary_affiliation", "affiliations", "department", "card_template",
                 "request_refusal"):
        values[name] = record.get(name, "").strip()
    values["primary_affiliation"] = values["primary_affiliation"].lower()
    values["email"] = _email(record.get("email", ""))
    values["birth_date"] = parse_date(record.get("birth_date", ""), "birth_date")
    values["rights_end"] = parse_date(record.get("rights_end", ""), "rights_end")
    values["ine"] = _ine(record.get("ine", ""))
    values["academic_level"] = _level(record.get("academic_level", ""))
    refusal = record.get("may_request_card", "").strip()
    values["may_request_card"] = parse_bool(refusal, "may_request_card") if refusal else True
    establishment = resolve_establishment(record.get("establishment", ""), establishments)
    if establishment is None:
        raise Refused(_("No known establishment in “%(value)s”.")
                      % {"value": record.get("establishment", "")})
    values["establishment"] = establishment
    values["population"] = _population(record, populations)
    for name, value in values.items():
        limit = _MAX_LENGTHS.get(name)
        if limit and isinstance(value, str) and len(value) > limit:
            raise Refused(_("%(field)s is longer than %(limit)d characters.")
                          % {"field": name, "limit": limit})
    return values


def _email(value):
    email = value.strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise Refused(_("“%(value)s” is not an email address.") % {"value": email}) from None
    return email


def _ine(value):
    ine = normalise_code(value)
    if ine:
        try:
            validate_ine(ine)
        except ValidationError:
            raise Refused(_("“%(value)s” is not an INE.") % {"value": ine}) from None
    return ine


def _level(value):
    text = value.strip().upper()
    if not text:
        return ""
    if text not in _LEVELS:
        raise Refused(_("“%(value)s” is not an academic level.") % {"value": value})
    return _LEVELS[text].value


def _population(record, populations):
    wanted = record.get("population", "").strip().lower()
    if wanted:
        if wanted not in populations:
            raise Refused(_("No population “%(value)s”.") % {"value": wanted})
        return populations[wanted]
    affiliation = record.get("primary_affiliation", "").strip().lower()
    if affiliation in populations:
        return populations[affiliation]
    raise Refused(_("No population: set one by a rule, or name one in primary_affiliation "
                    "(“%(value)s”).") % {"value": affiliation})
