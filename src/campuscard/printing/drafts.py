"""A version being edited, before it is saved: checked and rendered on a real card, so that the
editor's live preview and its Save refuse the same mistakes (docs/printing.md)."""

from django.core.exceptions import ValidationError
from django.template import TemplateSyntaxError
from django.utils.translation import gettext as _

from campuscard.printing import geometry
from campuscard.printing.checks import check_zones
from campuscard.printing.models import CardTemplateVersion
from campuscard.printing.rendering import PREVIEW, render_png
from campuscard.printing.services import VERSIONED_FIELDS
from campuscard.printing.templating import unknown_names
from campuscard.printing.variables import PICTURE_VARIABLES, TEXT_VARIABLES

KNOWN_VARIABLES = (*TEXT_VARIABLES, *PICTURE_VARIABLES)


def draft_version(template, content):
    """An unsaved version of `template` with `content` (the VERSIONED_FIELDS); never saved."""
    fields = {name: content.get(name, "" if name != "zones" else []) for name in VERSIONED_FIELDS}
    return CardTemplateVersion(template=template, number=0, **fields)


def draft_problems(version, card=None):
    """What is wrong with a draft, in words for its author: template syntax, zones, and (on
    `card`) content printed over a zone the printer must leave empty. Empty when all is well."""
    problems = _syntax_problems(version)
    try:
        geometry.validate_zones(version.zones)
    except ValidationError as exc:
        problems.extend(exc.messages)
    if problems or card is None:
        return problems
    try:
        overlaps = check_zones(card, version)
    except Exception as exc:
        return [_("The card cannot be laid out: %(error)s") % {"error": exc}]
    return [_("%(side)s: “%(content)s” is printed over the zone “%(zone)s”, which the printer "
              "must leave empty.") % {"side": side_label(overlap.side), "content": overlap.content,
                                      "zone": overlap.zone}
            for overlap in overlaps]


def _syntax_problems(version):
    problems = []
    for side, source in (("front", version.front_html), ("back", version.back_html)):
        try:
            unknown = unknown_names(source, KNOWN_VARIABLES)
        except TemplateSyntaxError as exc:
            problems.append(_("%(side)s HTML: %(error)s") % {"side": side_label(side),
                                                            "error": exc})
            continue
        problems.extend(
            _("%(side)s HTML: “%(name)s” is not a card variable (the variables are listed "
              "under the form).") % {"side": side_label(side), "name": name}
            for name in unknown)
    if not version.front_html.strip():
        problems.append(_("The front HTML is empty: a card has at least a front."))
    return problems


def side_label(side):
    return _("Front") if side == "front" else _("Back")


def render_draft_png(card, version, side, dpi=150):
    """One side of the draft on `card`, with the zones and the safe area outlined."""
    return render_png(card, side, dpi=dpi, version=version, mode=PREVIEW)
