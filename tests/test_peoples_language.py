"""Evidence in people's language: every page and export of the demo, in English and Dutch, is
read as a person reads it and must not show a column name, a raw choice code, a bare id or an
ISO-Z instant in its visible text.

Visible text: a page's text without its markup, scripts, styles and attributes; a PDF's text; a
JSON export's human-text members (``summary``, ``label``, ``old_text``, ``new_text``, ``text``,
``lines``, ``heading``, ``state_text``, ``kind_label``); a CSV's ``summary`` column. Machine members (``kind``,
``field``, UTC instants) are for programs and are left out on purpose.
"""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser

import pypdf
import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse

pytestmark = pytest.mark.django_db

SNAKE = re.compile(r"(?<![\w@./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@/-])")
ISO_Z = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z")
BARE_ID = re.compile(r"(?<![\w&])#\d+\b")
# A count grouped the English way ("≈485,000", "1,100,000–1,300,000"): Dutch groups with points.
ENGLISH_GROUPING = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")
# A date with its month capitalised the English way ("11 Aug 2025"): Dutch writes "11 aug 2025".
ENGLISH_MONTH = re.compile(r"\b\d{1,2} (?:Jan|Feb|Mrt|Apr|Mei|Jun|Jul|Aug|Sep|Okt|Nov|Dec) \d{4}\b")
HUMAN_KEYS = {"summary", "label", "old_text", "new_text", "text", "lines", "heading", "state_text", "kind_label"}


class VisibleText(HTMLParser):
    """The text a reader sees: no tags, attributes, scripts, styles or templates."""

    SKIP = {"script", "style", "template", "noscript"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def choice_codes() -> set[str]:
    """Every snake_case choice value of every model: a code that must never be shown."""
    codes = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            for value, _label in getattr(field, "flatchoices", None) or ():
                if isinstance(value, str) and "_" in value:
                    codes.add(value)
            enum = getattr(field, "choices_enum", None)
            if enum is not None:
                codes.update(v for v in enum.values if "_" in v)
    return codes


def typed_with_english_grouping() -> set[str]:
    """What people typed (a note, a source) holding a number grouped the English way ("At least
    850,000: ..."): data, shown as typed in every language, so left out of the grouping check."""
    texts = set()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, (models.CharField, models.TextField)) and not field.choices:
                rows = model._base_manager.filter(**{f"{field.attname}__regex": r"[0-9],[0-9]{3}"})
                texts.update(rows.values_list(field.attname, flat=True))
    return {" ".join(text.split()) for text in texts if text}


def human_json_text(value, key=None) -> list[str]:
    if isinstance(value, dict):
        return [text for k, v in value.items() for text in human_json_text(v, k)]
    if isinstance(value, list):
        return [text for item in value for text in human_json_text(item, key)]
    if key in HUMAN_KEYS and isinstance(value, str):
        return [value]
    return []


def defects(text: str, language: str = "en", typed: frozenset[str] = frozenset()) -> list[str]:
    found = [f"column or code name {m!r}" for m in SNAKE.findall(text)]
    if language == "nl":
        product_text = text
        for data in typed:
            product_text = product_text.replace(data, " ")
        found += [f"number grouped the English way {m!r}" for m in ENGLISH_GROUPING.findall(product_text)]
        found += [f"month capitalised the English way {m!r}" for m in ENGLISH_MONTH.findall(product_text)]
    found += [f"ISO-Z instant {m!r}" for m in ISO_Z.findall(text)]
    found += [f"bare id {m!r}" for m in BARE_ID.findall(text)]
    return found


def context(text: str, needle: str) -> str:
    at = text.find(needle)
    return text[max(0, at - 60) : at + len(needle) + 60]


@pytest.fixture
def demo(db, settings):
    from incidents.models import Incident
    from ops.demo import load_demo
    from organisations.models import User

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_demo("a demo password for tests")
    demo_incident = Incident.objects.select_related("organisation").get(title__startswith="Ransomware attack")

    return (
        demo_incident,
        User.objects.get(username="legal@demo.example"),
        User.objects.get(username="officer@demo.example"),
    )


def pages(incident):
    pk = incident.pk
    filing = incident.authority_filings.first() if hasattr(incident, "authority_filings") else None
    names = [
        reverse("dashboard:home"),
        reverse("incidents:list"),
        reverse("incidents:detail", args=[pk]),
        reverse("incidents:ap_answer_sheet", args=[pk]),
        reverse("incidents:ap_answer_sheet", args=[pk]) + "?lang=nl",
        reverse("incidents:notes", args=[pk]),
        reverse("evidence:timeline", args=[pk]),
        reverse("evidence:as_of", args=[pk]),
        reverse("evidence:as_of_diff", args=[pk]) + "?from=2025-07-01T00:00&to=now",
        reverse("communications:incident", args=[pk]),
        reverse("access:access_log", args=[pk]),
        reverse("access:share_links", args=[pk]),
        reverse("incidents:new"),
        reverse("register:facts", args=[pk]),
        reverse("register:parties", args=[pk]),
        reverse("register:decision", args=[pk]),
        reverse("register:status", args=[pk]),
        reverse("incidents:record_awareness", args=[pk]),
        reverse("incidents:record_notice", args=[pk]),
        reverse("communications:assess", args=[pk]),
        reverse("communications:content_new", args=[pk]),
        reverse("communications:wave_new", args=[pk]),
        reverse("incidents:threat_new", args=[pk]),
        reverse("incidents:publication_new", args=[pk]),
    ]
    threat = incident.extortion_threats.first() if hasattr(incident, "extortion_threats") else None
    if threat is not None:
        for name in ("threat_edit", "threat_payment", "threat_police", "countdown_revise", "countdown_withdraw"):
            names.append(reverse(f"incidents:{name}", args=[pk, threat.pk]))
    for wave in incident.communication_waves.all() if hasattr(incident, "communication_waves") else []:
        for name in ("wave_edit", "wave_sent", "wave_counts"):
            names.append(reverse(f"communications:{name}", args=[pk, wave.pk]))
    if filing is not None:
        names.append(reverse("filings:detail", args=[pk, filing.pk]))
    return names


def organisation_pages():
    """The pages of an organisation rather than of an incident: the metrics and their drill-downs."""
    drill_down = reverse("metrics:incidents")
    return [
        reverse("metrics:page"),
        f"{drill_down}?bucket=art33_late",
        f"{drill_down}?bucket=processor_over_target",
        f"{drill_down}?bucket=open_authority_notification_overdue",
        f"{reverse('metrics:page')}?regime=nis2",  # the lab's NIS2 reports (ops.demo_regimes)
        f"{drill_down}?regime=nis2&bucket=report_overdue%3Afinal",
    ]


@pytest.mark.parametrize("language", ["en", "nl"])
def test_every_page_of_the_demo_reads_as_people_read(client, demo, language):
    from incidents.models import Incident
    from organisations.models import User

    _incident, lawyer, officer = demo
    programme = User.objects.get(username="programme@demo.example")  # the controller's officer
    codes = choice_codes()
    typed = frozenset(typed_with_english_grouping())
    problems = []
    for user in (officer, lawyer, programme):
        client.force_login(user)
        client.cookies["django_language"] = language
        # Every incident of the demo the user sees: the 2025 case, the live one, the programme's.
        urls = [url for incident in Incident.objects.visible_to(user) for url in pages(incident)]
        urls += organisation_pages()
        for url in urls:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            if response.status_code in (403, 404):
                continue  # a page this role does not see
            assert response.status_code == 200, url
            text = visible(response.content.decode())
            # Side by side (the default), the answer sheet's English column is English on purpose.
            both = "ap-answer-sheet" in url and "lang=nl" not in url
            for problem in defects(text, "en" if both else language, typed):
                problems.append(f"{language} {user.username} {url}: {problem}")
            for code in codes:
                if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text):
                    problems.append(f"{language} {user.username} {url}: choice code {code!r}")
    assert not problems, "\n".join(sorted(set(problems)))


@pytest.mark.parametrize("language", ["en", "nl"])
def test_every_export_of_the_demo_reads_as_people_read(client, demo, language):
    incident, lawyer, _officer = demo
    client.force_login(lawyer)
    client.cookies["django_language"] = language
    pk = incident.pk
    problems = []

    def get(name):
        response = client.get(reverse(name, args=[pk]), HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, name
        return response.content

    texts = {
        "timeline.json": " | ".join(human_json_text(json.loads(get("evidence:timeline_json")))),
        "answer-sheet.json": " | ".join(human_json_text(json.loads(get("incidents:ap_answer_sheet_json")))),
        **{
            f"filing-{filing.pk}-edpb.json": " | ".join(
                human_json_text(
                    json.loads(
                        client.get(
                            reverse("filings:edpb_json", args=[pk, filing.pk]), HTTP_ACCEPT_LANGUAGE=language
                        ).content
                    )
                )
            )
            for filing in incident.authority_filings.all()
        },
        "timeline.pdf": " ".join(
            page.extract_text() for page in pypdf.PdfReader(io.BytesIO(get("evidence:timeline_pdf"))).pages
        ),
    }
    records = list(csv.reader(io.StringIO(get("evidence:timeline_csv").decode("utf-8-sig"), newline="")))
    texts["timeline.csv"] = " | ".join(record[4] for record in records[4:])
    response = client.get(reverse("metrics:csv"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    metrics_csv = response.content.decode("utf-8-sig")
    # Every column a person reads (the last, "Key", is the machine name beside them).
    texts["metrics.csv"] = " | ".join(" | ".join(record[:-1]) for record in csv.reader(io.StringIO(metrics_csv)))
    typed = frozenset(typed_with_english_grouping())
    for name, text in texts.items():
        for problem in defects(text, language, typed):
            problems.append(f"{language} {name}: {problem}")
    assert not problems, "\n".join(sorted(set(problems)))
