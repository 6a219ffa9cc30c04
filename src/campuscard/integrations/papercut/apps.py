from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PapercutConfig(AppConfig):
    name = "campuscard.integrations.papercut"
    label = "papercut"
    verbose_name = _("PaperCut")

    def ready(self):
        from campuscard.integrations.connections.targets import provide
        from campuscard.integrations.papercut.models import PapercutServer
        from campuscard.integrations.papercut.target import PapercutTarget

        provide(PapercutServer, PapercutTarget)
