from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "campuscard.core"

    def ready(self):
        from django.urls import register_converter

        from campuscard.core import audit_labels, lookups
        from campuscard.core.fields import DatabaseIdConverter

        register_converter(DatabaseIdConverter, "id")
        lookups.install()
        audit_labels.discover()  # each app's actions.py registers the labels of its codes
