from django.contrib import admin

from campuscard.printing.models import CardPrint, CardTemplate, CardTemplateVersion


class VersionInline(admin.TabularInline):
    model = CardTemplateVersion
    fields = ("number", "created_at", "created_by")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CardTemplate)
class CardTemplateAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "establishment", "key", "priority", "active")
    list_filter = ("active", "establishment")
    filter_horizontal = ("populations",)
    inlines = [VersionInline]


@admin.register(CardPrint)
class CardPrintAdmin(admin.ModelAdmin):
    list_display = ("card", "version", "printed_at", "printed_by")
    readonly_fields = ("card", "version", "values", "printed_at", "printed_by")
