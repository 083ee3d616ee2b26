"""The URLs of the incident page's "Regimes" section and of an organisation's regime settings."""

from django.urls import path

from web.incidents import regime_settings, regime_views

_regimes = "incidents/<int:pk>/regimes"
urlpatterns = [
    path(f"{_regimes}/", regime_views.regimes_page, name="regimes"),
    path(f"{_regimes}/decisions/", regime_views.decide, name="regime_decide"),
    path(f"{_regimes}/anchors/", regime_views.record_anchor, name="regime_anchor"),
    path(f"{_regimes}/determinations/", regime_views.record_determination, name="regime_determination"),
    path(f"{_regimes}/places/", regime_views.record_place, name="regime_place"),
    path(f"{_regimes}/filings/", regime_views.file_report, name="regime_file"),
    path("organisations/<int:pk>/regimes/", regime_settings.settings_page, name="regime_settings"),
]
