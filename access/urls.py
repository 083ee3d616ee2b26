from django.urls import path

from access import views

app_name = "access"
urlpatterns = [
    path("incidents/<int:pk>/deadlines.ics", views.deadlines_ics, name="deadlines_ics"),
    path("incidents/<int:pk>/access-log/", views.access_log, name="access_log"),
    path("share/<str:token>/", views.share, name="share"),
    path("share/<str:token>/<str:kind>", views.share, name="share_kind"),
]
