"""Deadlines derived from the register, and the alerts their thresholds raise.

Detection only, kept apart from delivery: a passed threshold becomes an ``AlertEvent`` row guarded by a
unique constraint; delivering it (e-mail, webhooks, an in-app list) is a later step that will
claim these rows.
"""

from __future__ import annotations

from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from incidents.models import Incident
from organisations.models import AlertPolicy
from organisations.tenancy import ScopedQuerySet


class DeadlineKind(models.TextChoices):
    # Values are the keys of rules.clocks.DEFAULT_RULES (a test keeps the two in step).
    AUTHORITY_NOTIFICATION = "authority_notification", _("Notify the supervisory authority (GDPR Art. 33(1))")
    PROCESSOR_NOTICE = "processor_notice", _("Processor informs the controller (GDPR Art. 33(2))")
    DATA_SUBJECT_COMMUNICATION = "data_subject_communication", _("Communicate to data subjects (GDPR Art. 34(1))")
    FOLLOW_UP = "follow_up", _("Further information in phases (GDPR Art. 33(4))")
    EXTORTION_COUNTDOWN = "extortion_countdown", _("Threat actor's countdown (operational, not a legal deadline)")


class RegimeDeadlineKind(models.TextChoices):
    """The kind of the clocks of other notification regimes (NIS2, DORA, ...; docs/obligations.md).

    Kept apart from ``DeadlineKind``, whose values are exactly the GDPR clocks (and the extortion
    countdown) of ``rules.clocks.DEFAULT_RULES``: a regime's periods and legal bases come from its
    data file, one row per report (``regime``, ``report``, ``recipient``, ``rule_version``).
    """

    REGIME_REPORT = "regime_report", _("Report under another notification regime (its period from the regime's rules)")


# Every kind a Deadline row can have.
DEADLINE_KIND_CHOICES = [*DeadlineKind.choices, *RegimeDeadlineKind.choices]


class DeadlineQuerySet(ScopedQuerySet):
    """Deadline is derived state, not evidence, so ``update()`` is allowed (the sweep's
    compare-and-set); reads are scoped like every tenant-owned row."""

    tenant_lookup = "incident__organisation"

    def due(self, now):
        """What the sweep looks at: rows whose next alert moment has come.

        Annotated with the organisation's alert policy for the row's kind (subqueries in the same
        query), so ``deadlines.rule_for`` costs the sweep no query per row.
        """
        return self.filter(next_alert_at__lte=now).with_alert_policy().order_by("next_alert_at", "pk")

    def with_alert_policy(self):
        """Each row annotated with its organisation's alert policy for its kind (one query in all).

        Subqueries, not a join: the sweep locks the rows it picks (``FOR UPDATE``), and a join would
        lock the incident too, making the sweep skip rows whose incident a service is editing.
        """
        # order_by(): the models' default orderings would add a join and a sort to every subquery.
        organisation_id = (
            Incident.objects.filter(pk=OuterRef(OuterRef("incident_id"))).order_by().values("organisation_id")
        )
        policy = AlertPolicy.objects.filter(
            organisation_id=Subquery(organisation_id[:1]), kind=OuterRef("kind")
        ).order_by()
        return self.annotate(
            alert_policy_id=Subquery(policy.values("pk")[:1]),
            alert_policy_thresholds=Subquery(
                policy.values("thresholds_before_minutes")[:1], output_field=models.JSONField()
            ),
            alert_policy_overdue=Subquery(policy.values("overdue_repeat_minutes")[:1]),
        )


class Deadline(models.Model):
    """One clock of one incident (per controller, per processing relationship, per regime report).

    **Derived state, deliberately not historied.** Every column is recomputed by
    ``rules.deadlines.recompute_deadlines`` from historied facts (awareness records,
    processing relationships, processor notices), so the evidence is the history of those facts;
    the sweep rewrites ``next_alert_at`` with a compare-and-set ``update()`` several times a
    day per row, which would only add noise to an audit trail. What the sweep detected is kept
    in ``AlertEvent``, which is append-only.
    """

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="deadlines", verbose_name=_("incident")
    )
    party = models.ForeignKey(
        "incidents.IncidentParty",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deadlines",
        verbose_name=_("party"),
        help_text=_("The party whose awareness started this clock."),
    )
    relationship = models.ForeignKey(
        "incidents.ProcessingRelationship",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deadlines",
        verbose_name=_("processing relationship"),
    )
    extortion_threat = models.ForeignKey(
        "incidents.ExtortionThreat",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deadlines",
        verbose_name=_("extortion threat"),
        help_text=_("The threat whose countdown this is (one clock per threat)."),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=DEADLINE_KIND_CHOICES)
    # A regime report's clock (kind regime_report): codes of the regimes' catalogue; blank otherwise.
    regime = models.SlugField(_("regime"), max_length=32, blank=True)
    report = models.SlugField(_("report"), max_length=64, blank=True)
    recipient = models.SlugField(_("recipient"), max_length=64, blank=True)
    rule_version = models.CharField(
        _("version of the rules"),
        max_length=32,
        blank=True,
        help_text=_("The version of the regime's rules the clock was computed with; kept once set."),
    )
    started_at = models.DateTimeField(_("clock started at"))
    due_at = models.DateTimeField(_("due at"))
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    is_legal_deadline = models.BooleanField(
        _("legal deadline"), help_text=_("False for targets ('without undue delay').")
    )
    next_alert_at = models.DateTimeField(
        _("next alert at"), null=True, blank=True, help_text=_("Empty: nothing pending.")
    )
    next_alert_label = models.CharField(_("next alert"), max_length=32, blank=True)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("False once the facts that started the clock were withdrawn."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = DeadlineQuerySet.as_manager()

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["incident", "due_at", "pk"]
        constraints = [
            # Two partial constraints instead of nulls_distinct=False (PostgreSQL only): a NULL
            # party or relationship would otherwise make every row distinct on SQLite.
            models.UniqueConstraint(
                fields=["incident", "kind", "party"],
                condition=models.Q(relationship__isnull=True),
                name="deadline_once_per_party",
            ),
            models.UniqueConstraint(
                fields=["incident", "kind", "relationship"],
                condition=models.Q(relationship__isnull=False),
                name="deadline_once_per_relationship",
            ),
            models.UniqueConstraint(
                fields=["incident", "kind", "extortion_threat"],
                condition=models.Q(extortion_threat__isnull=False),
                name="deadline_once_per_threat",
            ),
            models.UniqueConstraint(
                fields=["incident", "regime", "report", "recipient"],
                condition=models.Q(kind="regime_report"),
                name="deadline_once_per_regime_report",
            ),
        ]
        indexes = [
            # Only reader: actions.sweep.handle_one_due_deadline (next_alert_at <= now,
            # ordered by next_alert_at). Rows with nothing pending stay out of the index.
            models.Index(
                fields=["next_alert_at"],
                condition=models.Q(next_alert_at__isnull=False),
                name="deadline_due_alert",
            ),
            # Only reader: readers.dashboard.by_urgency (each incident's nearest pending deadline:
            # its join to the pending rows, when the planner looks them up per incident). Met and
            # inactive clocks stay out of the index.
            models.Index(
                fields=["incident", "due_at"],
                condition=models.Q(is_active=True, met_at__isnull=True),
                name="deadline_pending_by_incident",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} due {self.due_at.isoformat()}"


class AlertEvent(models.Model):
    """A threshold of a deadline that passed: detected once, delivered later.

    Append-only by convention: code creates these and never updates or deletes them. The unique
    constraint makes a second sweep (or a retried one) unable to record the same threshold twice;
    a corrected awareness moves ``due_at`` and so gets fresh events.
    """

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("deadline"))
    label = models.CharField(_("threshold"), max_length=32, help_text=_("before:48h, due, overdue:12h, ..."))
    due_at = models.DateTimeField(_("due at (when detected)"))
    fired_at = models.DateTimeField(_("fired at"), help_text=_("The database clock when the sweep detected it."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("alert event")
        verbose_name_plural = _("alert events")
        ordering = ["fired_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["deadline", "label", "due_at"], name="alert_once_per_threshold"),
        ]

    def __str__(self):
        return f"{self.deadline}: {self.label}"


class SweepHeartbeat(models.Model):
    """One row (id=1): when the sweep last ran and how many alerts it recorded then."""

    last_sweep_at = models.DateTimeField(_("last sweep at"))
    last_found = models.PositiveIntegerField(_("alerts recorded by the last sweep"), default=0)

    class Meta:
        verbose_name = _("sweep heartbeat")
        verbose_name_plural = _("sweep heartbeat")

    def __str__(self):
        return f"sweep at {self.last_sweep_at.isoformat()}: {self.last_found}"
