"""The register pages: read-only views for privacy officers, legal and viewers.

Every query goes through ``visible_to(request.user)``: another organisation's
incident is a 404, indistinguishable from one that does not exist.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from access.choices import AccessAction, ExportKind
from access.log import log_view
from incidents.models import Incident
from readers.answer_sheet import UnknownFiling, controllers_of, default_controller, sheet_for
from readers.register import register_view
from rules.awareness import earliest_awareness
from web.incidents import page_views


@require_GET
@login_required
def incident_list(request):
    incidents = Incident.objects.visible_to(request.user).select_related("organisation").order_by("-created_at", "-pk")
    page = Paginator(incidents, 50).get_page(request.GET.get("page"))
    return render(request, "incidents/incident_list.html", {"page": page})


# The incident page and its filing form: web/incidents/page_views.py.
incident_detail = page_views.incident_detail


# --- The AP notification form, answered from the register (docs/domain.md#ap-form) -----------

SHEET_LANGUAGES = {"nl": ("nl",), "en": ("en",), "both": ("nl", "en")}


class BadSheetParameter(ValueError):
    """A query parameter of the sheet that is not a number: the request is malformed (400)."""


def sheet_parameter(request, name: str) -> str | None:
    """``?<name>=<id>``: None when absent, the id when it is a positive whole number, else refused."""
    value = request.GET.get(name)
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit() or int(value) == 0:
        raise BadSheetParameter(
            _("%(name)s must be the number of one of this incident's entries, not “%(value)s”.")
            % {"name": name, "value": value[:40]}
        )
    return str(int(value))


def _answer_sheet(request, pk: int):
    """The incident (scoped: another organisation's id is a 404) and its sheet for one controller.

    One sheet per controller the incident notifies for (docs/domain.md#ap-form): ``?party=<id>``
    picks it among this incident's controllers; an id that is not one of them (a processor,
    another incident's or organisation's party) is a 404, a malformed one a 400
    (``BadSheetParameter``). Without it the sheet is for the controller being filed for
    (``readers.answer_sheet.default_controller``). By default the sheet prepares the
    controller's *next* filing (a follow-up once one was filed, quoting the AP's report number);
    ``?filing=<id>`` shows it as it stood for a filing already recorded, judged at its
    submission. A bounded number of queries: the incident, then the register's fixed set
    (``register_view``, which also reads the filings).
    """
    incident = get_object_or_404(Incident.objects.visible_to(request.user).select_related("organisation"), pk=pk)
    party_id = sheet_parameter(request, "party")
    filing_id = sheet_parameter(request, "filing")
    now = timezone.now()
    register = register_view(incident, now=now)
    party = None
    if party_id is not None:
        party = next((p for p in controllers_of(register.parties) if str(p.pk) == party_id), None)
        if party is None:
            raise Http404("unknown controller")
    else:
        party = default_controller(register.parties, earliest_awareness(register.awareness))
    try:
        return register, sheet_for(register, party, filing_pk=filing_id, now=now)
    except UnknownFiling:
        raise Http404("unknown filing") from None


def _refused(request, refusal: BadSheetParameter, *, as_json: bool):
    if as_json:
        return JsonResponse({"detail": str(refusal), "code": "invalid"}, status=400)
    return render(request, "request_refused.html", {"message": str(refusal)}, status=400)


@require_GET
@login_required
def ap_answer_sheet(request, pk: int):
    try:
        register, sheet = _answer_sheet(request, pk)
    except BadSheetParameter as refusal:
        return _refused(request, refusal, as_json=False)
    log_view(request, register.incident, AccessAction.ANSWER_SHEET_VIEW, detail=request.GET.urlencode())
    language = request.GET.get("lang", "both")
    if language not in SHEET_LANGUAGES:
        language = "both"
    languages = SHEET_LANGUAGES[language]
    context = {
        "sheet": sheet,
        "incident": register.incident,
        "language": language,
        "sheet_languages": languages,  # not "languages": base.html sets that one for its menu
        "chapters": sheet_rows(sheet, languages),
        "controllers": controllers_of(register.parties),
        "lead_authority": next((a.authority for a in register.authorities if a.role == "lead"), None),
    }
    return render(request, "incidents/answer_sheet.html", context)


@require_GET
@login_required
def ap_answer_sheet_json(request, pk: int):
    try:
        register, sheet = _answer_sheet(request, pk)
    except BadSheetParameter as refusal:
        return _refused(request, refusal, as_json=True)
    log_view(
        request,
        register.incident,
        AccessAction.EXPORT_DOWNLOAD,
        export_kind=ExportKind.AP_ANSWER_SHEET_JSON,
        detail=request.GET.urlencode(),
    )
    return _sheet_json(sheet)


def _sheet_json(sheet) -> JsonResponse:
    return JsonResponse(sheet.as_json(), json_dumps_params={"ensure_ascii": False, "indent": 2})


def render_answer_sheet_json(incident) -> JsonResponse:
    """The sheet as a share link serves it: the controller being filed for, its next filing.

    No query parameters: a share link names one export, not a choice of parties or filings.
    """
    now = timezone.now()
    register = register_view(incident, now=now)
    party = default_controller(register.parties, earliest_awareness(register.awareness))
    return _sheet_json(sheet_for(register, party, filing_pk=None, now=now))


def sheet_rows(sheet, languages):
    """The sheet shaped for the template: per chapter, per question, one cell per language."""
    return [
        {
            "number": chapter.number,
            "titles": [chapter.title.get(language) for language in languages],
            "rows": [
                {
                    "answer": answer,
                    "cells": [
                        {
                            "language": language,
                            "question": answer.question.text.get(language),
                            "answer": answer.answer.get(language) if answer.answer else "",
                            "detail": answer.detail.get(language) if answer.detail else "",
                            "sources": "; ".join(label.get(language) for label in answer.source_labels),
                        }
                        for language in languages
                    ],
                }
                for answer in chapter.answers
            ],
        }
        for chapter in sheet.chapters
    ]
