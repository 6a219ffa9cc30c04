from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscRouterConfig(AppConfig):
    name = "campuscard.integrations.esc_router"
    label = "esc_router"
    verbose_name = _("ESC router")
