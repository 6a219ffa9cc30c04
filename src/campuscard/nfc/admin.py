import json

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from campuscard.core.actors import Actor
from campuscard.core.admin import AuditedAdmin
from campuscard.nfc import services
from campuscard.nfc.layouts import check_keys, validate_layout
from campuscard.nfc.models import CardLayout, CardLayoutVersion, ChipEncoding
from campuscard.nfc.presets import LABELS, preset_declaration


class CardLayoutForm(forms.ModelForm):
    preset = forms.ChoiceField(
        label=_("start from"), required=False,
        choices=[("", _("my own declaration (below)")), *LABELS.items()],
        help_text=_("A preset fills the declaration when it is left empty; its key references "
                    "are named after the layout's code."))
    declaration = forms.JSONField(
        label=_("declaration"), required=False,
        help_text=_("Card master key, applications, keys and files (docs/nfc-layouts.md). Keys "
                    "are named by reference (file:… or env:…), never written here. Saving a "
                    "changed declaration makes a new version."))

    class Meta:
        model = CardLayout
        fields = ("code", "name", "establishment", "template", "format_before_write", "active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.current_version if self.instance.pk else None
        if current is not None:
            self.initial["declaration"] = current.declaration

    def clean(self):
        cleaned = super().clean()
        declaration = cleaned.get("declaration")
        if not declaration and cleaned.get("preset"):
            code = cleaned.get("code") or self.instance.code
            declaration = cleaned["declaration"] = preset_declaration(cleaned["preset"], code)
        if not declaration:
            self.add_error("declaration", _("Choose a preset or write a declaration."))
            return cleaned
        errors = validate_layout(declaration)
        if errors:
            self.add_error("declaration", [str(error) for error in errors])
        return cleaned


class VersionInline(admin.TabularInline):
    model = CardLayoutVersion
    fields = ("number", "created_at", "created_by", "shown_declaration")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("declaration"))
    def shown_declaration(self, version):
        return json.dumps(version.declaration, indent=1)[:2000]


@admin.register(CardLayout)
class CardLayoutAdmin(AuditedAdmin):
    form = CardLayoutForm
    list_display = ("code", "name", "establishment", "template", "current_number", "active")
    list_filter = ("active", "establishment")
    inlines = [VersionInline]
    fields = ("code", "name", "establishment", "template", "format_before_write", "active",
              "preset", "declaration")

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()

    @admin.display(description=_("version"))
    def current_number(self, layout):
        current = layout.current_version
        return current.number if current else None

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        declaration = form.cleaned_data["declaration"]
        services.save_layout_version(obj, declaration, Actor.from_request(request))
        for problem in check_keys(declaration):
            messages.warning(request, _("This server cannot read a key yet: %(problem)s")
                             % {"problem": problem})


@admin.register(ChipEncoding)
class ChipEncodingAdmin(admin.ModelAdmin):
    list_display = ("csn", "card", "version", "encoded_at", "verified")
    list_filter = ("verified",)
    search_fields = ("csn",)
    readonly_fields = ("card", "version", "csn", "encoded_at", "encoded_by", "verified")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
