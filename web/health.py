"""``/healthz``: for load balancers and monitoring."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from evidence.health import anchor_health
from notifications.health import sweep_health


@require_GET
def healthz(request):
    """Health for load balancers and monitoring: the database responds and the sweep runs.

    503 when the database does not answer, or when the deadline sweep's heartbeat is older than
    three sweep intervals or missing (a fresh install until its first sweep: see
    notifications.health). The body names the problem; 200 carries the last sweep and its age.
    With anchoring on, a trail not anchored for three intervals is a *warning* (status
    "degraded", still 200: see evidence.health).
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        health = sweep_health()
        anchoring = anchor_health(now=timezone.now())  # the clock the anchoring runs write with
    except DatabaseError:
        return JsonResponse({"status": "failing", "problems": ["database"], "database": "unreachable"}, status=503)
    body = {
        "status": "ok",
        "problems": [],
        "warnings": [],
        "database": "ok",
        "sweep": health.as_json(),
        "anchor": anchoring.as_json(),
    }
    if anchoring.is_warning:
        # Pages are served fine without the TSA: a warning for monitoring, not a 503.
        body.update(status="degraded", warnings=[f"anchor_{anchoring.state}"])
    if health.is_failing:
        body.update(status="failing", problems=[f"sweep_{health.state}"])
        return JsonResponse(body, status=503)
    return JsonResponse(body)
