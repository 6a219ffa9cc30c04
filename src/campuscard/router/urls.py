"""Mounted at /esc-rest/: the paths are the contract's, below its server prefix."""

from django.urls import path, re_path

from campuscard.router import views

app_name = "router"

urlpatterns = [
    path("api/v2/persons", views.persons, name="persons"),
    path("api/v2/persons/<path:esi>", views.person, name="person"),
    path("api/v2/organisations/<str:pic>/person/<path:esi>/picture", views.picture,
         name="picture"),
    path("api/v2/cards", views.cards, name="cards"),
    path("api/v2/cards/generate-escn", views.generate_escn, name="generate_escn"),
    path("api/v2/cards/csv-config", views.csv_config, name="csv_config"),
    path("api/v2/cards/validate-csv", views.validate_csv, name="validate_csv"),
    path("api/v2/cards/<str:escn>/status", views.card_status, name="card_status"),
    path("api/v2/cards/<str:escn>/qr", views.card_qr, name="card_qr"),
    path("api/v2/cards/<str:escn>", views.card, name="card"),
    re_path(r"^", views.not_found),  # JSON, not the site's HTML page, inside /esc-rest/
]
