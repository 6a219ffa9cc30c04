from django.urls import path

from campuscard.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.template_list, name="templates"),
    path("<str:event>/", views.template_edit, name="template"),
]
