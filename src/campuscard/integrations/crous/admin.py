from django.contrib import admin

from campuscard.integrations.crous.models import (
    CrousAccount,
    CrousEstablishment,
    CrousFailure,
    CrousSmartCard,
    CrousTariffGrid,
    CrousTariffRule,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written by the outbox worker only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CrousEstablishment)
class CrousEstablishmentAdmin(admin.ModelAdmin):
    list_display = ("establishment", "enabled", "crous_number", "identifier",
                    "card_number_base", "last_card_number")
    readonly_fields = ("last_card_number",)


@admin.register(CrousSmartCard)
class CrousSmartCardAdmin(ReadOnlyAdmin):
    list_display = ("id_zdc", "uid", "card", "origin", "registered_at", "opposed_at",
                    "opposition_reason")
    list_filter = ("origin", "opposition_reason")
    search_fields = ("uid", "id_zdc")


@admin.register(CrousAccount)
class CrousAccountAdmin(ReadOnlyAdmin):
    list_display = ("identifier", "person", "sent_at", "seen_at")
    search_fields = ("identifier",)


@admin.register(CrousFailure)
class CrousFailureAdmin(ReadOnlyAdmin):
    list_display = ("last_at", "person", "card", "operation", "http_status", "code", "message",
                    "blocking", "occurrences", "resolved_at")
    list_filter = ("operation", "blocking", "code")


class CrousTariffRuleInline(admin.TabularInline):
    """Fetched from CROUS: refreshed, never edited here."""

    model = CrousTariffRule
    fields = ("position", "status_code", "index_min", "index_max", "id_company_rate", "id_rate")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CrousTariffGrid)
class CrousTariffGridAdmin(admin.ModelAdmin):
    list_display = ("crous_number", "uai", "establishment", "priority", "fetched_at",
                    "last_error")
    fields = ("establishment", "crous_number", "uai", "priority", "fetched_at", "attempted_at",
              "last_error")
    readonly_fields = ("fetched_at", "attempted_at", "last_error")
    inlines = [CrousTariffRuleInline]
