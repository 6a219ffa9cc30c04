from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "campuscard.integrations.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks and REST calls")

    def ready(self):
        from campuscard.integrations.connections.targets import provide
        from campuscard.integrations.webhooks.models import RestCall, Webhook
        from campuscard.integrations.webhooks.target import RestCallTarget, WebhookConnectionTarget

        provide(Webhook, WebhookConnectionTarget)
        provide(RestCall, RestCallTarget)
