from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RouterConfig(AppConfig):
    name = "campuscard.router"
    label = "router"
    verbose_name = _("European Student Card router service")

    def ready(self):
        from campuscard.core.errorpages import answer_json_under
        from campuscard.router.http import problem_body

        answer_json_under("/esc-rest/", problem_body)  # refusals made before its views answer
