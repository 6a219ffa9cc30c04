from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrousConfig(AppConfig):
    name = "campuscard.integrations.crous"
    label = "crous"
    verbose_name = _("CROUS / Izly")
