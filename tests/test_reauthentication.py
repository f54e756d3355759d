"""Sensitive actions ask for the password again (allauth re-authentication), and a
beheerder can reset a user's second factor, which is an audit event."""

from allauth.mfa.models import Authenticator
from django.urls import reverse
from structlog.testing import capture_logs

from .conftest import PASSWORD, signed_in


def test_role_change_asks_for_the_password_first_then_goes_through(client, beheerder_a, jobcoach_a):
    client.force_login(beheerder_a, backend="portal.backends.UserBackend")
    url = reverse("portal:user_set_active", args=[jobcoach_a.pk])
    response = client.post(url, {"actief": "0"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    jobcoach_a.refresh_from_db()
    assert jobcoach_a.is_active is True  # nothing happened yet

    wrong = client.post(response["Location"], {"password": "fout"})
    assert wrong.status_code == 200
    jobcoach_a.refresh_from_db()
    assert jobcoach_a.is_active is True

    client.post(response["Location"], {"password": PASSWORD})
    jobcoach_a.refresh_from_db()
    assert jobcoach_a.is_active is False  # the suspended request was resumed


def test_beheerder_resets_mfa_of_own_user_only(client_for, beheerder_a, beheerder_g, jobcoach_a):
    Authenticator.objects.create(user=jobcoach_a, type=Authenticator.Type.TOTP, data={"s": "x"})
    url = reverse("portal:user_reset_mfa", args=[jobcoach_a.pk])
    assert client_for(beheerder_g).post(url).status_code == 404
    assert Authenticator.objects.filter(user=jobcoach_a).exists()
    with capture_logs() as events:
        response = client_for(beheerder_a).post(url)
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=jobcoach_a).exists()
    resets = [e for e in events if e["event"] == "mfa_reset"]
    assert [(e["by_user_id"], e["user_id"]) for e in resets] == [(beheerder_a.pk, jobcoach_a.pk)]


def test_a_reset_ends_the_users_sessions_and_no_one_elses(client, beheerder_a, jobcoach_a):
    """A phone lost while signed in: after the reset that browser is signed out (it would
    otherwise go on, and be asked to set up a second factor of its own)."""
    from django.test import Client

    Authenticator.objects.create(user=jobcoach_a, type=Authenticator.Type.TOTP, data={"s": "x"})
    on_the_phone, at_the_desk, colleague = Client(), Client(), Client()
    for browser, user in ((on_the_phone, jobcoach_a), (at_the_desk, jobcoach_a)):
        signed_in(browser, user)
    signed_in(colleague, beheerder_a)  # the beheerder's other browser
    home = reverse("portal:home")
    assert on_the_phone.get(home).status_code == 200

    beheerder = signed_in(client, beheerder_a)
    with capture_logs() as events:
        answer = beheerder.post(reverse("portal:user_reset_mfa", args=[jobcoach_a.pk]), follow=True)
    assert "wie nog met dit account was ingelogd, is uitgelogd" in answer.content.decode()
    for browser in (on_the_phone, at_the_desk):
        response = browser.get(home)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert colleague.get(home).status_code == 200
    assert beheerder.get(reverse("portal:user_list")).status_code == 200
    [reset] = [e for e in events if e["event"] == "mfa_reset"]
    assert reset["sessions_ended"] == 2


def test_a_reset_without_a_second_factor_says_so(client_for, beheerder_a, jobcoach_a):
    """It said "De tweede factor van … is verwijderd" when there was none."""
    with capture_logs() as events:
        response = client_for(beheerder_a).post(
            reverse("portal:user_reset_mfa", args=[jobcoach_a.pk]), follow=True
        )
    html = response.content.decode()
    assert f"{jobcoach_a} heeft geen tweede factor ingesteld; er is niets verwijderd." in html
    assert "is verwijderd" not in html
    assert not [e for e in events if e["event"] == "mfa_reset"]


def test_other_roles_cannot_reset_mfa(client_for, behandelaar_a, jobcoach_a):
    Authenticator.objects.create(user=jobcoach_a, type=Authenticator.Type.TOTP, data={"s": "x"})
    url = reverse("portal:user_reset_mfa", args=[jobcoach_a.pk])
    assert client_for(behandelaar_a).post(url).status_code == 403
    assert Authenticator.objects.filter(user=jobcoach_a).exists()


def test_ips_team_changes_ask_for_the_password_first(client, beheerder_a, jobcoach_a):
    from ips.models import IpsTeam, TeamMember

    north = IpsTeam.objects.create(organisation=beheerder_a.organisation, name="Noord")
    client.force_login(beheerder_a, backend="portal.backends.UserBackend")
    for url in (reverse("ips:teams"), reverse("ips:team_edit", args=[north.pk])):
        answer = client.post(url, {"name": "Zuid"})
        assert answer["Location"].startswith(reverse("account_reauthenticate"))
    delete = client.post(reverse("ips:team_delete", args=[north.pk]))
    assert delete["Location"].startswith(reverse("account_reauthenticate"))
    names = IpsTeam.objects.filter(organisation=beheerder_a.organisation).values_list("name")
    assert sorted(name for (name,) in names) == ["IPS-team", "Noord"]

    url = reverse("ips:team_member", args=[jobcoach_a.pk])
    response = client.post(url, {f"coach-{jobcoach_a.pk}-team": north.pk})
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert TeamMember.objects.get(coach=jobcoach_a).team != north  # nothing happened yet
    client.post(response["Location"], {"password": PASSWORD})
    assert TeamMember.objects.get(coach=jobcoach_a).team == north  # the request was resumed


def test_a_form_refused_after_the_password_check_posts_back_to_its_own_page(
    client, beheerder_a, behandelaar_a
):
    """allauth resumes the suspended POST and renders its answer at /accounts/reauthenticate/.
    A refused form shown there must still send its next try to its own page, not to the
    password page (which threw away everything typed)."""
    client.force_login(beheerder_a, backend="portal.backends.UserBackend")
    url = reverse("portal:user_create")
    data = {"email": behandelaar_a.email.upper(), "first_name": "Jan", "last_name": "Dubbel"}
    data["role"] = "behandelaar"
    check = client.post(url, data)["Location"]
    assert check.startswith(reverse("account_reauthenticate"))
    refused = client.post(check, {"password": PASSWORD})
    html = refused.content.decode()
    assert "Er bestaat al een account met dit e-mailadres." in html
    assert f'action="{url}"' in html
    client.post(url, {**data, "email": "jan.dubbel@ggz-a.test"})
    assert beheerder_a.organisation.users.filter(email="jan.dubbel@ggz-a.test").exists()


def test_the_ips_team_forms_post_back_to_their_own_page_after_the_password_check(
    client, beheerder_a
):
    from ips.models import IpsTeam

    north = IpsTeam.objects.create(organisation=beheerder_a.organisation, name="Noord")
    for url in (reverse("ips:teams"), reverse("ips:team_edit", args=[north.pk])):
        client.logout()  # a fresh sign-in each time: no recent password check
        client.force_login(beheerder_a, backend="portal.backends.UserBackend")
        check = client.post(url, {"name": ""})["Location"]
        html = client.post(check, {"password": PASSWORD}).content.decode()
        assert "Dit veld is verplicht." in html
        assert f'action="{url}"' in html
