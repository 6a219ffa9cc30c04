from django.urls import path

from campuscard.stations import api

app_name = "stations_api"

urlpatterns = [
    path("next", api.next_job, name="next"),
    path("heartbeat", api.station_heartbeat, name="heartbeat"),
    path("badge", api.badge_read, name="badge"),
    path("chips/encode", api.chip_encode, name="chip_encode"),
    path("chips/read", api.chip_read, name="chip_read"),
    path("chips/<uuid:session_id>/step", api.chip_step, name="chip_step"),
    path("chips/<uuid:session_id>/abandon", api.chip_abandon, name="chip_abandon"),
    path("jobs/<id:job_id>/pdf", api.job_document, name="job_pdf"),
    path("jobs/<id:job_id>/panels", api.job_panels, name="job_panels"),
    path("jobs/<id:job_id>/printed", api.job_printed, name="job_printed"),
    path("jobs/<id:job_id>/failed", api.job_failed, name="job_failed"),
]
