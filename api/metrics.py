"""``GET /api/metrics/``: the metrics page's figures as JSON, for one organisation and period.

Read by privacy officers and lawyers (``readers.metrics.METRICS_ROLES``): a token acts in its own
organisation with its own role, a session in the organisations where its user has one of those
roles. The figures, their words and their definitions are the page's (``readers.metrics_report``);
``incidents_url`` of a figure is the web drill-down listing the incidents it counts, and the worst
case of a duration names its incident (``summary``) and links to it in the API.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from api.scoping import member_organisation_ids, role_in
from organisations.models import Authority, Party
from readers.metrics import METRICS_ROLES, Filters
from readers.metrics_regimes import GDPR, known_regime, reading
from readers.metrics_report import metrics_json

ID_BOUNDS = {"min_value": 1, "max_value": 2**63 - 1}  # a BigAutoField's range: never a database error


class MetricsQuery(serializers.Serializer):
    organisation = serializers.IntegerField(
        **ID_BOUNDS, required=False, help_text="The organisation; may be left out when the request reads only one."
    )
    period_from = serializers.DateTimeField(
        required=False, help_text="Clocks started at or after this instant (ISO 8601 with its offset)."
    )
    period_until = serializers.DateTimeField(required=False, help_text="Clocks started before this instant.")
    authority = serializers.IntegerField(
        **ID_BOUNDS, required=False, help_text="Only incidents naming or notifying this authority."
    )
    controller = serializers.IntegerField(
        **ID_BOUNDS,
        required=False,
        help_text="Only this controller's clocks (a party of the organisation's directory).",
    )
    regime = serializers.CharField(
        required=False,
        max_length=32,
        help_text=(
            "The regime whose figures are read, a code of the regimes' catalogue (docs/regimes.md): "
            '"gdpr" (the default: the Art. 33 and 34 clocks), or another such as "nis2", "dora", '
            '"hipaa", "sec_8k" (one section per report of that regime).'
        ),
    )

    def to_internal_value(self, data):
        # A filter given empty is a mistake to name, never "no filter" (DRF reads "" as absent).
        blank = {name: [_("This field may not be blank.")] for name in self.fields if data.get(name, None) == ""}
        if blank:
            raise serializers.ValidationError(blank)
        return super().to_internal_value(data)

    def validate_regime(self, value: str) -> str:
        if not known_regime(value):
            raise serializers.ValidationError(
                _("Unknown regime “%(code)s”: use a code of the regimes' catalogue, such as gdpr or nis2.")
                % {"code": value}
            )
        return value

    def validate(self, data):
        start, end = data.get("period_from"), data.get("period_until")
        if start is not None and end is not None and end <= start:
            raise serializers.ValidationError({"period_until": [_("The end of the period is before its start.")]})
        return data


class FigureSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Machine name of the figure, the same in every language.")
    label = serializers.CharField()
    text = serializers.CharField(help_text="The value in words, in the request's language.")
    number = serializers.FloatField(allow_null=True, help_text="A count, a share (0 to 1) or hours.")
    unit = serializers.ChoiceField(choices=["incidents", "share", "hours"])
    incidents_url = serializers.CharField(help_text="The incidents this figure counts (or the one it names).")
    summary = serializers.CharField(help_text="The incident the worst case is, in words.")


class SectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    heading = serializers.CharField()
    text = serializers.CharField(help_text="The definition of the measure.")
    figures = FigureSerializer(many=True)


class MetricsSerializer(serializers.Serializer):
    organisation = serializers.IntegerField()
    period_from = serializers.DateTimeField(allow_null=True)
    period_until = serializers.DateTimeField(allow_null=True)
    regime = serializers.CharField(help_text="The regime whose figures these are.")
    sections = SectionSerializer(many=True)


class MetricsView(APIView):
    """Time-to-notify metrics of one organisation: on time and late, durations, open clocks; the GDPR's
    by default, another regime's reports with ``regime``."""

    @extend_schema(
        parameters=[MetricsQuery],
        responses={
            200: MetricsSerializer,
            400: OpenApiResponse(description="An invalid filter, named by its field."),
            403: OpenApiResponse(description="No role that reads metrics (privacy officer or legal)."),
        },
    )
    def get(self, request):
        query = MetricsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        facts = query.validated_data
        organisation = self._organisation(facts.get("organisation"))
        for name, model, lookup in (("authority", Authority, {}), ("controller", Party, {"owner_id": organisation})):
            if facts.get(name) is not None and not model.objects.filter(pk=facts[name], **lookup).exists():
                raise serializers.ValidationError({name: [_("Unknown %(name)s.") % {"name": model._meta.verbose_name}]})
        filters = Filters(
            organisation_id=organisation,
            period_from=facts.get("period_from"),
            period_until=facts.get("period_until"),
            authority_id=facts.get("authority"),
            controller_id=facts.get("controller"),
            regime=facts.get("regime", GDPR),
        )
        figures = reading(filters, now=timezone.now())
        web_query = {
            "organisation": organisation,
            "from_at": filters.period_from.isoformat() if filters.period_from else None,
            "until_at": filters.period_until.isoformat() if filters.period_until else None,
            "authority": filters.authority_id,
            "controller": filters.controller_id,
            "regime": filters.regime if filters.regime != GDPR else None,
        }
        web_query = {key: value for key, value in web_query.items() if value is not None}

        def link(bucket: str) -> str:
            return f"{reverse('metrics:incidents')}?{urlencode({**web_query, 'bucket': bucket})}"

        def incident_link(pk: int) -> str:
            return reverse("api:incident-detail", args=[pk])

        body = {
            "organisation": organisation,
            "period_from": filters.period_from,
            "period_until": filters.period_until,
            "regime": filters.regime,
            **metrics_json(figures, link, incident_link),
        }
        return Response(MetricsSerializer(body).data)

    def _organisation(self, given: int | None) -> int:
        members = member_organisation_ids(self.request)
        readable = [pk for pk in members if role_in(self.request, pk) in METRICS_ROLES]
        if given is not None and given not in members:
            raise serializers.ValidationError({"organisation": [_("Unknown organisation.")]})
        if given is not None and given not in readable:
            raise PermissionDenied(_("Your role does not allow reading metrics."))
        if given is None:
            if not readable:
                raise PermissionDenied(_("Your role does not allow reading metrics."))
            if len(readable) != 1:
                raise serializers.ValidationError({"organisation": [_("Name the organisation to read.")]})
            return readable[0]
        return given
