"""The guided Art. 34 pages: the assessment, the letter text (with its Art. 34(2) checklist), the waves.

They replace the member admin for the privacy officer. Scoped like every register page:
another organisation's incident (or a wave or text of another incident) is a 404; a legal
or viewer member gets a 403 on GET and POST alike (only the officer records Art. 34
decisions; ``actions.communications`` checks the role again). Bad input re-renders the form
with a precise message and status 400, and writes nothing (each service is one transaction).
On success the page returns to the communications page with a message in the person's
language, with times in their zone.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from actions import communications as services
from communications.models import CommunicationWave, ContentVersion
from incidents.models import Incident
from organisations.services import EDIT_ROLES
from web.communications.forms import AssessmentForm, ContentForm, WaveCountsForm, WaveForm, WaveSentForm
from web.templatetags.register import instant_format

TEMPLATE = "communications/guided_form.html"


def officer_incident(request, pk: int) -> Incident:
    """The incident, if visible (else 404), and only for a privacy officer (else 403)."""
    incident = get_object_or_404(Incident.objects.visible_to(request.user).select_related("organisation"), pk=pk)
    if not Incident.objects.visible_to(request.user, EDIT_ROLES).filter(pk=pk).exists():
        raise PermissionDenied(_("Only a privacy officer records the communication to data subjects."))
    return incident


def local_time(value: datetime) -> str:
    """An instant as the reader reads it: their zone, their language, the zone named."""
    local = timezone.localtime(value)
    return f"{date_format(local, instant_format())} {local.tzname()}"


def add_errors(form, error: ValidationError) -> None:
    """A service's validation error onto the form: on its field when the form shows it."""
    for field, messages_ in getattr(error, "message_dict", {"__all__": error.messages}).items():
        if field.endswith("_tz"):
            field = f"{field[:-3]}_at"
        form.add_error(field if field in form.fields else None, messages_)


def _page(request, incident, form, *, title, intro="", submit, status=200, **extra):
    context = {"incident": incident, "form": form, "title": title, "intro": intro, "submit": submit, **extra}
    return render(request, TEMPLATE, context, status=status)


def _done(request, incident, message: str):
    messages.success(request, message)
    return redirect("communications:incident", pk=incident.pk)


@require_http_methods(["GET", "POST"])
@login_required
def record_assessment(request, pk: int):
    """Record the Art. 34 assessment of one controller of this incident (it supersedes the current one)."""
    incident = officer_incident(request, pk)
    initial = {"controller": request.GET.get("controller")} if request.GET.get("controller", "").isdigit() else {}
    form = AssessmentForm(request.POST or None, incident=incident, user=request.user, initial=initial)
    title = _("Record the Art. 34 assessment")
    intro = _(
        "Is the breach likely to result in a high risk to people? If so, they must be told without undue delay, "
        "unless an Art. 34(3) condition is met. Every decision, also not to communicate, keeps its reasoning."
    )
    page = {"title": title, "intro": intro, "submit": _("Record the assessment")}
    if request.method == "GET":
        return _page(request, incident, form, **page)
    if form.is_valid():
        controller = form.cleaned_data["controller"]
        try:
            assessment = services.record_assessment(
                incident,
                controller=controller,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                **form.service_fields(),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            return _done(
                request,
                incident,
                _("Assessment recorded for %(controller)s: %(verdict)s (decided %(when)s).")
                % {
                    "controller": controller.party,
                    "verdict": assessment.verdict,
                    "when": local_time(assessment.decided_at),
                },
            )
    return _page(request, incident, form, status=400, **page)


def _checklist(form: ContentForm):
    """Each Art. 34(2) element with its field and whether it is confirmed present now."""
    return [(field, bool(field.value())) for field in form.checklist_fields]


def _content_page(request, incident, form, *, content=None, status=200):
    if content is None:
        title, submit = _("New version of the letter text"), _("Save the new version")
    else:
        title = _("Letter text, version %(version)s (%(language)s)") % {
            "version": content.version,
            "language": content.get_language_display(),
        }
        submit = _("Save the correction")
    context = {"incident": incident, "form": form, "content": content, "checklist": _checklist(form)}
    context.update(title=title, submit=submit)
    return render(request, "communications/content_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def new_content(request, pk: int):
    """A new version of the letter text; ``?from=<version id>`` starts from an earlier one."""
    incident = officer_incident(request, pk)
    initial = {}
    source = request.GET.get("from", "")
    if source.isdigit():
        earlier = get_object_or_404(ContentVersion.objects.visible_to(request.user), incident=incident, pk=source)
        initial = {name: getattr(earlier, name) for name in ContentForm.copied_fields}
    form = ContentForm(request.POST or None, initial=initial)
    if request.method == "GET":
        return _content_page(request, incident, form)
    if form.is_valid():
        try:
            content = services.create_content_version(
                incident, actor=request.user, reason=form.cleaned_data["reason"], **form.service_fields()
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            return _done(request, incident, _content_message(content))
    return _content_page(request, incident, form, status=400)


def _content_message(content: ContentVersion) -> str:
    message = _("Letter text “%(title)s” saved as version %(version)s (%(language)s).") % {
        "title": content.title,
        "version": content.version,
        "language": content.get_language_display(),
    }
    if content.missing_elements:
        message += " " + _("Not ready to send: it lacks %(missing)s.") % {
            "missing": "; ".join(label for _flag, label in content.missing_elements)
        }
    return message


@require_http_methods(["GET", "POST"])
@login_required
def edit_content(request, pk: int, content_pk: int):
    """Correct a version that no sent wave used yet; a frozen one is shown, to start a new version from."""
    incident = officer_incident(request, pk)
    content = get_object_or_404(ContentVersion.objects.visible_to(request.user), incident=incident, pk=content_pk)
    initial = {name: getattr(content, name) for name in ContentForm.copied_fields}
    form = ContentForm(request.POST or None, initial=initial, with_language=False)
    if request.method == "GET":
        return _content_page(request, incident, form, content=content)
    if form.is_valid():
        try:
            content = services.update_content_version(
                content, actor=request.user, reason=form.cleaned_data["reason"], **form.service_fields()
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            return _done(request, incident, _content_message(content))
    return _content_page(request, incident, form, content=content, status=400)


def _wave(request, incident, wave_pk: int) -> CommunicationWave:
    return get_object_or_404(
        CommunicationWave.objects.visible_to(request.user).select_related("controller__party", "content_version"),
        incident=incident,
        pk=wave_pk,
    )


@require_http_methods(["GET", "POST"])
@login_required
def plan_wave(request, pk: int):
    """Plan a wave: one controller's cohort, a channel, a version of the letter text, a moment."""
    incident = officer_incident(request, pk)
    form = WaveForm(request.POST or None, incident=incident, user=request.user)
    page = {"title": _("Plan a wave"), "submit": _("Plan the wave")}
    if request.method == "GET":
        return _page(request, incident, form, **page)
    if form.is_valid():
        controller = form.cleaned_data["controller"]
        try:
            wave = services.plan_wave(
                incident,
                controller=controller,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                **form.service_fields(),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            return _done(
                request,
                incident,
                _("Wave “%(cohort)s” planned for %(when)s.")
                % {"cohort": wave.cohort_label, "when": local_time(wave.planned_at)},
            )
    return _page(request, incident, form, status=400, **page)


@require_http_methods(["GET", "POST"])
@login_required
def edit_wave(request, pk: int, wave_pk: int):
    """Change a wave that was not sent yet (its controller stays)."""
    incident = officer_incident(request, pk)
    wave = _wave(request, incident, wave_pk)
    initial = {
        "cohort_label": wave.cohort_label,
        "channel": wave.channel,
        "content_version": wave.content_version_id,
        "planned_at": (wave.planned_at, wave.planned_tz),
        "planned_count": wave.planned_count,
    }
    form = WaveForm(request.POST or None, incident=incident, user=request.user, initial=initial, with_controller=False)
    page = {
        "title": _("Change the wave “%(cohort)s”") % {"cohort": wave.cohort_label},
        "intro": _("Controller: %(controller)s.") % {"controller": wave.controller.party},
        "submit": _("Save the wave"),
        "wave": wave,
    }
    if wave.is_sent:
        page["intro"] = _("This wave was sent: it can no longer be changed. Record its counts instead.")
        page["form_closed"] = True
    if request.method == "GET":
        return _page(request, incident, form, **page)
    if form.is_valid():
        try:
            wave = services.update_wave(
                wave, actor=request.user, reason=form.cleaned_data["reason"], **form.service_fields()
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            return _done(request, incident, _("Wave “%(cohort)s” saved.") % {"cohort": wave.cohort_label})
    return _page(request, incident, form, status=400, **page)


@require_http_methods(["GET", "POST"])
@login_required
def mark_wave_sent(request, pk: int, wave_pk: int):
    """Record that the wave went out; its letter text must meet Art. 34(2) and is then frozen."""
    incident = officer_incident(request, pk)
    wave = _wave(request, incident, wave_pk)
    form = WaveSentForm(request.POST or None, user=request.user)
    missing = wave.content_version.missing_elements
    page = {
        "title": _("Mark the wave “%(cohort)s” as sent") % {"cohort": wave.cohort_label},
        "intro": _("Once the wave is sent, its letter text is frozen: a correction is a new version."),
        "submit": _("Mark as sent"),
        "wave": wave,
        "missing": [label for _flag, label in missing],
    }
    if request.method == "GET":
        return _page(request, incident, form, **page)
    if form.is_valid():
        sent = form.cleaned_data["sent_at"]
        try:
            wave = services.mark_wave_sent(
                wave, sent_at=sent.at, sent_tz=sent.zone, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            return _done(
                request,
                incident,
                _("Wave “%(cohort)s” marked as sent at %(when)s.")
                % {"cohort": wave.cohort_label, "when": local_time(wave.sent_at)},
            )
    return _page(request, incident, form, status=400, **page)


@require_http_methods(["GET", "POST"])
@login_required
def record_wave_counts(request, pk: int, wave_pk: int):
    """Counts of a wave without a recipient ledger (a public notice, a phone campaign)."""
    incident = officer_incident(request, pk)
    wave = _wave(request, incident, wave_pk)
    initial = {"planned_count": wave.planned_count, "sent_count": wave.sent_count, "bounced_count": wave.bounced_count}
    form = WaveCountsForm(request.POST or None, initial=initial)
    page = {
        "title": _("Counts of the wave “%(cohort)s”") % {"cohort": wave.cohort_label},
        "intro": _("For a wave without a recipient ledger: how many were planned, sent and bounced."),
        "submit": _("Record the counts"),
        "wave": wave,
    }
    if wave.has_ledger:
        page["intro"] = _("This wave's counts come from its recipient ledger.")
        page["form_closed"] = True
    if request.method == "GET":
        return _page(request, incident, form, **page)
    if form.is_valid():
        counts = {name: form.cleaned_data[name] for name in ("planned_count", "sent_count", "bounced_count")}
        try:
            wave = services.record_wave_counts(wave, actor=request.user, reason=form.cleaned_data["reason"], **counts)
        except ValidationError as error:
            add_errors(form, error)
        else:
            return _done(
                request,
                incident,
                _("Counts of “%(cohort)s” recorded: %(planned)s planned, %(sent)s sent, %(bounced)s bounced.")
                % {
                    "cohort": wave.cohort_label,
                    "planned": wave.planned_count,
                    "sent": wave.sent_count,
                    "bounced": wave.bounced_count,
                },
            )
    return _page(request, incident, form, status=400, **page)
