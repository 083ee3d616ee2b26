"""The vocabulary of filings to a supervisory authority. Labels cite the article."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FilingType(models.TextChoices):
    INITIAL = "initial", _("Initial notification (Art. 33(1))")
    FOLLOW_UP = "follow_up", _("Follow-up: further information in phases (Art. 33(4))")
    WITHDRAWAL = "withdrawal", _("Withdrawal of the notification")


class FilingChannel(models.TextChoices):
    AP_FORM = "ap_form", _("AP online form (meldformulier datalekken)")
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")
    PORTAL = "portal", _("Authority portal")
    PHONE = "phone", _("Phone")


class NotNotifiedBasis(models.TextChoices):
    """Why a controller did not notify the authority (kept in the register, Art. 33(5))."""

    UNLIKELY_RISK = (
        "unlikely_risk",
        _("Unlikely to result in a risk to the rights and freedoms of persons (Art. 33(1))"),
    )
    UNINTELLIGIBLE = (
        "unintelligible",
        _(
            "Data unintelligible to anyone unauthorised, e.g. strongly encrypted with the key safe (Art. 33(1), EDPB 9/2022)"
        ),
    )
    NO_PERSONAL_DATA = "no_personal_data", _("No personal data was affected: not a personal-data breach (Art. 4(12))")


class ReporterFunction(models.TextChoices):
    """The function of the person who files, as the EDPB template asks it."""

    DPO = "dpo", _("Data protection officer")
    LEGAL_REPRESENTATIVE = "legal_representative", _("Legal representative")
    OTHER = "other", _("Authorised representative or other (describe)")


class TemplateAnswer(models.TextChoices):
    """A yes/no/unknown answer the EDPB template asks of a filing (police report, cross-border)."""

    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Unknown")


# The countries of the European Economic Area (ISO 3166-1 alpha-2): where a controller can have
# an establishment for the EDPB template's cross-border section (Art. 56).
EEA_COUNTRIES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IS IT LI LT LU LV MT NL NO PL PT RO SE SI SK".split()
)
