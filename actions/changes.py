"""What the actions share when they set facts: the zone an instant was entered in, and setting a
checked set of changes on a model instance."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from breachtrack.errors import field_errors
from organisations.models import User


def actor_zone(actor: User) -> str:
    """The zone a person typed a time in: their own, else the installation's default."""
    return getattr(actor, "time_zone", "") or timezone.get_default_timezone_name()


def apply_changes(obj: object, changes: Mapping[str, Any], allowed: Collection[str], actor: User) -> list[str]:
    """Set ``changes`` on ``obj``; give each new instant the zone it was entered in."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise field_errors(sorted(unknown), _("This field cannot be changed here."), "not_editable")
    for name, value in changes.items():
        setattr(obj, name, value)
    fields = list(changes)
    for name in list(changes):
        if name.endswith("_at") and f"{name[:-3]}_tz" in allowed and f"{name[:-3]}_tz" not in changes:
            tz_field = f"{name[:-3]}_tz"
            setattr(obj, tz_field, actor_zone(actor) if changes[name] is not None else "")
            fields.append(tz_field)
    return fields
