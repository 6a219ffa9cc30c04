from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "campuscard.core"
