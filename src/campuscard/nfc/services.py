"""Card layouts: creating one (from a preset), saving a new version, choosing the layout for a
card, and which chips are not on their layout's current version."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from campuscard.core import audit
from campuscard.nfc.layouts import validate_layout
from campuscard.nfc.models import CardLayout, CardLayoutVersion, ChipEncoding
from campuscard.nfc.presets import preset_declaration


@transaction.atomic
def save_layout_version(layout, declaration, actor=None):
    """A new version of `layout` with `declaration`; the current one when nothing changed.
    ValidationError (every problem, translated, with its path) changes nothing."""
    CardLayout.objects.select_for_update().get(pk=layout.pk)  # one version number at a time
    current = layout.current_version
    if current is not None and current.declaration == declaration:
        return current
    errors = validate_layout(declaration)
    if errors:
        raise ValidationError([str(error) for error in errors])
    number = (layout.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    version = CardLayoutVersion.objects.create(
        layout=layout, number=number, declaration=declaration,
        created_by=getattr(actor, "user", None))
    audit.record("nfc.layout.version_saved", actor, layout, after={"version": number})
    return version


@transaction.atomic
def create_layout_from_preset(preset, *, code, name, actor=None, **fields):
    """A layout named `code` with version 1 from the preset, its key references its own."""
    layout = CardLayout(code=code, name=name, **fields)
    layout.full_clean()
    layout.save()
    audit.record("nfc.layout.created", actor, layout, after={"preset": preset})
    save_layout_version(layout, preset_declaration(preset, code), actor)
    return layout


def layout_for(establishment, template=None):
    """The active layout that fits best: the establishment's own before one for every
    establishment, the template's own before one for any template."""
    candidates = CardLayout.objects.filter(
        Q(establishment=establishment) | Q(establishment__isnull=True),
        Q(template=template) | Q(template__isnull=True), active=True)
    ranked = sorted(candidates, key=lambda layout: (layout.establishment_id is None,
                                                    layout.template_id is None, layout.code))
    return ranked[0] if ranked else None


def latest_encoding(card):
    return card.encodings.select_related("version__layout").first()


def encodings_behind(layout):
    """The latest encoding of each card whose chip holds an older version of `layout`: the
    cards to re-encode after a key rotation."""
    latest = ChipEncoding.objects.filter(card=OuterRef("card")).order_by("-encoded_at", "-id")
    current = layout.current_version
    return (ChipEncoding.objects.filter(version__layout=layout)
            .filter(pk=Subquery(latest.values("pk")[:1]))
            .exclude(version=current).select_related("card", "version"))


HOLDS_LABELS = {
    "access_control_id": _("access-control number"),
    "crous_number": _("CROUS card number"),
    "escn": _("European Student Card Number (ESCN)"),
    "card_id_bound_to_csn": _("card id bound to the chip"),
    "constant": _("constant"),
}


def chip_content(card):
    """What the card's chip holds by our record (its latest encoding: layout version, CSN,
    and each file with what it holds), and the latest reading of it; None if never encoded."""
    from campuscard.nfc.encoding.checks import record_values

    encoding = latest_encoding(card)
    if encoding is None:
        return None
    values = record_values(card)
    files = []
    for app in encoding.version.declaration["applications"]:
        for file in app["files"]:
            holds = file.get("holds")
            shown = file.get("value") if holds == "constant" else values.get(holds)
            files.append({"aid": app["aid"].upper(), "number": file["number"],
                          "holds": HOLDS_LABELS.get(holds, _("a value")),
                          "communication": file["communication"], "value": shown})
    reading = (card.chip_sessions.filter(purpose="read", status="done")
               .order_by("-finished_at").first())
    return {"encoding": encoding, "files": files, "reading": reading,
            "behind": encoding.version != encoding.version.layout.current_version}
