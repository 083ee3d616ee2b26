"""The register pages: read-only views for privacy officers, legal and viewers.

Every query goes through ``visible_to(request.user)``: another organisation's
incident is a 404, indistinguishable from one that does not exist.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from incidents.models import Incident
from incidents.selectors import register_view
from notifications.health import sweep_health


@require_GET
@login_required
def incident_list(request):
    incidents = Incident.objects.visible_to(request.user).select_related("organisation").order_by("-created_at", "-pk")
    page = Paginator(incidents, 50).get_page(request.GET.get("page"))
    return render(request, "incidents/incident_list.html", {"page": page})


@require_GET
@login_required
def incident_detail(request, pk: int):
    incident = get_object_or_404(Incident.objects.visible_to(request.user).select_related("organisation"), pk=pk)
    return render(request, "incidents/incident_detail.html", {"r": register_view(incident, now=timezone.now())})


@require_GET
def healthz(request):
    """Health for load balancers and monitoring: the database responds and the sweep runs.

    503 when the database does not answer, or when the deadline sweep's heartbeat is older than
    three sweep intervals or missing (a fresh install until its first sweep: see
    notifications.health). The body names the problem; 200 carries the last sweep and its age.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        health = sweep_health()
    except DatabaseError:
        return JsonResponse({"status": "failing", "problems": ["database"], "database": "unreachable"}, status=503)
    body = {"status": "ok", "problems": [], "database": "ok", "sweep": health.as_json()}
    if health.is_failing:
        body.update(status="failing", problems=[f"sweep_{health.state}"])
        return JsonResponse(body, status=503)
    return JsonResponse(body)
