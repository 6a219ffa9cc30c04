"""Forms of the card template editor: who a template is for, and the content of a version."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from campuscard.cards.models import Card
from campuscard.printing.geometry import ZONE_KINDS
from campuscard.printing.models import CardTemplate

PREVIEW_CARDS = 50  # the newest cards offered in the preview's select
MAX_SOURCE = 200_000  # characters of one HTML, CSS or SVG field


class CardTemplateForm(forms.ModelForm):
    """Who the template is for and how it ranks (not versioned: the rule that picks it)."""

    class Meta:
        model = CardTemplate
        fields = ["code", "name", "establishment", "populations", "key", "priority", "active"]
        widgets = {"populations": forms.CheckboxSelectMultiple}

    def clean_code(self):
        code = self.cleaned_data["code"]
        if code == "new":  # the address of this very form
            raise ValidationError(_("“new” cannot be a template's code: choose another."))
        return code


class TemplateSettingsForm(CardTemplateForm):
    """The same, once created: the code stays, as pages and URLs name the template by it."""

    class Meta(CardTemplateForm.Meta):
        fields = [name for name in CardTemplateForm.Meta.fields if name != "code"]


def _source(label, rows, required=False):
    return forms.CharField(label=label, required=required, max_length=MAX_SOURCE, strip=False,
                           widget=forms.Textarea(attrs={"rows": rows, "spellcheck": "false",
                                                        "class": "source"}))


class VersionForm(forms.Form):
    """The content of a new version, and the card the preview and the zone check use."""

    front_html = _source(_("Front HTML"), 14, required=True)
    back_html = _source(_("Back HTML"), 8)
    css = _source(_("CSS"), 12)
    free_text = forms.CharField(label=_("Free text"), required=False, max_length=2000,
                                widget=forms.Textarea(attrs={"rows": 3}))
    logo_svg = _source(_("Logo (SVG)"), 4)
    zones = forms.CharField(
        label=_("Zones to leave empty (JSON)"), required=False, max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "source"}),
        help_text=_("A list of rectangles in millimetres from the top left of the side, e.g. "
                    '[{"side": "front", "kind": "hologram", "label": "ESC hologram", "x": 68, '
                    '"y": 38, "width": 12, "height": 12}]. Kinds: %(kinds)s.')
        % {"kinds": ", ".join(ZONE_KINDS)})
    card = forms.ModelChoiceField(
        label=_("Preview on the card of"), queryset=Card.objects.none(), required=False,
        empty_label=None,
        # shown beside the preview, sent with the content form
        widget=forms.Select(attrs={"form": "template-content"}))

    def __init__(self, *args, template, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["card"].queryset = preview_cards(template)
        self.fields["card"].label_from_instance = _card_label

    def clean_zones(self):
        text = self.cleaned_data["zones"].strip()
        if not text:
            return []
        try:
            zones = json.loads(text)
        except ValueError as exc:
            raise ValidationError(_("The zones are not valid JSON: %(error)s")
                                  % {"error": exc}) from exc
        if not isinstance(zones, list):
            raise ValidationError(_("The zones must be a list."))
        return zones

    def content(self):
        return {name: value for name, value in self.cleaned_data.items() if name != "card"}


def preview_cards(template):
    """The newest cards of the template's establishment (of any, for a global template)."""
    cards = Card.objects.select_related("person", "establishment").order_by("-requested_at",
                                                                            "-pk")
    if template.establishment_id:
        cards = cards.filter(establishment_id=template.establishment_id)
    ids = list(cards.values_list("pk", flat=True)[:PREVIEW_CARDS])
    return cards.filter(pk__in=ids)


def _card_label(card):
    return f"{card.person.full_name} — {card.number} ({card.get_state_display()})"


def version_initial(version):
    """The form's starting values: a version's content (zones as indented JSON)."""
    if version is None:
        return {}
    return {"front_html": version.front_html, "back_html": version.back_html, "css": version.css,
            "free_text": version.free_text, "logo_svg": version.logo_svg,
            "zones": json.dumps(version.zones, indent=2, ensure_ascii=False)}
