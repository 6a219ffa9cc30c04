from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from campuscard.core.admin import AuditedAdmin
from campuscard.institutions.models import Establishment


@admin.register(Establishment)
class EstablishmentAdmin(AuditedAdmin):
    list_display = ("name", "code", "pic", "country", "uai", "escn_prefix", "auto_enable")
    fieldsets = [
        (None, {"fields": ("name", "code", "pic", "country", "uai", "escn_prefix",
                           "auto_enable")}),
        (_("Card request form"), {"fields": ("photo_width", "photo_height", "pickup_offered",
                                             "pickup_place", "postal_offered", "rules_en",
                                             "rules_fr")}),
    ]
