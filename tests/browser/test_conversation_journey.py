"""Issue 6 journey in a real browser: a behandelaar logs a motivational conversation in one
form (defaults filled in), sees the progress chart on the case, the log with their own MITI
self-assessment and their trend page; a klantmanager with consent for everything sees the
log but not the self-assessment. axe on every page visited; a screenshot of the chart
proves it draws."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases import conversation_services as conversations
from cases.constants import CaseRole, ConversationForm, StageOfChange, TargetBehaviour
from consent import services as consent
from consent.constants import Category, Purpose

from ..builders import make_case, make_consent
from .conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def sign_out(page):
    page.get_by_role("banner").get_by_role("button", name="Uitloggen").click()


def earlier_log(case, user, days, stage, importance, confidence):
    conversations.log_conversation(
        consent.case_access(user, case),
        {
            "held_on": timezone.localdate() - datetime.timedelta(days=days),
            "duration_minutes": 40,
            "participants": "Cliënt",
            "form": ConversationForm.TELEFOON,
            "target_behaviour": TargetBehaviour.WERK_ZOEKEN,
            "target_other": "",
            "stage": stage,
            "importance": importance,
            "confidence": confidence,
            "sustain_talk": "",
            "discord": "",
            "summary": "",
            "zvw_funded": True,
        },
        {},
    )


def test_log_a_conversation_and_see_progress(
    page, live_server, behandelaar_a, klantmanager_g, tmp_path
):
    case = make_case(behandelaar_a, first_name="Sem", last_name="Bos")
    earlier_log(case, behandelaar_a, 30, StageOfChange.PRECONTEMPLATIE, 3, 2)
    earlier_log(case, behandelaar_a, 15, StageOfChange.CONTEMPLATIE, 5, 3)
    consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
    make_consent(
        case.client,
        behandelaar_a.organisation,
        klantmanager_g.organisation,
        Purpose.REINTEGRATIE,
        list(Category),
    )

    sign_in(page, live_server, behandelaar_a.email)
    page.goto(f"/casussen/{case.pk}/")
    panel = page.get_by_role("region", name="Motiverende gesprekken")
    expect(panel).to_contain_text("2 van de gebruikelijke 8 gebruikt")
    opened_on = timezone.localdate()
    panel.get_by_role("link", name="Gesprek vastleggen").click()
    assert_accessible(page)
    # Defaults: today, face to face, the user as participant, counts as Zvw. Today is the
    # server's when it drew the form: the day before or after the click, should the run
    # cross midnight.
    held_on = page.get_by_label("Datum van het gesprek").input_value()
    assert held_on in {opened_on.isoformat(), timezone.localdate().isoformat()}
    expect(page.get_by_label("Persoonlijk (fysiek)")).to_be_checked()
    expect(page.get_by_label("Wie deden mee")).to_have_value(
        f"Cliënt en {behandelaar_a.get_full_name()}"
    )
    # The usual case: stage, two rulers, one change talk with a quote, a next step.
    page.get_by_label("Voorbereiding").check()
    page.get_by_label("Belang (0–10)").fill("12")
    page.get_by_role("button", name="Opslaan").click()
    # Summed up at the top, linked to the field, and said next to the field.
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link", name="Belang (0–10)")).to_be_visible()
    message = "Vul een getal van 0 tot en met 10 in."
    expect(summary).to_contain_text(message)
    expect(page.locator("#id_importance_error")).to_have_text(message)
    assert_accessible(page)
    page.get_by_label("Belang (0–10)").fill("8")
    page.get_by_label("Vertrouwen (0–10)").fill("6")
    page.get_by_label("Toezegging (commitment)", exact=True).check()
    page.get_by_label("Uitspraak bij ‘Toezegging (commitment)’").fill("Ik ga bellen.")
    page.get_by_label("Afgesproken volgende stap").fill("Werkgever bellen")
    page.locator("details.miti > summary").click()
    for label, value in (
        ("Vragen", "10"),
        ("Enkelvoudige reflecties", "8"),
        ("Complexe reflecties", "12"),
    ):
        page.get_by_label(f"{label}:", exact=True).fill(value)
    for label, value in (
        ("Verandertaal uitlokken", "4"),
        ("Behoudtaal afzwakken", "3"),
        ("Samenwerking (partnership)", "4"),
        ("Empathie", "5"),
    ):
        page.get_by_label(f"{label}:", exact=True).select_option(value)
    page.get_by_role("button", name="Opslaan").click()

    expect(page.get_by_text("Gesprek vastgelegd.")).to_be_visible()
    panel = page.get_by_role("region", name="Motiverende gesprekken")
    expect(panel).to_contain_text("3 van de gebruikelijke 8 gebruikt")
    expect(panel).to_contain_text("“Ik ga bellen.”")
    expect(panel.get_by_role("img", name="Belang en vertrouwen (0–10) per gesprek")).to_be_visible()
    expect(panel.get_by_role("table")).to_contain_text("Voorbereiding")
    assert_accessible(page)
    panel.get_by_role("img", name="Fase van verandering per gesprek").screenshot(
        path=tmp_path / "fase.png"
    )
    assert (tmp_path / "fase.png").stat().st_size > 2000

    panel.get_by_role("link", name="Gesprekken en voortgang").click()
    assert_accessible(page)
    page.get_by_role("table").first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Uw zelfbeoordeling (MITI 4.2.1)")).to_be_visible()
    expect(page.get_by_text("2,0 : 1")).to_be_visible()
    assert_accessible(page)
    detail_url = page.url

    page.get_by_role("link", name="Mijn gespreksvoering").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn gespreksvoering (MITI)")
    assert_accessible(page)
    sign_out(page)

    sign_in(page, live_server, klantmanager_g.email)
    page.goto(detail_url)
    expect(page.get_by_text("“Ik ga bellen.”")).to_be_visible()
    expect(page.get_by_text("Werkgever bellen")).to_be_visible()
    expect(page.get_by_text("Uw zelfbeoordeling")).to_have_count(0)
    expect(page.get_by_role("link", name="Mijn gespreksvoering")).to_have_count(0)
    assert_accessible(page)
