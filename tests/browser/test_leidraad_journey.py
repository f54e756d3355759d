"""Gespreksleidraad in a real browser: a second session on a case shows, per theme, how the
judgement changed since the first (readable without colour). axe on every page visited."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases import leidraad_services as leidraad
from cases.constants import LeidraadStatus
from cases.models import LeidraadSession, LeidraadThemeNote

from ..builders import make_case
from .conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser

THEME = "Geld en inkomen"


@pytest.fixture
def case_with_first_session(behandelaar_a):
    """A case whose first session, a month ago, found that work hinders on money."""
    case = make_case(behandelaar_a, first_name="Lotte", last_name="Maas")
    when = timezone.now() - datetime.timedelta(days=30)
    session = LeidraadSession.objects.create(
        case=case,
        organisation=behandelaar_a.organisation,
        guide=leidraad.current_version(),
        started_by=behandelaar_a,
        started_at=when,
        status=LeidraadStatus.AFGEROND,
        finished_at=when,
        finished_by=behandelaar_a,
    )
    LeidraadThemeNote.objects.create(
        session=session, theme="financien", position=0, judgement="belemmert", notes="Schulden"
    )
    return case


def test_second_session_shows_the_change_per_theme(
    page, live_server, behandelaar_a, case_with_first_session
):
    sign_in(page, live_server, behandelaar_a.email)
    page.get_by_role("link", name="Lotte Maas").click()
    panel = page.get_by_role("region", name="Gesprek over werk (gespreksleidraad)")
    expect(panel).to_contain_text("Werk belemmert herstel")
    assert_accessible(page)

    panel.get_by_role("button", name="Gesprek over werk starten").click()
    page.get_by_role("checkbox", name=THEME).check()
    page.get_by_role("button", name="Opslaan en naar stap 2").click()
    section = page.get_by_role("region", name=THEME)
    section.get_by_label(f"Wat vertelt de cliënt over '{THEME}'?").fill(
        "De schulden zijn geregeld; met werk houdt zij geld over."
    )
    section.get_by_label("Werk helpt bij herstel").check()
    assert_accessible(page)
    page.get_by_role("button", name="Opslaan en naar stap 3").click()
    page.get_by_label("Waarom is geen verwijzing nodig?").fill("Er loopt al begeleiding.")
    page.get_by_role("button", name="Geen verwijzing nodig").click()
    expect(page.get_by_role("status")).to_contain_text("Vastgelegd")
    page.get_by_role("button", name="Gesprek afronden").click()
    expect(page.get_by_role("status")).to_contain_text("Het gesprek is afgerond")

    page.get_by_role("link", name="Terug naar de casus").click()
    table = page.get_by_role(
        "table", name="Wat werk doet voor het herstel, per thema en per gesprek"
    )
    row = table.get_by_role("row", name=THEME)
    expect(row).to_contain_text("Werk belemmert herstel")
    expect(row).to_contain_text("Werk helpt bij herstel")
    expect(row).to_contain_text("↑ werk helpt meer")
    assert_accessible(page)
