"""Editing templates (always a new version) and recording a print (the values frozen), which
happens whenever a card is printed."""

import contextlib

from django.db import transaction
from django.db.models import Max

from campuscard.cards import states
from campuscard.printing.choosing import NoTemplate
from campuscard.printing.models import CardPrint, CardTemplateVersion
from campuscard.printing.rendering import frozen_values, version_for
from campuscard.printing.variables import printed_values

VERSIONED_FIELDS = ("front_html", "back_html", "css", "free_text", "logo_svg", "zones")


@transaction.atomic
def save_template_version(template, *, by=None, **content):
    """A new version of `template`: the fields given, the others copied from the current one."""
    current = template.current_version
    fields = {name: getattr(current, name) if current else "" for name in VERSIONED_FIELDS}
    if not current:
        fields["zones"] = []
    unknown = set(content) - set(VERSIONED_FIELDS)
    if unknown:
        raise TypeError(f"not a template field: {', '.join(sorted(unknown))}")
    fields |= content
    number = (template.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    version = CardTemplateVersion(template=template, number=number, created_by=by, **fields)
    version.full_clean()
    version.save()
    return version


def freeze_when_printed(sender, card, transition, actor, **kwargs):
    """Receiver of cards.signals.state_changed: a card just printed, whatever reported it (a
    station, a manager's button after printing a batch PDF, the API), has what it shows frozen
    with its template version, in the same transaction; nothing when no template applies to
    it (printed by other means: nothing of ours to freeze)."""
    if transition is not states.PRINTED_ON:
        return
    with contextlib.suppress(NoTemplate):
        record_print(card, by=actor.user)


def record_print(card, *, by=None, version=None):
    """Freeze what the card shows, with the version it is printed with: a reprint uses both."""
    version = version_for(card, version)
    values = frozen_values(card, version) or printed_values(card, version)
    return CardPrint.objects.create(card=card, version=version, printed_by=by, values=values)


def cards_without_template(cards):
    """The cards no template fits (and that were never printed): a batch cannot print them."""
    missing = []
    for card in cards:
        try:
            version_for(card)
        except NoTemplate:
            missing.append(card)
    return missing
