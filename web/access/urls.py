from django.urls import path

from web.access import share_views, views

app_name = "access"
urlpatterns = [
    path("incidents/<int:pk>/deadlines.ics", views.deadlines_ics, name="deadlines_ics"),
    path("incidents/<int:pk>/access-log/", views.access_log, name="access_log"),
    path("share/<str:token>/", views.share, name="share"),
    path("share/<str:token>/<str:kind>", views.share, name="share_kind"),
]


urlpatterns += [
    path("incidents/<int:pk>/share-links/", share_views.share_links, name="share_links"),
    path(
        "incidents/<int:pk>/share-links/<int:link_pk>/revoke/", share_views.revoke_share_link, name="share_link_revoke"
    ),
]
