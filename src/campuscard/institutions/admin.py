from django.contrib import admin

from campuscard.core.admin import AuditedAdmin
from campuscard.institutions.models import Establishment


@admin.register(Establishment)
class EstablishmentAdmin(AuditedAdmin):
    list_display = ("name", "code", "pic", "country", "uai", "escn_prefix", "auto_enable")
