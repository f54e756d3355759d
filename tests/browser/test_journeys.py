"""Issue 9 ("Als gebruiker"), journeys 1-3 in a real browser.

Each journey signs in through the real sign-in page and then only clicks and types what a
person would: links, buttons and form fields found by their visible label or role. The
only address typed in is the sign-in page. Fixtures create the organisations and users,
and, where a journey starts from what an earlier journey leaves behind, build that starting
state through the services layer. axe-core (WCAG 2.1 A/AA) runs on every page visited, and
the app's own CSP stays on (a violation is a console error and fails the test).

Progress reports are rendered by a real Celery worker (tests/worker.py) through the Redis
of the test run, exactly as in production; the browser waits on the report page, which
updates itself, and downloads the PDF.
"""

import datetime
import io
import re
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from cases import services as case_services
from cases.constants import CaseRole, TimelineKind
from cases.models import Agreement, WorkSituation
from consent import services as consent
from consent.constants import Action, Category, Outcome, Purpose
from consent.models import AccessLogEntry

from ..builders import make_case, make_consent
from ..conftest import PASSWORD
from ..worker import celery_worker  # noqa: F401
from .conftest import (
    DEFAULT_TIMEOUT_MS,
    LOGIN_PATH,
    _console_errors,
    _record_console_error,
    assert_accessible,
    assert_no_console_errors,
    sign_in,
)

pytestmark = [pytest.mark.browser]

# A report is rendered by a worker process; on a busy machine that takes a while.
REPORT_TIMEOUT_MS = 90_000

CLIENT_FIRST, CLIENT_LAST = "Sem", "Bos"
CLIENT_NAME = f"{CLIENT_FIRST} {CLIENT_LAST}"
THEMES = [
    "Uw sterke kanten en wat werk voor u betekent",
    "Geld en inkomen",
    "Spanning en belasting",
]
# The work categories the client consents to share with the gemeente in journey 1.
CONSENTED = [
    "Identificatie en contact",
    "Werksituatie en uitkering",
    "Arbeidsmogelijkheden en belastbaarheid",
]
MEDICAL_NOTE = "Slaapt slecht sinds de ophoging van de medicatie"
CARE_AGREEMENT = "Medicatie evalueren met de psychiater"
POSSIBILITIES_NOTE = "Kan vier ochtenden per week buiten werken"


# --- Reference data and helpers -------------------------------------------------------------


@pytest.fixture
def other_page(browser, live_server):
    """A second person at another computer: a page in a context of its own, with the same
    console and CSP watch as the ``page`` fixture."""
    context = browser.new_context(base_url=live_server.url, locale="nl-NL")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    second = context.new_page()
    errors = _console_errors[second] = []
    second.on("console", lambda msg: _record_console_error(errors, msg))
    second.on("pageerror", lambda exc: errors.append(f"Uncaught: {exc}"))
    yield second
    try:
        assert_no_console_errors(second)
    finally:
        del _console_errors[second]
        context.close()


def sign_out(page):
    page.get_by_role("banner").get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen bij Werkpad")


def in_days(days):
    return timezone.localdate() + datetime.timedelta(days=days)


def open_case_from_worklist(page, link_text):
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role(
        "link", name="Mijn werkvoorraad"
    ).click()
    assert_accessible(page)
    page.get_by_role("table").get_by_role("link", name=link_text).click()
    assert_accessible(page)


def definition(page, term):
    """The <dd> after the <dt> ``term`` (the figures on the results page)."""
    return page.locator("dt", has_text=re.compile(f"^{re.escape(term)}$")).locator(
        "xpath=following-sibling::dd[1]"
    )


def wait_for_pdf_link(page):
    """On a report page: wait until the worker has rendered it (the page updates itself)."""
    link = page.get_by_role("link", name="Download de PDF")
    expect(link).to_be_visible(timeout=REPORT_TIMEOUT_MS)
    assert_accessible(page)
    return link


def download(page, link):
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    return Path(download.path()).read_bytes()


def forget_expected_404(page, path):
    """A refused download answers 404, which Chromium logs as a console error. Take exactly
    that one off the console watch; any other error still fails the test."""
    errors = _console_errors[page]
    for _ in range(50):  # the console message may trail the page load a little
        expected = [e for e in errors if "status of 404" in e and e.rstrip(")").endswith(path)]
        if expected:
            break
        page.wait_for_timeout(100)
    assert expected, f"No 404 for {path} in the console: {errors}"
    for error in expected:
        errors.remove(error)


def pdf_text(data):
    """The text of a PDF with all whitespace as single spaces: table cells wrap lines."""
    assert data.startswith(b"%PDF-")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


# --- Journey 1: behandelaar -----------------------------------------------------------------


@pytest.mark.worker
def test_journey_1_behandelaar(
    page,
    live_server,
    behandelaar_a,
    gemeente_g,
    celery_worker,  # noqa: F811
):
    sign_in(page, live_server, behandelaar_a.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn werkvoorraad")
    assert_accessible(page)

    # New client, and with it the case.
    page.get_by_role("link", name="Cliënt registreren en casus openen").click()
    assert_accessible(page)
    page.get_by_label("Voornaam").fill(CLIENT_FIRST)
    page.get_by_label("Achternaam").fill(CLIENT_LAST)
    page.get_by_label("Geboortedatum").fill("1992-04-03")
    page.get_by_label("BSN").fill("111222333")
    page.get_by_role("button", name="Registreren en casus openen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CLIENT_NAME)
    expect(page.get_by_role("note").filter(has_text="Werk is nog niet besproken.")).to_be_visible()
    assert_accessible(page)

    # The werkvoorraad flags it too.
    open_case_from_worklist_flag(page)

    # Gespreksleidraad, step 1: three themes and the client's own question.
    page.get_by_role("button", name="Gesprek over werk starten").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Voorbereiding")
    assert_accessible(page)
    for theme in THEMES:
        page.get_by_role("checkbox", name=theme).check()
    page.get_by_label("Eigen vragen van de cliënt").fill("Mag ik mijn uitkering houden?")
    page.get_by_role("button", name="Opslaan en naar stap 2").click()

    # Step 2: notes and a judgement per theme.
    expect(page.get_by_role("heading", level=1)).to_contain_text("In gesprek")
    assert_accessible(page)
    judgements = ["Werk helpt bij herstel", "Nog niet duidelijk", "Werk belemmert herstel"]
    for theme, judgement in zip(THEMES, judgements, strict=True):
        section = page.get_by_role("region", name=theme)
        section.get_by_label(f"Wat vertelt de cliënt over '{theme}'?").fill(
            f"Cliënt vertelt over: {theme.lower()}."
        )
        section.get_by_label(judgement).check()
    page.get_by_role("button", name="Opslaan en naar stap 3").click()

    # Step 3: the next step as an afspraak, the referral to IPS, and finish.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Volgende stappen")
    assert_accessible(page)
    discussed = page.get_by_role("region", name="Besproken thema's")
    for theme, judgement in zip(THEMES, judgements, strict=True):
        expect(discussed).to_contain_text(f"{theme}: {judgement}")
    row = page.get_by_role("group", name="Afspraak 1")
    row.get_by_label("Wat").fill("Vacatures in de groenvoorziening bekijken")
    row.get_by_label("Wie").fill("Sem")
    row.get_by_label("Uiterlijk op").fill(in_days(14).isoformat())
    page.get_by_role("button", name="Afspraken toevoegen aan de casus").click()
    expect(page.get_by_role("status")).to_contain_text("toegevoegd aan de casus")
    expect(page.get_by_role("region", name="Afspraken: wat, wie en wanneer")).to_contain_text(
        "Vacatures in de groenvoorziening bekijken"
    )
    assert_accessible(page)
    page.get_by_role("button", name="Verwijzen naar het IPS-team van GGZ A").click()
    expect(page.get_by_role("status")).to_contain_text("Vastgelegd")
    expect(page.get_by_role("region", name="Verwijzen")).to_contain_text("IPS")
    assert_accessible(page)
    page.get_by_role("button", name="Gesprek afronden").click()
    expect(page.get_by_role("status")).to_contain_text("Het gesprek is afgerond")
    assert_accessible(page)

    # Back on the case: the afspraak, the referral, and work no longer flagged.
    page.get_by_role("link", name="Terug naar de casus").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CLIENT_NAME)
    expect(page.get_by_text("Werk is nog niet besproken.")).to_have_count(0)
    expect(page.get_by_role("region", name="Afspraken", exact=True)).to_contain_text(
        "Vacatures in de groenvoorziening bekijken"
    )
    expect(page.get_by_role("region", name="IPS-traject")).to_contain_text("Aangemeld")
    assert_accessible(page)

    # A goal on a page of its own: a refusal keeps what was typed, then it is saved.
    page.get_by_role("region", name="Doelen").get_by_role("link", name="Doel toevoegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Doel toevoegen")
    page.get_by_label("Herstelgebied").select_option(label="Maatschappelijk herstel")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator("main")).to_contain_text("Dit veld is verplicht")
    expect(page.get_by_label("Herstelgebied")).to_have_value("maatschappelijk")
    assert_accessible(page)
    page.get_by_label("Doel").fill("Twee dagen per week werken in het groen")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("status")).to_contain_text("Doel toegevoegd")
    expect(page.get_by_role("region", name="Doelen")).to_contain_text(
        "Twee dagen per week werken in het groen"
    )

    # Consent to the gemeente for the work categories.
    page.get_by_role("region", name="Toestemmingen").get_by_role(
        "link", name="Toestemming vastleggen"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Toestemming vastleggen voor {CLIENT_NAME}"
    )
    assert_accessible(page)
    page.get_by_label("Ontvangende organisatie").select_option(label="Gemeente G")
    page.get_by_label("Re-integratie en participatie").check()
    for category in CONSENTED:
        page.get_by_role("checkbox", name=re.compile(f"^{category}")).check()
    page.get_by_label("Geldig tot en met").fill(in_days(180).isoformat())
    page.get_by_label("Schriftelijk ondertekend").check()
    page.get_by_label("Ik heb de cliënt uitgelegd waarvoor de gegevens worden gedeeld").check()
    page.get_by_role("button", name="Toestemming vastleggen").click()
    expect(page.get_by_role("status")).to_contain_text("De toestemming is vastgelegd")
    expect(page.get_by_role("heading", level=1)).to_contain_text(CLIENT_NAME)
    main = page.locator("main")
    expect(main).to_contain_text("Gemeente G")
    for category in CONSENTED:
        expect(main.get_by_role("listitem").filter(has_text=category)).to_have_count(1)
    assert_accessible(page)

    # A progress report: requested on the case, rendered by the worker, downloaded.
    page.get_by_role("link", name="Terug naar de casus").click()
    expect(page.get_by_role("region", name="Toestemmingen")).to_contain_text("Gemeente G")
    assert_accessible(page)
    page.get_by_role("button", name="Voortgangsrapportage maken (PDF)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Voortgangsrapportage")
    assert_accessible(page)
    text = pdf_text(download(page, wait_for_pdf_link(page)))
    assert CLIENT_NAME in text
    assert "Vacatures in de groenvoorziening bekijken" in text


def open_case_from_worklist_flag(page):
    """Journey 1: the werkvoorraad shows 'Werk nog niet besproken' on the new case; back
    to the case through its row."""
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role(
        "link", name="Mijn werkvoorraad"
    ).click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=CLIENT_NAME))
    expect(row).to_contain_text("Werk nog niet besproken")
    assert_accessible(page)
    row.get_by_role("link", name=CLIENT_NAME).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CLIENT_NAME)
    assert_accessible(page)


# --- Journey 1 by keyboard alone -----------------------------------------------------------

# What has the focus: its role (as far as this journey needs) and its accessible name, from
# aria-labelledby, aria-label, its <label>s or its text, in that order.
FOCUSED_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) {
    return {role: "", name: ""};
  }
  const clean = (s) => (s || "").replace(/\\s+/g, " ").trim();
  const text = (node) => clean(node.innerText || node.textContent);
  let name;
  const labelledby = el.getAttribute("aria-labelledby");
  if (labelledby) {
    name = labelledby.split(/\\s+/).map((id) => document.getElementById(id))
      .filter(Boolean).map(text).join(" ");
  } else if (el.getAttribute("aria-label")) {
    name = clean(el.getAttribute("aria-label"));
  } else if (el.labels && el.labels.length) {
    name = Array.from(el.labels).map(text).join(" ");
  } else if (el.tagName === "INPUT" && ["submit", "button"].includes(el.type)) {
    name = clean(el.value);
  } else {
    name = text(el);
  }
  const tag = el.tagName.toLowerCase();
  let role = tag;
  if (tag === "a") role = "link";
  else if (tag === "button" || (tag === "input" && ["submit", "button"].includes(el.type))) {
    role = "button";
  } else if (tag === "input" && ["checkbox", "radio"].includes(el.type)) role = el.type;
  else if (tag === "select") role = "combobox";
  else if (tag === "textarea" || tag === "input") role = "textbox";
  return {role, name};
}"""
MAX_TABS = 300


def focused(page):
    return page.evaluate(FOCUSED_JS)


def tab_to(page, name, role=None, backwards=False):
    """Press Tab (or Shift+Tab) until the focused element has this accessible name (a
    string: exactly, apart from the colon Django puts after a label; a pattern: found in
    it) and role. Fails with the focus order seen."""
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        now = focused(page)
        if role in (None, now["role"]) and (
            name.search(now["name"])
            if isinstance(name, re.Pattern)
            else now["name"].removesuffix(":") == name
        ):
            return
        seen.append(f"{now['role']}: {now['name'][:70]}")
    pytest.fail(
        f"No {role or 'element'} {name!r} in the focus order of {page.url}:\n"
        + "\n".join(seen[:60])
    )


def fill_by_keyboard(page, label, text):
    tab_to(page, label, role="textbox")
    page.keyboard.type(text)


def press_and_wait(page, key="Enter"):
    """Activate the focused link or button; returns when the next page has loaded."""
    with page.expect_navigation():
        page.keyboard.press(key)
    assert_accessible(page)


def choose_radio(page, first, choice):
    """Tab into a radio group (none chosen yet: the focus lands on its first option), then
    Space for the first option or the arrow keys to move to another."""
    tab_to(page, first, role="radio")
    if choice == first:
        page.keyboard.press("Space")
        return
    for _ in range(10):
        page.keyboard.press("ArrowDown")
        if focused(page)["name"] == choice:
            return
    pytest.fail(f"Option {choice!r} not found after {first!r}")


def day_equals_month(on_or_after):
    """A date whose day and month are the same number, so typing it into a date field gives
    the same date whether Chromium orders the field day-month-year or month-day-year."""
    day = on_or_after
    while day.day != day.month:
        day += datetime.timedelta(days=1)
    return day


def type_date(page, label, day):
    tab_to(page, label, role="textbox")
    page.keyboard.type(f"{day.day:02d}{day.month:02d}{day.year}")
    expect(page.locator(":focus")).to_have_value(day.isoformat())


@pytest.mark.worker
def test_journey_1_by_keyboard_alone(
    page,
    live_server,
    behandelaar_a,
    gemeente_g,
    celery_worker,  # noqa: F811
):
    """Journey 1 with Tab, Shift+Tab, Enter, Space, the arrow keys in radio groups and
    typing: no mouse. The only address typed in is the sign-in page."""
    page.goto(LOGIN_PATH)
    assert_accessible(page)
    fill_by_keyboard(page, "E-mailadres", behandelaar_a.email)
    fill_by_keyboard(page, "Wachtwoord", PASSWORD)
    press_and_wait(page)  # Enter in a field submits the form
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn werkvoorraad")

    tab_to(page, "Cliënt registreren en casus openen", role="link")
    press_and_wait(page)
    fill_by_keyboard(page, "Voornaam", CLIENT_FIRST)
    fill_by_keyboard(page, "Achternaam", CLIENT_LAST)
    type_date(page, "Geboortedatum", datetime.date(1992, 4, 4))
    fill_by_keyboard(page, "BSN", "111222333")
    tab_to(page, "Registreren en casus openen", role="button")
    press_and_wait(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(CLIENT_NAME)
    expect(page.get_by_role("note").filter(has_text="Werk is nog niet besproken.")).to_be_visible()
    tab_to(page, "Mijn werkvoorraad", role="link")
    press_and_wait(page)
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=CLIENT_NAME))
    expect(row).to_contain_text("Werk nog niet besproken")
    tab_to(page, CLIENT_NAME, role="link")
    press_and_wait(page)

    # Step 1.
    tab_to(page, "Gesprek over werk starten", role="button")
    press_and_wait(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Voorbereiding")
    for theme in THEMES:
        tab_to(page, theme, role="checkbox")
        page.keyboard.press("Space")
        expect(page.get_by_role("checkbox", name=theme)).to_be_checked()
    fill_by_keyboard(page, "Eigen vragen van de cliënt", "Mag ik mijn uitkering houden?")
    tab_to(page, "Opslaan en naar stap 2", role="button")
    press_and_wait(page)

    # Step 2.
    expect(page.get_by_role("heading", level=1)).to_contain_text("In gesprek")
    judgements = ["Werk helpt bij herstel", "Nog niet duidelijk", "Werk belemmert herstel"]
    for theme, judgement in zip(THEMES, judgements, strict=True):
        fill_by_keyboard(page, f"Wat vertelt de cliënt over '{theme}'?", f"Over {theme.lower()}.")
        choose_radio(page, "Werk helpt bij herstel", judgement)
        section = page.get_by_role("region", name=theme)
        expect(section.get_by_role("radio", name=judgement)).to_be_checked()
    tab_to(page, "Opslaan en naar stap 3", role="button")
    press_and_wait(page)

    # Step 3: an afspraak, the referral to IPS, finish.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Volgende stappen")
    fill_by_keyboard(page, "Wat", "Vacatures in de groenvoorziening bekijken")
    fill_by_keyboard(page, "Wie", "Sem")
    type_date(page, "Uiterlijk op", day_equals_month(in_days(7)))
    tab_to(page, "Afspraken toevoegen aan de casus", role="button")
    press_and_wait(page)
    expect(page.get_by_role("region", name="Afspraken: wat, wie en wanneer")).to_contain_text(
        "Vacatures in de groenvoorziening bekijken"
    )
    tab_to(page, "Verwijzen naar het IPS-team van GGZ A", role="button")
    press_and_wait(page)
    expect(page.get_by_role("status")).to_contain_text("Vastgelegd")
    # Finishing is the last control on the page: Shift+Tab gets there first.
    tab_to(page, "Gesprek afronden", role="button", backwards=True)
    press_and_wait(page)
    expect(page.get_by_role("status")).to_contain_text("Het gesprek is afgerond")
    tab_to(page, "Terug naar de casus", role="link")
    press_and_wait(page)
    expect(page.get_by_role("region", name="IPS-traject")).to_contain_text("Aangemeld")
    expect(page.get_by_text("Werk is nog niet besproken.")).to_have_count(0)

    # Consent to the gemeente.
    tab_to(page, "Toestemming vastleggen", role="link")
    press_and_wait(page)
    tab_to(page, "Ontvangende organisatie", role="combobox")
    page.keyboard.type("Gemeente G")  # type-ahead picks the option
    expect(page.get_by_label("Ontvangende organisatie")).to_have_value(str(gemeente_g.pk))
    choose_radio(page, "IPS-traject", "Re-integratie en participatie")
    for category in CONSENTED:
        tab_to(page, re.compile(f"^{category}"), role="checkbox")
        page.keyboard.press("Space")
    type_date(page, "Geldig tot en met", day_equals_month(in_days(60)))
    choose_radio(page, "Schriftelijk ondertekend", "Schriftelijk ondertekend")
    tab_to(page, "Ik heb de cliënt uitgelegd waarvoor de gegevens worden gedeeld", "checkbox")
    page.keyboard.press("Space")
    tab_to(page, "Toestemming vastleggen", role="button")
    press_and_wait(page)
    expect(page.get_by_role("status")).to_contain_text("De toestemming is vastgelegd")
    main = page.locator("main")
    expect(main).to_contain_text("Re-integratie en participatie")
    for category in CONSENTED:
        expect(main.get_by_role("listitem").filter(has_text=category)).to_have_count(1)
    expect(main).not_to_contain_text("Afspraken en doelen")

    # The progress report.
    tab_to(page, "Terug naar de casus", role="link")
    press_and_wait(page)
    tab_to(page, "Voortgangsrapportage maken (PDF)", role="button")
    press_and_wait(page)
    wait_for_pdf_link(page)
    tab_to(page, "Download de PDF", role="link")
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    text = pdf_text(Path(info.value.path()).read_bytes())
    assert CLIENT_NAME in text
    assert "Vacatures in de groenvoorziening bekijken" in text


# --- Journey 2: IPS-trajectbegeleider ------------------------------------------------------


@pytest.fixture
def referred_case(behandelaar_a, ggz_a):
    """Where journey 1 leaves off: a case of GGZ A referred to its own IPS team."""
    case = make_case(behandelaar_a, first_name=CLIENT_FIRST, last_name=CLIENT_LAST)
    case_services.refer(
        consent.case_access(behandelaar_a, case),
        ggz_a,
        CaseRole.TRAJECTBEGELEIDER,
        "Wil graag betaald werk in de groenvoorziening.",
    )
    return case


def change_phase(page, to, **fields):
    panel = page.get_by_role("region", name="Fase")
    panel.get_by_text("Fase wijzigen", exact=True).first.click()
    panel.get_by_label("Nieuwe fase").select_option(label=to)
    for label, value in fields.items():
        panel.get_by_label(label).select_option(label=value)
    panel.get_by_role("button", name="Nieuwe fase opslaan").click()
    expect(page.get_by_role("status")).to_contain_text(f"Fase gewijzigd naar ‘{to}’")
    expect(page.get_by_role("region", name="Fase")).to_contain_text(to)
    assert_accessible(page)


def open_results(page):
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Resultaten").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Resultaten IPS-team (GGZ A)")
    assert_accessible(page)


def record_employer_contact(page, employer, person, kind, outcome):
    page.get_by_role("link", name="Werkgeverscontact vastleggen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Werkgeverscontact vastleggen")
    assert_accessible(page)
    page.get_by_label("Werkgever").fill(employer)
    page.get_by_label("Contactpersoon").fill(person)
    page.get_by_label("Soort contact").select_option(label=kind)
    page.get_by_label("Persoonlijk contact").check()
    page.get_by_label("Uitkomst").fill(outcome)
    page.get_by_role("button", name="Vastleggen").click()
    expect(page.get_by_role("status")).to_contain_text("Werkgeverscontact vastgelegd")
    expect(page.get_by_role("region", name="Werkgeverscontacten voor deze cliënt")).to_contain_text(
        employer
    )
    assert_accessible(page)


def test_journey_2_trajectbegeleider(page, live_server, jobcoach_a, referred_case):
    sign_in(page, live_server, jobcoach_a.email)
    invitations = page.get_by_role("region", name="Uitnodigingen en verwijzingen")
    expect(invitations).to_contain_text("groenvoorziening")
    assert_accessible(page)

    # The team dashboard before: the referral waits for a trajectbegeleider, so it counts for
    # no team yet; the dashboard shows it apart.
    open_results(page)
    expect(definition(page, "Lopende trajecten in het kwartaal")).to_have_text("0")
    expect(
        definition(page, "Aanmeldingen bij GGZ A die nog op een trajectbegeleider wachten")
    ).to_have_text("1")
    first_contact = "Mediaan dagen tot eerste persoonlijke werkgeverscontact"
    expect(definition(page, first_contact)).to_have_text("—")

    # Accept the referral: the case opens, with the IPS card.
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role(
        "link", name="Mijn werkvoorraad"
    ).click()
    page.get_by_role("region", name="Uitnodigingen en verwijzingen").get_by_role(
        "button", name="Accepteren"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CLIENT_NAME)
    ips_card = page.get_by_role("region", name="IPS-traject")
    expect(ips_card).to_contain_text(jobcoach_a.get_full_name())
    assert_accessible(page)
    ips_card.get_by_role("link", name="Naar het IPS-traject").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("IPS-traject")
    assert_accessible(page)

    # Intake: the one question is whether the client wants paid work.
    change_phase(page, "Intake")
    change_phase(page, "Beroepsprofiel", **{"Wil de cliënt betaald werk?": "Ja"})

    # Beroepsprofiel, with the client's disclosure choice.
    page.get_by_role("link", name="Beroepsprofiel vastleggen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Beroepsprofiel")
    assert_accessible(page)
    page.get_by_label("Gedeeltelijk vertellen (zie toelichting)").check()
    page.get_by_label("Wat de werkgever mag horen").fill("Soms een rustige plek nodig.")
    page.get_by_label("Werkervaring").fill("Tien jaar hovenier.")
    page.get_by_label("Gewenste sector en functie").fill("Groenvoorziening, hovenier")
    page.get_by_label("Gewenst aantal uren per week").fill("24")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("status")).to_contain_text("Beroepsprofiel opgeslagen")
    expect(page.get_by_role("region", name="Beroepsprofiel")).to_contain_text(
        "Groenvoorziening, hovenier"
    )
    expect(page.get_by_role("note").first).to_contain_text("Gedeeltelijk vertellen")
    assert_accessible(page)

    # Searching: two employer contacts, then a job.
    change_phase(page, "Zoeken naar werk")
    record_employer_contact(
        page, "Hoveniersbedrijf De Linde", "Mevrouw Jansen", "Eerste contact", "Wil kennismaken."
    )
    record_employer_contact(
        page, "Groen en Zo", "De heer Smit", "Vacature besproken", "Vacature hovenier, 24 uur."
    )
    page.get_by_role("link", name="Baan vastleggen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Baan vastleggen")
    assert_accessible(page)
    page.get_by_label("Werkgever").fill("Groen en Zo")
    page.get_by_label("Functie").fill("Hovenier")
    page.get_by_label("Begindatum").fill(timezone.localdate().isoformat())
    page.get_by_label("Uren per week").fill("24")
    page.get_by_label("Bruto uurloon (€)").fill("16.50")
    page.get_by_label("Soort contract").select_option(label="Tijdelijk (bepaalde tijd)")
    page.get_by_role("button", name="Vastleggen").click()
    expect(page.get_by_role("status")).to_contain_text("Baan vastgelegd")
    expect(page.get_by_role("region", name="Banen")).to_contain_text("Hovenier, Groen en Zo")
    expect(page.get_by_role("region", name="Fase")).to_contain_text("Aan het werk (plaatsing)")
    assert_accessible(page)

    # The team dashboard after: the placement and the first contact count.
    open_results(page)
    expect(definition(page, "Lopende trajecten in het kwartaal")).to_have_text("1")
    expect(
        definition(page, "Aanmeldingen bij GGZ A die nog op een trajectbegeleider wachten")
    ).to_have_text("0")
    expect(definition(page, "Met regulier betaald werk")).to_have_text("100% (1 van 1)")
    expect(definition(page, first_contact)).to_have_text("0")
    coach_row = page.get_by_role("row", name=re.compile(re.escape(jobcoach_a.get_full_name())))
    expect(coach_row).to_contain_text("100%")


# --- Journey 3: klantmanager ------------------------------------------------------------------


@pytest.fixture
def shared_case(behandelaar_a, gemeente_g, ggz_a):
    """Where journeys 1 and 2 leave off for the gemeente: a case of GGZ A with data in
    several categories, the client's consent to share the work categories with Gemeente G,
    and a referral to the klantmanager there."""
    case = make_case(behandelaar_a, first_name=CLIENT_FIRST, last_name=CLIENT_LAST)
    # Consented: identification, the work situation and the possibilities.
    WorkSituation.objects.create(
        case=case,
        organisation=ggz_a,
        recorded_by=behandelaar_a,
        kind="dagbesteding",
        hours_per_week=12,
        benefit="bijstand",
        wish_to_work="ja",
    )
    case_services.add_timeline(
        case,
        behandelaar_a,
        TimelineKind.NOTITIE,
        Category.MOGELIJKHEDEN,
        "Belastbaarheid",
        POSSIBILITIES_NOTE,
    )
    # Not consented: a medical note (never for the gemeente) and a care agreement.
    case_services.add_timeline(
        case, behandelaar_a, TimelineKind.NOTITIE, Category.MEDISCH, "Consult", MEDICAL_NOTE
    )
    Agreement.objects.create(
        case=case,
        organisation=ggz_a,
        created_by=behandelaar_a,
        what=CARE_AGREEMENT,
        owner="Behandelaar",
        due_date=in_days(10),
    )
    make_consent(
        case.client,
        ggz_a,
        gemeente_g,
        Purpose.REINTEGRATIE,
        [Category.IDENTIFICATIE, Category.WERKSITUATIE, Category.MOGELIJKHEDEN],
        recorded_by=behandelaar_a,
    )
    case_services.refer(
        consent.case_access(behandelaar_a, case),
        gemeente_g,
        CaseRole.KLANTMANAGER,
        "Samen kijken naar werk naast de dagbesteding.",
    )
    return case


def assert_nothing_unshared(page):
    main = page.locator("main")
    expect(main).not_to_contain_text(MEDICAL_NOTE)
    expect(main).not_to_contain_text("Consult")
    expect(main).not_to_contain_text(CARE_AGREEMENT)


@pytest.mark.worker
def test_journey_3_klantmanager(
    page,
    other_page,
    live_server,
    klantmanager_g,
    behandelaar_a,
    shared_case,
    celery_worker,  # noqa: F811
):
    sign_in(page, live_server, klantmanager_g.email)
    invitations = page.get_by_role("region", name="Uitnodigingen en verwijzingen")
    expect(invitations).to_contain_text("dagbesteding")
    assert_accessible(page)
    invitations.get_by_role("button", name="Accepteren").click()

    # The shared case: only what the client consented to.
    expect(page.get_by_role("heading", level=1)).to_have_text(CLIENT_NAME)
    expect(page.get_by_role("region", name="Werksituatie")).to_contain_text("Dagbesteding")
    expect(page.get_by_role("region", name="Werksituatie")).to_contain_text("Bijstand")
    expect(page.get_by_role("region", name="Tijdlijn")).to_contain_text(POSSIBILITIES_NOTE)
    assert_nothing_unshared(page)
    assert_accessible(page)
    page.get_by_role("link", name="Hele tijdlijn").click()
    expect(page.locator("main")).to_contain_text(POSSIBILITIES_NOTE)
    assert_nothing_unshared(page)
    assert_accessible(page)
    page.get_by_role("link", name="Terug naar de casus").click()

    # A driegesprek: planned, held, with an agreement.
    page.get_by_role("link", name="Driegesprek plannen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Driegesprek plannen")
    assert_accessible(page)
    planned = timezone.localtime() + datetime.timedelta(minutes=3)
    page.get_by_label("Datum en tijd").fill(f"{planned:%Y-%m-%dT%H:%M}")
    page.get_by_label("Plaats").fill("Stadskantoor")
    page.get_by_label("Deelnemers").fill("Sem Bos, behandelaar, klantmanager")
    page.get_by_role("button", name="Opslaan").click()
    meetings = page.get_by_role("region", name="Driegesprekken")
    expect(meetings).to_contain_text("Stadskantoor")
    assert_accessible(page)
    # A report only once the meeting has started.
    expect(meetings.get_by_role("link", name="Verslag vastleggen")).to_have_count(0)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=10), tick=True):
        page.reload()
        meetings.get_by_role("link", name="Verslag vastleggen").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Verslag van het driegesprek")
        assert_accessible(page)
        page.get_by_label("Verslag").fill("Sem wil 16 uur per week werken naast de dagbesteding.")
        page.get_by_label("Afspraak 1: wat").fill("Proefplaatsing bij de gemeentelijke groendienst")
        page.get_by_label("Afspraak 1: wie").fill("Klantmanager")
        page.get_by_label("Afspraak 1: uiterlijk op").fill(in_days(21).isoformat())
        page.get_by_role("button", name="Opslaan").click()
        expect(page.get_by_role("status")).to_contain_text("Verslag van het driegesprek vastgelegd")
    expect(page.get_by_role("region", name="Driegesprekken")).to_contain_text("16 uur per week")
    expect(page.get_by_role("region", name="Afspraken", exact=True)).to_contain_text(
        "Proefplaatsing bij de gemeentelijke groendienst"
    )
    assert_nothing_unshared(page)
    assert_accessible(page)

    # The progress report, as far as the klantmanager may see.
    page.get_by_role("button", name="Voortgangsrapportage maken (PDF)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Voortgangsrapportage")
    assert_accessible(page)
    pdf_link = wait_for_pdf_link(page)
    text = pdf_text(download(page, pdf_link))
    assert CLIENT_NAME in text
    assert "Proefplaatsing bij de gemeentelijke groendienst" in text
    assert POSSIBILITIES_NOTE in text
    assert MEDICAL_NOTE not in text
    assert CARE_AGREEMENT not in text

    # Meanwhile, at GGZ A: the client withdraws the consent; the behandelaar records it.
    sign_in(other_page, live_server, behandelaar_a.email)
    open_case_from_worklist(other_page, CLIENT_NAME)
    other_page.get_by_role("region", name="Toestemmingen").get_by_role(
        "link", name=re.compile(r"^Nr\. \d+$")
    ).click()
    expect(other_page.get_by_role("heading", level=1)).to_contain_text(CLIENT_NAME)
    assert_accessible(other_page)
    other_page.get_by_role("link", name="Toestemming intrekken").click()
    expect(other_page.get_by_role("heading", level=1)).to_have_text("Toestemming intrekken")
    assert_accessible(other_page)
    other_page.get_by_label("Mondeling, vastgelegd door een medewerker").check()
    other_page.get_by_label("Reden (optioneel)").fill("Wil het zelf met de gemeente regelen.")
    other_page.get_by_role("button", name="Toestemming intrekken").click()
    expect(other_page.get_by_role("status")).to_contain_text("De toestemming is ingetrokken")
    expect(other_page.get_by_role("region", name="Ingetrokken")).to_be_visible()
    assert_accessible(other_page)

    # Back at the gemeente, on the report page still open: the same download is refused.
    download_path = pdf_link.get_attribute("href")
    pdf_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Niet gevonden")
    forget_expected_404(page, download_path)
    assert_accessible(page)
    report_id = re.fullmatch(r"/rapporten/(\d+)/download/", download_path).group(1)
    downloads = AccessLogEntry.objects.filter(
        user=klantmanager_g, object_type="rapport", object_id=report_id, action=Action.EXPORT
    )
    # The download: one entry per kind of data in the PDF, on the client's consent; the
    # refused attempt after the withdrawal: one denied entry.
    outcomes = list(downloads.values_list("outcome", "basis").order_by("pk"))
    assert outcomes[-1][0] == Outcome.GEWEIGERD
    assert len(outcomes) > 1
    assert {outcome for outcome, _basis in outcomes[:-1]} == {Outcome.TOEGESTAAN}
    assert (Outcome.TOEGESTAAN, "toestemming") in outcomes

    # And the case no longer shows the client's data.
    page.get_by_role("link", name="Naar de startpagina").click()
    assert_accessible(page)
    hidden_name = f"Casus {shared_case.pk} (naam niet gedeeld)"
    expect(page.get_by_role("table")).not_to_contain_text(CLIENT_NAME)
    page.get_by_role("table").get_by_role("link", name=hidden_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(hidden_name)
    main = page.locator("main")
    expect(main).not_to_contain_text(CLIENT_NAME)
    expect(main).not_to_contain_text("Dagbesteding")
    expect(main).not_to_contain_text(POSSIBILITIES_NOTE)
    expect(page.get_by_role("region", name="Werksituatie")).to_contain_text(
        "Geen werksituatie vastgelegd die u mag zien."
    )
    assert_nothing_unshared(page)
    assert_accessible(page)
