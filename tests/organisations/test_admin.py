"""The admin site for members, and the admin of organisations, people and directories.

Tenancy across every registered model (404 for another organisation's object,
absence from changelists) is tested in ``tests/incidents/test_admin.py``,
which walks the whole admin registry.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from breachtrack.history import acting_as
from organisations import services
from organisations.models import Authority, Membership, Organisation, Party, Role, User
from web.admin_site import BreachTrackAdminSite

PASSWORD = "correct horse battery staple"


def admin_url(model, view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def form_errors(response) -> str:
    if response.context is None or "adminform" not in response.context:
        return f"status {response.status_code}"
    return str(response.context["adminform"].form.errors)


@pytest.fixture
def stranger(admin_actor):
    """An active account with no membership anywhere."""
    return services.create_user(
        username="stranger@nowhere.example",
        email="stranger@nowhere.example",
        password=PASSWORD,
        actor=admin_actor,
        reason="test persona",
    )


# --- The site: members log in, is_staff plays no part -------------------------


def test_the_default_admin_site_is_breachtracks():
    assert isinstance(admin.site, BreachTrackAdminSite)
    assert str(admin.site.site_header) == "BreachTrack"


def test_a_member_who_is_not_staff_logs_in(client, officer):
    assert not officer.is_staff
    response = client.post(
        reverse("admin:login"), {"username": officer.username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    assert response["Location"] == "/admin/"
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.parametrize("persona", ["lawyer", "viewer"])
def test_readers_log_in_too(client, request, persona):
    user = request.getfixturevalue(persona)
    response = client.post(reverse("admin:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302


def test_an_account_without_membership_cannot_log_in(client, stranger):
    response = client.post(reverse("admin:login"), {"username": stranger.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "active member of an organisation" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_former_member_cannot_log_in_or_stay(client, officer, superuser, lab):
    client.force_login(officer)
    membership = officer.memberships.get()
    membership.is_active = False
    with acting_as(superuser, "left the organisation"):
        membership.save()
    # An open session no longer opens the admin…
    assert client.get(reverse("admin:index")).status_code == 302
    client.logout()
    # …and a new login is refused.
    response = client.post(reverse("admin:login"), {"username": officer.username, "password": PASSWORD})
    assert response.status_code == 200


def test_a_superuser_without_membership_may_use_the_admin(client, superuser):
    client.force_login(superuser)
    assert client.get(reverse("admin:index")).status_code == 200


# --- Organisations, memberships, users, authorities: superusers manage ----------


def test_a_superuser_creates_an_organisation_with_its_own_party(client, superuser):
    client.force_login(superuser)
    response = client.post(
        admin_url(Organisation, "add"),
        {
            "name": "Screening Foundation",
            "country": "NL",
            "registration_number": "87654321",
            "change_reason": "new customer contract",
        },
    )
    assert response.status_code == 302, form_errors(response)
    organisation = Organisation.objects.get(name="Screening Foundation")
    record = organisation.history.get()
    assert (record.history_user, record.history_change_reason) == (superuser, "new customer contract")
    assert organisation.parties.get(is_self=True).name == "Screening Foundation"


def test_a_superuser_corrects_an_organisation_with_a_reason(client, superuser, lab):
    client.force_login(superuser)
    url = admin_url(Organisation, "change", lab.pk)
    response = client.post(
        url,
        {
            "name": lab.name,
            "country": "NL",
            "registration_number": lab.registration_number,
            "dpo_email": "privacy@lab.example",
            "change_reason": "DPO mailbox renamed",
        },
    )
    assert response.status_code == 302, form_errors(response)
    lab.refresh_from_db()
    assert lab.dpo_email == "privacy@lab.example"
    assert lab.history.latest().history_change_reason == "DPO mailbox renamed"


def test_a_member_sees_their_own_organisation_read_only(client, officer, lab):
    client.force_login(officer)
    url = admin_url(Organisation, "change", lab.pk)
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.post(url, {"name": "Renamed", "country": "NL", "change_reason": "x"}).status_code == 403
    assert client.get(admin_url(Organisation, "add")).status_code == 403
    lab.refresh_from_db()
    assert lab.name == "Example Diagnostics B.V."


def test_a_member_cannot_manage_people(client, officer, lab, viewer):
    client.force_login(officer)
    assert client.get(admin_url(User, "add")).status_code == 403
    assert client.get(admin_url(Membership, "add")).status_code == 403
    colleague = admin_url(User, "change", viewer.pk)
    assert client.get(colleague).status_code == 200  # colleagues are visible…
    assert client.post(colleague, {"username": "x", "change_reason": "x"}).status_code == 403  # …not editable


def test_a_superuser_creates_an_account_that_can_log_in(client, superuser, lab):
    client.force_login(superuser)
    response = client.post(
        admin_url(User, "add"),
        {
            "username": "dpo@lab.example",
            "email": "dpo@lab.example",
            "time_zone": "Europe/Amsterdam",
            "password1": "a long and unusual passphrase",
            "password2": "a long and unusual passphrase",
            "change_reason": "new DPO",
        },
    )
    assert response.status_code == 302, form_errors(response)
    user = User.objects.get(username="dpo@lab.example")
    assert user.history.get().history_change_reason == "new DPO"

    response = client.post(
        admin_url(Membership, "add"),
        {
            "user": user.pk,
            "organisation": lab.pk,
            "role": Role.PRIVACY_OFFICER,
            "change_reason": "appointed DPO",
        },
    )
    assert response.status_code == 302, form_errors(response)
    assert Membership.objects.get(user=user).history.get().history_user == superuser

    client.logout()
    assert client.login(username="dpo@lab.example", password="a long and unusual passphrase")


def test_a_superuser_changes_a_role_and_ends_a_membership(client, superuser, viewer):
    membership = viewer.memberships.get()
    client.force_login(superuser)
    url = admin_url(Membership, "change", membership.pk)

    response = client.post(url, {"role": Role.LEGAL, "is_active": "on", "change_reason": "now in legal"})
    assert response.status_code == 302, form_errors(response)
    membership.refresh_from_db()
    assert membership.role == Role.LEGAL

    response = client.post(url, {"role": Role.LEGAL, "change_reason": "left the organisation"})
    assert response.status_code == 302, form_errors(response)
    membership.refresh_from_db()
    assert not membership.is_active
    assert [r.history_change_reason for r in membership.history.all()[:2]] == ["left the organisation", "now in legal"]


def test_mismatched_passwords_are_refused(client, superuser):
    client.force_login(superuser)
    response = client.post(
        admin_url(User, "add"),
        {
            "username": "new@lab.example",
            "email": "new@lab.example",
            "time_zone": "UTC",
            "password1": "a long and unusual passphrase",
            "password2": "another passphrase entirely",
            "change_reason": "x",
        },
    )
    assert response.status_code == 200
    assert "password2" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="new@lab.example").exists()


def test_a_superuser_deactivates_an_account_it_is_not_deleted(client, superuser, viewer):
    client.force_login(superuser)
    url = admin_url(User, "change", viewer.pk)
    response = client.post(
        url,
        {
            "username": viewer.username,
            "email": viewer.email,
            "time_zone": viewer.time_zone,
            "change_reason": "left the company",
        },
    )  # is_active unticked
    assert response.status_code == 302, form_errors(response)
    viewer.refresh_from_db()
    assert not viewer.is_active
    assert viewer.history.latest().history_change_reason == "left the company"


def test_system_actors_are_read_only(client, superuser, admin_actor):
    client.force_login(superuser)
    url = admin_url(User, "change", admin_actor.pk)
    assert b'name="_save"' not in client.get(url).content
    assert client.post(url, {"username": "renamed", "change_reason": "x"}).status_code == 403


def test_authorities_are_shared_and_kept_by_superusers(client, officer, outsider, superuser, dutch_ap):
    url = admin_url(Authority, "change", dutch_ap.pk)
    for member in (officer, outsider):
        client.force_login(member)
        assert client.get(url).status_code == 200
        assert (
            client.post(url, {"code": "nl-ap", "name": "x", "country": "NL", "change_reason": "x"}).status_code == 403
        )

    client.force_login(superuser)
    response = client.post(
        url,
        {
            "code": dutch_ap.code,
            "name": dutch_ap.name,
            "country": "NL",
            "notification_url": "https://www.autoriteitpersoonsgegevens.nl/datalek-melden",
            "change_reason": "form moved",
        },
    )
    assert response.status_code == 302, form_errors(response)
    assert dutch_ap.history.latest().history_change_reason == "form moved"


# --- Party directories: each organisation's officers keep their own -----------


def test_an_officer_adds_a_party_to_their_directory(client, officer, lab, other_org):
    client.force_login(officer)
    page = client.get(admin_url(Party, "add"))
    assert list(page.context["adminform"].form.fields["owner"].queryset) == [lab]

    response = client.post(
        admin_url(Party, "add"),
        {
            "owner": lab.pk,
            "name": "Cloud Hosting B.V.",
            "country": "NL",
            "change_reason": "sub-processor",
        },
    )
    assert response.status_code == 302, form_errors(response)
    party = Party.objects.get(name="Cloud Hosting B.V.")
    assert party.owner == lab
    assert (party.history.get().history_user, party.history.get().history_change_reason) == (officer, "sub-processor")


def test_an_officer_cannot_add_to_another_directory(client, officer, other_org):
    client.force_login(officer)
    response = client.post(
        admin_url(Party, "add"),
        {
            "owner": other_org.pk,
            "name": "Planted entry",
            "change_reason": "x",
        },
    )
    assert response.status_code == 200
    assert "owner" in response.context["adminform"].form.errors
    assert not Party.objects.filter(name="Planted entry").exists()


def test_an_officer_updates_a_party_through_the_service(client, officer, lab):
    party = services.create_party(lab, name="Mail Provider", actor=officer, reason="directory")
    client.force_login(officer)
    url = admin_url(Party, "change", party.pk)
    response = client.post(
        url,
        {
            "name": "Mail Provider Ltd",
            "country": "IE",
            "contact_email": "dpo@mail.example",
            "change_reason": "contract",
        },
    )
    assert response.status_code == 302, form_errors(response)
    party.refresh_from_db()
    assert (party.name, party.owner) == ("Mail Provider Ltd", lab)
    assert party.history.latest().history_change_reason == "contract"


def test_a_duplicate_party_name_is_a_form_error_not_a_crash(client, officer, lab):
    services.create_party(lab, name="Mail Provider", actor=officer, reason="directory")
    client.force_login(officer)
    response = client.post(admin_url(Party, "add"), {"owner": lab.pk, "name": "Mail Provider", "change_reason": "x"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert lab.parties.filter(name="Mail Provider").count() == 1


def test_readers_cannot_change_a_directory(client, viewer, lawyer, lab):
    party = lab.parties.get(is_self=True)
    for reader in (viewer, lawyer):
        client.force_login(reader)
        assert client.get(admin_url(Party, "add")).status_code == 403
        assert client.post(admin_url(Party, "change", party.pk), {"name": "x", "change_reason": "x"}).status_code == 403
