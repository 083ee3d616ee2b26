"""The guided register pages of one incident (``web.register.views``), under /incidents/<pk>/."""

from django.urls import path

from web.register import views

app_name = "register"
urlpatterns = [
    path("incidents/<int:pk>/facts/", views.edit_facts, name="facts"),
    path("incidents/<int:pk>/parties/", views.parties, name="parties"),
    path("incidents/<int:pk>/parties/add/", views.add_party, name="add_party"),
    path("incidents/<int:pk>/parties/<int:party_pk>/correct/", views.correct_party, name="correct_party"),
    path("incidents/<int:pk>/parties/<int:party_pk>/remove/", views.remove_party, name="remove_party"),
    path("incidents/<int:pk>/authorities/add/", views.add_authority, name="add_authority"),
    path(
        "incidents/<int:pk>/authorities/<int:authority_pk>/correct/", views.correct_authority, name="correct_authority"
    ),
    path("incidents/<int:pk>/authorities/<int:authority_pk>/remove/", views.remove_authority, name="remove_authority"),
    path("incidents/<int:pk>/processors/link/", views.link_processor, name="link_processor"),
    path("incidents/<int:pk>/processors/<int:link_pk>/remove/", views.remove_link, name="remove_link"),
    path("incidents/<int:pk>/decision-not-to-notify/", views.decision_not_to_notify, name="decision"),
    path("incidents/<int:pk>/status/", views.change_status, name="status"),
]
