"""Every write to the facts of other notification regimes (docs/obligations.md) goes through here.

Same contract as ``actions.incidents``: keyword-only ``actor`` and ``reason``, the role checked on
the server (privacy officers write; legal and viewers read only), the whole change validated
before anything is written, one transaction with the incident row locked, and the incident's
deadline rows recomputed in it (``rules.deadlines.recompute_deadlines``, which derives the
regimes' clocks through ``rules.obligations``).

An incident of another organisation is refused like one the actor cannot see at all
(``PermissionDenied``, the same words): an action never tells whether it exists.

Instants: pass an aware datetime, or a wall-clock time without zone together with its
``<name>_tz`` (and ``<name>_fold`` for the hour that happens twice), read through
``rules.timeinput``: a time skipped by a DST change is refused (code ``nonexistent``), a repeated
one needs its fold (code ``ambiguous``). Every instant is held to the register's plausibility
checks (not before the earliest instant, not in the future, not before the breach started).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from actions.changes import actor_zone
from breachtrack.errors import field_error, field_errors
from filings.models import RegimeReportFiling
from incidents.choices import AnchorKind, DeterminationFlag, Status
from incidents.models import AffectedPlace, Incident, IncidentAnchor, IncidentDetermination, RegimeDecision
from incidents.models.incident import check_instant
from organisations.models import Organisation, User
from organisations.services import authorise, require_reason, save_with_history
from rules import obligations
from rules.deadlines import recompute_deadlines
from rules.timeinput import LOCAL_TIME_MESSAGES, Fold, LocalTimeError, local_to_utc

# --- Helpers -------------------------------------------------------------------------------------


def instant(field: str, value: datetime | None, zone_name: str, fold: Fold | str | None = None) -> datetime:
    """``value`` as a UTC instant; a naive value is a wall-clock time in ``zone_name``. Required."""
    if value is None:
        raise field_error(field, _("Give the moment."), "required")
    if not isinstance(value, datetime):
        raise field_error(field, _("Enter a valid date and time."), "invalid")
    if timezone.is_aware(value):
        return value
    try:
        return local_to_utc(value, zone_name, fold or None)
    except LocalTimeError as error:
        message = LOCAL_TIME_MESSAGES.get(error.code, _("Enter a valid date and time."))
        params = {"time": value.strftime("%Y-%m-%d %H:%M"), "zone": zone_name}
        raise field_error(field, message % params, error.code) from None


def _lock_open(incident: Incident) -> Incident:
    """The incident row, locked until commit; a closed entry takes no new facts."""
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if locked.status == Status.CLOSED:
        raise ValidationError(
            _("This incident is closed: reopen it (with a reason) before changing it."), code="closed"
        )
    return locked


def _recompute(incident: Incident, now: datetime | None) -> None:
    recompute_deadlines(incident, now=now or timezone.now())


# --- Moments (anchors) ---------------------------------------------------------------------------


class AnchorDetails(TypedDict, total=False):
    """What ``record_anchor`` records besides ``kind`` and ``occurred_at`` (which it takes by name)."""

    occurred_tz: str
    occurred_fold: str
    asserted_by: str
    rationale: str


class AnchorFacts(AnchorDetails, total=False):
    """What ``revise_anchor`` may change."""

    occurred_at: datetime


ANCHOR_FIELDS = frozenset(AnchorFacts.__annotations__)


def _apply_anchor(anchor: IncidentAnchor, facts: Mapping[str, object], actor: User) -> list[str]:
    unknown = set(facts) - ANCHOR_FIELDS
    if unknown:
        raise field_errors(sorted(unknown), _("This field cannot be changed here."), "not_editable")
    fields = []
    if "occurred_at" in facts:
        value = facts["occurred_at"]
        zone_name = str(facts.get("occurred_tz") or actor_zone(actor))
        fold = facts.get("occurred_fold")
        anchor.occurred_at = instant("occurred_at", value, zone_name, str(fold) if fold else None)  # type: ignore[arg-type]
        anchor.occurred_tz = zone_name
        fields += ["occurred_at", "occurred_tz"]
    elif "occurred_tz" in facts:
        raise field_error("occurred_tz", _("Give the moment with its zone."), "without_instant")
    for name in ("asserted_by", "rationale"):
        if name in facts:
            setattr(anchor, name, str(facts[name] or "").strip())
            fields.append(name)
    return fields


@transaction.atomic
def record_anchor(
    incident: Incident,
    *,
    kind: str,
    occurred_at: datetime,
    actor: User,
    reason: str,
    now: datetime | None = None,
    **facts: Unpack[AnchorDetails],
) -> IncidentAnchor:
    """Record when the incident was detected, classified as major, ... (one current moment per kind).

    A kind already recorded is refused (code ``repeated``): revise that moment instead. A withdrawn
    one is recorded again on the same row, so its history tells the whole story.
    """
    authorise(actor, incident.organisation)
    require_reason(reason)
    incident = _lock_open(incident)
    if kind not in AnchorKind.values:
        raise field_error("kind", _("Unknown kind of moment."), "invalid_choice")
    anchor = IncidentAnchor.objects.select_for_update().filter(incident=incident, kind=kind).first()
    if anchor is not None and not anchor.is_withdrawn:
        raise field_error(
            "kind",
            _("This moment is recorded already (%(at)s): revise it instead of recording it again.")
            % {"at": anchor.occurred_at.isoformat()},
            "repeated",
        )
    if anchor is None:
        anchor = IncidentAnchor(incident=incident, kind=kind)
    anchor.recorded_by = actor
    anchor.is_withdrawn, anchor.withdrawal_reason = False, ""
    _apply_anchor(anchor, {**facts, "occurred_at": occurred_at}, actor)
    save_with_history(anchor, actor=actor, reason=reason)
    _recompute(incident, now)
    return anchor


@transaction.atomic
def revise_anchor(
    anchor: IncidentAnchor, *, actor: User, reason: str, now: datetime | None = None, **changes: Unpack[AnchorFacts]
) -> IncidentAnchor:
    """Correct a moment; the earlier value stays in its history and the clocks that run from it move."""
    authorise(actor, anchor.incident.organisation)
    require_reason(reason)
    incident = _lock_open(anchor.incident)
    anchor = IncidentAnchor.objects.select_for_update().get(pk=anchor.pk)
    if anchor.is_withdrawn:
        raise ValidationError(_("This moment was withdrawn: record it again instead."), code="withdrawn")
    before = (anchor.occurred_at, anchor.occurred_tz, anchor.asserted_by, anchor.rationale)
    fields = _apply_anchor(anchor, changes, actor)
    if (anchor.occurred_at, anchor.occurred_tz, anchor.asserted_by, anchor.rationale) == before:
        raise ValidationError(_("Nothing was changed."), code="no_change")
    save_with_history(anchor, actor=actor, reason=reason, update_fields=fields)
    _recompute(incident, now)
    return anchor


@transaction.atomic
def withdraw_anchor(
    anchor: IncidentAnchor, *, withdrawal_reason: str, actor: User, reason: str, now: datetime | None = None
) -> IncidentAnchor:
    """Withdraw a moment that turned out wrong: kept and marked, never deleted; its clocks stop."""
    authorise(actor, anchor.incident.organisation)
    require_reason(reason)
    incident = _lock_open(anchor.incident)
    anchor = IncidentAnchor.objects.select_for_update().get(pk=anchor.pk)
    if anchor.is_withdrawn:
        raise ValidationError(_("This moment is withdrawn already."), code="withdrawn")
    anchor.is_withdrawn = True
    anchor.withdrawal_reason = withdrawal_reason
    save_with_history(anchor, actor=actor, reason=reason, update_fields=["is_withdrawn", "withdrawal_reason"])
    _recompute(incident, now)
    return anchor


# --- Determinations ------------------------------------------------------------------------------


@transaction.atomic
def set_determination(
    incident: Incident,
    *,
    name: str,
    value: bool,
    actor: User,
    reason: str,
    rationale: str = "",
    now: datetime | None = None,
) -> IncidentDetermination:
    """Record a yes/no determination (significant, major, material, ...); a change keeps the old answer in history."""
    authorise(actor, incident.organisation)
    require_reason(reason)
    incident = _lock_open(incident)
    if name not in DeterminationFlag.values:
        raise field_error("name", _("Unknown determination."), "invalid_choice")
    if not isinstance(value, bool):
        raise field_error("value", _("Answer yes or no."), "invalid")
    rationale = (rationale or "").strip()
    found = IncidentDetermination.objects.select_for_update().filter(incident=incident, name=name).first()
    if found is not None and (found.value, found.rationale) == (value, rationale):
        raise ValidationError(_("Nothing was changed."), code="no_change")
    determination = found or IncidentDetermination(incident=incident, name=name)
    determination.value, determination.rationale, determination.recorded_by = value, rationale, actor
    save_with_history(determination, actor=actor, reason=reason)
    _recompute(incident, now)
    return determination


# --- People per place of residence ---------------------------------------------------------------


@transaction.atomic
def record_places(
    incident: Incident,
    *,
    counts: Mapping[str, int],
    as_of: datetime,
    actor: User,
    reason: str,
    as_of_tz: str = "",
    as_of_fold: str = "",
    source: str = "",
    now: datetime | None = None,
) -> list[AffectedPlace]:
    """Record how many of the people affected live in each place, as known at ``as_of``.

    ``counts`` maps a country ("NL") or ISO 3166-2 subdivision ("US-CA") to a count (0: nobody
    there after all). Each place keeps one current count; earlier counts stay in its history.
    Every place is checked before any is written: one bad place refuses the whole change.
    """
    authorise(actor, incident.organisation)
    require_reason(reason)
    incident = _lock_open(incident)
    if not counts:
        raise field_error("counts", _("Give at least one place and its count."), "required")
    zone_name = as_of_tz or actor_zone(actor)
    moment = instant("as_of", as_of, zone_name, as_of_fold)
    held = {row.place: row for row in AffectedPlace.objects.select_for_update().filter(incident=incident)}
    rows: list[AffectedPlace] = []
    errors: dict[str, list] = {}
    for place, count in sorted(counts.items()):
        code = str(place or "").strip().upper()
        row = held.get(code) or AffectedPlace(incident=incident, place=code)
        row.count, row.as_of, row.as_of_tz, row.source, row.recorded_by = count, moment, zone_name, source, actor
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            errors.setdefault("counts", []).append(
                ValidationError(
                    _("%(place)s: a count is a whole number, 0 or more."), code="invalid", params={"place": code}
                )
            )
            continue
        try:
            row.full_clean()
        except ValidationError as error:
            for name, items in error.message_dict.items():
                errors.setdefault(name, []).extend(f"{code}: {message}" for message in items)
            continue
        rows.append(row)
    if errors:
        raise ValidationError(errors)
    for row in rows:
        save_with_history(row, actor=actor, reason=reason, validate=False)
    _recompute(incident, now)
    return rows


# --- Decisions: does a regime apply? -------------------------------------------------------------


@transaction.atomic
def decide_regime(
    incident: Incident,
    *,
    regime: str,
    applies: bool,
    reasoning: str,
    actor: User,
    reason: str,
    now: datetime | None = None,
) -> RegimeDecision:
    """Confirm (``applies=True``) or reject a notification regime for the incident, with the reasoning.

    Only a confirmed regime runs clocks; a rejection after a confirmation deactivates them (their
    rows and alerts are kept). ``regime`` must be a code of the regimes' catalogue.
    """
    authorise(actor, incident.organisation)
    require_reason(reason)
    incident = _lock_open(incident)
    if regime not in obligations.regime_codes():
        raise field_error("regime", _("Unknown regime."), "unknown_regime")
    if not isinstance(applies, bool):
        raise field_error("applies", _("Answer yes or no."), "invalid")
    decision = RegimeDecision(
        incident=incident,
        regime=regime,
        applies=applies,
        reasoning=reasoning,
        decided_at=now or timezone.now(),
        recorded_by=actor,
    )
    save_with_history(decision, actor=actor, reason=reason)
    _recompute(incident, now)
    return decision


# --- Reports made under a regime -----------------------------------------------------------------


@transaction.atomic
def record_regime_report_filing(
    incident: Incident,
    *,
    regime: str,
    report: str,
    submitted_at: datetime,
    actor: User,
    reason: str,
    submitted_tz: str = "",
    submitted_fold: str = "",
    reference: str = "",
    summary: str = "",
    now: datetime | None = None,
) -> RegimeReportFiling:
    """Record that a regime's report was submitted to its recipient (meets its clock, starts chained ones).

    Steps: 1. role, lock; 2. the regime is confirmed for the incident and ``report`` is one of
    the reports of the rule version its clocks run on (the recipient is the report's); 3. the
    instant (plausible, not before the breach); 4. save with history, recompute.
    """
    authorise(actor, incident.organisation)
    require_reason(reason)
    now = now or timezone.now()
    incident = _lock_open(incident)
    if regime not in obligations.regime_codes():
        raise field_error("regime", _("Unknown regime."), "unknown_regime")
    version = obligations.version_for_filing(incident, regime)
    if version is None:
        raise field_error(
            "regime",
            _("Confirm that this regime applies to the incident first (with its moments recorded)."),
            "not_confirmed",
        )
    found = next((item for item in version.reports if item.code == report), None)
    if found is None:
        raise field_error("report", _("This regime has no such report."), "unknown_report")
    zone_name = submitted_tz or actor_zone(actor)
    moment = instant("submitted_at", submitted_at, zone_name, submitted_fold)
    errors: dict[str, list] = {}
    check_instant(errors, "submitted_at", moment, now)
    if moment is not None and incident.occurred_from_at and moment < incident.occurred_from_at:
        errors.setdefault("submitted_at", []).append(
            ValidationError(_("This cannot come before the breach started."), code="before_start")
        )
    if errors:
        raise ValidationError(errors)
    filing = RegimeReportFiling(
        incident=incident,
        regime=regime,
        report=report,
        recipient=found.recipient,
        rule_version=version.version,
        submitted_at=moment,
        submitted_tz=zone_name,
        reference=(reference or "").strip(),
        summary=(summary or "").strip(),
        recorded_by=actor,
    )
    save_with_history(filing, actor=actor, reason=reason)
    _recompute(incident, now)
    return filing


# --- The organisation's profile ------------------------------------------------------------------


@transaction.atomic
def set_organisation_profile(
    organisation: Organisation,
    *,
    actor: User,
    reason: str,
    entity_tags: Iterable[str] | None = None,
    established: str | None = None,
    now: datetime | None = None,
) -> Organisation:
    """Set what kind of entity the organisation is (``EntityType`` tags) and where it is established.

    ``established`` is the organisation's country. Both feed the regimes' conditions, so every
    open incident of the organisation has its clocks recomputed (each locked, in id order).
    """
    authorise(actor, organisation)
    require_reason(reason)
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    fields = []
    if entity_tags is not None:
        if isinstance(entity_tags, str):
            raise field_error("entity_tags", _("Expected a list of entity types."), "invalid")
        locked.entity_tags = sorted(set(entity_tags))
        fields.append("entity_tags")
    if established is not None:
        locked.country = (established or "").strip().upper()
        fields.append("country")
    if not fields:
        raise ValidationError(_("Nothing was changed."), code="no_change")
    save_with_history(locked, actor=actor, reason=reason, update_fields=fields)
    incidents = Incident.objects.select_for_update().filter(organisation=locked).exclude(status=Status.CLOSED)
    for incident in incidents.order_by("pk"):
        _recompute(incident, now)
    return locked
