from django.urls import path

from web.evidence import views

app_name = "evidence"
urlpatterns = [
    path("incidents/<int:pk>/timeline/", views.incident_timeline, name="timeline"),
    path("incidents/<int:pk>/timeline.json", views.incident_timeline_json, name="timeline_json"),
    path("incidents/<int:pk>/timeline.pdf", views.incident_timeline_pdf, name="timeline_pdf"),
    path("incidents/<int:pk>/timeline.csv", views.incident_timeline_csv, name="timeline_csv"),
    path("incidents/<int:pk>/as-of/", views.register_as_of, name="as_of"),
    path("incidents/<int:pk>/as-of/diff/", views.register_diff, name="as_of_diff"),
]
