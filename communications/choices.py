"""The vocabulary of Art. 34 communication. Labels cite the article."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Exemption(models.TextChoices):
    NONE = "none", _("No exemption: communicate to data subjects (Art. 34(1))")
    UNINTELLIGIBLE = "unintelligible", _("Data unintelligible to the attacker, e.g. encrypted (Art. 34(3)(a))")
    SUBSEQUENT_MEASURES = "subsequent_measures", _("Later measures make the high risk no longer likely (Art. 34(3)(b))")
    DISPROPORTIONATE_EFFORT = (
        "disproportionate_effort",
        _("Disproportionate effort: a public communication is owed instead (Art. 34(3)(c))"),
    )


# Exemptions after which nothing more is owed to data subjects (the clock closes).
CLOSING_EXEMPTIONS = frozenset({Exemption.UNINTELLIGIBLE, Exemption.SUBSEQUENT_MEASURES})


class AuthorityDecision(models.TextChoices):
    NONE = "none", _("No decision by the authority")
    ORDERED = "ordered", _("The authority ordered the communication (Art. 34(4))")
    EXEMPTION_APPLIES = "exemption_applies", _("The authority decided an Art. 34(3) condition is met (Art. 34(4))")


class WaveChannel(models.TextChoices):
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Phone")
    PUBLIC_NOTICE = "public_notice", _("Public notice (Art. 34(3)(c))")
    WEBSITE = "website", _("Website (Art. 34(3)(c))")


# Channels that count as a public communication for Art. 34(3)(c).
PUBLIC_CHANNELS = frozenset({WaveChannel.PUBLIC_NOTICE, WaveChannel.WEBSITE})


class IdentifierKind(models.TextChoices):
    BSN = "bsn", _("Citizen service number (BSN)")
    EMAIL = "email", _("E-mail address")


class ImportStatus(models.TextChoices):
    DONE = "done", _("Imported")
    REJECTED = "rejected", _("Rejected: nothing imported")


class ImportKind(models.TextChoices):
    RECIPIENTS = "recipients", _("Recipients of the wave")
    BOUNCES = "bounces", _("Returned or undeliverable (bounces)")


class RecipientStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    SENT = "sent", _("Sent")
    BOUNCED = "bounced", _("Bounced or undeliverable")
