"""The real case of 2025 (a laboratory, processor for three controllers) carried through the API alone.

Only the organisation, its people and the API token are made with fixtures, as in every API test;
everything the case records goes through HTTP with the token, step by step, while time moves
forward (time-machine) the way it did: the laboratory knew on Sunday 6 July, told each controller
31 days later, and every controller's 72 hours had ended before anyone filed. The exports are read
back at the end and must tell a regulator exactly that.

All instants are sent as Amsterdam wall-clock times with their offset and zone (CEST, UTC+2), and
come back in UTC.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from organisations import services as org_services
from organisations.models import Role
from tests.api.conftest import token_client

ZONE = "Europe/Amsterdam"
BREACH_STARTED = "2025-07-04T00:00:00+02:00"
LAB_AWARE = datetime(2025, 7, 6, 8, 0, tzinfo=UTC)  # Sunday 6 July, 10:00 in Amsterdam
LAG = timedelta(days=31)
CONTROLLERS = ("National Screening Programme", "Regional Hospital", "General Practice Network")


def local(instant: datetime) -> str:
    """``instant`` as an Amsterdam wall-clock time in summer (UTC+2), with its offset."""
    return (instant + timedelta(hours=2)).replace(tzinfo=None).isoformat() + "+02:00"


def utc(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def same_instant(text: str, instant: datetime) -> bool:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) == instant


class Integration:
    """The integrator's side: one token, JSON in and out, every write with a reason."""

    def __init__(self, secret: str):
        self.client = token_client(secret)

    def get(self, url: str, **params):
        response = self.client.get(url, params)
        assert response.status_code == 200, (url, response.status_code, response.content[:2000])
        return response

    def read(self, url: str, **params):
        return self.get(url, **params).json()

    def post(self, url: str, body: dict, *, key: str | None = None, expect: int = 201) -> dict:
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        response = self.client.post(url, body, format="json", **headers)
        assert response.status_code == expect, (url, response.status_code, response.json())
        return response.json()

    def post_if_match(self, url: str, read_url: str, body: dict) -> dict:
        etag = self.get(read_url)["ETag"]
        response = self.client.post(url, body, format="json", HTTP_IF_MATCH=etag)
        assert response.status_code == 200, (url, response.status_code, response.json())
        return response.json()

    def patch(self, url: str, body: dict) -> dict:
        etag = self.get(url)["ETag"]
        response = self.client.patch(url, body, format="json", HTTP_IF_MATCH=etag)
        assert response.status_code == 200, (url, response.status_code, response.json())
        return response.json()


@pytest.fixture
def integration(lab, officer, admin_actor, make_token, dutch_ap, time_machine):
    """The laboratory's SOC connector: a privacy officer's token of the lab, nothing else."""
    time_machine.move_to(LAB_AWARE + timedelta(hours=1), tick=False)
    org_services.update_organisation(
        lab, dpo_name="J. de Vries", dpo_phone="+31 20 000 0000", actor=admin_actor, reason="DPO appointed"
    )
    return Integration(make_token(officer, lab, Role.PRIVACY_OFFICER).secret)


def test_the_whole_real_case_through_the_api(integration, time_machine):
    api = integration

    def at(instant: datetime) -> None:
        time_machine.move_to(instant, tick=False)

    # --- Sunday 6 July: the lab learns of the breach from the leak site ----------------------------
    authorities = api.read("/api/authorities/")["results"]
    ap = next(a for a in authorities if a["code"] == "nl-ap")
    directory = api.read("/api/parties/")["results"]
    own = next(p for p in directory if p["is_self"])
    controllers = [
        api.post(
            "/api/parties/",
            {
                "name": name,
                "country": "NL",
                # Each controller's own contact point: what its filings name (Art. 33(3)(b)).
                "contact_name": f"Privacy office, {name}",
                "contact_email": f"privacy@{name.split()[0].lower()}.example",
                "reason": "processing agreement",
            },
            key=f"dir-{name}",
        )
        for name in CONTROLLERS
    ]
    incident = api.post(
        "/api/incidents/",
        {
            "title": "Ransomware at the laboratory",
            "occurred_from_at": BREACH_STARTED,
            "occurred_from_tz": ZONE,
            "is_confidentiality_breach": True,
            "cause": "ransomware",
            "reason": "leak-site listing seen by the SOC",
        },
    )
    base = f"/api/incidents/{incident['id']}"
    processor = api.post(f"{base}/parties/", {"party": own["id"], "role": "processor", "reason": "we process"})
    parties = [
        api.post(f"{base}/parties/", {"party": party["id"], "role": "controller", "reason": "their samples"})
        for party in controllers
    ]
    api.post(f"{base}/authorities/", {"authority": ap["id"], "role": "lead", "reason": "Dutch controllers"})
    relationships = [
        api.post(
            f"{base}/processor-relationships/",
            {
                "processor": processor["id"],
                "controller": party["id"],
                "notice_target_hours": 24,
                "agreement_reference": f"DPA {number}",
                "reason": "processing agreement",
            },
        )
        for number, party in enumerate(parties, start=1)
    ]
    api.post(
        f"{base}/awareness/",
        {
            "party": processor["id"],
            "aware_at": local(LAB_AWARE),
            "aware_tz": ZONE,
            "source": "threat_actor",
            "source_detail": "our name on the group's leak site, with a sample",
            "asserted_by": "CISO",
            "reason": "leak-site listing",
        },
    )
    threat = api.post(
        f"{base}/threats/",
        {
            "actor_name": "Nova",
            "first_contact_at": local(LAB_AWARE - timedelta(minutes=30)),
            "first_contact_tz": ZONE,
            "channel": "leak_site",
            "reason": "leak-site listing",
        },
    )
    countdown = f"{base}/threats/{threat['id']}/countdown-revisions/"
    api.post(
        countdown,
        {
            "kind": "set",
            "announced_at": local(LAB_AWARE - timedelta(minutes=30)),
            "announced_tz": ZONE,
            "deadline_at": local(LAB_AWARE + timedelta(days=7)),
            "deadline_tz": ZONE,
            "source": "leak site",
            "reason": "the listing's timer",
        },
    )

    # --- Wednesday 6 August: 31 days later, the lab tells each controller ---------------------------
    at(LAB_AWARE + LAG + timedelta(hours=4))
    informed = [LAB_AWARE + LAG + timedelta(hours=number) for number in range(3)]
    notices = [
        api.post(
            f"{base}/processor-notices/",
            {
                "relationship": relationship["id"],
                "informed_at": local(moment),
                "informed_tz": ZONE,
                "channel": "email",
                "informed_by": "Lab DPO",
                "received_by": "Controller's privacy officer",
                "reason": "our e-mail to the controller",
            },
            key=f"notice-{relationship['id']}",
        )
        for relationship, moment in zip(relationships, informed, strict=True)
    ]
    # Each controller is aware from its processor's notice, linked to it.
    awareness = api.read(f"{base}/awareness/")
    for party, notice, moment in zip(parties, notices, informed, strict=True):
        from_notice = [row for row in awareness if row["party"] == party["id"] and not row["is_withdrawn"]]
        assert [row["processor_notice"] for row in from_notice] == [notice["id"]]
        assert same_instant(from_notice[0]["aware_at"], moment)

    # --- Monday 11 August: public; 485,000 women; the initial filings, late --------------------------
    at(datetime(2025, 8, 11, 9, 0, tzinfo=UTC))
    counted = datetime(2025, 8, 11, 7, 0, tzinfo=UTC)
    for measure, low in (("data_subjects", 485_000), ("records", 485_000)):
        api.post(
            f"{base}/estimates/",
            {
                "measure": measure,
                "low": low,
                "is_approximate": True,
                "known_at": local(counted),
                "known_tz": ZONE,
                "source": "lab's count",
                "reason": "first count",
            },
        )
    api.patch(
        f"{base}/",
        {
            "description": "A criminal group copied screening results from the laboratory's systems.",
            "data_categories": ["health", "identity", "national_id"],
            "data_subject_categories": ["patients"],
            "likely_consequences": "Identity fraud, distress.",
            "measures_containment": "Systems isolated, passwords reset.",
            "reason": "facts known on 11 August",
        },
    )
    filed = datetime(2025, 8, 11, 8, 30, tzinfo=UTC)
    delay = "The processor informed us only on 6 August; we needed two days to verify the data concerned."
    initial = {}
    for party in parties:
        initial[party["id"]] = api.post(
            f"{base}/filings/",
            {
                "controller": party["id"],
                "authority": ap["id"],
                "filing_type": "initial",
                "submitted_at": local(filed),
                "submitted_tz": ZONE,
                "channel": "ap_form",
                "delay_reasons": delay,
                "reason": "filed with the AP",
            },
            key=f"initial-{party['id']}",
        )

    # --- Mid-August: a new countdown, 53,000 other patients' records published ----------------------
    at(datetime(2025, 8, 15, 10, 0, tzinfo=UTC))
    api.post(
        countdown,
        {
            "kind": "extended",
            "announced_at": local(datetime(2025, 8, 14, 18, 0, tzinfo=UTC)),
            "announced_tz": ZONE,
            "deadline_at": local(datetime(2025, 8, 28, 10, 0, tzinfo=UTC)),
            "deadline_tz": ZONE,
            "source": "leak site",
            "reason": "new timer: 1.1 million euro in bitcoin",
        },
    )
    publication = api.post(
        f"{base}/publications/",
        {
            "threat": threat["id"],
            "published_at": local(datetime(2025, 8, 15, 6, 0, tzinfo=UTC)),
            "published_tz": ZONE,
            "location": "the group's leak site",
            "records_count": 53_000,
            "reason": "partial leak seen by the SOC",
        },
    )
    assert publication["needs_risk_reassessment"] is True
    assert any(row["kind"] == "extortion_countdown" and row["is_active"] for row in api.read(f"{base}/deadlines/"))

    # --- Late August: 715,000, then at least 850,000: follow-ups ------------------------------------
    follow_ups = []
    for day, low, at_least in ((22, 715_000, False), (27, 850_000, True)):
        at(datetime(2025, 8, day, 10, 0, tzinfo=UTC))
        known = datetime(2025, 8, day, 8, 0, tzinfo=UTC)
        for measure in ("data_subjects", "records"):
            api.post(
                f"{base}/estimates/",
                {
                    "measure": measure,
                    "low": low,
                    "is_approximate": not at_least,
                    "is_at_least": at_least,
                    "known_at": local(known),
                    "known_tz": ZONE,
                    "source": "lab's recount",
                    "reason": "recount",
                },
            )
        for party in parties:
            follow_ups.append(
                api.post(
                    f"{base}/filings/",
                    {
                        "controller": party["id"],
                        "authority": ap["id"],
                        "filing_type": "follow_up",
                        "submitted_at": local(known + timedelta(hours=1)),
                        "submitted_tz": ZONE,
                        "channel": "ap_form",
                        "reason": f"new count: {low:,}",
                    },
                    key=f"follow-up-{day}-{party['id']}",
                )
            )

    # --- 30 August: the group drops the countdown ---------------------------------------------------
    at(datetime(2025, 8, 30, 10, 0, tzinfo=UTC))
    withdrawal = api.post(
        countdown,
        {
            "kind": "withdrawn",
            "announced_at": local(datetime(2025, 8, 30, 8, 0, tzinfo=UTC)),
            "announced_tz": ZONE,
            "source": "leak site",
            "note": "the group says it deleted the data (unverifiable)",
            "reason": "listing removed",
        },
    )
    assert withdrawal["deadline_at"] is None
    revisions = api.read(countdown)
    assert [row["kind"] for row in revisions] == ["set", "extended", "withdrawn"]
    assert not any(row["kind"] == "extortion_countdown" and row["is_active"] for row in api.read(f"{base}/deadlines/"))

    # --- Art. 34: high risk for every controller; the letter; the waves -----------------------------
    at(datetime(2025, 9, 1, 10, 0, tzinfo=UTC))
    for party in parties:
        api.post(
            f"{base}/assessments/",
            {
                "controller": party["id"],
                "is_high_risk": True,
                "reasoning": "Health data and BSN of women in a screening programme, partly published.",
                "exemption": "none",
                "decided_at": local(datetime(2025, 8, 29, 9, 0, tzinfo=UTC)),
                "decided_tz": ZONE,
                "decided_by_name": "J. de Vries",
                "decided_by_role": "Data protection officer",
                "reason": "Art. 34 decision",
            },
        )
    letter = api.post(
        f"{base}/content-versions/",
        {
            "language": "nl",
            "title": "Brief aan deelnemers",
            "text": "Beste deelnemer, bij het laboratorium zijn uw gegevens gestolen ...",
            "describes_nature": True,
            "names_contact_point": True,
            "describes_consequences": True,
            "describes_measures": True,
            "reason": "the letter",
        },
    )
    waves = []
    for number, (cohort, count) in enumerate(
        (("participants 2017-2020", 500_000), ("participants 2021-2025", 441_000))
    ):
        wave = api.post(
            f"{base}/waves/",
            {
                "controller": parties[0]["id"],
                "content_version": letter["id"],
                "cohort_label": cohort,
                "channel": "letter",
                "planned_at": local(datetime(2025, 9, 2 + 7 * number, 8, 0, tzinfo=UTC)),
                "planned_tz": ZONE,
                "planned_count": count,
                "reason": "letters in waves",
            },
            key=f"wave-{number}",
        )
        waves.append(wave)
    at(datetime(2025, 9, 3, 10, 0, tzinfo=UTC))
    sent = api.post(
        f"{base}/waves/{waves[0]['id']}/sent/",
        {"sent_at": local(datetime(2025, 9, 2, 9, 0, tzinfo=UTC)), "sent_tz": ZONE, "reason": "post office receipt"},
        expect=200,
    )
    assert sent["planned_count"] == 500_000 and sent["sent_at"] == "2025-09-02T09:00:00Z"
    counted_wave = api.post_if_match(
        f"{base}/waves/{waves[0]['id']}/counts/",
        f"{base}/waves/{waves[0]['id']}/",
        {"sent_count": 499_200, "bounced_count": 800, "reason": "post office statement"},
    )
    assert counted_wave["sent_count"] == 499_200

    # --- The exports, read back -------------------------------------------------------------------------
    deadlines = api.read(f"{base}/deadlines/")
    for party, notice, relationship, moment in zip(parties, notices, relationships, informed, strict=True):
        # Art. 33(1): each controller's own 72 hours, from its processor's notice; met late.
        (clock,) = [row for row in deadlines if row["kind"] == "authority_notification" and row["party"] == party["id"]]
        assert same_instant(clock["started_at"], moment)
        assert same_instant(clock["due_at"], moment + timedelta(hours=72))
        assert same_instant(clock["met_at"], filed)
        assert clock["state"] == "met_late"
        # Filed on 11 August, 10:30 (CEST): 2 days 30 minutes late for the first controller, an
        # hour less for each one told an hour later.
        late_by = datetime.fromisoformat(clock["met_at"]) - datetime.fromisoformat(clock["due_at"])
        assert late_by == filed - (moment + timedelta(hours=72))
        # Art. 33(2): the processor's notice to this controller, 24 hours agreed, 30 days late.
        (told,) = [
            row for row in deadlines if row["kind"] == "processor_notice" and row["relationship"] == relationship["id"]
        ]
        assert same_instant(told["due_at"], LAB_AWARE + timedelta(hours=24))
        assert same_instant(told["met_at"], moment)
        assert datetime.fromisoformat(told["met_at"]) - datetime.fromisoformat(told["due_at"]) >= timedelta(days=30)
        assert notice["controller"] == party["id"]
    # The first controller: told 6 August 10:00 (CEST), 72 hours ended Saturday 9 August 10:00,
    # filed Monday 11 August 10:30: 2 days and 30 minutes late.
    (first_clock,) = [
        row for row in deadlines if row["kind"] == "authority_notification" and row["party"] == parties[0]["id"]
    ]
    assert first_clock["due_at"] == "2025-08-09T08:00:00Z"
    assert filed - datetime(2025, 8, 9, 8, 0, tzinfo=UTC) == timedelta(days=2, minutes=30)

    filings = api.read(f"{base}/filings/")["results"]
    assert len(filings) == 3 + 6
    assert sorted(f["filing_type"] for f in filings) == ["follow_up"] * 6 + ["initial"] * 3
    assert {f["delay_reasons"] for f in filings if f["filing_type"] == "initial"} == {delay}

    # The answer sheet of the first controller's initial filing: its 72 hours, the lag, the reasons.
    first = parties[0]["id"]
    sheet = api.read(f"{base}/exports/answer-sheet-json/", party=first, filing=initial[first]["id"])
    assert sheet["party"] == {"id": first, "name": CONTROLLERS[0], "role": "controller"}
    assert sheet["due_at"] == "2025-08-09T08:00:00Z"
    answers = {q["key"]: q for chapter in sheet["chapters"] for q in chapter["questions"]}
    assert answers["4.5"]["value"] == {"local": "2025-08-06T10:00:00+02:00", "utc": "2025-08-06T08:00:00Z"}
    assert "(31 days later)" in answers["4.5"]["detail"]["en"]
    assert "Sat 09-08-2025 10:00 +02:00" in answers["4.5"]["detail"]["en"]
    assert answers["4.6"]["state"] == "answered" and answers["4.6"]["answer"]["en"] == delay
    assert answers["7.2"]["value"]["low"] == 485_000  # what was known when it was filed
    # Its next filing: a follow-up, with the latest count.
    upcoming = api.read(f"{base}/exports/answer-sheet-json/", party=first)
    answers = {q["key"]: q for chapter in upcoming["chapters"] for q in chapter["questions"]}
    assert answers["7.2"]["value"] == {
        "low": 850_000,
        "high": None,
        "is_approximate": False,
        "is_at_least": True,
        "known_at": "2025-08-27T08:00:00Z",
    }
    assert answers["2.1"]["answer"]["en"].startswith("Follow-up")

    # The timeline, as a regulator gets it: when did you know, when did you tell us, how many.
    exported = api.get(f"{base}/exports/timeline-json/").json()
    entries = [(entry["event_at"], entry["kind"], entry["summary"]) for entry in exported["entries"]]
    assert ("2025-07-06T08:00:00Z", "awareness", "Example Diagnostics B.V. became aware (Art. 33)") in entries
    for name, moment in zip(CONTROLLERS, informed, strict=True):
        assert (utc(moment), "processor_notice", f"Example Diagnostics B.V. informed {name} (Art. 33(2))") in entries
        assert (utc(moment), "awareness", f"{name} became aware (Art. 33)") in entries
    summaries = [summary for _at, kind, summary in entries if kind in ("estimate", "leak", "countdown", "filing")]
    for expected in (
        "Data subjects (Art. 33(3)(a)): ≈485,000",
        "Data subjects (Art. 33(3)(a)): ≈715,000",
        "Data subjects (Art. 33(3)(a)): ≥850,000",
        "Data published: the group's leak site (53,000 records)",
        "Countdown: Countdown set, deadline Sun 13 Jul 2025, 10:00 CEST",
        "Countdown: Extended: a later deadline, deadline Thu 28 Aug 2025, 12:00 CEST",
        "Countdown: Withdrawn: no deadline any more",
    ):
        assert expected in summaries, expected
    assert sum(kind == "filing" for _at, kind, _summary in entries) == 9
    assert [at for at, kind, _summary in entries if kind == "filing"][:3] == [utc(filed)] * 3
    assert {"assessment", "communication_wave"} <= {kind for _at, kind, _summary in entries}

    table = list(csv.reader(io.StringIO(api.get(f"{base}/exports/timeline-csv/").content.decode("utf-8-sig"))))
    assert table[1][0] == "breachtrack.timeline-csv/1" and table[1][3] == str(incident["id"])
    columns = table[3]
    rows = [dict(zip(columns, row, strict=True)) for row in table[4:]]
    # The regulator's summary first (kind "summary", no entry number), then every entry.
    summary = [row["summary"] for row in rows if row["kind"] == "summary"]
    assert any("informed it at" in line and "over its target of 1 d" in line for line in summary)
    rows = [row for row in rows if row["kind"] != "summary"]
    assert {row["entry"] for row in rows} == {str(number) for number in range(1, len(entries) + 1)}
    assert any(row["kind"] == "leak" and "53,000 records" in row["summary"] for row in rows)
    assert [row["event_at"] for row in rows if row["kind"] == "processor_notice"] == [utc(m) for m in informed]
