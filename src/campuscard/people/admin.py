from django.contrib import admin

from campuscard.core.admin import AuditedAdmin
from campuscard.people.models import Person, Population, StaffRole


@admin.register(Population)
class PopulationAdmin(AuditedAdmin):
    list_display = ("code", "name_en", "name_fr", "free_renewal", "renewal_fee")


@admin.register(Person)
class PersonAdmin(AuditedAdmin):
    list_display = ("eppn", "last_name", "first_name", "establishment", "population", "rights_end")
    search_fields = ("eppn", "last_name", "email")
    list_filter = ("establishment", "population")


@admin.register(StaffRole)
class StaffRoleAdmin(AuditedAdmin):
    """Manual grants are made and changed here (and audited); a role a rule gave is only shown:
    the next sync or sign-on would put it back as the rule says."""

    list_display = ("user", "kind", "origin", "rule")
    list_filter = ("kind", "origin")
    search_fields = ("user__username",)
    filter_horizontal = ("establishments", "populations")
    readonly_fields = ("origin", "rule")

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.is_manual)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_manual)
