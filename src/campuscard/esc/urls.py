from django.urls import path

from campuscard.esc import views

urlpatterns = [
    path("cards/<int:card_id>/qr.svg", views.card_qr, {"kind": "svg"}, name="card_qr_svg"),
    path("cards/<int:card_id>/qr.png", views.card_qr, {"kind": "png"}, name="card_qr_png"),
    path("cards/<int:card_id>/front/", views.card_front, name="card_front"),
]
