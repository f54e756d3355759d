"""The second-factor gate lets a professional without TOTP reach only the account pages
needed to set it up or to leave (portal.middleware.MFA_SETUP_URL_NAMES), not everything
under /accounts/: a page mounted there later waits for the second factor too."""

import time

import pytest
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, hotp_value
from django.http import HttpResponse
from django.urls import path, reverse

from portal import urls as portal_urls

from .conftest import PASSWORD

ACTIVATE = "/accounts/2fa/totp/activate/"


def client_data(request):
    return HttpResponse("Gegevens van een cliënt")


# The project's URLs plus a page someone might mount under /accounts/ one day.
urlpatterns = [
    path("accounts/overzicht/", client_data, name="later_account_page"),
    *portal_urls.urlpatterns,
]


@pytest.fixture(autouse=True)
def _require_mfa(settings):
    settings.WERKPAD_REQUIRE_MFA = True


def test_the_activation_page_is_where_the_gate_sends(db):
    assert reverse("mfa_activate_totp") == ACTIVATE


@pytest.mark.parametrize(
    "name",
    [
        "mfa_index",  # allauth's second-factor overview
        "account_change_password",
        "account_set_password",
        "account_reset_password",
        "account_email",  # our "not offered" page at allauth's address
    ],
)
def test_other_account_pages_wait_for_the_second_factor(client_for, behandelaar_a, name):
    response = client_for(behandelaar_a).get(reverse(name))
    assert response.status_code == 302
    assert response["Location"] == ACTIVATE


@pytest.mark.urls(__name__)
def test_a_page_added_under_accounts_later_waits_too(client_for, behandelaar_a):
    c = client_for(behandelaar_a)
    for method in ("get", "post"):
        response = getattr(c, method)("/accounts/overzicht/")
        assert response.status_code == 302, method
        assert response["Location"] == ACTIVATE, method


def test_an_unknown_address_under_accounts_waits_too(client_for, behandelaar_a):
    response = client_for(behandelaar_a).get("/accounts/bestaat-niet/")
    assert response.status_code == 302
    assert response["Location"] == ACTIVATE


@pytest.mark.parametrize("fixture", ["behandelaar_a", "klantmanager_g", "superuser"])
def test_the_activation_page_itself_opens(client_for, request, fixture):
    response = client_for(request.getfixturevalue(fixture)).get(ACTIVATE)
    assert response.status_code == 200


def test_signing_out_works(client_for, behandelaar_a):
    c = client_for(behandelaar_a)
    assert c.get(reverse("account_logout")).status_code == 200
    response = c.post(reverse("account_logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert "_auth_user_id" not in c.session


def test_the_whole_set_up_from_a_fresh_sign_in(client, behandelaar_a):
    """Sign in with the password, confirm it again for the activation, enter a code: on
    the way nothing is sent back to the activation, at the end the portal opens."""
    response = client.post(
        reverse("account_login"), {"login": behandelaar_a.email, "password": PASSWORD}
    )
    assert client.session["_auth_user_id"] == str(behandelaar_a.pk)
    assert client.get(reverse("portal:home"))["Location"] == ACTIVATE

    # The activation asks for the password again first (allauth's MFA_REAUTHENTICATION_REQUIRED).
    response = client.get(ACTIVATE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert client.get(response["Location"]).status_code == 200
    response = client.post(response["Location"], {"password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == ACTIVATE
    assert response.status_code == 200

    secret = client.session[SECRET_SESSION_KEY]
    code = hotp_value(secret, int(time.time()) // 30)
    response = client.post(ACTIVATE, {"code": f"{code:06d}"})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=behandelaar_a, type=Authenticator.Type.TOTP).exists()
    # What follows the activation (the recovery codes) and the portal open now.
    assert client.get(response["Location"]).status_code == 200
    assert client.get(reverse("portal:home")).status_code == 200


def test_a_reset_link_opened_while_signed_in_to_another_account(
    client_for, behandelaar_a, jobcoach_a
):
    """On a shared computer: the link signs the other account out, not into the gate."""
    from allauth.account import app_settings

    token = app_settings.PASSWORD_RESET_TOKEN_GENERATOR().make_token(jobcoach_a)
    url = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(jobcoach_a), "key": token},
    )
    c = client_for(behandelaar_a)
    response = c.get(url)
    assert response.status_code == 302
    assert response["Location"] != ACTIVATE
    response = c.get(response["Location"])
    assert response.status_code == 200
    assert "_auth_user_id" not in c.session


def test_with_totp_the_account_pages_open(client_for, behandelaar_a):
    Authenticator.objects.create(
        user=behandelaar_a, type=Authenticator.Type.TOTP, data={"secret": "x"}
    )
    c = client_for(behandelaar_a)
    assert c.get(reverse("mfa_index")).status_code == 200
    assert c.get(reverse("account_change_password")).status_code == 200
