"""``{% can_record_incidents as flag %}``: whether to offer the "New incident" link (one query).

Only an offer: the intake view checks the role again on every request.
"""

from django import template

from organisations.models import Role
from organisations.tenancy import active_memberships

register = template.Library()


@register.simple_tag(takes_context=True)
def can_record_incidents(context) -> bool:
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return False
    return active_memberships(user).filter(role=Role.PRIVACY_OFFICER).exists()
