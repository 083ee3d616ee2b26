"""The notifications app's models, split by concern.

* ``deadlines``: what the sweep derives and detects (Deadline, AlertEvent, SweepHeartbeat).
* ``delivery``: who is told, how, and what happened when we tried (WebhookEndpoint,
  Notification, Delivery, DeliveryAttempt).
"""

from notifications.models.deadlines import (
    DEADLINE_KIND_CHOICES,
    AlertEvent,
    Deadline,
    DeadlineKind,
    DeadlineQuerySet,
    RegimeDeadlineKind,
    SweepHeartbeat,
)
from notifications.models.delivery import (
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Notification,
    WebhookEndpoint,
)

__all__ = [
    "DEADLINE_KIND_CHOICES",
    "AlertEvent",
    "Channel",
    "Deadline",
    "DeadlineKind",
    "DeadlineQuerySet",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryStatus",
    "Notification",
    "RegimeDeadlineKind",
    "SweepHeartbeat",
    "WebhookEndpoint",
]
