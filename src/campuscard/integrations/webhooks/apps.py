from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "campuscard.integrations.webhooks"
    label = "webhooks"
