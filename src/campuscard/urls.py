from django.contrib import admin
from django.urls import include, path

from campuscard import views
from campuscard.accounts import views as account_views
from campuscard.cards import views as card_views

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("logout/", account_views.logout_view, name="logout"),
    path("signon/", include("campuscard.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("me/", include("campuscard.portal.urls")),
    path("cards/<id:card_id>/photo.jpg", card_views.card_photo, name="card_photo"),
    path("", include("campuscard.esc.urls")),
    path("manage/stations/", include("campuscard.stations.urls")),
    path("stations/api/", include("campuscard.stations.api_urls")),
    path("manage/delivery/", include("campuscard.delivery.urls")),
    path("manage/mails/", include("campuscard.notifications.urls")),
    path("manage/", include("campuscard.backoffice.urls")),
    path("api/", include("campuscard.api.urls")),
    path("esc-rest/", include("campuscard.router.urls")),
    path("django-admin/", admin.site.urls),
]

handler400 = "campuscard.core.errorpages.bad_request"
handler403 = "campuscard.core.errorpages.permission_denied"
handler404 = "campuscard.core.errorpages.page_not_found"
handler500 = "campuscard.core.errorpages.server_error"
