from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrintingConfig(AppConfig):
    name = "campuscard.printing"
    label = "printing"
    verbose_name = _("Printing")

    def ready(self):
        from campuscard.cards.signals import state_changed
        from campuscard.printing.services import freeze_when_printed

        state_changed.connect(freeze_when_printed, dispatch_uid="printing.freeze_when_printed")
