"""A name pasted from a PDF may hold ligatures ('ﬃ', U+FB03) that NFKC writes out ('ffi').
The forms normalise in clean_<field> (portal.forms.person_name), after the form field's
max-length check; the model's own check (a ModelForm validates the instance it built) then
measures the name as it would be stored. These tests hold that: a name that grows past the
column is refused with Django's Dutch message naming the field's real limit, never stored
cut short or sent to the database too long; one that fits once written out is stored so."""

import pytest
from django.urls import reverse

from cases.models import Client
from portal.constants import Role
from portal.models import User

from .test_cases import client_data

LIGATURE = "ﬃ"  # U+FB03: one character typed, three ('ffi') stored


def too_long(limit):
    return f"Zorg dat deze waarde niet meer dan {limit} tekens bevat (het zijn er nu {3 * limit})."


# --- A client's name ------------------------------------------------------------------------


@pytest.mark.parametrize("name,limit", [("first_name", 100), ("last_name", 150)])
def test_a_client_name_that_grows_past_its_limit_is_refused(client_for, behandelaar_a, name, limit):
    assert Client._meta.get_field(name).max_length == limit
    response = client_for(behandelaar_a).post(
        reverse("cases:client_create"), client_data(**{name: LIGATURE * limit})
    )

    assert response.status_code == 200
    assert response.context["form"].errors[name] == [too_long(limit)]
    assert not Client.objects.exists()


def test_a_client_name_that_fits_once_written_out_is_stored_written_out(client_for, behandelaar_a):
    typed = LIGATURE * 33 + "a"  # 34 characters typed, 100 stored: the limit exactly
    response = client_for(behandelaar_a).post(
        reverse("cases:client_create"), client_data(first_name=typed)
    )

    assert response.status_code == 302
    assert Client.objects.get().first_name == "ffi" * 33 + "a"


# --- A user's name, as the beheerder types it -----------------------------------------------


def new_user(**names):
    return {
        "email": "nina.nieuw@a.test",
        "first_name": "Nina",
        "last_name": "Nieuw",
        "role": Role.TRAJECTBEGELEIDER,
        **names,
    }


@pytest.mark.parametrize("name", ["first_name", "last_name"])
def test_a_user_name_that_grows_past_its_limit_is_refused(client_for, beheerder_a, name):
    limit = User._meta.get_field(name).max_length
    response = client_for(beheerder_a).post(
        reverse("portal:user_create"), new_user(**{name: LIGATURE * limit})
    )

    assert response.status_code == 200
    assert response.context["form"].errors[name] == [too_long(limit)]
    assert not User.objects.filter(email="nina.nieuw@a.test").exists()


def test_a_user_name_edited_to_grow_past_its_limit_is_refused(client_for, beheerder_a, jobcoach_a):
    limit = User._meta.get_field("last_name").max_length
    before = jobcoach_a.last_name
    response = client_for(beheerder_a).post(
        reverse("portal:user_edit", args=[jobcoach_a.pk]),
        {
            "first_name": jobcoach_a.first_name,
            "last_name": LIGATURE * limit,
            "role": jobcoach_a.role,
            "version": jobcoach_a.version,
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["last_name"] == [too_long(limit)]
    jobcoach_a.refresh_from_db()
    assert jobcoach_a.last_name == before


def test_a_user_name_that_fits_once_written_out_is_stored_written_out(client_for, beheerder_a):
    limit = User._meta.get_field("last_name").max_length
    response = client_for(beheerder_a).post(
        reverse("portal:user_create"), new_user(last_name=LIGATURE * (limit // 3))
    )

    assert response.status_code == 302
    assert User.objects.get(email="nina.nieuw@a.test").last_name == "ffi" * (limit // 3)
