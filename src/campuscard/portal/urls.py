from django.urls import path

from campuscard.portal import request_views, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("request/", request_views.request_card, name="request"),
    path("cards/<id:card_id>/", views.card_detail, name="card"),
    path("cards/<id:card_id>/block/", views.block_card, name="block"),
    path("cards/<id:card_id>/told/", views.card_hearings, name="told"),
    path("cards/<id:card_id>/enable/", views.enable_card, name="enable"),
    path("cards/<id:card_id>/cancel/", views.cancel_request, name="cancel"),
    path("cards/<id:card_id>/received/", views.confirm_received, name="received"),
    path("cards/<id:card_id>/renew/", views.renew_card, name="renew"),
    path("cards/<id:card_id>/crous-consent/", views.crous_consent, name="crous_consent"),
    path("cards/<id:card_id>/crous-reopen/", views.crous_reopen, name="crous_reopen"),
    path("consents/", views.consents, name="consents"),
    path("data/", views.my_data_page, name="my_data"),
    path("data/download/", views.my_data_download, name="my_data_download"),
]
