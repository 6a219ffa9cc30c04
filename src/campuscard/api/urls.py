from django.urls import path

from campuscard.api import docs
from campuscard.api.api import api

urlpatterns = [
    path("docs/assets/<str:name>", docs.asset, name="api_docs_asset"),
    path("", api.urls),
]
