from django.contrib import admin

from campuscard.core.admin import AuditedAdmin
from campuscard.notifications.forms import MailTemplateForm
from campuscard.notifications.models import MailTemplate


@admin.register(MailTemplate)
class MailTemplateAdmin(AuditedAdmin):
    form = MailTemplateForm  # texts are checked by rendering them, as in the back-office
    list_display = ("event", "active", "subject_fr", "subject_en", "updated_at")
    list_filter = ("active",)
    search_fields = ("event", "subject_fr", "subject_en")
