"""Alert policies: who may set them, what is refused, how they resolve into clock rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from actions.alert_policies import reset_alert_policy, set_alert_policy
from organisations.models import AlertPolicy
from rules import clocks
from rules.policies import clock_rule, organisation_rules

H = timedelta(hours=1)
LADDER = {"thresholds_before_minutes": [30, 240], "overdue_repeat_minutes": 120}


def _set(organisation, actor, kind="authority_notification", reason="board decision of 1 August", **values):
    return set_alert_policy(organisation, kind, **{**LADDER, **values}, actor=actor, reason=reason)


def _refusal(call) -> dict[str, str]:
    with pytest.raises(ValidationError) as refused:
        call()
    return {field: errors[0].code for field, errors in refused.value.error_dict.items()}


# --- Services ------------------------------------------------------------------------------------


def test_a_privacy_officer_sets_a_policy_with_history(lab, officer):
    policy = _set(lab, officer)
    policy.refresh_from_db()
    assert (policy.thresholds_before_minutes, policy.overdue_repeat_minutes, policy.target_hours) == (
        [240, 30],
        120,
        None,
    )
    record = policy.history.get()
    assert (record.history_user, record.history_change_reason) == (officer, "board decision of 1 August")


def test_setting_it_again_replaces_the_same_row(lab, officer):
    first = _set(lab, officer)
    second = _set(lab, officer, thresholds_before_minutes=[60], overdue_repeat_minutes=None, reason="fewer alerts")
    assert first.pk == second.pk
    assert AlertPolicy.objects.get().thresholds_before_minutes == [60]
    assert AlertPolicy.objects.get().overdue_repeat_minutes is None
    assert [r.history_change_reason for r in second.history.order_by("history_id")] == [
        "board decision of 1 August",
        "fewer alerts",
    ]


def test_reset_brings_back_the_defaults_and_keeps_the_history(lab, officer):
    policy = _set(lab, officer)
    reset_alert_policy(lab, "authority_notification", actor=officer, reason="back to defaults")
    assert not AlertPolicy.objects.exists()
    deleted = AlertPolicy.history.filter(id=policy.pk).latest()
    assert (deleted.history_type, deleted.history_user, deleted.history_change_reason) == (
        "-",
        officer,
        "back to defaults",
    )
    assert organisation_rules(lab.pk)["authority_notification"] == clocks.DEFAULT_RULES["authority_notification"]


@pytest.mark.parametrize("persona", ["lawyer", "viewer", "outsider"])
def test_only_the_organisations_privacy_officers_may_set_or_reset_it(request, lab, officer, persona):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        _set(lab, actor)
    assert not AlertPolicy.objects.exists()
    _set(lab, officer)
    with pytest.raises(PermissionDenied):
        reset_alert_policy(lab, "authority_notification", actor=actor, reason="try")
    assert AlertPolicy.objects.count() == 1


def test_a_change_without_a_reason_is_refused(lab, officer):
    assert _refusal(lambda: _set(lab, officer, reason="  ")) == {"reason": "required"}
    assert not AlertPolicy.objects.exists()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"thresholds_before_minutes": [240, 240]}, {"thresholds_before_minutes": "duplicate"}),
        ({"thresholds_before_minutes": [240, 0]}, {"thresholds_before_minutes": "min_value"}),
        ({"thresholds_before_minutes": [-30]}, {"thresholds_before_minutes": "min_value"}),
        ({"thresholds_before_minutes": [60 * 24 * 365]}, {"thresholds_before_minutes": "max_value"}),
        ({"thresholds_before_minutes": list(range(1, 20))}, {"thresholds_before_minutes": "max_length"}),
        ({"thresholds_before_minutes": "240, 30"}, {"thresholds_before_minutes": "invalid"}),
        ({"thresholds_before_minutes": [4.5]}, {"thresholds_before_minutes": "invalid"}),
        ({"thresholds_before_minutes": [True]}, {"thresholds_before_minutes": "invalid"}),
        ({"thresholds_before_minutes": ["30"]}, {"thresholds_before_minutes": "invalid"}),
        ({"thresholds_before_minutes": None}, {"thresholds_before_minutes": "invalid"}),
        ({"overdue_repeat_minutes": 0}, {"overdue_repeat_minutes": "min_value"}),
        ({"overdue_repeat_minutes": 1}, {"overdue_repeat_minutes": "min_value"}),
        ({"overdue_repeat_minutes": 10**9}, {"overdue_repeat_minutes": "max_value"}),
        ({"overdue_repeat_minutes": "12h"}, {"overdue_repeat_minutes": "invalid"}),
        ({"kind": "authority_notification", "target_hours": 96}, {"target_hours": "fixed_by_law"}),
        ({"kind": "processor_notice", "target_hours": 0}, {"target_hours": "min_value"}),
        ({"kind": "processor_notice", "target_hours": 24 * 365}, {"target_hours": "max_value"}),
        ({"kind": "processor_notice", "target_hours": 2.5}, {"target_hours": "invalid"}),
        ({"kind": "coffee_break"}, {"kind": "invalid_choice"}),
    ],
)
def test_bad_values_are_refused_on_their_field_and_nothing_is_written(lab, officer, values, expected):
    assert _refusal(lambda: _set(lab, officer, **values)) == expected
    assert not AlertPolicy.objects.exists()
    assert not AlertPolicy.history.exists()


def test_every_bad_field_is_named_at_once(lab, officer):
    refusal = _refusal(
        lambda: _set(lab, officer, thresholds_before_minutes=[0], overdue_repeat_minutes=-1, target_hours=96)
    )
    assert refusal == {
        "thresholds_before_minutes": "min_value",
        "overdue_repeat_minutes": "min_value",
        "target_hours": "fixed_by_law",
    }


def test_the_refusal_of_a_target_for_the_72_hours_names_the_law(lab, officer):
    with pytest.raises(ValidationError) as refused:
        _set(lab, officer, target_hours=96)
    assert "Art. 33(1)" in refused.value.error_dict["target_hours"][0].message


def test_a_refused_change_leaves_the_existing_policy_as_it_was(lab, officer):
    _set(lab, officer)
    _refusal(lambda: _set(lab, officer, thresholds_before_minutes=[60, 60]))
    assert AlertPolicy.objects.get().thresholds_before_minutes == [240, 30]
    assert AlertPolicy.history.count() == 1


# --- Resolution ----------------------------------------------------------------------------------


def test_without_a_policy_the_rule_is_the_default(lab):
    rules = organisation_rules(lab.pk)
    for kind, rule in clocks.DEFAULT_RULES.items():
        assert rules[kind] == rule
        assert clock_rule(kind, None) == rule


def test_a_policy_becomes_the_ladder_of_its_kind_only(lab, officer):
    _set(lab, officer)
    rules = organisation_rules(lab.pk)
    authority = rules["authority_notification"]
    assert authority.thresholds_before == (4 * H, timedelta(minutes=30))
    assert authority.overdue_repeat == 2 * H
    assert authority.duration == 72 * H and authority.is_legal_deadline
    assert rules["processor_notice"] == clocks.DEFAULT_RULES["processor_notice"]


def test_a_target_sets_the_duration_of_a_kind_without_a_number_in_the_law(lab, officer):
    _set(lab, officer, kind="data_subject_communication", target_hours=48)
    rule = organisation_rules(lab.pk)["data_subject_communication"]
    assert rule.duration == 48 * H
    assert rule.is_legal_deadline is False


def test_policies_are_per_organisation(lab, other_org, officer, outsider):
    _set(lab, officer)
    assert organisation_rules(other_org.pk)["authority_notification"] == clocks.DEFAULT_RULES["authority_notification"]
    assert list(AlertPolicy.objects.visible_to(outsider)) == []
    assert list(AlertPolicy.objects.visible_to(officer)) == [AlertPolicy.objects.get()]


def test_the_organisations_target_is_the_default_for_a_new_processing_agreement(lab, officer, incident):
    from actions import incidents as services
    from organisations import services as org_services

    _set(lab, officer, kind="processor_notice", target_hours=36)
    programme = org_services.create_party(lab, name="Programme", actor=officer, reason="directory")
    processor = services.add_party(
        incident, party=lab.parties.get(is_self=True), role="processor", actor=officer, reason="p"
    )
    controller = services.add_party(incident, party=programme, role="controller", actor=officer, reason="c")
    relationship = services.link_processor(
        incident, processor=processor, controller=controller, actor=officer, reason="dpa"
    )
    assert relationship.notice_target_hours == 36


# --- Admin ---------------------------------------------------------------------------------------


def _admin_url(view, *args):
    return reverse(f"admin:organisations_alertpolicy_{view}", args=args)


def test_an_officer_sets_a_policy_in_the_admin_through_the_service(client, lab, officer):
    client.force_login(officer)
    response = client.post(
        _admin_url("add"),
        {
            "organisation": lab.pk,
            "kind": "authority_notification",
            "thresholds_before_minutes": "240, 30",
            "overdue_repeat_minutes": "120",
            "target_hours": "",
            "change_reason": "board decision",
        },
    )
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    policy = AlertPolicy.objects.get()
    assert (policy.thresholds_before_minutes, policy.overdue_repeat_minutes) == ([240, 30], 120)
    assert policy.history.get().history_user == officer


def test_the_admin_shows_a_refused_target_on_its_field(client, lab, officer):
    client.force_login(officer)
    response = client.post(
        _admin_url("add"),
        {
            "organisation": lab.pk,
            "kind": "authority_notification",
            "thresholds_before_minutes": "60",
            "overdue_repeat_minutes": "",
            "target_hours": "96",
            "change_reason": "try",
        },
    )
    assert response.status_code == 200
    assert "target_hours" in response.context["adminform"].form.errors
    assert not AlertPolicy.objects.exists()


def test_the_admin_refuses_words_in_the_ladder(client, lab, officer):
    client.force_login(officer)
    response = client.post(
        _admin_url("add"),
        {
            "organisation": lab.pk,
            "kind": "authority_notification",
            "thresholds_before_minutes": "four hours",
            "change_reason": "try",
        },
    )
    assert "thresholds_before_minutes" in response.context["adminform"].form.errors
    assert not AlertPolicy.objects.exists()


def test_an_outsider_cannot_see_or_set_the_labs_policy_in_the_admin(client, lab, officer, outsider):
    policy = _set(lab, officer)
    client.force_login(outsider)
    assert client.get(_admin_url("change", policy.pk)).status_code == 404
    response = client.post(
        _admin_url("add"),
        {
            "organisation": lab.pk,
            "kind": "processor_notice",
            "thresholds_before_minutes": "60",
            "change_reason": "x",
        },
    )
    assert response.status_code == 200
    assert "organisation" in response.context["adminform"].form.errors
    assert AlertPolicy.objects.count() == 1


@pytest.mark.parametrize("persona", ["lawyer", "viewer"])
def test_readers_see_the_policy_but_cannot_change_it_in_the_admin(client, request, lab, officer, persona):
    policy = _set(lab, officer)
    client.force_login(request.getfixturevalue(persona))
    page = client.get(_admin_url("change", policy.pk))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.post(_admin_url("change", policy.pk), {"change_reason": "x"}).status_code == 403


def test_an_officer_resets_a_policy_in_the_admin_and_the_defaults_apply_again(client, lab, officer):
    policy = _set(lab, officer)
    client.force_login(officer)
    url = _admin_url("change", policy.pk)
    assert "reset_to_defaults" in client.get(url).context["adminform"].form.fields
    response = client.post(
        url,
        {
            "thresholds_before_minutes": "240, 30",
            "overdue_repeat_minutes": "120",
            "target_hours": "",
            "reset_to_defaults": "on",
            "change_reason": "back to defaults",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == _admin_url("changelist")
    assert not AlertPolicy.objects.exists()
    assert AlertPolicy.history.filter(id=policy.pk).latest().history_change_reason == "back to defaults"
    assert organisation_rules(lab.pk)["authority_notification"] == clocks.DEFAULT_RULES["authority_notification"]
