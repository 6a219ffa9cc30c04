from django.urls import path

from campuscard.esc import verify, views

urlpatterns = [
    path("cards/<id:card_id>/qr.svg", views.card_qr, {"kind": "svg"}, name="card_qr_svg"),
    path("cards/<id:card_id>/qr.png", views.card_qr, {"kind": "png"}, name="card_qr_png"),
    path("cards/<id:card_id>/front/", views.card_front, name="card_front"),
    # Where the QR codes lead when the verifier prefix is this instance's /v/.
    path("v/<str:escn>.json", verify.verify_json, name="verify_json"),
    path("v/<str:escn>", verify.verify_page, name="verify"),
]
