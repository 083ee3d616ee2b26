from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from api.views import IncidentViewSet

app_name = "api"

router = SimpleRouter()
router.register("incidents", IncidentViewSet, basename="incident")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
]

# Filings, decisions not to notify, waves and recipient imports: nested under an
# incident, so the incident's scoping answers 404 for everything under another organisation's.
from api.communications import ImportJobViewSet, LookupView, WaveViewSet  # noqa: E402
from api.filings import DecisionViewSet, FilingViewSet  # noqa: E402

nested = SimpleRouter()
nested.register(r"incidents/(?P<incident_pk>[0-9]+)/filings", FilingViewSet, basename="incident-filing")
nested.register(
    r"incidents/(?P<incident_pk>[0-9]+)/decisions-not-to-notify", DecisionViewSet, basename="incident-decision"
)
nested.register(r"incidents/(?P<incident_pk>[0-9]+)/waves", WaveViewSet, basename="incident-wave")
nested.register(
    r"incidents/(?P<incident_pk>[0-9]+)/waves/(?P<wave_pk>[0-9]+)/imports",
    ImportJobViewSet,
    basename="incident-wave-import",
)
urlpatterns += [*nested.urls, path("lookup/", LookupView.as_view(), name="lookup")]

# Writes, evidence, Art. 34 and share links: more detail actions under incidents/{id}/
# (each module its own viewset and basename) and the records that are changed by their own id.
from api.art34 import ContentVersionViewSet, IncidentCommunicationViewSet  # noqa: E402
from api.evidence import IncidentEvidenceViewSet  # noqa: E402
from api.register import AwarenessRecordViewSet, IncidentStatusViewSet  # noqa: E402
from api.sharing import IncidentShareLinksViewSet, ShareLinkViewSet  # noqa: E402

parts_router = SimpleRouter()
parts_router.register("incidents", IncidentStatusViewSet, basename="incident-register")
parts_router.register("incidents", IncidentEvidenceViewSet, basename="incident-evidence")
parts_router.register("incidents", IncidentCommunicationViewSet, basename="incident-communication")
parts_router.register("incidents", IncidentShareLinksViewSet, basename="incident-sharing")
parts_router.register("awareness-records", AwarenessRecordViewSet, basename="awareness-record")
parts_router.register("content-versions", ContentVersionViewSet, basename="content-version")
parts_router.register("share-links", ShareLinkViewSet, basename="share-link")
urlpatterns += parts_router.urls

# The real case end to end (docs/domain.md): the reference data a filing names, who processes for
# whom and when the processor told each controller, and the extortion facts, nested under the
# incident like the filings, so another organisation's incident answers 404 for all of them.
from api.directory import AuthorityViewSet, DirectoryPartyViewSet  # noqa: E402
from api.extortion import CountdownRevisionViewSet, PublicationViewSet, ThreatViewSet  # noqa: E402
from api.processors import IncidentAuthorityViewSet, NoticeViewSet, RelationshipViewSet  # noqa: E402

case_router = SimpleRouter()
case_router.register("authorities", AuthorityViewSet, basename="authority")
case_router.register("parties", DirectoryPartyViewSet, basename="party")
INCIDENT = r"incidents/(?P<incident_pk>[0-9]+)"
case_router.register(f"{INCIDENT}/authorities", IncidentAuthorityViewSet, basename="incident-authority")
case_router.register(
    f"{INCIDENT}/processor-relationships", RelationshipViewSet, basename="incident-processor-relationship"
)
case_router.register(f"{INCIDENT}/processor-notices", NoticeViewSet, basename="incident-processor-notice")
case_router.register(f"{INCIDENT}/threats", ThreatViewSet, basename="incident-threat")
case_router.register(
    f"{INCIDENT}/threats/(?P<threat_pk>[0-9]+)/countdown-revisions",
    CountdownRevisionViewSet,
    basename="incident-threat-countdown-revision",
)
case_router.register(f"{INCIDENT}/publications", PublicationViewSet, basename="incident-publication")
urlpatterns += case_router.urls

# Time-to-notify metrics of an organisation (the web page's figures as JSON).
from api.metrics import MetricsView  # noqa: E402

urlpatterns += [path("metrics/", MetricsView.as_view(), name="metrics")]

# Other notification regimes of an incident (NIS2, DORA, ...): the section as data, and its writes.
from api.regimes import RegimesViewSet  # noqa: E402

regimes_router = SimpleRouter()
regimes_router.register(f"{INCIDENT}/regimes", RegimesViewSet, basename="incident-regimes")
urlpatterns += regimes_router.urls
