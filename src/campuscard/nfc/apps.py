from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NfcConfig(AppConfig):
    name = "campuscard.nfc"
    label = "nfc"
    verbose_name = _("Chip encoding")
