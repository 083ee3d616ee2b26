"""The admin as an interface onto the register: tenancy, roles, services, local time.

The tenancy tests walk ``admin.site._registry``, so a newly registered model
fails here until its lab object is added to ``lab_objects``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse

from actions import extortion as extortion_services
from actions import filings as filing_services
from actions import incidents as services
from actions.alert_policies import set_alert_policy
from actions.notifications import create_webhook_endpoint
from incidents.models import (
    TIME_FACTS,
    AffectedEstimate,
    AwarenessRecord,
    Incident,
    IncidentAuthority,
    IncidentParty,
    ProcessingRelationship,
    ProcessorNotice,
)
from organisations import services as org_services
from web.forms import LocalInstant, LocalInstantField

REASON = "processor's e-mail of 4 July, 09:12"
# Shared reference data: visible to every member, owned by no organisation.
SHARED_MODELS = {"organisations.authority"}
MODELS = {model._meta.label_lower: model for model in admin.site._registry}
REGISTERED = sorted(MODELS)
TENANT_MODELS = [label for label in REGISTERED if label not in SHARED_MODELS]


def admin_url(model, view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def form_data(response) -> dict:
    """The POST a browser would send for the (unbound) form on an admin page."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        widget = field.widget
        if isinstance(widget, forms.MultiWidget):
            for index, (part_widget, part) in enumerate(zip(widget.widgets, value, strict=True)):
                shown = part_widget.format_value(part)  # a Select gives a list of one
                data[f"{name}_{index}"] = (shown[0] if shown else "") if isinstance(shown, list) else shown or ""
        elif isinstance(widget, forms.NullBooleanSelect):
            data[name] = {True: "true", False: "false"}.get(value, "unknown")
        elif isinstance(widget, forms.CheckboxInput):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(item) for item in value]
        elif value is not None:
            data[name] = value
    return data


def form_errors(response) -> str:
    if response.context is None or "adminform" not in response.context:
        return f"status {response.status_code}"
    return str(response.context["adminform"].form.errors)


def incident_add_data(organisation, **overrides) -> dict:
    data = {
        "organisation": organisation.pk,
        "title": "Leak-site publication",
        "notification_decision": "undecided",
        "is_data_encrypted": "unknown",
        "is_key_compromised": "unknown",
        "change_reason": REASON,
    }
    for stem in TIME_FACTS:
        data.update({f"{stem}_at_0": "", f"{stem}_at_1": "Europe/Amsterdam", f"{stem}_at_2": ""})
    data.update(overrides)
    return data


@pytest.fixture
def autumn_2026(time_machine):
    """After the 2026 clock changes, so both DST examples lie in the past."""
    time_machine.move_to(datetime(2026, 11, 1, 12, 0, tzinfo=UTC), tick=False)


@pytest.fixture
def lab_objects(lab, officer, incident, processor_and_controller, dutch_ap):
    """One row of every registered tenant model, all belonging to the lab."""
    processor, controller, relationship = processor_and_controller
    authority = services.add_authority(incident, authority=dutch_ap, role="lead", actor=officer, reason="lead SA")
    notice = services.record_processor_notice(
        relationship,
        informed_at=datetime(2025, 7, 4, 7, 12, tzinfo=UTC),
        channel="email",
        informed_by="Lab CISO",
        actor=officer,
        reason=REASON,
    )
    estimate = services.record_estimate(
        incident,
        measure="data_subjects",
        low=485_000,
        known_at=datetime(2025, 8, 11, 9, 0, tzinfo=UTC),
        source="press release",
        actor=officer,
        reason="first count",
    )
    policy = set_alert_policy(
        lab,
        "authority_notification",
        thresholds_before_minutes=[240, 30],
        overdue_repeat_minutes=120,
        actor=officer,
        reason="board decision",
    )
    threat = extortion_services.record_threat(
        incident,
        actor_name="Kraken Collective",
        first_contact_at=datetime(2025, 7, 6, 8, 0, tzinfo=UTC),
        channel="leak_site",
        actor=officer,
        reason="leak-site listing",
    )
    countdown = extortion_services.revise_countdown(
        threat,
        kind="set",
        announced_at=datetime(2025, 7, 6, 8, 0, tzinfo=UTC),
        deadline_at=datetime(2025, 8, 28, 12, 0, tzinfo=UTC),
        actor=officer,
        reason="countdown",
    )
    publication = extortion_services.record_publication(
        incident,
        threat=threat,
        published_at=datetime(2025, 8, 15, 10, 0, tzinfo=UTC),
        location="leak site",
        actor=officer,
        reason="partial leak",
    )
    decision = filing_services.record_decision_not_to_notify(
        incident,
        controller=controller,
        decided_at=datetime(2025, 7, 5, 9, 0, tzinfo=UTC),
        risk_basis="unlikely_risk",
        reasoning="First view: no personal data reached the attacker.",
        actor=officer,
        reason=REASON,
    )
    filing = filing_services.submit_filing(
        incident,
        controller=controller,
        authority=dutch_ap,
        filing_type="initial",
        is_phased=True,
        submitted_at=datetime(2025, 8, 11, 10, 0, tzinfo=UTC),
        channel="ap_form",
        delay_reasons="Told late by the lab.",
        actor=officer,
        reason=REASON,
    )
    from actions.sharing import create_share_link
    from tests.communications.objects import communications_lab_objects

    share_link = create_share_link(
        incident,
        export_kind="deadlines_ics",
        recipient="AP",
        expires_at=datetime(2025, 9, 1, tzinfo=UTC),
        actor=officer,
        reason="AP asked",
    ).link
    from api.tokens import create_api_token
    from breachtrack.history import system_actor

    api_token = create_api_token(
        organisation=lab,
        user=officer,
        role="viewer",
        name="SIEM",
        expires_at=datetime(2025, 9, 1, tzinfo=UTC),
        actor=system_actor("tests"),
        reason="integration",
    ).token
    return {
        **communications_lab_objects(incident, controller, officer),
        "api.apitoken": api_token,
        "access.sharelink": share_link,
        "organisations.alertpolicy": policy,
        "filings.authorityfiling": filing,
        "filings.notificationdecisionrecord": decision,
        "organisations.organisation": lab,
        "organisations.user": officer,
        "organisations.membership": officer.memberships.get(),
        "organisations.party": controller.party,
        "incidents.incident": incident,
        "incidents.incidentparty": controller,
        "incidents.incidentauthority": authority,
        "incidents.processingrelationship": relationship,
        "incidents.processornotice": notice,
        "incidents.awarenessrecord": notice.awareness_record,
        "incidents.affectedestimate": estimate,
        "incidents.extortionthreat": threat,
        "incidents.extortioncountdown": countdown,
        "incidents.publication": publication,
        "notifications.webhookendpoint": create_webhook_endpoint(
            lab, url="https://siem.lab.example/hook", actor=officer, reason="alerts"
        ),
    }


def test_every_registered_model_is_covered_by_the_tenancy_tests():
    covered = {
        "organisations.organisation",
        "organisations.user",
        "organisations.membership",
        "organisations.party",
        "organisations.alertpolicy",
        "incidents.incident",
        "incidents.incidentparty",
        "incidents.incidentauthority",
        "incidents.processingrelationship",
        "incidents.processornotice",
        "incidents.awarenessrecord",
        "incidents.affectedestimate",
        "incidents.extortionthreat",
        "incidents.extortioncountdown",
        "incidents.publication",
        "notifications.webhookendpoint",
        "filings.authorityfiling",
        "filings.notificationdecisionrecord",
        "access.sharelink",
        "api.apitoken",
    }
    from tests.communications.objects import COMMUNICATIONS_MODELS

    assert set(REGISTERED) == covered | COMMUNICATIONS_MODELS | SHARED_MODELS


# --- Tenancy: another organisation's object does not exist ------------------


@pytest.mark.parametrize("label", TENANT_MODELS)
def test_an_outsider_gets_404_for_the_labs_object_on_every_view(client, outsider, lab_objects, label):
    obj = lab_objects[label]
    model = type(obj)
    version = obj.history.latest()
    client.force_login(outsider)

    assert client.get(admin_url(model, "change", obj.pk)).status_code == 404
    assert client.post(admin_url(model, "change", obj.pk), {"change_reason": "probe"}).status_code == 404
    assert client.get(admin_url(model, "history", obj.pk)).status_code == 404
    assert client.get(admin_url(model, "simple_history", obj.pk, version.history_id)).status_code == 404
    assert client.get(admin_url(model, "delete", obj.pk)).status_code == 404


@pytest.mark.parametrize("label", TENANT_MODELS)
def test_the_labs_objects_are_absent_from_an_outsiders_changelist(client, outsider, officer, lab_objects, label):
    obj = lab_objects[label]
    changelist = admin_url(type(obj), "changelist")

    client.force_login(outsider)
    response = client.get(changelist)
    assert response.status_code == 200
    assert obj.pk not in {row.pk for row in response.context["cl"].result_list}

    client.force_login(officer)  # the control: the lab's own officer does see it
    response = client.get(changelist)
    assert obj.pk in {row.pk for row in response.context["cl"].result_list}


def test_autocomplete_offers_an_outsider_nothing_of_the_lab(client, outsider, officer, lab_objects):
    def results(field_name, term):
        response = client.get(
            reverse("admin:autocomplete"),
            {"app_label": "incidents", "model_name": "incidentparty", "field_name": field_name, "term": term},
        )
        assert response.status_code == 200
        return [row["text"] for row in response.json()["results"]]

    client.force_login(outsider)
    assert results("incident", "Ransomware") == []
    assert results("party", "Screening") == []
    client.force_login(officer)
    assert results("incident", "Ransomware") == [str(lab_objects["incidents.incident"])]
    assert results("party", "Screening") == ["National Screening Programme"]


def test_a_members_lookups_cannot_reach_into_another_organisation(client, outsider, lab_objects):
    client.force_login(outsider)
    lab = lab_objects["organisations.organisation"]
    response = client.get(admin_url(Incident, "changelist"), {"organisation__id__exact": lab.pk})
    assert list(response.context["cl"].result_list) == []
    assert lab.name not in response.content.decode()  # not even as a filter choice


# --- Roles ------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["officer", "superuser"])
def test_every_admin_page_renders_for_those_who_keep_the_register(client, request, persona, lab_objects):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("admin:index")).status_code == 200
    for label in REGISTERED:
        model = MODELS[label]
        assert client.get(admin_url(model, "changelist")).status_code == 200, label
        add = client.get(admin_url(model, "add"))
        assert add.status_code in (200, 403), label
        obj = lab_objects.get(label) or model._default_manager.first()
        assert client.get(admin_url(model, "change", obj.pk)).status_code == 200, label
        assert client.get(admin_url(model, "history", obj.pk)).status_code == 200, label


@pytest.mark.parametrize("persona", ["viewer", "lawyer"])
def test_readers_see_the_register_but_cannot_change_it(client, request, persona, lab_objects):
    client.force_login(request.getfixturevalue(persona))
    for label, obj in lab_objects.items():
        if persona == "lawyer" and label == "access.sharelink":
            continue  # legal may revoke share links (actions.sharing.SHARE_ROLES; tests/access/test_admin.py)
        change_url = admin_url(type(obj), "change", obj.pk)
        page = client.get(change_url)
        assert page.status_code == 200, change_url
        assert b'name="_save"' not in page.content
        assert client.post(change_url, {"change_reason": "attempt"}).status_code == 403, change_url
        assert client.get(admin_url(type(obj), "history", obj.pk)).status_code == 200
        version = obj.history.latest().history_id
        assert client.get(admin_url(type(obj), "simple_history", obj.pk, version)).status_code == 200
    assert client.get(admin_url(Incident, "add")).status_code == 403
    assert client.post(admin_url(Incident, "add"), {"change_reason": "attempt"}).status_code == 403


def test_an_officer_elsewhere_only_reads_where_they_are_a_viewer(client, officer, outsider, other_org, admin_actor):
    org_services.add_member(other_org, officer, role="viewer", actor=admin_actor, reason="shared audit")
    theirs = services.create_incident(organisation=other_org, title="Lost laptop", actor=outsider, reason="report")
    client.force_login(officer)
    url = admin_url(Incident, "change", theirs.pk)
    assert b'name="_save"' not in client.get(url).content
    assert client.post(url, {"title": "x", "change_reason": "x"}).status_code == 403
    add_page = client.get(admin_url(Incident, "add"))
    assert other_org not in add_page.context["adminform"].form.fields["organisation"].queryset


def test_the_history_view_lists_actor_and_reason(client, lawyer, officer, incident):
    client.force_login(lawyer)
    response = client.get(admin_url(Incident, "history", incident.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert "first report" in content
    assert officer.username in content


@pytest.mark.parametrize("persona", ["officer", "superuser"])
def test_nobody_deletes_an_incident(client, request, persona, incident):
    client.force_login(request.getfixturevalue(persona))
    change = client.get(admin_url(Incident, "change", incident.pk))
    assert b"deletelink" not in change.content
    assert change.context["has_delete_permission"] is False
    assert client.get(admin_url(Incident, "delete", incident.pk)).status_code == 403
    assert client.post(admin_url(Incident, "delete", incident.pk), {"post": "yes"}).status_code == 403
    changelist = client.get(admin_url(Incident, "changelist"))
    assert b"delete_selected" not in changelist.content
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_no_admin_grants_delete_permission(rf, superuser):
    request = rf.get("/admin/")
    request.user = superuser
    for model_admin in admin.site._registry.values():
        assert model_admin.has_delete_permission(request) is False, model_admin


def test_a_historical_version_cannot_be_reverted(client, officer, incident):
    client.force_login(officer)
    version = incident.history.latest()
    url = admin_url(Incident, "simple_history", incident.pk, version.history_id)
    assert client.get(url).status_code == 200
    assert client.post(url, {"title": "rewritten", "change_reason": "x"}).status_code == 403
    incident.refresh_from_db()
    assert incident.title == "Ransomware at the laboratory"


# --- Saving through services ------------------------------------------------


def test_an_officer_creates_an_incident_with_a_reason(client, officer, lab, now):
    client.force_login(officer)
    response = client.post(
        admin_url(Incident, "add"),
        incident_add_data(lab, detected_at_0="2025-07-04T09:15", data_categories=["health", "identity"]),
    )
    assert response.status_code == 302, form_errors(response)

    incident = Incident.objects.get(title="Leak-site publication")
    record = incident.history.get()
    assert record.history_user == officer
    assert record.history_change_reason == REASON
    assert incident.detected_at == datetime(2025, 7, 4, 7, 15, tzinfo=UTC)
    assert incident.detected_tz == "Europe/Amsterdam"
    assert incident.has_special_categories
    assert incident.reference.startswith("2025-")


def test_an_incident_needs_a_reason(client, officer, lab, now):
    client.force_login(officer)
    response = client.post(admin_url(Incident, "add"), incident_add_data(lab, change_reason=""))
    assert response.status_code == 200
    assert "change_reason" in response.context["adminform"].form.errors
    assert not Incident.objects.exists()


def test_an_officer_can_only_choose_their_own_organisation(client, officer, lab, other_org, now):
    client.force_login(officer)
    page = client.get(admin_url(Incident, "add"))
    assert list(page.context["adminform"].form.fields["organisation"].queryset) == [lab]
    assert page.context["adminform"].form.initial["organisation"] == lab.pk

    response = client.post(admin_url(Incident, "add"), incident_add_data(other_org))
    assert response.status_code == 200
    assert "organisation" in response.context["adminform"].form.errors
    assert not Incident.objects.exists()


def test_a_nonexistent_local_time_is_refused_and_nothing_is_written(client, officer, lab, autumn_2026):
    client.force_login(officer)
    incidents, history = Incident.objects.count(), Incident.history.count()

    response = client.post(admin_url(Incident, "add"), incident_add_data(lab, detected_at_0="2026-03-29T02:30"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["detected_at"]
    assert "2026-03-29 02:30 does not exist in Europe/Amsterdam" in errors[0]
    assert "does not exist" in response.content.decode()
    assert (Incident.objects.count(), Incident.history.count()) == (incidents, history)


def test_an_ambiguous_local_time_needs_earlier_or_later(client, officer, lab, autumn_2026):
    client.force_login(officer)
    url = admin_url(Incident, "add")

    response = client.post(url, incident_add_data(lab, detected_at_0="2026-10-25T02:30"))
    assert response.status_code == 200
    assert "happens twice in Europe/Amsterdam" in response.context["adminform"].form.errors["detected_at"][0]
    assert not Incident.objects.exists()

    response = client.post(url, incident_add_data(lab, detected_at_0="2026-10-25T02:30", detected_at_2="later"))
    assert response.status_code == 302, form_errors(response)
    incident = Incident.objects.get()
    assert incident.detected_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert incident.detected_tz == "Europe/Amsterdam"

    # Shown again as typed, with the fold that makes it the same instant.
    page = client.get(admin_url(Incident, "change", incident.pk))
    data = form_data(page)
    assert (data["detected_at_0"], data["detected_at_1"], data["detected_at_2"]) == (
        "2026-10-25T02:30",
        "Europe/Amsterdam",
        "later",
    )


def test_an_update_sends_only_the_changed_fields(client, officer, incident):
    client.force_login(officer)
    url = admin_url(Incident, "change", incident.pk)
    data = form_data(client.get(url))
    data.update(title="Ransomware at the laboratory (NMDL)", change_reason="name used in the press")

    response = client.post(url, data)

    assert response.status_code == 302, form_errors(response)
    new, old = incident.history.all()[:2]
    assert new.history_user == officer
    assert new.history_change_reason == "name used in the press"
    assert set(new.diff_against(old).changed_fields) <= {"title", "updated_at"}


def test_an_unchanged_form_writes_no_history(client, officer, incident):
    client.force_login(officer)
    url = admin_url(Incident, "change", incident.pk)
    data = form_data(client.get(url))
    data["change_reason"] = "looked, nothing to change"
    before = incident.history.count()

    assert client.post(url, data).status_code == 302
    assert incident.history.count() == before


def test_closing_an_incomplete_incident_shows_the_gaps_and_writes_nothing(client, officer, incident):
    client.force_login(officer)
    url = admin_url(Incident, "change", incident.pk)
    data = form_data(client.get(url))
    data.update(status="closed", title="Renamed while closing", change_reason="closing")
    before = incident.history.count()

    response = client.post(url, data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "Describe what happened." in form.errors["description"][0]
    assert any("Record when the organisation became aware." in error for error in form.non_field_errors())
    incident.refresh_from_db()
    assert (incident.status, incident.title) == ("open", "Ransomware at the laboratory")
    assert incident.history.count() == before


@pytest.fixture
def closed_incident(incident, officer, processor_and_controller):
    processor, _controller, _relationship = processor_and_controller
    services.update_incident(
        incident,
        actor=officer,
        reason="assessment",
        description="Ransomware encrypted the lab's systems.",
        is_confidentiality_breach=True,
        cause="ransomware",
        discovery_method="own_monitoring",
        detected_at=datetime(2025, 7, 4, 6, 0, tzinfo=UTC),
        data_categories=["health"],
        data_subject_categories=["patients"],
        likely_consequences="Disclosure.",
        risk_level="high",
        risk_reasoning="Health data of many.",
        measures_containment="Isolated.",
        notification_decision="notify",
        notification_reasoning="High risk.",
    )
    services.record_awareness(
        incident,
        party=processor,
        aware_at=datetime(2025, 7, 4, 6, 0, tzinfo=UTC),
        source="own_detection",
        actor=officer,
        reason="SOC",
    )
    services.record_estimate(
        incident,
        measure="data_subjects",
        low=485_000,
        known_at=datetime(2025, 8, 11, 9, 0, tzinfo=UTC),
        source="press",
        actor=officer,
        reason="count",
    )
    return services.change_status(incident, "closed", actor=officer, reason="register complete")


def test_a_closed_incident_only_reopens(client, officer, closed_incident):
    client.force_login(officer)
    url = admin_url(Incident, "change", closed_incident.pk)
    page = client.get(url)
    assert set(page.context["adminform"].form.fields) == {"status", "change_reason"}

    response = client.post(url, {"status": "open", "title": "ignored", "change_reason": "new facts from the processor"})

    assert response.status_code == 302, form_errors(response)
    closed_incident.refresh_from_db()
    assert (closed_incident.status, closed_incident.title) == ("open", "Ransomware at the laboratory")
    assert closed_incident.history.latest().history_change_reason == "new facts from the processor"


def test_a_refused_addition_is_shown_on_the_form_and_writes_nothing(client, officer, closed_incident):
    processor = closed_incident.parties.get(role="processor")
    client.force_login(officer)
    before = (AwarenessRecord.objects.count(), AwarenessRecord.history.count())

    response = client.post(
        admin_url(AwarenessRecord, "add"),
        {
            "incident": closed_incident.pk,
            "party": processor.pk,
            "source": "third_party",
            "aware_at_0": "2025-07-04T08:00",
            "aware_at_1": "Europe/Amsterdam",
            "aware_at_2": "",
            "change_reason": "late report",
        },
    )

    assert response.status_code == 200
    assert any("closed" in error for error in response.context["adminform"].form.non_field_errors())
    assert (AwarenessRecord.objects.count(), AwarenessRecord.history.count()) == before


def test_containing_records_the_moment_first_then_the_status(client, officer, incident):
    client.force_login(officer)
    url = admin_url(Incident, "change", incident.pk)
    data = form_data(client.get(url))
    data.update(status="contained", contained_at_0="2025-07-05T18:00", change_reason="systems isolated")

    response = client.post(url, data)

    assert response.status_code == 302, form_errors(response)
    incident.refresh_from_db()
    assert incident.status == "contained"
    assert incident.contained_at == datetime(2025, 7, 5, 16, 0, tzinfo=UTC)
    assert [r.history_change_reason for r in incident.history.all()[:2]] == ["systems isolated"] * 2


def test_times_are_entered_and_shown_in_the_persons_zone(client, officer, viewer, incident, admin_actor):
    viewer.time_zone = "Asia/Tokyo"
    org_services.save_with_history(viewer, actor=admin_actor, reason="moved", update_fields=["time_zone"])
    client.force_login(viewer)
    content = client.get(admin_url(Incident, "change", incident.pk)).content.decode()
    assert "July 4, 2025, 7 a.m." in content  # 22:00 UTC on 3 July, in Tokyo

    officer.time_zone = "Europe/London"
    org_services.save_with_history(officer, actor=admin_actor, reason="moved", update_fields=["time_zone"])
    client.force_login(officer)
    data = form_data(client.get(admin_url(Incident, "add")))
    assert data["detected_at_1"] == "Europe/London"  # a new instant defaults to the person's zone
    data = form_data(client.get(admin_url(Incident, "change", incident.pk)))
    assert data["occurred_from_at_1"] == "Europe/Amsterdam"  # a stored one keeps the zone it was entered in


def test_a_reader_sees_the_derived_flags_read_only(client, viewer, incident, officer):
    services.update_incident(incident, data_categories=["national_id", "health"], actor=officer, reason="scope known")
    client.force_login(viewer)
    content = client.get(admin_url(Incident, "change", incident.pk)).content.decode()
    assert "Citizen service number (BSN)" in content
    assert 'alt="True"' in content


@pytest.mark.parametrize("persona", ["viewer", "officer"])
def test_related_rows_are_listed_as_links_with_add_links_only_for_officers(client, request, persona, lab_objects):
    client.force_login(request.getfixturevalue(persona))
    incident = lab_objects["incidents.incident"]
    content = client.get(admin_url(Incident, "change", incident.pk)).content.decode()
    controller = lab_objects["incidents.incidentparty"]
    assert f"<a href='{admin_url(IncidentParty, 'change', controller.pk)}'>" in content
    assert "&lt;ul&gt;" not in content
    add_party = f'href="{admin_url(IncidentParty, "add")}?incident={incident.pk}"'
    assert (add_party in content) is (persona == "officer")


def test_the_officer_records_a_processor_notice_and_the_controller_becomes_aware(
    client, officer, processor_and_controller
):
    _processor, controller, relationship = processor_and_controller
    client.force_login(officer)
    response = client.post(
        admin_url(ProcessorNotice, "add"),
        {
            "relationship": relationship.pk,
            "informed_at_0": "2025-07-04T09:12",
            "informed_at_1": "Europe/Amsterdam",
            "informed_at_2": "",
            "channel": "email",
            "informed_by": "Lab CISO",
            "change_reason": REASON,
        },
    )
    assert response.status_code == 302, form_errors(response)
    awareness = AwarenessRecord.objects.get(party=controller)
    assert awareness.aware_at == datetime(2025, 7, 4, 7, 12, tzinfo=UTC)
    assert awareness.history.get().history_change_reason == REASON


def test_correcting_a_notice_moves_the_controllers_awareness_with_it(client, officer, lab_objects):
    notice = lab_objects["incidents.processornotice"]
    client.force_login(officer)
    url = admin_url(ProcessorNotice, "change", notice.pk)
    data = form_data(client.get(url))
    data.update(informed_at_0="2025-07-04T10:12", change_reason="the e-mail came an hour later")

    assert client.post(url, data).status_code == 302
    notice.awareness_record.refresh_from_db()
    assert notice.awareness_record.aware_at == datetime(2025, 7, 4, 8, 12, tzinfo=UTC)
    assert notice.awareness_record.history.latest().history_change_reason == "the e-mail came an hour later"


def test_withdrawing_an_awareness_record_keeps_it(client, officer, incident, processor_and_controller):
    processor, _controller, _relationship = processor_and_controller
    record = services.record_awareness(
        incident,
        party=processor,
        aware_at=datetime(2025, 7, 5, 8, 0, tzinfo=UTC),
        source="own_detection",
        actor=officer,
        reason="SOC ticket",
    )
    client.force_login(officer)
    url = admin_url(AwarenessRecord, "change", record.pk)
    data = form_data(client.get(url))

    data.update(is_withdrawn="on", withdrawal_reason="", change_reason="wrong ticket")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "withdrawal_reason" in response.context["adminform"].form.errors

    data.update(withdrawal_reason="the ticket was about another system")
    assert client.post(url, data).status_code == 302
    record.refresh_from_db()
    assert record.is_withdrawn
    assert record.history.latest().history_change_reason == "wrong ticket"


def test_estimates_are_append_only(client, officer, lab_objects):
    estimate = lab_objects["incidents.affectedestimate"]
    client.force_login(officer)
    url = admin_url(AffectedEstimate, "change", estimate.pk)
    page = client.get(url)
    assert b'name="_save"' not in page.content
    assert client.post(url, {"low": "1", "change_reason": "x"}).status_code == 403

    response = client.post(
        admin_url(AffectedEstimate, "add"),
        {
            "incident": estimate.incident_id,
            "measure": "data_subjects",
            "low": "715000",
            "is_approximate": "on",
            "known_at_0": "2025-08-15T10:00",
            "known_at_1": "Europe/Amsterdam",
            "known_at_2": "",
            "source": "update to the AP",
            "change_reason": "new count",
        },
    )
    assert response.status_code == 302, form_errors(response)
    assert list(AffectedEstimate.objects.order_by("known_at").values_list("low", flat=True)) == [485_000, 715_000]


def test_rows_without_a_correction_service_are_read_only_once_created(client, officer, lab_objects):
    client.force_login(officer)
    for model in (IncidentParty, IncidentAuthority, ProcessingRelationship, AwarenessRecord):
        obj = lab_objects[model._meta.label_lower]  # the awareness record derives from a notice
        url = admin_url(model, "change", obj.pk)
        assert b'name="_save"' not in client.get(url).content
        assert client.post(url, {"change_reason": "x"}).status_code == 403


def test_an_officer_cannot_add_another_organisations_party(client, officer, outsider, incident, other_org):
    foreign = other_org.parties.get(is_self=True)
    client.force_login(officer)
    response = client.post(
        admin_url(IncidentParty, "add"),
        {
            "incident": incident.pk,
            "party": foreign.pk,
            "role": "controller",
            "change_reason": "x",
        },
    )
    assert response.status_code == 200
    assert "party" in response.context["adminform"].form.errors
    assert not incident.parties.exists()


def test_errors_on_fields_the_form_does_not_show_land_where_a_person_sees_them(rf, officer, incident):
    request = rf.post("/")
    request.user = officer
    form_class = admin.site.get_model_admin(Incident).get_form(
        request, incident, change=True, fields=["title", "detected_at"]
    )
    form = form_class(
        data={
            "title": "Ransomware",
            "detected_at_0": "",
            "detected_at_1": "UTC",
            "detected_at_2": "",
            "change_reason": "",
        },
        instance=incident,
    )
    assert not form.is_valid()  # no reason: the service is not asked

    form.add_error(
        None,
        ValidationError(
            {
                "detected_tz": "Unknown zone.",
                "reference": "Taken.",
                "reason": "Say why.",
                "title": "Too short.",
            }
        ),
    )
    form.add_error("title", "Too short.")  # the model validation may find it again

    assert form.errors["detected_at"] == ["Unknown zone."]
    assert "reference: Taken." in form.non_field_errors()
    assert form.errors["change_reason"] == ["This field is required.", "Say why."]
    assert form.errors["title"] == ["Too short."]


# --- The local-time field on its own ---------------------------------------


def field(**kwargs):
    return LocalInstantField(default_zone="Europe/Amsterdam", required=False, **kwargs)


def test_the_field_refuses_a_time_the_clocks_skipped():
    with pytest.raises(ValidationError) as caught:
        field().clean(["2026-03-29T02:30", "Europe/Amsterdam", ""])
    assert caught.value.code == "nonexistent"
    assert "does not exist in Europe/Amsterdam" in caught.value.messages[0]


def test_the_field_asks_which_of_two_repeated_times():
    with pytest.raises(ValidationError) as caught:
        field().clean(["2026-10-25T02:30", "Europe/Amsterdam", ""])
    assert caught.value.code == "ambiguous"
    assert "earlier" in caught.value.messages[0] and "later" in caught.value.messages[0]
    assert field().clean(["2026-10-25T02:30", "Europe/Amsterdam", "earlier"]) == (
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        "Europe/Amsterdam",
    )


def test_the_field_is_empty_without_a_time_even_with_a_zone():
    assert field().clean(["", "Europe/Amsterdam", ""]) is None
    with pytest.raises(ValidationError) as caught:
        LocalInstantField(required=True).clean(["", "Europe/Amsterdam", ""])
    assert caught.value.code == "required"


def test_the_field_shows_a_stored_instant_as_typed():
    instant = LocalInstant(datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "Europe/Amsterdam")
    assert field().prepare_value(instant) == [datetime(2026, 10, 25, 2, 30), "Europe/Amsterdam", "earlier"]
    assert not field().has_changed(instant, ["2026-10-25T02:30", "Europe/Amsterdam", "earlier"])
    assert field().has_changed(instant, ["2026-10-25T02:30", "Europe/Amsterdam", "later"])
    assert field().has_changed(instant, ["2026-10-25T02:30", "UTC", ""])
