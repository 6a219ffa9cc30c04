from django.urls import path

from campuscard.delivery import views

app_name = "delivery"

urlpatterns = [
    path("slips/", views.slip_list, name="slips"),
    path("slips/make/<slug:code>/", views.slip_make, name="slip_make"),
    path("slips/<id:slip_id>/", views.slip_detail, name="slip"),
    path("slips/<id:slip_id>/slip.pdf", views.slip_pdf, name="slip_pdf"),
    path("slips/<id:slip_id>/delivered/", views.slip_deliver, name="slip_deliver"),
    path("badge/", views.badge_search, name="badge"),
    path("badge/wait.json", views.badge_wait, name="badge_wait"),
]
