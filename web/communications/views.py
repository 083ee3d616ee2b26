"""The Art. 34 pages: an incident's communications, the ledger upload, the lookup.

Every query is scoped with ``visible_to(request.user)``: another organisation's incident or
wave is a 404. Writes go through ``actions.ledger`` (role-checked there as well).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from actions import ledger
from actions import recipient_imports as jobs
from actions.communications import current_assessment
from breachtrack.uploads import refuse_oversized_upload, takes_uploads, too_large_message
from communications.choices import ImportKind
from communications.models import CommunicationWave, ImportJob
from incidents.models import Incident
from organisations.models import Organisation
from organisations.services import EDIT_ROLES, READ_ROLES
from organisations.tenancy import organisation_ids
from web.communications.forms import LedgerUploadForm, LookupForm


@require_GET
@login_required
def incident_communications(request, pk: int):
    incident = get_object_or_404(Incident.objects.visible_to(request.user), pk=pk)
    controllers = [party for party in incident.parties.select_related("party") if party.is_controller]
    rows = [(party, current_assessment(party)) for party in controllers]
    waves = incident.communication_waves.select_related("controller__party", "content_version").order_by(
        "planned_at", "pk"
    )
    deadlines = {d.party_id: d for d in incident.deadlines.filter(kind="data_subject_communication")}
    may_edit = Incident.objects.visible_to(request.user, EDIT_ROLES).filter(pk=pk).exists()
    return render(
        request,
        "communications/incident.html",
        {
            "incident": incident,
            "rows": [(p, a, deadlines.get(p.pk)) for p, a in rows],
            "waves": waves,
            "contents": incident.content_versions.order_by("language", "-version"),
            "may_edit": may_edit,
        },
    )


@takes_uploads
@require_http_methods(["GET", "POST"])
@login_required
def upload_ledger(request, wave_pk: int):
    wave = get_object_or_404(CommunicationWave.objects.visible_to(request.user).select_related("incident"), pk=wave_pk)
    form = LedgerUploadForm(request.POST or None, request.FILES or None)
    refused = refuse_oversized_upload(request, "communications/upload.html", {"wave": wave}, form)
    if refused is not None:
        return refused
    if request.method == "POST" and form.is_valid():
        upload, is_bounces = form.cleaned_data["file"], form.cleaned_data["kind"] == ImportKind.BOUNCES
        if upload.size > settings.BREACHTRACK_LEDGER_MAX_BYTES:
            form.add_error("file", too_large_message(upload.size, settings.BREACHTRACK_LEDGER_MAX_BYTES))
            return render(request, "communications/upload.html", {"wave": wave, "form": form}, status=413)
        if not is_bounces and upload.size > settings.BREACHTRACK_LEDGER_SYNC_MAX_BYTES:
            return _queue(request, wave, form)
        try:
            report = _import(wave, upload, is_bounces, actor=request.user, reason=form.cleaned_data["reason"])
        except PermissionDenied as refusal:
            form.add_error(None, str(refusal) or _("Your role does not allow this change."))
            status = 403
        except ValidationError as error:
            for message in getattr(error, "message_dict", {}).get("file", error.messages):
                form.add_error("file", message)
            status = 400
        else:
            if report.is_repeat:
                messages.info(request, _("This file was imported before; nothing changed."))
            elif is_bounces:
                messages.success(
                    request,
                    _("%(added)d recipients marked as bounced (%(present)d were not in this wave or already marked).")
                    % {
                        "added": report.batch.rows_added,
                        "present": report.batch.rows_already_present,
                    },
                )
            else:
                messages.success(
                    request,
                    _("%(added)d recipients added (%(present)d were already in this wave).")
                    % {
                        "added": report.batch.rows_added,
                        "present": report.batch.rows_already_present,
                    },
                )
            return redirect("communications:incident", pk=wave.incident_id)
        return render(request, "communications/upload.html", {"wave": wave, "form": form}, status=status)
    # A refused form is a 400, so scripts and tests can tell a refusal from the empty form.
    status = 400 if request.method == "POST" else 200
    return render(request, "communications/upload.html", {"wave": wave, "form": form}, status=status)


def _import(wave, upload, is_bounces: bool, *, actor, reason):
    if is_bounces:
        return ledger.import_bounces(
            wave, upload, file_name=upload.name, bounced_at=timezone.now(), actor=actor, reason=reason
        )
    return ledger.import_recipients(wave, upload, file_name=upload.name, actor=actor, reason=reason)


def _queue(request, wave, form):
    try:
        job = jobs.queue_import(wave, form.cleaned_data["file"], actor=request.user, reason=form.cleaned_data["reason"])
    except PermissionDenied as refusal:
        form.add_error(None, str(refusal) or _("Your role does not allow this change."))
        status = 403
    except ValidationError as error:
        for message in getattr(error, "message_dict", {}).get("file", error.messages):
            form.add_error("file", message)
        status = 400
    else:
        return redirect("communications:job", pk=job.pk)
    return render(request, "communications/upload.html", {"wave": wave, "form": form}, status=status)


@require_GET
@login_required
def import_job(request, pk: int):
    """The progress of a queued import; the page reloads itself until the job has ended."""
    job = get_object_or_404(ImportJob.objects.visible_to(request.user).select_related("wave__incident", "batch"), pk=pk)
    written = (
        jobs.rows_written(job) if job.state == ImportJob.State.WRITING else None
    )  # counted outside its transaction
    return render(request, "communications/job.html", {"job": job, "running": job.is_running, "rows_written": written})


@require_http_methods(["GET", "POST"])
@login_required
def lookup(request):
    organisations = list(
        Organisation.objects.filter(pk__in=organisation_ids(request.user, READ_ROLES)).order_by("name")
    )
    form = LookupForm(request.POST or None, organisations=organisations)
    contacts = None
    status = 200
    if request.method == "POST" and not form.is_valid():
        status = 400
    if request.method == "POST" and form.is_valid():
        organisation = next(org for org in organisations if org.pk == form.cleaned_data["organisation"])
        try:
            contacts = ledger.lookup(
                organisation,
                kind=form.cleaned_data["kind"],
                identifier=form.cleaned_data["identifier"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error("identifier", error.message_dict.get("identifier", error.messages))
            status = 400
        except PermissionDenied as refusal:
            form.add_error(None, str(refusal))
            status = 403
        # The identifier is not shown back: the page may stay open on a shared screen.
        form = (
            LookupForm(
                initial={"organisation": organisation.pk, "kind": form.cleaned_data["kind"]},
                organisations=organisations,
            )
            if contacts is not None
            else form
        )
    return render(request, "communications/lookup.html", {"form": form, "contacts": contacts}, status=status)
