"""Sign-in, second factor, idle sessions and rate limits (issue: Fundament)."""

import datetime
import re

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.urls import reverse
from django.utils.html import escape

from portal.constants import Role

from .conftest import PASSWORD

LOGIN = "/accounts/login/"


def sign_in(client, email, password=PASSWORD):
    return client.post(LOGIN, {"login": email, "password": password})


def test_sign_in_page_is_dutch_and_labelled(client, db):
    response = client.get(LOGIN)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="nl">' in html
    assert "Inloggen bij Werkpad" in html
    assert '<label for="id_login">E-mailadres</label>' in html
    assert '<label for="id_password">Wachtwoord</label>' in html


def test_demo_accounts_are_listed_only_in_demo_mode(client, db, settings):
    settings.DEMO_MODE = False
    assert "behandelaar@rivierland.demo" not in client.get(LOGIN).content.decode()
    settings.DEMO_MODE = True
    html = client.get(LOGIN).content.decode()
    assert "behandelaar@rivierland.demo" in html
    assert "demo1234" in html


@pytest.mark.parametrize(
    "fixture",
    ["behandelaar_a", "jobcoach_a", "beheerder_a", "klantmanager_g", "beheerder_g", "adviseur_u"],
)
def test_every_role_signs_in_and_sees_name_organisation_and_role(client, request, fixture):
    user = request.getfixturevalue(fixture)
    response = sign_in(client, user.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    html = client.get(reverse("portal:home")).content.decode()
    start = "Beheer van" if user.role == Role.BEHEERDER else "Mijn werkvoorraad"
    assert f"<h1>{start}" in html
    assert escape(user.get_full_name()) in html
    assert escape(user.organisation.name) in html
    assert user.get_role_display() in html


def test_sign_in_and_out_messages_say_u(client, behandelaar_a):
    html = client.post(
        LOGIN, {"login": behandelaar_a.email, "password": PASSWORD}, follow=True
    ).content.decode()
    assert f"U bent ingelogd als {escape(behandelaar_a.get_full_name())}." in html
    html = client.post(reverse("account_logout"), follow=True).content.decode()
    assert "U bent uitgelogd." in html
    assert "Je bent" not in html


@pytest.mark.parametrize("backend", [None, "portal.backends.AccountBackend"])
def test_the_header_organisation_comes_with_the_user(client, behandelaar_a, backend):
    """The session's user is read together with their organisation: no page asks for the
    organisation on its own, whichever backend signed the user in (None: the sign-in page)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if backend is None:
        sign_in(client, behandelaar_a.email)
    else:
        client.force_login(behandelaar_a, backend=backend)
    assert client.session["_auth_user_backend"] == (backend or "portal.backends.UserBackend")
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("consent:help")).content.decode()
    assert escape(behandelaar_a.organisation.name) in html
    organisation_reads = [q["sql"] for q in queries if 'FROM "portal_organisation"' in q["sql"]]
    assert organisation_reads == []
    assert any('JOIN "portal_organisation"' in q["sql"] for q in queries)


def test_a_deactivated_user_is_signed_out_on_the_next_request(client, behandelaar_a):
    sign_in(client, behandelaar_a.email)
    assert client.get(reverse("consent:help")).status_code == 200
    behandelaar_a.is_active = False
    behandelaar_a.save(update_fields=["is_active"])
    response = client.get(reverse("consent:help"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


BEHEER_PAGES = ["portal:user_list", "consent:overview", "consent:access_log", "consent:avg_inzage"]
IPS_PAGES = ["ips:caseload", "ips:contacts", "ips:results", "ips:fidelity_list"]


def test_navigation_fits_the_role(client_for, behandelaar_a, jobcoach_a, beheerder_a):
    def nav(user):
        html = client_for(user).get(reverse("portal:home")).content.decode()
        return html[html.index("<nav") : html.index("</nav>")]

    for user, shown, hidden in (
        (behandelaar_a, ["cases:miti_trend"], BEHEER_PAGES + IPS_PAGES),
        (jobcoach_a, IPS_PAGES, BEHEER_PAGES),
        (beheerder_a, BEHEER_PAGES, IPS_PAGES + ["cases:miti_trend"]),
    ):
        links = nav(user)
        for name in shown:
            assert f'href="{reverse(name)}"' in links, (user.role, name)
        for name in hidden:
            assert f'href="{reverse(name)}"' not in links, (user.role, name)


def test_email_is_case_insensitive(client, behandelaar_a):
    assert sign_in(client, behandelaar_a.email.upper()).status_code == 302


@pytest.mark.parametrize(
    "email,password",
    [
        ("behandelaar@a.test", "verkeerd-wachtwoord"),
        ("onbekend@a.test", PASSWORD),
    ],
)
def test_wrong_password_or_unknown_email_gives_one_dutch_message(
    client, behandelaar_a, email, password
):
    response = sign_in(client, email, password)
    html = response.content.decode()
    assert response.status_code == 200
    assert "niet juist" in html
    assert "_auth_user_id" not in client.session


def test_inactive_user_cannot_sign_in(client, behandelaar_a):
    behandelaar_a.is_active = False
    behandelaar_a.save()
    response = sign_in(client, behandelaar_a.email)
    assert "_auth_user_id" not in client.session
    assert response.status_code == 302
    assert response["Location"] == reverse("account_inactive")
    assert "gedeactiveerd" in client.get(response["Location"]).content.decode()


def test_no_public_self_registration(client, db):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "nieuw@x.test",
            "password1": "Lang-genoeg-wachtwoord-1",
            "password2": "Lang-genoeg-wachtwoord-1",
        },
    )
    from portal.models import User

    assert not User.objects.filter(email="nieuw@x.test").exists()
    assert response.status_code == 200


def test_nobody_changes_their_own_sign_in_address(client_for, behandelaar_a):
    """allauth's e-mail management would let a user add another address and make it the
    sign-in name (and where password resets go), unverified: not offered."""
    from allauth.account.models import EmailAddress

    c = client_for(behandelaar_a)
    assert c.get("/accounts/email/").status_code == 404
    for action in ("action_add", "action_primary"):
        response = c.post("/accounts/email/", {"email": "prive@example.test", action: ""})
        assert response.status_code == 404
    assert c.get("/accounts/confirm-email/abc:def/").status_code == 404
    behandelaar_a.refresh_from_db()
    assert behandelaar_a.email != "prive@example.test"
    assert not EmailAddress.objects.filter(email="prive@example.test").exists()
    # Signing in with the private address does not work.
    c.logout()
    sign_in(c, "prive@example.test")
    assert "_auth_user_id" not in c.session


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_failed_sign_ins_are_rate_limited(client, behandelaar_a, settings):
    from django.core.cache import cache

    cache.clear()
    for _ in range(5):
        assert "niet juist" in sign_in(client, behandelaar_a.email, "fout").content.decode()
    # The sixth attempt, even with the right password, is refused while the limit holds.
    html = sign_in(client, behandelaar_a.email).content.decode()
    assert "Te veel mislukte inlogpogingen" in html
    assert "_auth_user_id" not in client.session
    cache.clear()


def test_expired_session_is_sent_back_to_sign_in(client, behandelaar_a):
    sign_in(client, behandelaar_a.email)
    start = datetime.datetime.now(tz=datetime.UTC)
    # Activity keeps the session alive: 29 idle minutes, a request, and 29 more.
    with time_machine.travel(start + datetime.timedelta(minutes=29), tick=False):
        assert client.get(reverse("portal:home")).status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=58), tick=False):
        assert client.get(reverse("portal:home")).status_code == 200
    # 31 idle minutes end it.
    with time_machine.travel(start + datetime.timedelta(minutes=89), tick=False):
        response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


class TestSecondFactor:
    @pytest.fixture(autouse=True)
    def _require_mfa(self, settings):
        settings.WERKPAD_REQUIRE_MFA = True

    @pytest.mark.parametrize("fixture", ["behandelaar_a", "klantmanager_g", "beheerder_a"])
    def test_professional_without_totp_is_sent_to_set_it_up(self, client_for, request, fixture):
        client = client_for(request.getfixturevalue(fixture))
        response = client.get(reverse("portal:home"))
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")

    def test_professional_with_totp_gets_through(self, client_for, behandelaar_a):
        Authenticator.objects.create(
            user=behandelaar_a, type=Authenticator.Type.TOTP, data={"secret": "x"}
        )
        assert client_for(behandelaar_a).get(reverse("portal:home")).status_code == 200

    def test_sign_in_asks_for_the_code_when_totp_is_set_up(self, client, behandelaar_a):
        import time

        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, hotp_value

        secret = generate_totp_secret()
        TOTP.activate(behandelaar_a, secret)
        response = sign_in(client, behandelaar_a.email)
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_authenticate")
        assert "_auth_user_id" not in client.session
        code = hotp_value(secret, int(time.time()) // 30)
        response = client.post(reverse("mfa_authenticate"), {"code": f"{code:06d}"})
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(behandelaar_a.pk)

    def test_a_platform_administrator_sets_it_up_too(self, client_for, superuser):
        """No role, but the Django admin opens every record."""
        for url in (reverse("portal:home"), "/django-admin/"):
            response = client_for(superuser).get(url)
            assert response.status_code == 302
            assert response["Location"] == reverse("mfa_activate_totp")


def test_role_must_fit_organisation_type(gemeente_g):
    from django.core.exceptions import ValidationError

    from portal.models import User

    user = User(email="x@g.test", organisation=gemeente_g, role=Role.BEHANDELAAR)
    with pytest.raises(ValidationError) as excinfo:
        user.full_clean()
    assert "past niet bij" in str(excinfo.value)


def test_password_reset_pages_speak_formal_dutch(client, behandelaar_a):
    """The forgotten-password flow, from request to new password, addresses the user as "u"
    with a heading per page that says where they are (not allauth's "je" texts)."""
    import re

    from django.core import mail
    from django.core.cache import cache

    cache.clear()

    def page(response):
        html = response.content.decode()
        assert response.status_code == 200
        assert html.count("<h1") == 1
        assert not re.search(r"\b[Jj]e\b|\b[Jj]ouw\b", html)
        return html

    html = page(client.get(reverse("account_reset_password")))
    assert "<h1>Wachtwoord vergeten</h1>" in html
    assert '<label for="id_email">E-mailadres</label>' in html

    response = client.post(reverse("account_reset_password"), {"email": behandelaar_a.email})
    assert response["Location"] == reverse("account_reset_password_done")
    html = page(client.get(response["Location"]))
    assert "<h1>Controleer uw e-mail</h1>" in html
    assert "Wachtwoord wijzigen" not in html

    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[0].body)
    set_password_url = client.get(link.group(1))["Location"]
    html = page(client.get(set_password_url))
    assert "<h1>Nieuw wachtwoord kiezen</h1>" in html
    assert '<label for="id_password1">Nieuw wachtwoord</label>' in html
    assert '<label for="id_password2">Nieuw wachtwoord (nogmaals)</label>' in html
    assert 'id="password1-help"' in html

    # The e-mail speaks the same way, and so does a mistyped second password.
    body = mail.outbox[0].body
    assert mail.outbox[0].subject.endswith("Uw wachtwoord voor Werkpad opnieuw instellen")
    assert "Kies via deze link een nieuw wachtwoord" in body
    assert not re.search(r"\b[Jj]e\b|\b[Jj]ouw\b", body)
    new = "Een-nieuw-wachtwoord-2026"
    html = page(client.post(set_password_url, {"password1": new, "password2": new + "x"}))
    assert "Vul twee keer hetzelfde wachtwoord in." in html

    response = client.post(set_password_url, {"password1": new, "password2": new})
    assert response["Location"] == reverse("account_reset_password_from_key_done")
    html = page(client.get(response["Location"]))
    assert "<h1>Wachtwoord opgeslagen</h1>" in html
    assert "Uw wachtwoord is gewijzigd." in html

    # The used link no longer works, and says so in the same register.
    html = page(client.get(link.group(1)))
    assert "<h1>Link niet geldig</h1>" in html
    assert f'href="{reverse("account_reset_password")}"' in html
    assert sign_in(client, behandelaar_a.email, new).status_code == 302


def test_a_reset_for_an_unknown_address_points_to_the_beheerder(client, db):
    """Nobody signs themselves up for Werkpad: the mail to an unknown address (sent so that
    the page does not reveal which addresses have an account) says whom to ask, and has
    no sign-up link."""
    from django.core import mail
    from django.core.cache import cache

    cache.clear()
    client.post(reverse("account_reset_password"), {"email": "onbekend@example.nl"})
    (message,) = mail.outbox
    assert "Er is geen actief account met dit e-mailadres" in message.body
    assert "beheerder van uw organisatie" in message.body


def test_a_reset_for_a_deactivated_account_points_to_the_beheerder(client, behandelaar_a):
    """An exploratory tester's deactivated user was told there was no account at all."""
    from django.core import mail
    from django.core.cache import cache

    cache.clear()
    behandelaar_a.is_active = False
    behandelaar_a.save()
    client.post(reverse("account_reset_password"), {"email": behandelaar_a.email})
    (message,) = mail.outbox
    assert "Er is geen actief account met dit e-mailadres" in message.body
    assert "zet ze ook weer aan als ze gedeactiveerd zijn" in message.body
    assert "reset/key" not in message.body
    assert "http" not in message.body


def test_the_sign_out_page_speaks_formal_dutch(client_for, behandelaar_a):
    """allauth's own page asked 'Weet je zeker dat je wilt afmelden?'."""
    c = client_for(behandelaar_a)
    html = c.get(reverse("account_logout")).content.decode()
    assert "Wilt u uitloggen uit Werkpad?" in html
    assert " je " not in html
    assert c.post(reverse("account_logout")).status_code == 302
    assert "_auth_user_id" not in c.session


INFORMAL = re.compile(r"\b(je|jij|jou|jouw|jezelf)\b", re.IGNORECASE)


def test_every_account_and_second_factor_page_says_u(client_for, behandelaar_a, client):
    """allauth's own pages speak informal Dutch ('Weet je dit zeker?'); every page of
    sign-in, password and second factor that Werkpad offers says 'u', like the rest."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    anonymous = [
        "account_login",
        "account_reset_password",
        "account_reset_password_done",
        "account_reset_password_from_key_done",
        "account_inactive",
        "account_signup",
    ]
    signed_in = [
        "account_logout",
        "account_reauthenticate",
        "account_change_password",
        "account_set_password",
        "mfa_activate_totp",
        "mfa_index",
    ]
    with_totp = [
        "mfa_index",
        "mfa_deactivate_totp",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_reauthenticate",
    ]

    def informal(c, names):
        found = {}
        for name in names:
            response = c.get(reverse(name), follow=True)
            assert response.status_code in (200, 404), (name, response.status_code)
            text = response.content.decode()
            if hits := INFORMAL.findall(text):
                found[name] = hits
        return found

    assert informal(client, anonymous) == {}
    c = client_for(behandelaar_a)
    assert informal(c, signed_in) == {}
    TOTP.activate(behandelaar_a, generate_totp_secret())
    RecoveryCodes.activate(behandelaar_a)
    assert informal(c, with_totp) == {}


class TestPasswordMessages:
    """Every refusal on the password pages in Werkpad's Dutch with "u": allauth's Dutch says
    "je", and Django 5.2.8's minimum-length message has no Dutch at all."""

    def change(self, c, old, new1, new2=None):
        response = c.post(
            reverse("account_change_password"),
            {"oldpassword": old, "password1": new1, "password2": new2 or new1},
        )
        assert response.status_code == 200  # refused: the form again
        html = response.content.decode()
        assert not INFORMAL.findall(html)
        assert "This password" not in html and "You must" not in html
        return html

    def test_changing_the_password(self, client_for, behandelaar_a):
        c = client_for(behandelaar_a)
        good = "Zomer-Herfst-2026!"
        assert "Uw huidige wachtwoord is niet juist." in self.change(c, "fout", good)
        assert "Vul twee keer hetzelfde wachtwoord in." in self.change(
            c, PASSWORD, good, good + "x"
        )
        assert "Dit wachtwoord is te kort: gebruik minstens 12 tekens." in self.change(
            c, PASSWORD, "Kort-1!"
        )
        assert escape("Dit wachtwoord lijkt te veel op uw e-mailadres.") in self.change(
            c, PASSWORD, behandelaar_a.email
        )
        # The positive control: a good password is taken.
        response = c.post(
            reverse("account_change_password"),
            {"oldpassword": PASSWORD, "password1": good, "password2": good},
        )
        assert response.status_code == 302
        behandelaar_a.refresh_from_db()
        assert behandelaar_a.check_password(good)

    def test_confirming_the_password(self, client_for, behandelaar_a):
        response = client_for(behandelaar_a).post(
            reverse("account_reauthenticate"), {"password": "fout"}
        )
        html = response.content.decode()
        assert "Dit wachtwoord is niet juist. Probeer het opnieuw." in html
        assert "Ongeldig wachtwoord" not in html

    def test_too_many_tries_in_a_row(self, client_for, behandelaar_a):
        """allauth's own answer was an English page, or "Wees geduldig, je gaat te snel."."""
        from django.core.cache import cache

        cache.clear()
        try:
            c = client_for(behandelaar_a)
            for _ in range(12):
                response = c.post(reverse("account_reauthenticate"), {"password": "fout"})
            # allauth's own page for it was English ("Too Many Requests").
            assert response.status_code == 429
            html = response.content.decode()
            assert "U probeerde het te vaak achter elkaar." in html
            assert "Too Many" not in html and not INFORMAL.findall(html)
        finally:
            cache.clear()

    def test_the_second_factor_key_is_not_to_be_kept(self, client_for, behandelaar_a):
        """A stored copy of the TOTP key is a copy of the second factor."""
        html = client_for(behandelaar_a).get(reverse("mfa_activate_totp")).content.decode()
        assert 'id="authenticator_secret"' in html
        assert "Bewaar deze sleutel" not in html
        assert "Bewaar hem nergens anders" in html


class TestMyAccount:
    """Nothing linked to the password and second-factor pages (an exploratory tester found
    no way there): every page links to "Mijn account", which names who the user is in
    Werkpad and leads there."""

    def test_every_page_links_to_it(self, client_for, behandelaar_a):
        html = client_for(behandelaar_a).get(reverse("portal:home")).content.decode()
        assert f'<a href="{reverse("portal:account")}">Mijn account</a>' in html

    def test_who_the_user_is_and_the_way_to_password_and_second_factor(
        self, client_for, behandelaar_a
    ):
        c = client_for(behandelaar_a)
        html = c.get(reverse("portal:account")).content.decode()
        assert behandelaar_a.email in html and escape(behandelaar_a.get_full_name()) in html
        assert "Behandelaar" in html and escape(str(behandelaar_a.organisation)) in html
        assert f'href="{reverse("account_change_password")}"' in html
        assert f'href="{reverse("mfa_index")}"' in html
        assert "Tweestapsverificatie</a>: niet ingesteld" in html
        assert reverse("mfa_view_recovery_codes") not in html
        assert not INFORMAL.findall(html)

    def test_with_a_second_factor_the_recovery_codes_too(self, client_for, behandelaar_a):
        from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

        TOTP.activate(behandelaar_a, generate_totp_secret())
        RecoveryCodes.activate(behandelaar_a)
        html = client_for(behandelaar_a).get(reverse("portal:account")).content.decode()
        assert "Tweestapsverificatie</a>: ingesteld" in html
        assert f'href="{reverse("mfa_view_recovery_codes")}"' in html

    def test_the_second_factor_page_says_what_mijn_account_says(self, client_for, behandelaar_a):
        """allauth's page said "Twee-factor-authenticatie" and "Activeer"; 'Mijn account'
        and the rest say "Tweestapsverificatie"."""
        from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

        c = client_for(behandelaar_a)
        html = c.get(reverse("mfa_index")).content.decode()
        assert "<h1>Tweestapsverificatie</h1>" in html and "Niet ingesteld." in html
        assert f'href="{reverse("mfa_activate_totp")}"' in html
        assert "Twee-factor" not in html and "Activeer" not in html
        TOTP.activate(behandelaar_a, generate_totp_secret())
        RecoveryCodes.activate(behandelaar_a)
        html = c.get(reverse("mfa_index")).content.decode()
        assert "Ingesteld." in html and f'href="{reverse("mfa_deactivate_totp")}"' in html
        assert "U heeft nog 10 ongebruikte herstelcodes" in html
        assert not INFORMAL.findall(html)

    def test_only_signed_in(self, client):
        response = client.get(reverse("portal:account"))
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)
