"""The metrics page, its CSV and its drill-down: roles, scope, languages, the CSP-clean SVG charts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse

from tests.test_csp import assert_strict_policy, inline_content

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)


@pytest.fixture
def figures(lab, place, now):
    place(lab, started_at=now - 200 * H, met_after=10 * H, title="Early filing")
    place(lab, started_at=now - 200 * H, met_after=100 * H, title="Late filing")


def test_the_officer_reads_the_figures_with_their_definitions_and_charts(client, officer, figures):
    client.force_login(officer)
    response = client.get(reverse("metrics:page"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Definition:" in html and "72 hours ended" in html
    assert html.count("<svg") == 5  # no incident has its occurrence and detection recorded:
    assert "Nothing measured in this selection yet." in html  # … that measure says so instead
    assert 'class="bar bar--late"' in html
    assert "50.0 %" in html  # one of two filed on time
    assert "Late filing" in html  # the worst case, named
    assert_strict_policy(response)
    assert inline_content(html) == []


def test_the_page_speaks_dutch(client, lawyer, figures):
    client.force_login(lawyer)
    client.cookies["django_language"] = "nl"
    response = client.get(reverse("metrics:page"), HTTP_ACCEPT_LANGUAGE="nl")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Definitie:" in html and "Meldingen aan de toezichthouder" in html
    assert "50,0 %" in html


def test_every_figure_links_to_the_incidents_it_counts(client, officer, figures):
    client.force_login(officer)
    html = client.get(reverse("metrics:page")).content.decode()
    assert f"{reverse('metrics:incidents')}?bucket=art33_late" in html

    listed = client.get(reverse("metrics:incidents"), {"bucket": "art33_late"}).content.decode()
    assert "Late filing" in listed and "Early filing" not in listed


def test_a_viewer_is_refused_the_page(client, viewer, figures):
    # The navigation links the page for everyone logged in, like "Administration": deciding per role
    # would cost every page a query (the dashboard's budget is 10). The page itself refuses.
    client.force_login(viewer)
    assert client.get(reverse("metrics:page")).status_code == 403
    assert client.get(reverse("metrics:csv")).status_code == 403


@pytest.mark.parametrize(
    ("language", "heading", "why"),
    [
        (
            "en",
            "The metrics are not open to you",
            "Only privacy officers and legal of an organisation read its metrics.",
        ),
        (
            "nl",
            "De cijfers zijn niet voor u",
            "Alleen privacyfunctionarissen en juristen van een organisatie lezen haar cijfers.",
        ),
    ],
)
def test_a_viewer_is_told_in_their_language_why_the_page_is_refused(client, viewer, figures, language, heading, why):
    client.force_login(viewer)
    client.cookies["django_language"] = language
    for name in ("metrics:page", "metrics:csv", "metrics:incidents"):
        response = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 403
        body = response.content.decode().replace("&#x27;", "'")
        # The product's page (its navigation, a way back), not Django's bare "403 Forbidden".
        assert f"<h1>{heading}</h1>" in body and why in body and "Forbidden" not in body
        assert reverse("dashboard:home") in body and response["Content-Type"].startswith("text/html")


def test_the_navigation_links_the_page_for_officers(client, officer):
    client.force_login(officer)
    assert reverse("metrics:page") in client.get(reverse("dashboard:home")).content.decode()


def test_another_organisations_officer_cannot_ask_for_ours(client, outsider, lab, figures):
    client.force_login(outsider)
    response = client.get(reverse("metrics:page"), {"organisation": lab.pk})
    assert response.status_code == 400
    assert "Late filing" not in client.get(reverse("metrics:page")).content.decode()
    listed = client.get(reverse("metrics:incidents"), {"bucket": "art33_late"}).content.decode()
    assert "Late filing" not in listed


@pytest.mark.parametrize(
    "params",
    [
        {"period_from": "2025-13-01"},
        {"period_from": "2025-08-10", "period_to": "2025-08-01"},
        {"authority": "999999"},
        {"controller": "abc"},
        {"from_at": "yesterday"},
    ],
)
def test_bad_filters_are_a_400_naming_the_field(client, officer, params):
    client.force_login(officer)
    response = client.get(reverse("metrics:page"), params)
    assert response.status_code == 400
    assert "could not be applied" in response.content.decode()


def test_an_unknown_figure_in_the_drill_down_is_a_400(client, officer):
    client.force_login(officer)
    assert client.get(reverse("metrics:incidents"), {"bucket": "everything"}).status_code == 400


def test_the_period_is_read_in_whole_days_of_the_users_zone(client, officer, lab, place, now):
    place(lab, started_at=now - 200 * H, met_after=H, title="In August")
    client.force_login(officer)
    day = (now - 200 * H).date().isoformat()
    inside = client.get(reverse("metrics:incidents"), {"bucket": "art33_on_time", "period_from": day, "period_to": day})
    outside = client.get(reverse("metrics:incidents"), {"bucket": "art33_on_time", "period_to": "2025-01-01"})
    assert "In August" in inside.content.decode()
    assert "In August" not in outside.content.decode()


@pytest.mark.parametrize(
    ("language", "headers"),
    [
        ("en", ["Measure", "Figure", "Value", "Number", "Unit", "Incident", "Key"]),
        ("nl", ["Maatstaf", "Cijfer", "Waarde", "Aantal", "Eenheid", "Incident", "Sleutel"]),
    ],
)
def test_the_csv_has_headers_in_the_readers_language(client, officer, figures, language, headers):
    client.force_login(officer)
    client.cookies["django_language"] = language
    response = client.get(reverse("metrics:csv"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == headers
    by_key = {row[-1]: row for row in rows[1:]}
    assert by_key["art33_on_time"][3] == "1" and by_key["art33_late"][3] == "1"
    assert by_key["awareness_to_filing_worst"][3] == "100.0"
