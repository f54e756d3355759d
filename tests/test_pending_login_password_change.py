"""A sign-in with the password given but the code not yet cannot be finished once the
password changed (portal.adapters.PasswordCheckedAuthenticateStage): the user starts again."""

import datetime

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, hotp_value
from django.urls import reverse

from .conftest import PASSWORD

LOGIN = "/accounts/login/"
NEW_PASSWORD = "Nieuw-wachtwoord-2025"
# A fixed moment, so the codes are known; the session lives in that time too, so every
# look at it stays inside time_machine.travel.
START = datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _require_mfa(settings):
    settings.WERKPAD_REQUIRE_MFA = True


@pytest.fixture
def secret(behandelaar_a):
    secret = generate_totp_secret()
    TOTP.activate(behandelaar_a, secret)
    return secret


def code_at(secret, moment):
    return f"{hotp_value(secret, int(moment.timestamp()) // 30):06d}"


def give_password(client, user, password=PASSWORD):
    response = client.post(LOGIN, {"login": user.email, "password": password})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session


def changed_by_the_user(user):
    user.set_password(NEW_PASSWORD)
    user.save()


def reset_by_a_beheerder(user):
    # As a beheerder's reset does: no password until the user chooses one from the email.
    user.set_unusable_password()
    user.save()


def test_without_a_password_change_the_code_signs_in(client, behandelaar_a, secret):
    with time_machine.travel(START, tick=False):
        give_password(client, behandelaar_a)
        response = client.post(reverse("mfa_authenticate"), {"code": code_at(secret, START)})
        assert response.status_code == 302
        assert response["Location"] != LOGIN
        assert client.session["_auth_user_id"] == str(behandelaar_a.pk)


@pytest.mark.parametrize("change", [changed_by_the_user, reset_by_a_beheerder])
def test_a_password_change_ends_the_half_finished_sign_in(client, behandelaar_a, secret, change):
    with time_machine.travel(START, tick=False):
        give_password(client, behandelaar_a)
        change(behandelaar_a)
        response = client.post(
            reverse("mfa_authenticate"), {"code": code_at(secret, START)}, follow=True
        )
        assert response.redirect_chain == [(LOGIN, 302)]
        assert "_auth_user_id" not in client.session
        assert "Uw wachtwoord is gewijzigd nadat u het invulde" in response.content.decode()
        # Nothing of it is left to try again with another code.
        response = client.get(reverse("mfa_authenticate"))
        assert response.status_code == 302
        assert response["Location"] == LOGIN


def test_after_the_refusal_the_new_password_and_a_code_sign_in(client, behandelaar_a, secret):
    with time_machine.travel(START, tick=False):
        give_password(client, behandelaar_a)
        changed_by_the_user(behandelaar_a)
        client.post(reverse("mfa_authenticate"), {"code": code_at(secret, START)})
        assert "_auth_user_id" not in client.session
    later = START + datetime.timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        give_password(client, behandelaar_a, NEW_PASSWORD)
        response = client.post(reverse("mfa_authenticate"), {"code": code_at(secret, later)})
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(behandelaar_a.pk)


def test_a_wrong_code_after_a_password_change_is_just_wrong(client, behandelaar_a, secret):
    """The check comes with a right code: a wrong one gets the usual answer."""
    with time_machine.travel(START, tick=False):
        give_password(client, behandelaar_a)
        changed_by_the_user(behandelaar_a)
        wrong = "000000" if code_at(secret, START) != "000000" else "111111"
        response = client.post(reverse("mfa_authenticate"), {"code": wrong})
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
