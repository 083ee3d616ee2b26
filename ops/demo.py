"""A demo register modelled on the 2025 Dutch laboratory case (docs/domain.md#demo-case), with invented names.

Beside that historical case, whose clocks all ran out in 2025, the laboratory has one live
incident placed relative to the moment the demo is loaded (``create_live_incident``): a stolen
laptop with staff records, its 72 hours to the AP running, and its first alert a few minutes
after loading, so a newcomer sees a clock tick and an alert arrive.

A laboratory (a processor) is hit by ransomware in early July 2025 and knows on
Sunday 6 July, when the attackers list it on their leak site. It tells the
screening programme (a controller) only on Wednesday 6 August, about 31 days
later; a hospital learns in late August and a GP practice in late November. The
count of people affected grows from 485,000 to 941,000. The attackers' countdown is set
on 6 July, renewed after a payment in mid-August (1.1 million euro in bitcoin by 28 August),
and dropped; records of 53,000 other patients are published meanwhile. The programme is also a
tenant, with its own record of the same breach: neither tenant sees the other's.

Every write goes through the services. Tenants and users are set up by the
system actor ``system:demo``; the facts are recorded by the privacy officers,
so the history shows a person and a reason for each of them. The dates are the
real ones; times are Amsterdam wall-clock times stored in UTC, with the zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import password_validation
from django.db import transaction
from django.utils import timezone

from actions import communications as comms
from actions import extortion as extortion_services
from actions import filings as filing_services
from actions import incidents as services
from breachtrack.history import system_actor
from incidents.choices import (
    AuthorityRole,
    AwarenessSource,
    Cause,
    Channel,
    ConfidentialityOutcome,
    CountdownRevisionKind,
    DataCategory,
    DataSubjectCategory,
    DiscoveryMethod,
    EstimateMeasure,
    ExtortionChannel,
    NotificationDecision,
    PartyRole,
    PaymentDecision,
    RiskLevel,
    Severity,
    Status,
)
from incidents.models import AwarenessRecord, Incident
from ops.demo_regimes import record_lab_regimes
from organisations import services as org_services
from organisations.models import Authority, Organisation, Role, User
from rules.policies import installation_rule

AMSTERDAM = "Europe/Amsterdam"
_AMSTERDAM = ZoneInfo(AMSTERDAM)


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """An Amsterdam wall-clock time as the UTC instant the register stores."""
    return datetime(year, month, day, hour, minute, tzinfo=_AMSTERDAM).astimezone(UTC)


def instant(name: str, *wall_clock: int) -> dict:
    """``{name}_at`` and ``{name}_tz`` for a time typed in Amsterdam."""
    return {f"{name}_at": local(*wall_clock), f"{name}_tz": AMSTERDAM}


# --- Who -------------------------------------------------------------------------------------
LAB = "Demo Diagnostics Laboratory B.V."
PROGRAMME = "Demo Screening Programme"
HOSPITAL = "St. Demo Hospital"
GP_PRACTICE = "GP Practice De Demo"

TENANTS = {
    LAB: {
        "registration_number": "99000001",  # invented KvK number
        "address": "Demoweg 1, 9999 ZZ Demostad",
        "sector": "Medical laboratory: processor for screening programmes, hospitals and GPs",
        "ownership": "private",
        "size": "sme",
        "dpo_name": "Dr. A. Voorbeeld (DPO)",
        "dpo_email": "dpo@demo.example",
        "dpo_phone": "+31 20 000 0001",
    },
    PROGRAMME: {
        "registration_number": "99000002",
        "address": "Proefstraat 2, 9999 ZY Demostad",
        "sector": "Population screening (controller)",
        "ownership": "public",
        "dpo_name": "M. Steekproef (DPO)",
        "dpo_email": "dpo@programme.demo.example",
        "dpo_phone": "+31 30 000 0002",
    },
}

# username, tenant, role, first name, last name, what the login is for (``load_demo --describe``,
# which scripts/run prints in its start-up box)
USERS = (
    (
        "officer@demo.example",
        LAB,
        Role.PRIVACY_OFFICER,
        "Eva",
        "Voorbeeld",
        "privacy officer of the laboratory (writes; gets alerts)",
    ),
    (
        "legal@demo.example",
        LAB,
        Role.LEGAL,
        "Jeroen",
        "Proef",
        "legal counsel of the laboratory (reads; gets alerts)",
    ),
    ("viewer@demo.example", LAB, Role.VIEWER, "Lotte", "Kijker", "viewer at the laboratory (reads only)"),
    (
        "programme@demo.example",
        PROGRAMME,
        Role.PRIVACY_OFFICER,
        "Noor",
        "Steekproef",
        "privacy officer of the screening programme (writes)",
    ),
)
USERNAMES = tuple(row[0] for row in USERS)


def describe_users() -> tuple[str, ...]:
    """One line per demo user, in the table's order: the login, then what it is for."""
    width = max(len(row[0]) for row in USERS)
    return tuple(f"{username:<{width}}  {purpose}" for username, *_rest, purpose in USERS)


# The lab's directory: the controllers it works for.
LAB_CONTROLLERS = {
    PROGRAMME: {"contact_name": "M. Steekproef (DPO)", "contact_email": "dpo@programme.demo.example"},
    HOSPITAL: {"contact_name": "Privacy office", "contact_email": "privacy@hospital.demo.example"},
    GP_PRACTICE: {"contact_name": "Practice manager", "contact_email": "practice@gp.demo.example"},
}

# --- When (Amsterdam wall-clock times; CEST in summer, CET from 26 October) -------------------
OCCURRED_FROM = (2025, 7, 3, 22, 0)
DETECTED = (2025, 7, 6, 9, 30)  # Sunday: the leak-site listing is spotted
LAB_AWARE = (2025, 7, 6, 10, 0)  # the sample is recognised as real patient data
INVESTIGATION_STARTED = (2025, 7, 6, 11, 0)
OCCURRED_UNTIL = (2025, 7, 8, 16, 0)
CONTAINED = (2025, 7, 8, 18, 0)

# controller, notice target (hours), agreement, informed (wall clock), channel, received by
NOTICES = (
    (PROGRAMME, 24, "Processing agreement screening 2021-07", (2025, 8, 6, 15, 0), Channel.EMAIL, "Programme DPO"),
    (
        HOSPITAL,
        48,
        "Laboratory services agreement 2019-03",
        (2025, 8, 27, 11, 0),
        Channel.EMAIL,
        "Hospital privacy office",
    ),
    (GP_PRACTICE, 24, "GP laboratory terms 2020", (2025, 11, 24, 9, 0), Channel.LETTER, "Practice manager"),
)

# --- What the lab recorded, in stages ---------------------------------------------------------
FIRST_REPORT = {
    "is_confidentiality_breach": True,
    "is_availability_breach": True,
    "cause": Cause.RANSOMWARE,
    "cause_detail": "Criminal group; file shares encrypted and copied; ransom demanded.",
    "discovery_method": DiscoveryMethod.THREAT_ACTOR,
    "discovery_detail": "Listed on the group's leak site with a sample of our files and a deadline.",
    "systems_involved": "File shares and servers of the laboratory network (Netherlands).",
    "confidentiality_outcome": ConfidentialityOutcome.DISCLOSED,
    "description": (
        "Attackers entered the laboratory network in early July, copied file shares holding "
        "screening results and patient details, and encrypted servers. The group published a "
        "sample and threatens to publish everything."
    ),
    "is_ongoing": True,
    **instant("occurred_from", *OCCURRED_FROM),
    **instant("detected", *DETECTED),
    **instant("investigation_started", *INVESTIGATION_STARTED),
}
CONTAINMENT = {
    "is_ongoing": False,
    **instant("occurred_until", *OCCURRED_UNTIL),
    **instant("contained", *CONTAINED),
    "measures_containment": "Network isolated, attacker accounts disabled, all credentials reset, backups restored.",
}
ASSESSMENT = {
    "data_categories": [DataCategory.IDENTITY, DataCategory.CONTACT, DataCategory.NATIONAL_ID, DataCategory.HEALTH],
    "data_subject_categories": [DataSubjectCategory.PATIENTS],
    "data_subject_countries": ["NL"],
    "is_data_encrypted": False,
    "likely_consequences": (
        "Identity fraud with names, addresses and BSN; distress and stigma from published "
        "screening results; targeted phishing and extortion of patients."
    ),
    "severity": Severity.VERY_HIGH,
    "risk_level": RiskLevel.HIGH,
    "risk_reasoning": (
        "Health data and BSN of hundreds of thousands of people, unencrypted, in criminal hands "
        "and partly published: a high risk to their rights and freedoms."
    ),
    "measures_before": "Firewall, antivirus and daily backups; no multi-factor authentication on remote access.",
    "measures_mitigation": "Controllers informed so they can write to patients; a helpline and fraud advice set up.",
    "measures_planned": "Multi-factor authentication everywhere, network segmentation and an external security audit.",
    "notification_decision": NotificationDecision.NOTIFY,
    "notification_reasoning": (
        "Ransomware with theft of health data: the AP expects notification, and each controller "
        "must notify its own; a promise to delete is no reason not to."
    ),
}

# measure, low, high, precision (approx / exact / at_least), controller (None: whole incident), known at, source, note, reason
LAB_ESTIMATES = (
    (
        EstimateMeasure.DATA_SUBJECTS,
        485_000,
        None,
        "approx",
        None,
        (2025, 8, 11, 10, 0),
        "Screening programme's first figure",
        "",
        "programme's first figure",
    ),
    (
        EstimateMeasure.DATA_SUBJECTS,
        53_000,
        None,
        "approx",
        HOSPITAL,
        (2025, 8, 15, 12, 0),
        "Records published on the leak site",
        "Other patients, not screening participants.",
        "attacker published records of other patients",
    ),
    (
        EstimateMeasure.DATA_SUBJECTS,
        715_000,
        None,
        "approx",
        None,
        (2025, 8, 26, 16, 0),
        "Interim forensic report",
        "",
        "count revised after forensic report",
    ),
    (
        EstimateMeasure.DATA_SUBJECTS,
        850_000,
        None,
        "at_least",
        None,
        (2025, 8, 29, 12, 0),
        "Forensic report, second update",
        "At least 850,000: the analysis is not finished.",
        "count revised upwards: a lower bound only",
    ),
    (
        EstimateMeasure.DATA_SUBJECTS,
        941_000,
        None,
        "exact",
        None,
        (2025, 9, 3, 10, 0),
        "Programme's mailing list: all participants since 2017",
        "Everyone who may be affected gets a letter.",
        "programme writes to all participants since 2017",
    ),
    (
        EstimateMeasure.RECORDS,
        1_100_000,
        1_300_000,
        "approx",
        None,
        (2025, 9, 5, 14, 0),
        "Forensic report on the copied file shares",
        "",
        "records counted in the copied files",
    ),
)


@dataclass(frozen=True)
class DemoResult:
    created: bool
    organisations: tuple[str, ...]
    usernames: tuple[str, ...]
    incidents: tuple[str, ...]


def load_demo(password: str, *, now: datetime | None = None) -> DemoResult:
    """Load the demo, or, if it is already there, reset the demo users' passwords and re-place the live incident.

    Steps:
      1. refuse a password that fails AUTH_PASSWORD_VALIDATORS;
      2. if the lab tenant exists (found by name): set ``password`` on the demo users, then
         re-place the live incident relative to ``now`` (``place_live_incident``: created if an
         older demo lacks it, never duplicated) and stop; the historical case is left as it is;
      3. otherwise, in one transaction: the two tenants and their users (system actor), the
         lab's directory, the lab's historical incident, the programme's own incident of the
         breach, and the lab's live incident placed relative to ``now``.

    A reload re-places the live incident because its point is a clock that is running, with an
    alert minutes away; a clock placed at an earlier load would long have run out.
    """
    password_validation.validate_password(password)
    now = now or timezone.now()
    with transaction.atomic():
        lab = Organisation.objects.filter(name=LAB).first()
        if lab is not None:
            reset = _reset_passwords(password)
            officer = User.objects.filter(username=USERS[0][0]).first()
            if officer is not None:
                place_live_incident(lab, officer, now=now)
            return DemoResult(False, (LAB, PROGRAMME), reset, _incident_labels())
        _create_demo(password, now)
        return DemoResult(True, (LAB, PROGRAMME), USERNAMES, _incident_labels())


def _incident_labels() -> tuple[str, ...]:
    incidents = Incident.objects.filter(organisation__name__in=[LAB, PROGRAMME]).select_related("organisation")
    return tuple(f"{i.organisation.name}: {i}" for i in incidents.order_by("organisation__name", "pk"))


def _reset_passwords(password: str) -> tuple[str, ...]:
    """Set the password from the (new) password file; the change is kept in the users' history."""
    admin = system_actor("demo")
    reset = []
    for user in sorted(User.objects.filter(username__in=USERNAMES), key=lambda u: USERNAMES.index(u.username)):
        org_services.set_user_password(user, password, actor=admin, reason="demo password reset from the password file")
        reset.append(user.username)
    return tuple(reset)


def _create_demo(password: str, now: datetime) -> None:
    """Tenants and users as ``system:demo``; everything else as the tenants' privacy officers."""
    admin = system_actor("demo")
    tenants = {
        name: org_services.create_organisation(name=name, country="NL", actor=admin, reason="demo tenant", **fields)
        for name, fields in TENANTS.items()
    }
    users = {}
    for username, tenant, role, first_name, last_name, _purpose in USERS:
        user = org_services.create_user(
            username=username,
            email=username,
            password=password,
            first_name=first_name,
            last_name=last_name,
            time_zone=AMSTERDAM,
            actor=admin,
            reason="demo user",
        )
        org_services.add_member(tenants[tenant], user, role=role, actor=admin, reason="demo user")
        users[username] = user
    record_lab_regimes(create_lab_incident(tenants[LAB], users["officer@demo.example"]), users["officer@demo.example"])
    create_programme_incident(tenants[PROGRAMME], users["programme@demo.example"])
    create_live_incident(tenants[LAB], users["officer@demo.example"], now=now)


# --- Tenant 1: the laboratory (processor) ------------------------------------------------------
def create_lab_incident(lab: Organisation, officer: User) -> Incident:
    """The lab's register entry.

    Steps: the controllers in the lab's directory; the incident as first reported, then
    contained, then assessed; the parties and the AP as lead authority; the lab's own
    awareness; a processor notice per controller (each also records that controller's
    awareness); the estimates as they became known; the threat actor's countdown.
    """
    directory = {
        name: org_services.create_party(
            lab, name=name, country="NL", actor=officer, reason="controller we process for", **contact
        )
        for name, contact in LAB_CONTROLLERS.items()
    }
    incident = services.create_incident(
        organisation=lab,
        title="Ransomware attack and data theft at the laboratory",
        actor=officer,
        reason="first report: we are listed on the attackers' leak site",
        **FIRST_REPORT,
    )
    incident = services.update_incident(incident, actor=officer, reason="breach contained", **CONTAINMENT)
    incident = services.update_incident(
        incident, actor=officer, reason="risk assessment and decision to notify", **ASSESSMENT
    )
    parties = _add_lab_parties(incident, lab, directory, officer)
    _add_lead_authority(incident, officer)
    services.record_awareness(
        incident,
        party=parties[LAB],
        actor=officer,
        reason="our own awareness: leak-site listing verified",
        **instant("aware", *LAB_AWARE),
        source=AwarenessSource.THREAT_ACTOR,
        source_detail="Listed on the leak site with a sample and a deadline.",
        asserted_by="Head of IT, Demo Diagnostics Laboratory",
        evidence="Screenshots of the listing (6 July 2025, 09:40); sample compared with our own records; ticket SEC-2025-071.",
        rationale="The sample held real patient records from our systems: a reasonable degree of certainty that personal data was compromised.",
    )
    _record_notices(incident, parties, officer)
    _record_lab_estimates(incident, parties, officer)
    record_lab_extortion(incident, officer)
    return incident


def _add_lab_parties(incident: Incident, lab: Organisation, directory: dict, officer: User) -> dict:
    parties = {
        LAB: services.add_party(
            incident,
            party=lab.parties.get(is_self=True),
            role=PartyRole.PROCESSOR,
            actor=officer,
            reason="we processed the data as processor",
        )
    }
    for name, party in directory.items():
        parties[name] = services.add_party(
            incident, party=party, role=PartyRole.CONTROLLER, actor=officer, reason="controller whose data was taken"
        )
    return parties


def _add_lead_authority(incident: Incident, actor: User) -> None:
    services.add_authority(
        incident,
        authority=Authority.objects.get(code="nl-ap"),
        role=AuthorityRole.LEAD,
        actor=actor,
        reason="established in the Netherlands: the AP is the lead authority",
    )


def _record_notices(incident: Incident, parties: dict, officer: User) -> None:
    for controller, hours, agreement, informed, channel, received_by in NOTICES:
        relationship = services.link_processor(
            incident,
            processor=parties[LAB],
            controller=parties[controller],
            notice_target_hours=hours,
            agreement_reference=agreement,
            actor=officer,
            reason=f"processing agreement: notice within {hours} hours",
        )
        services.record_processor_notice(
            relationship,
            actor=officer,
            reason=f"we informed {controller}",
            **instant("informed", *informed),
            channel=channel,
            informed_by="Director, Demo Diagnostics Laboratory",
            received_by=received_by,
            summary="Patient data we processed for you was copied in the ransomware attack of early July.",
            evidence=f"Outgoing {channel.label.lower()} kept in the incident file.",
        )


def _record_lab_estimates(incident: Incident, parties: dict, officer: User) -> None:
    for measure, low, high, precision, controller, known, source, note, reason in LAB_ESTIMATES:
        services.record_estimate(
            incident,
            actor=officer,
            reason=reason,
            measure=measure,
            low=low,
            high=high,
            is_approximate=precision != "exact",
            is_at_least=precision == "at_least",
            party=parties[controller] if controller else None,
            **instant("known", *known),
            source=source,
            note=note,
        )


# --- The threat actor's countdown (docs/domain.md#extortion and docs/domain.md#demo-case) --------
THREAT_ACTOR = "Nightfall Syndicate"  # invented
FIRST_CONTACT = (2025, 7, 6, 9, 0)  # the leak-site listing with a sample and a deadline
FIRST_DEADLINE = (2025, 7, 13, 12, 0)  # invented: the press did not report the first deadline
RENEWED = (2025, 8, 14, 20, 0)  # mid-August: a new countdown after a reported payment
RENEWED_DEADLINE = (2025, 8, 28, 23, 59)  # "about 1.1 million euro in bitcoin by 28 August"
PUBLISHED = (2025, 8, 15, 12, 0)  # records of about 53,000 other patients
DROPPED = (2025, 9, 1, 12, 0)  # invented date: "later the group says it deleted the data"


def record_lab_extortion(incident: Incident, officer: User) -> None:
    """The countdown as it ran: set on 6 July, renewed after a payment in mid-August, dropped.

    Steps: the threat as first seen (no amount named yet); the police report; the payment decision
    (a payment was reported, never confirmed: the demo records it as made); the countdown set;
    renewed with the 1.1 million euro demand; the partial publication and the Art. 34
    reassessment it triggered; the group dropping the countdown. Every revision's deadline had
    passed by the time the demo is loaded, so they are history and start no clock.
    """
    threat = extortion_services.record_threat(
        incident,
        actor=officer,
        reason="the group behind the leak-site listing",
        actor_name=THREAT_ACTOR,
        actor_aliases="NFS",
        **instant("first_contact", *FIRST_CONTACT),
        channel=ExtortionChannel.LEAK_SITE,
        channel_detail="Listing with a sample of our files and a deadline.",
    )
    extortion_services.record_police_report(
        threat,
        actor=officer,
        reason="crime reported, as the police advise",
        **instant("police_reported", 2025, 7, 7, 10, 0),
        police_reference="DEMO-2025-0707-01",
        other_agencies_told="Z-CERT (health-sector CERT), 7 July; our cyber insurer, 6 July.",
    )
    extortion_services.revise_countdown(
        threat,
        kind=CountdownRevisionKind.SET,
        actor=officer,
        reason="deadline on the leak-site listing",
        **instant("announced", *FIRST_CONTACT),
        **instant("deadline", *FIRST_DEADLINE),
        source="Leak-site listing",
        evidence="Screenshots of 6 July 2025, 09:40 (ticket SEC-2025-071).",
    )
    extortion_services.record_payment_decision(
        threat,
        payment_decision=PaymentDecision.PAID,
        actor=officer,
        reason="board decision on the ransom",
        **instant("payment_decided", 2025, 7, 10, 16, 0),
        payment_reasoning=(
            "Board decided to pay to try to stop publication; police told. Recorded knowing that paying "
            "does not reduce the risk to patients and delays no notification."
        ),
    )
    _renew_publish_drop(incident, threat, officer)


def _renew_publish_drop(incident: Incident, threat, officer: User) -> None:
    threat = extortion_services.update_threat(
        threat,
        actor=officer,
        reason="demand named with the new countdown",
        demand_amount=Decimal("1100000"),
        demand_currency="EUR",
        demand_payment_method="bitcoin",
    )
    extortion_services.revise_countdown(
        threat,
        kind=CountdownRevisionKind.RENEWED_AFTER_PAYMENT,
        actor=officer,
        reason="new countdown after the payment",
        **instant("announced", *RENEWED),
        **instant("deadline", *RENEWED_DEADLINE),
        source="Leak-site listing, updated",
        note="About 1.1 million euro in bitcoin by 28 August.",
    )
    publication = extortion_services.record_publication(
        incident,
        threat=threat,
        actor=officer,
        reason="partial leak seen on the leak site",
        **instant("published", *PUBLISHED),
        location="The group's leak site, post 'part 1'",
        records_count=53_000,
        files_count=1_800,
        size_bytes=12_000_000_000,
        note="Records of other patients, not screening participants.",
    )
    extortion_services.record_risk_reassessment(
        publication,
        actor=officer,
        reason="Art. 34 risk reassessed after the leak",
        now=local(2025, 8, 16, 11, 0),
        outcome="High risk confirmed and now partly realised: letters to those published brought forward.",
    )
    extortion_services.withdraw_countdown(
        threat,
        actor=officer,
        reason="the group dropped the countdown",
        **instant("announced", *DROPPED),
        source="Leak-site listing removed",
        note="The group says it deleted the data: unverifiable, and no reason to skip any notification.",
    )


# --- Tenant 2: the screening programme (controller) ---------------------------------------------
def create_programme_incident(programme: Organisation, officer: User) -> Incident:
    """The programme's own register entry of the same breach, learned from the lab's notice.

    Steps: the lab in the programme's directory; the incident; the programme as controller
    and the lab as processor, linked; the AP as lead authority; the lab's awareness as the
    lab reported it; the lab's notice (the programme's own awareness: its 72 hours end on
    Saturday 9 August); the programme's first count.
    """
    lab_entry = org_services.create_party(
        programme,
        name=LAB,
        country="NL",
        registration_number=TENANTS[LAB]["registration_number"],
        contact_name=TENANTS[LAB]["dpo_name"],
        contact_email=TENANTS[LAB]["dpo_email"],
        actor=officer,
        reason="our screening laboratory (processor)",
    )
    incident = services.create_incident(
        organisation=programme,
        title="Data theft at our screening laboratory",
        actor=officer,
        reason="the laboratory's notice of 6 August",
        **_programme_facts(),
    )
    controller = services.add_party(
        incident,
        party=programme.parties.get(is_self=True),
        role=PartyRole.CONTROLLER,
        actor=officer,
        reason="we are the controller of the screening data",
    )
    processor = services.add_party(
        incident, party=lab_entry, role=PartyRole.PROCESSOR, actor=officer, reason="the laboratory processes for us"
    )
    relationship = services.link_processor(
        incident,
        processor=processor,
        controller=controller,
        notice_target_hours=24,
        agreement_reference="Processing agreement screening 2021-07",
        actor=officer,
        reason="our processing agreement",
    )
    _add_lead_authority(incident, officer)
    services.record_awareness(
        incident,
        party=processor,
        actor=officer,
        reason="laboratory's awareness as it reported it to us",
        **instant("aware", *LAB_AWARE),
        source=AwarenessSource.THREAT_ACTOR,
        source_detail="As stated by the laboratory in its notice of 6 August: listed on the leak site.",
        asserted_by="Director, Demo Diagnostics Laboratory",
        evidence="The laboratory's e-mail of 6 August 2025.",
    )
    services.record_processor_notice(
        relationship,
        actor=officer,
        reason="laboratory's notice received",
        **instant("informed", *NOTICES[0][3]),
        channel=Channel.EMAIL,
        informed_by="Director, Demo Diagnostics Laboratory",
        received_by="Programme DPO",
        summary="Screening data was copied in a ransomware attack in early July.",
        evidence="E-mail of 6 August 2025, 15:00.",
    )
    services.record_estimate(
        incident,
        actor=officer,
        reason="our first count",
        measure=EstimateMeasure.DATA_SUBJECTS,
        low=485_000,
        **instant("known", *LAB_ESTIMATES[0][5]),
        source="Participants whose samples the laboratory analysed",
    )
    record_programme_filings(incident, controller, officer)
    record_programme_letters(incident, controller, officer)
    return incident


def record_programme_filings(incident: Incident, controller, officer: User) -> None:
    """The programme's notification to the AP: phased and two days late, then complete.

    Its 72 hours ended on Saturday 9 August 15:00; it notified on Monday 11 August with the
    reasons for the delay, as a phased notification (consequences and measures still open), and
    completed it on 29 August when the count reached at least 850,000.
    """

    ap = Authority.objects.get(code="nl-ap")
    filing_services.submit_filing(
        incident,
        controller=controller,
        authority=ap,
        filing_type="initial",
        is_phased=True,
        channel="ap_form",
        **instant("submitted", 2025, 8, 11, 10, 0),
        **PROGRAMME_FILER,
        authority_reference="AP-DEMO-2025-0811",
        delay_reasons=(
            "The laboratory told us on Wednesday 6 August at 15:00, a month after it knew; we needed the "
            "weekend to establish with the laboratory which participants were involved."
        ),
        actor=officer,
        reason="notified through the AP's form (phased: more follows)",
    )
    services.update_incident(
        incident,
        actor=officer,
        reason="consequences and measures established",
        likely_consequences="Identity fraud and phishing using BSN and health data; distress for participants.",
        measures_containment="The laboratory's systems isolated; its access to our systems suspended.",
        measures_mitigation="Letters to all participants since 2017; a call centre; fraud monitoring advice.",
    )
    services.record_estimate(
        incident,
        actor=officer,
        reason="the laboratory's forensic update",
        measure=EstimateMeasure.DATA_SUBJECTS,
        low=850_000,
        is_approximate=False,
        is_at_least=True,
        **instant("known", 2025, 8, 29, 12, 0),
        source="Laboratory's forensic report, second update",
    )
    services.record_estimate(
        incident,
        actor=officer,
        reason="records in the stolen files",
        measure=EstimateMeasure.RECORDS,
        low=1_100_000,
        high=1_300_000,
        **instant("known", 2025, 8, 29, 12, 0),
        source="Laboratory's forensic report, second update",
    )
    filing_services.submit_filing(
        incident,
        controller=controller,
        authority=ap,
        filing_type="follow_up",
        channel="ap_form",
        **instant("submitted", 2025, 8, 29, 16, 0),
        **PROGRAMME_FILER,
        authority_reference="AP-DEMO-2025-0811",
        actor=officer,
        reason="follow-up with the new count, consequences and measures",
    )


# Who files for the programme, as the EDPB template asks it (the filer is not its DPO).
PROGRAMME_FILER = {
    "reporter_function": "other",
    "reporter_function_detail": "Privacy officer of the screening programme",
    "reporter_contact": "privacy@programme.demo.example",
}


def record_programme_letters(incident: Incident, controller, officer: User) -> None:
    """Art. 34: high risk decided on 8 August; the first wave of letters in September."""

    comms.record_assessment(
        incident,
        controller=controller,
        is_high_risk=True,
        reasoning="Health data and BSN, partly published by the attackers: a high risk for every participant.",
        decided_by_name="M. Steekproef",
        decided_by_role="DPO",
        **instant("decided", 2025, 8, 8, 11, 0),
        actor=officer,
        reason="Art. 34 assessment",
    )
    content = comms.create_content_version(
        incident,
        language="nl",
        title="Brief aan deelnemers: datalek bij het laboratorium",
        text=(
            "Bij het laboratorium dat uw uitstrijkje onderzocht, zijn gegevens gestolen: uw naam, BSN en "
            "uitslag. Mogelijke gevolgen: phishing en misbruik van uw BSN. Wij hebben het laboratorium "
            "afgesloten en bieden advies. Vragen? Bel 0800-0000 of mail dpo@programme.demo.example."
        ),
        describes_nature=True,
        names_contact_point=True,
        describes_consequences=True,
        describes_measures=True,
        actor=officer,
        reason="letter text approved",
    )
    wave = comms.plan_wave(
        incident,
        controller=controller,
        cohort_label="Participants 2017-2019",
        channel="letter",
        content_version=content,
        **instant("planned", 2025, 9, 8, 9, 0),
        actor=officer,
        reason="first wave",
    )
    comms.record_wave_counts(wave, planned_count=310_000, actor=officer, reason="mailing list extract")
    comms.mark_wave_sent(
        wave, **instant("sent", 2025, 9, 10, 9, 0), actor=officer, reason="the printer posted the first wave"
    )


def _programme_facts() -> dict:
    return {
        "is_confidentiality_breach": True,
        "cause": Cause.RANSOMWARE,
        "discovery_method": DiscoveryMethod.PROCESSOR_NOTICE,
        "discovery_detail": "The laboratory told us on 6 August, about a month after it knew.",
        "systems_involved": "The laboratory's file shares and servers holding screening results (Netherlands).",
        "confidentiality_outcome": ConfidentialityOutcome.DISCLOSED,
        "description": "Our screening laboratory was hit by ransomware; participants' data and results were copied.",
        **instant("occurred_from", *OCCURRED_FROM),
        **instant("detected", *DETECTED),
        **instant("investigation_started", *NOTICES[0][3]),
        **{name: ASSESSMENT[name] for name in ("data_categories", "data_subject_categories", "data_subject_countries")},
        "severity": Severity.VERY_HIGH,
        "risk_level": RiskLevel.HIGH,
        "risk_reasoning": "Health data and BSN of screening participants, partly published by the attackers.",
        "notification_decision": NotificationDecision.NOTIFY,
        "notification_reasoning": "High risk: notify the AP within 72 hours of the laboratory's notice and write to participants.",
    }


# --- The live incident: the lab as controller of its own staff's data --------------------------
LIVE_TITLE = "Laptop with staff records stolen from a car"
LIVE_CREATED_REASON = "first report: a laptop with staff records was stolen"  # finds it again on a reload
LIVE_REPLACED_REASON = "demo reloaded: live incident placed relative to the new load time"
# The first alert of the AP clock comes this long after loading. The awareness is placed just
# before the largest threshold of the installation's rule (48 h before the due moment by
# default, so about 23 h 57 min ago, due in about 48 h 3 min): no threshold has passed at load,
# so the first sweep records nothing stale ("due in 12 hours" with 6 hours left) and the first
# alert is the next threshold, minutes away.
LIVE_FIRST_ALERT_AFTER = timedelta(minutes=3)
LIVE_OCCURRED_BEFORE_AWARE = timedelta(hours=14)  # the theft, hours before anyone reported it
LIVE_DETECTED_BEFORE_AWARE = timedelta(hours=1, minutes=30)  # the employee reports the theft to IT
LIVE_INVESTIGATION_AFTER_AWARE = timedelta(minutes=30)


def live_aware_ago() -> timedelta:
    """How long before loading the lab became aware, so that the first alert fires LIVE_FIRST_ALERT_AFTER after it."""
    rule = installation_rule("authority_notification")
    thresholds = [threshold for threshold in rule.thresholds_before if threshold < rule.duration]
    first = max(thresholds, default=timedelta(0))  # no threshold: the first alert is the due moment
    return rule.duration - first - LIVE_FIRST_ALERT_AFTER


def _live_instants(now: datetime) -> dict[str, datetime]:
    aware = now - live_aware_ago()
    return {
        "occurred_from": aware - LIVE_OCCURRED_BEFORE_AWARE,
        "detected": aware - LIVE_DETECTED_BEFORE_AWARE,
        "aware": aware,
        "investigation_started": aware + LIVE_INVESTIGATION_AFTER_AWARE,
    }


def _zoned(instants: dict[str, datetime], *names: str) -> dict:
    fields: dict = {}
    for name in names:
        fields[f"{name}_at"] = instants[name]
        fields[f"{name}_tz"] = AMSTERDAM
    return fields


def find_live_incident(lab: Organisation) -> Incident | None:
    """The live incident, found by the reason it was created with (its title may have been edited)."""
    created = Incident.history.filter(
        organisation=lab, history_type="+", history_change_reason=LIVE_CREATED_REASON
    ).order_by("history_id")
    first = created.first()
    return Incident.objects.filter(pk=first.id).first() if first else None


def create_live_incident(lab: Organisation, officer: User, *, now: datetime) -> Incident:
    """The lab's own breach as controller, with its Art. 33(1) clock running at ``now``.

    Steps: the incident as first reported (the theft, then its report to the IT service desk);
    the lab as controller; the AP as lead authority; the lab's awareness. Not yet
    decided whether to notify: that is what the officer has the next two days for.
    """
    instants = _live_instants(now)
    incident = services.create_incident(
        organisation=lab,
        title=LIVE_TITLE,
        actor=officer,
        reason=LIVE_CREATED_REASON,
        now=now,
        is_confidentiality_breach=True,
        cause=Cause.LOST_OR_STOLEN,
        cause_detail="Laptop taken from an employee's parked car.",
        discovery_method=DiscoveryMethod.OWN_MONITORING,
        discovery_detail="The employee reported the theft to the IT service desk.",
        description=(
            "A laptop of the HR department was stolen from an employee's car. It held a spreadsheet with "
            "the names, addresses, BSN and salary details of about 240 staff. The disk was not encrypted."
        ),
        data_categories=[DataCategory.IDENTITY, DataCategory.NATIONAL_ID, DataCategory.FINANCIAL],
        data_subject_categories=[DataSubjectCategory.EMPLOYEES],
        data_subject_countries=["NL"],
        is_data_encrypted=False,
        **_zoned(instants, "occurred_from", "detected", "investigation_started"),
    )
    controller = services.add_party(
        incident,
        party=lab.parties.get(is_self=True),
        role=PartyRole.CONTROLLER,
        actor=officer,
        reason="our own staff's data: we are the controller",
    )
    _add_lead_authority(incident, officer)
    _record_live_awareness(incident, controller, officer, instants["aware"], "our awareness: the theft was confirmed")
    return incident


def _record_live_awareness(incident: Incident, controller, officer: User, aware_at: datetime, reason: str) -> None:
    services.record_awareness(
        incident,
        party=controller,
        actor=officer,
        reason=reason,
        aware_at=aware_at,
        aware_tz=AMSTERDAM,
        source=AwarenessSource.OWN_DETECTION,
        source_detail="The employee's report to the IT service desk.",
        asserted_by="Head of IT, Demo Diagnostics Laboratory",
        evidence="Service desk ticket IT-DEMO-0042; the police report of the theft.",
        rationale="The laptop's inventory shows the staff spreadsheet on an unencrypted disk.",
    )


def place_live_incident(lab: Organisation, officer: User, *, now: datetime) -> Incident:
    """Create the live incident, or move its instants so its clock runs as at a first load at ``now``.

    The move is recorded through the services as the officer with LIVE_REPLACED_REASON: the
    incident's instants and the lab's awareness are shifted together (in the order that keeps
    awareness after the start of the breach), and the deadlines are recomputed. A closed live
    incident is reopened first. What else the user recorded on it stays.
    """
    incident = find_live_incident(lab)
    if incident is None:
        return create_live_incident(lab, officer, now=now)
    record = (
        AwarenessRecord.objects.filter(
            incident=incident, party__party__is_self=True, is_withdrawn=False, processor_notice__isnull=True
        )
        .order_by("pk")
        .first()
    )
    instants = _live_instants(now)
    if record is not None and record.aware_at == instants["aware"]:
        return incident
    if incident.status == Status.CLOSED:
        incident = services.change_status(incident, Status.OPEN, actor=officer, reason=LIVE_REPLACED_REASON)
    facts = _zoned(instants, "occurred_from", "detected", "investigation_started")
    if record is None:
        incident = services.update_incident(incident, actor=officer, reason=LIVE_REPLACED_REASON, **facts)
        controller = incident.parties.get(party__is_self=True)
        _record_live_awareness(incident, controller, officer, instants["aware"], LIVE_REPLACED_REASON)
    elif instants["aware"] > record.aware_at:  # later: awareness first, so it never precedes the breach
        services.correct_awareness(record, actor=officer, reason=LIVE_REPLACED_REASON, **_zoned(instants, "aware"))
        incident = services.update_incident(incident, actor=officer, reason=LIVE_REPLACED_REASON, **facts)
    else:
        incident = services.update_incident(incident, actor=officer, reason=LIVE_REPLACED_REASON, **facts)
        services.correct_awareness(record, actor=officer, reason=LIVE_REPLACED_REASON, **_zoned(instants, "aware"))
    return incident
