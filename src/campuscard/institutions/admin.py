from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from campuscard.core.admin import AuditedAdmin
from campuscard.institutions.models import Establishment


class EstablishmentForm(forms.ModelForm):
    class Meta:
        model = Establishment
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose what is shown
        # The key is a secret: masked on screen, kept when the form is saved unchanged.
        widgets = {"esc_router_key": forms.PasswordInput(render_value=True)}


@admin.register(Establishment)
class EstablishmentAdmin(AuditedAdmin):
    form = EstablishmentForm
    secret_fields = ("esc_router_key",)
    list_display = ("name", "code", "pic", "country", "uai", "escn_prefix", "auto_enable")
    fieldsets = [
        (None, {"fields": ("name", "code", "pic", "country", "uai", "escn_prefix",
                           "auto_enable")}),
        (_("Card request form"), {"fields": ("photo_width", "photo_height", "pickup_offered",
                                             "pickup_place", "postal_offered", "rules_en",
                                             "rules_fr")}),
        (_("European Student Card"), {"fields": ("verifier_prefix", "esc_router_key",
                                                 "esc_card_type")}),
    ]
