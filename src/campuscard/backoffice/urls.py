from django.urls import path

from campuscard.backoffice import (
    crous_smartcards,
    crous_tariffs,
    crous_views,
    sources_views,
    views,
)

app_name = "backoffice"

urlpatterns = [
    path("", views.card_list, name="cards"),
    path("cards/export.csv", views.export_csv, name="export"),
    path("cards/<id:card_id>/", views.card_detail, name="card"),
    path("cards/<id:card_id>/transition/", views.card_transition, name="card_transition"),
    path("cards/<id:card_id>/delivered/", views.card_delivered, name="card_delivered"),
    path("cards/<id:card_id>/esc-push/", views.card_esc_push, name="card_esc_push"),
    path("cards/<id:card_id>/crous-push/", crous_views.card_crous_push, name="card_crous_push"),
    path("crous/errors/", crous_views.crous_errors, name="crous_errors"),
    path("crous/errors.csv", crous_views.crous_errors_csv, name="crous_errors_csv"),
    path("cards/bulk/", views.bulk_choose, name="bulk_choose"),
    path("cards/bulk/apply/", views.bulk_apply, name="bulk_apply"),
    path("cards/<int:card_id>/sync/", sources_views.card_sync, name="card_sync"),
    path("sources/", sources_views.source_list, name="sources"),
    path("sources/test/", sources_views.test_person, name="sources_test"),
    path("sources/<slug:name>/upload/", sources_views.upload_csv, name="sources_upload"),
    path("sources/<slug:name>/sync/", sources_views.sync_source_now, name="sources_sync"),
    path("outbox/", views.outbox_failed, name="outbox"),
    path("outbox/retry/", views.outbox_retry, name="outbox_retry"),
    path("crous/tariffs/", crous_tariffs.tariff_rules_page, name="crous_tariffs"),
    path("crous/smartcards/import/", crous_smartcards.import_page,
         name="crous_smartcards_import"),
    path("crous/tariffs/person/", crous_tariffs.tariff_for_person, name="crous_tariff_person"),
    path("crous/tariffs/<slug:code>/refresh/", crous_tariffs.refresh_now,
         name="crous_tariffs_refresh"),
]
