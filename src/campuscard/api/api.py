"""The JSON API: /api/openapi.json describes it, /api/docs shows it."""

from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI

from campuscard.api import errors
from campuscard.api.docs import LocalSwagger
from campuscard.api.views import router

api = NinjaAPI(
    title="CampusCard API",
    version="1",
    description=_("Read people and cards, and move cards through their lifecycle. "
                  "Authenticate with `Authorization: Bearer <token>`; tokens are created with "
                  "`campuscard api_client create`."),
    docs=LocalSwagger(),
    urls_namespace="api",
    parser=errors.JsonParser(),
)
errors.install(api)
api.add_router("", router)
