from django.urls import path

from campuscard.portal import request_views, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("request/", request_views.request_card, name="request"),
]
