from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "campuscard.people"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from campuscard.people.sources.sync import sync_at_sign_on

        user_logged_in.connect(sync_at_sign_on, dispatch_uid="campuscard.people.sync_at_sign_on")
