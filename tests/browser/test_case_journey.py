"""Issue 3 journey in a real browser: a behandelaar registers a client, opens the case and
refers to IPS; the jobcoach accepts; both see the case. axe on every page visited."""

import pytest
from playwright.sync_api import expect

from .conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def sign_out(page):
    page.get_by_role("banner").get_by_role("button", name="Uitloggen").click()


def test_register_refer_accept(page, live_server, behandelaar_a, jobcoach_a):
    sign_in(page, live_server, behandelaar_a.email)
    page.get_by_role("link", name="Cliënt registreren en casus openen").click()
    assert_accessible(page)
    page.get_by_label("Voornaam").fill("Sem")
    page.get_by_label("Achternaam").fill("Bos")
    page.get_by_label("Geboortedatum").fill("1992-04-03")
    page.get_by_label("BSN").fill("111222333")
    page.get_by_role("button", name="Registreren en casus openen").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Sem Bos")
    expect(page.get_by_text("Werk is nog niet besproken.")).to_be_visible()
    assert_accessible(page)
    case_url = page.url

    page.get_by_role("link", name="Verwijzen").click()
    assert_accessible(page)
    page.get_by_label("IPS-team").check()
    page.get_by_label("Organisatie").select_option(label="GGZ A")
    page.get_by_label("Reden").fill("Wil graag betaald werk in de groenvoorziening.")
    page.get_by_role("button", name="Verwijzing versturen").click()
    expect(page.get_by_text("Verwijzing verstuurd naar GGZ A.")).to_be_visible()
    expect(page.locator("ol.timeline")).to_contain_text("Verwezen naar GGZ A")
    sign_out(page)

    sign_in(page, live_server, jobcoach_a.email)
    invitations = page.get_by_role("region", name="Uitnodigingen en verwijzingen")
    expect(invitations).to_contain_text("groenvoorziening")
    assert_accessible(page)
    invitations.get_by_role("button", name="Accepteren").click()
    expect(page).to_have_url(case_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sem Bos")
    expect(page.get_by_role("region", name="Team")).to_contain_text(jobcoach_a.get_full_name())
    assert_accessible(page)
    page.goto("/")
    expect(page.get_by_role("table")).to_contain_text("Sem Bos")
    sign_out(page)

    sign_in(page, live_server, behandelaar_a.email)
    page.goto(case_url)
    expect(page.get_by_role("region", name="Team")).to_contain_text(jobcoach_a.get_full_name())
    expect(page.locator("ol.timeline")).to_contain_text("doet mee als IPS-trajectbegeleider")


def test_the_case_page_reflows_at_320_pixels(page, live_server, behandelaar_a):
    """WCAG 1.4.10: a phone's width (or 400 % zoom) without scrolling the whole page
    sideways. The cards had a minimum width of 20rem (336 px); a wide table now scrolls
    within its card (tables are the criterion's exception, the page is not)."""
    from ..builders import make_case

    case = make_case(behandelaar_a)
    sign_in(page, live_server, behandelaar_a.email)
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(f"/casussen/{case.pk}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
