"""Print stations in django-admin: registering one shows its token once; revoking is an action."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from campuscard.core.actors import Actor
from campuscard.stations import services
from campuscard.stations.models import PrintJob, Station


class StationForm(forms.ModelForm):
    class Meta:
        model = Station
        fields = ["name", "kind", "establishment", "printer_model", "allowed_users"]


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    form = StationForm
    list_display = ("name", "kind", "establishment", "printer_model", "token_prefix",
                    "last_heartbeat_at", "revoked_at")
    list_filter = ("kind", "establishment")
    search_fields = ("name", "printer_model")
    filter_horizontal = ("allowed_users",)
    readonly_fields = ("token_prefix", "created_at", "last_heartbeat_at", "last_seen_ip",
                       "status_message", "last_badge", "last_badge_at", "revoked_at")
    actions = ["revoke"]

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: jobs and the audit trail keep pointing at the station

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        station, token = services.register_station(
            form.cleaned_data["name"], form.cleaned_data["establishment"],
            Actor.from_request(request), printer_model=form.cleaned_data["printer_model"],
            kind=form.cleaned_data["kind"])
        obj.pk, obj.token_prefix, obj.token_hash = station.pk, station.token_prefix, \
            station.token_hash
        obj._state.adding = False
        self.message_user(request, _("The station's token, shown only now — copy it into the "
                                     "station's token file: %(token)s") % {"token": token},
                          messages.WARNING)

    def save_related(self, request, form, formsets, change):
        form.instance = Station.objects.get(pk=form.instance.pk)
        super().save_related(request, form, formsets, change)

    @admin.action(description=_("Revoke the selected stations"))
    def revoke(self, request, queryset):
        active = list(queryset.filter(revoked_at__isnull=True))
        for station in active:
            services.revoke_station(station, Actor.from_request(request))
        self.message_user(request, ngettext("%(count)d station revoked.",
                                            "%(count)d stations revoked.", len(active))
                          % {"count": len(active)}, messages.SUCCESS)


@admin.register(PrintJob)
class PrintJobAdmin(admin.ModelAdmin):
    list_display = ("pk", "station", "card", "status", "asked_at", "printed_at")
    list_filter = ("station", "status")
    readonly_fields = [f.name for f in PrintJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
