"""Value templates of an LDAP write-back: text with `${name}` placeholders from a fixed list
(Python's string.Template, so nothing is ever evaluated). Braces alone are plain text, which
keeps SupAnn tagged values readable: `{${ESTABLISHMENT}:ACCESS-CONTROL}${access_control_id}`
gives `{UNIV-A:ACCESS-CONTROL}123`. `$$` is a literal dollar sign."""

from string import Template

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from campuscard.integrations.connections.cardvalues import (
    as_decimal,
    end_of_day,
    generalized_time,
    reversed_csn,
)

PLACEHOLDERS = ("csn", "csn_reversed", "csn_dec", "csn_reversed_dec", "eppn", "escn",
                "access_control_id", "state", "establishment", "ESTABLISHMENT",
                "enabled_date", "due_date")


def check_template(text):
    """Raise ValidationError unless `text` is a template over PLACEHOLDERS only."""
    template = Template(text)
    if not template.is_valid():
        raise ValidationError(
            _("“%(template)s” has a $ that starts no placeholder: write ${name}, or $$ for a "
              "dollar sign.") % {"template": text})
    unknown = [name for name in template.get_identifiers() if name not in PLACEHOLDERS]
    if unknown:
        raise ValidationError(
            _("“%(template)s” uses an unknown placeholder: %(names)s. Known: %(known)s.")
            % {"template": text, "names": ", ".join(f"${{{n}}}" for n in unknown),
               "known": ", ".join(f"${{{n}}}" for n in PLACEHOLDERS)})
    if not template.get_identifiers():
        raise ValidationError(
            _("“%(template)s” has no placeholder: every card would write the same value, and "
              "disabling one card would remove it for all.") % {"template": text})


def card_values(card):
    """The placeholders' values for one card (as it is now)."""
    csn = (card.csn or "").upper()
    code = card.establishment.code
    return {
        "csn": csn, "csn_reversed": reversed_csn(csn), "csn_dec": as_decimal(csn),
        "csn_reversed_dec": as_decimal(reversed_csn(csn)), "eppn": card.person.eppn,
        "escn": str(card.escn) if card.escn else "",
        "access_control_id": card.access_control_id or "",
        "state": card.state, "establishment": code, "ESTABLISHMENT": code.upper(),
        "enabled_date": generalized_time(card.enabled_at),
        "due_date": generalized_time(end_of_day(card.person.rights_end)),
    }


def render(text, values):
    """The value, or None when a placeholder it uses is empty for this card (no half value
    such as a tag without its number is ever written)."""
    template = Template(text)
    if any(not values.get(name) for name in template.get_identifiers()):
        return None
    return template.substitute(values)
