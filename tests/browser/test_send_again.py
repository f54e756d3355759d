"""The exploratory tester's case in a real browser: a note saved, Back, and the form sent
again. The page is not cached, so Back renders the form anew with a fresh token; Chromium
fills in what was typed. One note is stored, and the user is told why."""

import pytest
from playwright.sync_api import expect

from cases.constants import TimelineKind
from cases.models import TimelineEntry

from ..test_ips import new_case
from .conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_back_and_send_again_saves_one_note(page, live_server, behandelaar_a):
    case = new_case(behandelaar_a)
    sign_in(page, live_server, behandelaar_a.email)
    page.goto(f"/casussen/{case.pk}/")
    page.get_by_role("link", name="Notitie toevoegen").click()

    def fill_in():
        page.get_by_label("Soort gegeven").select_option(label="Afspraken en doelen")
        page.get_by_label("Onderwerp").fill("Werkplek bezocht")
        page.get_by_label("Notitie").fill("Samen de werkplek bekeken.")

    fill_in()
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Eva Jansen")
    expect(page.locator("ol.timeline")).to_contain_text("Werkplek bezocht")

    page.go_back()
    expect(page.get_by_label("Onderwerp")).to_be_visible()
    fill_in()  # what Chromium restores, typed again where it did not
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Eva Jansen")
    expect(page.get_by_text("al met precies deze inhoud verzonden")).to_be_visible()
    assert_accessible(page)
    assert TimelineEntry.objects.filter(case=case, kind=TimelineKind.NOTITIE).count() == 1
