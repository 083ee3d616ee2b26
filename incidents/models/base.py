"""What every asserted fact carries."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RecordedFact(models.Model):
    """A fact asserted by a person. *Who typed it in, and when* is kept apart
    from *when it happened*: "when did you know" and "when did you write it
    down" are different questions for a regulator."""

    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        abstract = True
