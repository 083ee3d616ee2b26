from django.urls import path

from web.communications import views

app_name = "communications"
urlpatterns = [
    path("incidents/<int:pk>/communications/", views.incident_communications, name="incident"),
    path("communications/waves/<int:wave_pk>/recipients/", views.upload_ledger, name="upload"),
    path("communications/imports/<int:pk>/", views.import_job, name="job"),
    path("communications/lookup/", views.lookup, name="lookup"),
]
