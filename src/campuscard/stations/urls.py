from django.urls import path

from campuscard.stations import views

app_name = "stations"

urlpatterns = [
    path("", views.station_list, name="list"),
    path("send/", views.send_to_print, name="send"),
    path("jobs/<id:job_id>/again/", views.print_again, name="print_again"),
]
