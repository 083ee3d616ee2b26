from django.urls import path

from web.metrics import views

app_name = "metrics"
urlpatterns = [
    path("metrics/", views.page, name="page"),
    path("metrics/metrics.csv", views.csv_export, name="csv"),
    path("metrics/incidents/", views.incidents, name="incidents"),
]
