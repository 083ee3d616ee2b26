from django.urls import path

from web.filings import views

app_name = "filings"
urlpatterns = [
    path("incidents/<int:incident_pk>/filings/<int:pk>/", views.filing_detail, name="detail"),
    path("incidents/<int:incident_pk>/filings/<int:pk>/edpb.json", views.filing_edpb_json, name="edpb_json"),
]
