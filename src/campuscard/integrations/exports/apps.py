from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    name = "campuscard.integrations.exports"
    label = "exports"
    verbose_name = _("Access-control file exports")

    def ready(self):
        from campuscard.integrations.connections.targets import provide
        from campuscard.integrations.exports.models import ExportTarget
        from campuscard.integrations.exports.target import ExportConnectionTarget

        provide(ExportTarget, ExportConnectionTarget)
