"""A search or filter the page cannot use says so in Dutch, on every list with one, instead
of quietly showing the unfiltered list (the fields' maxlength stops a browser; a link or a
pasted address does not)."""

import pytest
from django.urls import reverse

TOO_LONG = "a" * 101
MESSAGE = "Zorg dat deze waarde niet meer dan 100 tekens bevat (het zijn er nu 101)."
LEAD = "Niet gezocht of gefilterd. Verbeter wat hieronder staat:"

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "user, url, params",
    [
        ("behandelaar_a", "portal:home", {"q": TOO_LONG}),
        ("beheerder_a", "portal:user_list", {"q": TOO_LONG}),
        ("beheerder_a", "consent:overview", {"q": TOO_LONG}),
        ("beheerder_a", "consent:beheer_create", {"q": TOO_LONG}),
        ("beheerder_a", "consent:avg_inzage", {"q": TOO_LONG}),
        ("beheerder_a", "consent:access_log", {"user": TOO_LONG}),
        ("beheerder_a", "consent:access_log", {"client": TOO_LONG}),
    ],
)
def test_a_search_too_long_is_named_not_ignored(request, client_for, user, url, params):
    response = client_for(request.getfixturevalue(user)).get(reverse(url), params)
    assert response.status_code == 200
    page = response.content.decode()
    assert LEAD in page
    assert MESSAGE in page
    assert "Geen cliënt van uw organisatie gevonden" not in page


@pytest.mark.parametrize(
    "user, url", [("behandelaar_a", "portal:home"), ("beheerder_a", "consent:overview")]
)
def test_a_usable_search_shows_no_message(request, client_for, user, url):
    page = client_for(request.getfixturevalue(user)).get(reverse(url), {"q": "a" * 100})
    assert LEAD not in page.content.decode()
