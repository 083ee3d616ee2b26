from django.urls import path

from web.communications import guided, views

app_name = "communications"
urlpatterns = [
    path("incidents/<int:pk>/communications/", views.incident_communications, name="incident"),
    path("incidents/<int:pk>/communications/assessment/", guided.record_assessment, name="assess"),
    path("incidents/<int:pk>/communications/texts/new/", guided.new_content, name="content_new"),
    path("incidents/<int:pk>/communications/texts/<int:content_pk>/", guided.edit_content, name="content_edit"),
    path("incidents/<int:pk>/communications/waves/new/", guided.plan_wave, name="wave_new"),
    path("incidents/<int:pk>/communications/waves/<int:wave_pk>/", guided.edit_wave, name="wave_edit"),
    path("incidents/<int:pk>/communications/waves/<int:wave_pk>/sent/", guided.mark_wave_sent, name="wave_sent"),
    path(
        "incidents/<int:pk>/communications/waves/<int:wave_pk>/counts/", guided.record_wave_counts, name="wave_counts"
    ),
    path("communications/waves/<int:wave_pk>/recipients/", views.upload_ledger, name="upload"),
    path("communications/imports/<int:pk>/", views.import_job, name="job"),
    path("communications/lookup/", views.lookup, name="lookup"),
]
