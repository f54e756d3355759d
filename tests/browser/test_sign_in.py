"""Sign-in journeys in a real browser (issue: Fundament), with axe on every page visited."""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from ..conftest import PASSWORD
from .conftest import LOGIN_PATH, assert_accessible, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("demo_mode", [False, True], ids=["normaal", "demomodus"])
def test_sign_in_page_is_accessible(page, live_server, settings, demo_mode):
    settings.DEMO_MODE = demo_mode
    page.goto(LOGIN_PATH)
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen bij Werkpad")
    # Demo mode adds a banner and a table of demo accounts; both must pass axe too.
    expect(page.get_by_role("table")).to_have_count(1 if demo_mode else 0)
    assert_accessible(page)


@pytest.mark.parametrize("fixture", ["behandelaar_a", "klantmanager_g"])
def test_sign_in_shows_name_organisation_and_role_then_sign_out(
    page, live_server, request, fixture
):
    user = request.getfixturevalue(fixture)
    sign_in(page, live_server, user.email)

    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn werkvoorraad")
    profile = page.locator("main dl.profile")
    expect(profile).to_contain_text(user.get_full_name())
    expect(profile).to_contain_text(user.organisation.name)
    expect(profile).to_contain_text(user.get_role_display())
    assert_accessible(page)

    # From every page, the way to one's own account, password and second factor.
    page.get_by_role("banner").get_by_role("link", name="Mijn account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn account")
    expect(page.locator("main dl.profile")).to_contain_text(user.email)
    assert_accessible(page)
    page.get_by_role("link", name="Wachtwoord wijzigen").click()
    expect(page.get_by_label("Huidig wachtwoord")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("banner").get_by_role("button", name="Uitloggen").click()
    expect(page).to_have_url(live_server.url + LOGIN_PATH)
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen bij Werkpad")
    # Really signed out: the start page sends us back to the sign-in page.
    page.goto("/")
    expect(page).to_have_url(re.compile(re.escape(LOGIN_PATH) + r"\?next=/$"))


def test_wrong_password_gives_dutch_error_and_stays_accessible(page, live_server, behandelaar_a):
    # Failed sign-ins are rate-limited in the shared Redis cache; start from a clean count.
    cache.clear()
    sign_in(page, live_server, behandelaar_a.email, "verkeerd-wachtwoord")

    expect(page).to_have_url(live_server.url + LOGIN_PATH)
    expect(page.get_by_role("alert")).to_contain_text("niet juist")
    expect(page.get_by_label("E-mailadres")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("E-mailadres")).to_have_accessible_description(
        re.compile("niet juist")
    )
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Mijn werkvoorraad")
    assert_accessible(page)


def test_sign_in_with_keyboard_only(page, live_server, jobcoach_a):
    page.goto(LOGIN_PATH)

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Naar de inhoud")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    page.keyboard.press("Tab")
    expect(page.get_by_label("E-mailadres")).to_be_focused()
    page.keyboard.type(jobcoach_a.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Wachtwoord")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn werkvoorraad")
    expect(page.locator("main dl.profile")).to_contain_text(jobcoach_a.get_full_name())
