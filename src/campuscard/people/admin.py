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
    list_display = ("user", "kind")
    filter_horizontal = ("establishments", "populations")
