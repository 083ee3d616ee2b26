"""The notifications page: a person's own alerts, and their organisations' delivery problems.

A person sees only their own notifications (another person's id is a 404) and only the failed
deliveries of organisations they are a member of. The query count does not grow with the data:
one page of notifications with everything it shows joined in, one count, one list of problems.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from actions import notifications as services
from notifications.messages import party_label, threshold_text
from notifications.models import Delivery, DeliveryStatus, Notification

PAGE_SIZE = 25
PROBLEMS_SHOWN = 20
_DEADLINE_CHAIN = (
    "deadline__incident",
    "deadline__party__party",
    "deadline__relationship__processor__party",
    "deadline__relationship__controller__party",
)


def _rows(notifications):
    for notification in notifications:
        event = notification.alert_event
        yield {
            "notification": notification,
            "event": event,
            "incident": event.deadline.incident,
            "kind": event.deadline.get_kind_display(),
            "party": party_label(event.deadline),
            "threshold": threshold_text(event.label),
        }


def _problems(user):
    failed = Delivery.objects.visible_to(user).filter(status=DeliveryStatus.FAILED)
    shown = failed.select_related("user", "endpoint", *(f"alert_event__{path}" for path in _DEADLINE_CHAIN)).order_by(
        "-created_at", "-pk"
    )[:PROBLEMS_SHOWN]
    return [{"delivery": delivery, "threshold": threshold_text(delivery.alert_event.label)} for delivery in shown]


@require_GET
@login_required
def inbox(request):
    notifications = Notification.objects.for_user(request.user).select_related(
        *(f"alert_event__{path}" for path in _DEADLINE_CHAIN)
    )
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "rows": list(_rows(page.object_list)), "problems": _problems(request.user)},
    )


def _back(request):
    page = request.POST.get("page", "")
    url = reverse("notifications:inbox")
    return redirect(f"{url}?page={int(page)}" if page.isdigit() else url)


@require_POST
@login_required
def mark_read(request, pk: int):
    notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
    services.mark_notification_read(request.user, notification.pk)
    return _back(request)


@require_POST
@login_required
def mark_all_read(request):
    count = services.mark_all_notifications_read(request.user)
    messages.success(
        request,
        ngettext("Marked %(count)d notification as read.", "Marked %(count)d notifications as read.", count)
        % {"count": count},
    )
    return _back(request)
