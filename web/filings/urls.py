from django.urls import path

from web.filings import views

app_name = "filings"
urlpatterns = [
    path("incidents/<int:incident_pk>/filings/<int:pk>/", views.filing_detail, name="detail"),
]
