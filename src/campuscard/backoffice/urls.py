from django.urls import path

from campuscard.backoffice import views

app_name = "backoffice"

urlpatterns = [
    path("", views.card_list, name="cards"),
    path("outbox/", views.outbox_failed, name="outbox"),
]
