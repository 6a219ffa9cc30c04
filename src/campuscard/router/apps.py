from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RouterConfig(AppConfig):
    name = "campuscard.router"
    label = "router"
    verbose_name = _("European Student Card router service")
