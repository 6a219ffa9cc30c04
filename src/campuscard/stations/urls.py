from django.urls import path

from campuscard.stations import encoding_views, views

app_name = "stations"

urlpatterns = [
    path("", views.station_list, name="list"),
    path("send/", views.send_to_print, name="send"),
    path("jobs/<id:job_id>/again/", views.print_again, name="print_again"),
    path("<id:station_id>/encode/", encoding_views.encode_page, name="encode"),
    path("<id:station_id>/encode/start", encoding_views.chip_encode, name="chip_encode"),
    path("chips/<uuid:session_id>/step", encoding_views.chip_step, name="chip_step"),
    path("chips/<uuid:session_id>/abandon", encoding_views.chip_abandon, name="chip_abandon"),
]
