from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "campuscard.api"

    def ready(self):
        from campuscard.api.errors import error_body
        from campuscard.core.errorpages import answer_json_under

        answer_json_under("/api/", error_body)  # its 404s, and refusals before ninja answers
