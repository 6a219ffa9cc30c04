from django.urls import include, path

from campuscard.accounts.signon.kinds import MODULES, kind_module

app_name = "signon"

urlpatterns = [
    path(f"{kind}/", include((kind_module(kind).urlpatterns, kind)))
    for kind in MODULES if kind_module(kind).urlpatterns
]
