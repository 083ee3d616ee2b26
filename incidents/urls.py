from django.urls import path

from incidents import views

app_name = "incidents"
urlpatterns = [
    path("incidents/", views.incident_list, name="list"),
    path("incidents/<int:pk>/", views.incident_detail, name="detail"),
    path("incidents/<int:pk>/ap-answer-sheet/", views.ap_answer_sheet, name="ap_answer_sheet"),
    path("incidents/<int:pk>/ap-answer-sheet.json", views.ap_answer_sheet_json, name="ap_answer_sheet_json"),
    path("healthz", views.healthz, name="healthz"),
]
