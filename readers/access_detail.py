"""An access-log row's detail as a person reads it, in the reader's language.

``AccessLog.detail`` is written once, when the view happens, as a short technical note: "notes",
"filing 12", "as of 2026-12-05T16:12:34+00:00 (recorded)", the answer sheet's query string
("party=3&lang=nl"). The rows are never changed (access.models), so the note stays as stored and
is put into words when shown: the Dutch access log said "Incidentpagina bekeken notes" and
"as of 2026-12-05T16:12:34.982669+00:00 (recorded)". A detail of a shape not known here is shown
as stored.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qsl

from django.utils.translation import gettext as _

from filings.models import AuthorityFiling
from incidents.models import IncidentParty
from readers import wording

FILING = re.compile(r"^filing (\d+)$")
AS_OF = re.compile(r"^as of (\S+) \((recorded|occurred)\)$")
DIFF = re.compile(r"^diff (\S+) \.\. (\S+)$")
SHEET_KEYS = {"party", "filing", "lang"}


def _instant(text: str) -> str:
    try:
        return wording.instant_text(datetime.fromisoformat(text))
    except ValueError:
        return text


def _sheet_query(detail: str) -> dict | None:
    """The answer sheet's query string as a dict, or None when ``detail`` is not one."""
    if "=" not in detail or " " in detail:
        return None
    pairs = dict(parse_qsl(detail, keep_blank_values=True))
    return pairs if pairs and set(pairs) <= SHEET_KEYS else None


def detail_texts(entries, incident) -> dict[int, str]:
    """``{entry pk: its detail in words}`` for one page of ``incident``'s access log (two queries
    at most: the filings and the parties the page names)."""
    filing_ids, party_ids = set(), set()
    for entry in entries:
        if match := FILING.match(entry.detail):
            filing_ids.add(int(match[1]))
        elif (query := _sheet_query(entry.detail)) is not None:
            filing_ids.update(int(v) for k, v in query.items() if k == "filing" and v.isdigit())
            party_ids.update(int(v) for k, v in query.items() if k == "party" and v.isdigit())
    filings = AuthorityFiling.objects.filter(incident=incident).select_related("authority").in_bulk(filing_ids)
    parties = IncidentParty.objects.filter(incident=incident).select_related("party").in_bulk(party_ids)
    return {entry.pk: detail_text(entry.detail, filings, parties) for entry in entries if entry.detail}


def _filing_text(filing) -> str:
    return _("%(type)s to %(authority)s, submitted %(at)s") % {
        "type": filing.get_filing_type_display(),
        "authority": filing.authority,
        "at": wording.instant_text(filing.submitted_at),
    }


def detail_text(detail: str, filings: dict, parties: dict) -> str:
    if detail == "notes":
        return _("the notes")
    if detail == "extortion":
        return _("the extortion page")
    if match := FILING.match(detail):
        filing = filings.get(int(match[1]))
        return _filing_text(filing) if filing is not None else _("a filing no longer in this incident")
    if match := AS_OF.match(detail):
        at = _instant(match[1])
        if match[2] == "occurred":
            return _("what had happened by %(at)s, as known today") % {"at": at}
        return _("as written down by %(at)s") % {"at": at}
    if match := DIFF.match(detail):
        return _("changes between %(from)s and %(to)s") % {"from": _instant(match[1]), "to": _instant(match[2])}
    query = _sheet_query(detail)
    if query is None:
        return detail
    words = []
    if party := parties.get(int(query["party"])) if query.get("party", "").isdigit() else None:
        words.append(_("for %(party)s") % {"party": party.party})
    if filing := filings.get(int(query["filing"])) if query.get("filing", "").isdigit() else None:
        words.append(_("as it stood for %(filing)s") % {"filing": _filing_text(filing)})
    languages = {"nl": _("in Dutch"), "en": _("in English"), "both": _("in Dutch and English side by side")}
    if query.get("lang") in languages:
        words.append(languages[query["lang"]])
    return "; ".join(words) if words else detail
