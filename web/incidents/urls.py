from django.urls import path

from web import health
from web.incidents import awareness_views, extortion_views, intake, note_views, page_views, views

app_name = "incidents"
urlpatterns = [
    path("incidents/", views.incident_list, name="list"),
    path("incidents/<int:pk>/", views.incident_detail, name="detail"),
    path("incidents/<int:pk>/ap-answer-sheet/", views.ap_answer_sheet, name="ap_answer_sheet"),
    path("incidents/<int:pk>/ap-answer-sheet.json", views.ap_answer_sheet_json, name="ap_answer_sheet_json"),
    path("incidents/<int:pk>/notes/", note_views.incident_notes, name="notes"),
    path("incidents/<int:pk>/notes/<int:note_pk>/edit/", note_views.edit_note, name="note_edit"),
    path("incidents/<int:pk>/notes/<int:note_pk>/privilege/", note_views.note_privilege, name="note_privilege"),
    path("healthz", health.healthz, name="healthz"),
    path("incidents/<int:pk>/file/", page_views.file_with_authority, name="file_with_authority"),
    path("incidents/<int:pk>/estimates/", page_views.record_affected_estimate, name="record_estimate"),
]


urlpatterns += [path("incidents/new/", intake.new_incident, name="new")]

# The guided extortion pages (officers): a threat, its countdown, what was published.
_threat = "incidents/<int:pk>/extortion/threats/<int:threat_pk>"
urlpatterns += [
    path("incidents/<int:pk>/extortion/threats/new/", extortion_views.record_threat, name="threat_new"),
    path(f"{_threat}/edit/", extortion_views.update_threat, name="threat_edit"),
    path(f"{_threat}/payment/", extortion_views.payment_decision, name="threat_payment"),
    path(f"{_threat}/police/", extortion_views.police_report, name="threat_police"),
    path(f"{_threat}/countdown/", extortion_views.revise_countdown, name="countdown_revise"),
    path(f"{_threat}/countdown/withdraw/", extortion_views.withdraw_countdown, name="countdown_withdraw"),
    path("incidents/<int:pk>/extortion/publications/new/", extortion_views.record_publication, name="publication_new"),
    path(
        "incidents/<int:pk>/extortion/publications/<int:publication_pk>/reassess/",
        extortion_views.reassess_risk,
        name="publication_reassess",
    ),
]
urlpatterns += [
    path("incidents/<int:pk>/awareness/new/", awareness_views.record_awareness, name="record_awareness"),
    path(
        "incidents/<int:pk>/awareness/<int:record_pk>/correct/",
        awareness_views.correct_awareness,
        name="correct_awareness",
    ),
    path("incidents/<int:pk>/notices/new/", awareness_views.record_notice, name="record_notice"),
    path("incidents/<int:pk>/notices/<int:notice_pk>/correct/", awareness_views.correct_notice, name="correct_notice"),
]

# Other notification regimes (NIS2, DORA, ...): the incident page's section and its forms.
from web.incidents import regime_urls  # noqa: E402

urlpatterns += regime_urls.urlpatterns
