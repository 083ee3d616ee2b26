"""Guided pages for awareness per party and for a processor's notice: record and correct.

In the product, not the admin, and scoped to one incident: another organisation's incident, or a
record of another incident, is a 404 before any role is considered; only a privacy officer may
open or post the forms (legal and viewer get a 403, decided before the input is read). Bad input
re-renders the form with the message on its field and status 400; the action runs in one
transaction and writes nothing when it refuses. On success the person is back on the incident
page with a message in their language, the moment shown in their zone with the zone named.

A controller's awareness that came from its processor *is* that processor's notice
(``actions.incidents.record_awareness``): its correction page is the notice's.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from actions import incidents as services
from incidents.models import AwarenessRecord, Incident, ProcessorNotice
from organisations.services import authorise
from web.incidents.awareness_forms import (
    CorrectAwarenessForm,
    CorrectNoticeForm,
    RecordAwarenessForm,
    RecordNoticeForm,
)
from web.templatetags.register import instant_format


def _incident(request, pk: int) -> Incident:
    """The incident (404 outside the user's organisations), then the role (403 unless an officer)."""
    incident = get_object_or_404(Incident.objects.visible_to(request.user).select_related("organisation"), pk=pk)
    authorise(request.user, incident.organisation)
    return incident


def local_moment(at) -> str:
    """An instant in the reader's zone, the zone named: 'Wed 6 Aug 2025, 11:00 CEST (Europe/Amsterdam)'."""
    local = timezone.localtime(at)
    return f"{date_format(local, instant_format())} {local.tzname()} ({timezone.get_current_timezone_name()})"


def _form_page(request, incident, form, *, title: str, intro: str, action: str, status: int = 200, extra=None):
    context = {"incident": incident, "form": form, "title": title, "intro": intro, "action": action, **(extra or {})}
    return render(request, "incidents/awareness_form.html", context, status=status)


def _handle(request, incident, form, *, write, done, page):
    """GET: the form. POST: valid and accepted → back to the incident page with ``done(row)``."""
    if request.method == "POST":
        if form.is_valid():
            try:
                row = write(**form.service_arguments())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, done(row))
                return redirect(reverse("incidents:detail", args=[incident.pk]) + "#parties")
        return page(status=400)
    return page(status=200)


def _awareness_done(record: AwarenessRecord) -> str:
    if record.processor_notice_id is not None:
        return _(
            "Recorded: %(party)s became aware at %(at)s, told by %(processor)s. "
            "The processor's notice is recorded with it."
        ) % {
            "party": record.party.party,
            "at": local_moment(record.aware_at),
            "processor": record.processor_notice.relationship.processor.party,
        }
    return _("Recorded: %(party)s became aware at %(at)s.") % {
        "party": record.party.party,
        "at": local_moment(record.aware_at),
    }


def _notice_done(notice: ProcessorNotice) -> str:
    return _("Recorded: %(processor)s told %(controller)s at %(at)s; %(controller)s is aware from then.") % {
        "processor": notice.relationship.processor.party,
        "controller": notice.relationship.controller.party,
        "at": local_moment(notice.informed_at),
    }


@require_http_methods(["GET", "POST"])
@login_required
def record_awareness(request, pk: int):
    incident = _incident(request, pk)
    form = RecordAwarenessForm(request.POST if request.method == "POST" else None, incident=incident, user=request.user)
    initial_party = request.GET.get("party", "")
    if request.method == "GET" and initial_party.isdigit() and int(initial_party) in form.parties:
        form.initial["party"] = int(initial_party)
    return _handle(
        request,
        incident,
        form,
        write=lambda **arguments: services.record_awareness(incident, actor=request.user, **arguments),
        done=_awareness_done,
        page=lambda status: _form_page(
            request,
            incident,
            form,
            status=status,
            title=_("Record when a party became aware"),
            intro=_(
                "Each controller has its own 72 hours (Art. 33(1)), from when it became aware. A controller "
                "told by its processor is aware from that notice: choose that source, and the notice is "
                "recorded with it. One record per party and source; to change one, correct it."
            ),
            action=reverse("incidents:record_awareness", args=[incident.pk]),
        ),
    )


@require_http_methods(["GET", "POST"])
@login_required
def correct_awareness(request, pk: int, record_pk: int):
    incident = _incident(request, pk)
    record = get_object_or_404(AwarenessRecord.objects.select_related("party__party"), incident=incident, pk=record_pk)
    if record.processor_notice_id is not None:  # derived: it changes with its notice only
        return redirect("incidents:correct_notice", pk=incident.pk, notice_pk=record.processor_notice_id)
    form = CorrectAwarenessForm(request.POST if request.method == "POST" else None, record=record, user=request.user)
    return _handle(
        request,
        incident,
        form,
        write=lambda **arguments: services.correct_awareness(record, actor=request.user, **arguments),
        done=lambda corrected: (
            _("Corrected: %(party)s became aware at %(at)s. The earlier value stays in the history.")
            % {"party": corrected.party.party, "at": local_moment(corrected.aware_at)}
        ),
        page=lambda status: _form_page(
            request,
            incident,
            form,
            status=status,
            title=_("Correct the awareness of %(party)s") % {"party": record.party.party},
            intro=_("A correction is kept as a new version; the earlier one stays in the history."),
            action=reverse("incidents:correct_awareness", args=[incident.pk, record.pk]),
        ),
    )


@require_http_methods(["GET", "POST"])
@login_required
def record_notice(request, pk: int):
    incident = _incident(request, pk)
    form = RecordNoticeForm(request.POST if request.method == "POST" else None, incident=incident, user=request.user)
    initial = request.GET.get("relationship", "")
    if request.method == "GET" and initial.isdigit() and int(initial) in form.relationships:
        form.initial["relationship"] = int(initial)

    def write(*, relationship, **arguments):
        return services.record_processor_notice(relationship, actor=request.user, **arguments)

    return _handle(
        request,
        incident,
        form,
        write=write,
        done=_notice_done,
        page=lambda status: _form_page(
            request,
            incident,
            form,
            status=status,
            title=_("Record a processor's notice to a controller"),
            intro=_(
                "The processor tells each controller without undue delay (Art. 33(2)). The controller is aware "
                "from this notice: its awareness is recorded with it, never twice."
            ),
            action=reverse("incidents:record_notice", args=[incident.pk]),
            extra={"no_relationship": not form.relationships},
        ),
    )


@require_http_methods(["GET", "POST"])
@login_required
def correct_notice(request, pk: int, notice_pk: int):
    incident = _incident(request, pk)
    notice = get_object_or_404(
        ProcessorNotice.objects.select_related("relationship__processor__party", "relationship__controller__party"),
        relationship__incident=incident,
        pk=notice_pk,
    )
    form = CorrectNoticeForm(request.POST if request.method == "POST" else None, notice=notice, user=request.user)
    return _handle(
        request,
        incident,
        form,
        write=lambda **arguments: services.correct_processor_notice(notice, actor=request.user, **arguments),
        done=lambda corrected: (
            _("Corrected: %(processor)s told %(controller)s at %(at)s. The controller's awareness follows.")
            % {
                "processor": corrected.relationship.processor.party,
                "controller": corrected.relationship.controller.party,
                "at": local_moment(corrected.informed_at),
            }
        ),
        page=lambda status: _form_page(
            request,
            incident,
            form,
            status=status,
            title=_("Correct the notice: %(relationship)s") % {"relationship": notice.relationship},
            intro=_(
                "The controller's awareness is this notice: correcting the moment here moves it, and its "
                "72 hours, too. The earlier value stays in the history."
            ),
            action=reverse("incidents:correct_notice", args=[incident.pk, notice.pk]),
        ),
    )
