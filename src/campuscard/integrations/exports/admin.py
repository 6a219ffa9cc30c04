import json

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from campuscard.integrations.connections.admin import FILTER_FIELDS, ConnectionAdmin, ConnectionForm
from campuscard.integrations.exports import delivery
from campuscard.integrations.exports.formats import FormatError, parse_format
from campuscard.integrations.exports.models import ExportTarget
from campuscard.integrations.exports.presets import PRESETS


class ExportForm(ConnectionForm):
    preset = forms.ChoiceField(
        label=_("start from"), required=False,
        choices=[("", _("my own format (below)"))] + [(key, key) for key in sorted(PRESETS)],
        help_text=_("A preset fills the file format when the format below is left empty."))
    format = forms.JSONField(label=_("file format"), required=False,
                             help_text=_("Columns, separator, encoding… (docs/exports.md)."))
    destination = forms.JSONField(
        label=_("delivery"),
        help_text=_('A folder: {"kind": "folder", "path": "/srv/exports/doors"}; SFTP: see '
                    'docs/integrations.md. Passwords and keys by file only.'))

    class Meta:
        model = ExportTarget
        fields = (*FILTER_FIELDS, "preset", "format", "destination")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("format") and cleaned.get("preset"):
            cleaned["format"] = json.loads(json.dumps(PRESETS[cleaned["preset"]]))
        if not cleaned.get("format"):
            self.add_error("format", _("Choose a preset or write a file format."))
            return cleaned
        try:
            parse_format(cleaned["format"])
        except FormatError as exc:
            self.add_error("format", str(exc))
        return cleaned

    def clean_destination(self):
        try:
            delivery.parse_destination(self.cleaned_data["destination"])
        except delivery.DestinationError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return self.cleaned_data["destination"]


@admin.register(ExportTarget)
class ExportAdmin(ConnectionAdmin):
    form = ExportForm
    list_display = ("label_en", "code", "preset", "active", "last_snapshot_at")
