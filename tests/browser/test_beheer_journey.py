"""Issue 9 ("Als gebruiker"): journey 4, the beheerder, and signing in with a second factor,
in a real browser.

As in test_journeys.py, each test signs in through the real sign-in page and then only
clicks and types what a person would: links, buttons and form fields found by their
visible label or role. axe-core (WCAG 2.1 A/AA) runs on every page visited and the app's
own CSP stays on.

Sensitive actions (adding a user, making an AVG-inzage) ask for the password again, as
allauth's re-authentication does in production: the person types it on the page that asks.
The AVG-inzage report is rendered by a real Celery worker (tests/worker.py).
"""

import datetime
import io
import re
import time
from pathlib import Path

import pytest
import time_machine
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, hotp_value
from django.conf import settings as django_settings
from django.test import Client as DjangoClient
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from playwright.sync_api import expect
from pypdf import PdfReader

from cases.constants import CaseRole
from consent import services as consent
from consent.constants import Action, Category, Outcome, Purpose
from consent.models import AccessLogEntry, ConsentWithdrawal
from portal.constants import Role
from portal.models import User

from ..builders import make_case, make_consent
from ..conftest import PASSWORD
from ..factories import UserFactory
from ..test_ips import new_case, start_trajectory
from ..worker import celery_worker  # noqa: F401
from .conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser]

# A report is rendered by a worker process; on a busy machine that takes a while.
REPORT_TIMEOUT_MS = 90_000

CLIENT_FIRST, CLIENT_LAST = "Noor", "Visser"
CLIENT_NAME = f"{CLIENT_FIRST} {CLIENT_LAST}"
NEW_USER = {"first": "Ilse", "last": "de Wit", "email": "ilse.dewit@a.test"}
WITHDRAWAL_REASON = "Brief van de cliënt van vandaag: wil niet meer delen met de gemeente."


def in_days(days):
    return timezone.localdate() + datetime.timedelta(days=days)


def main_menu(page, label):
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name=label).click()
    assert_accessible(page)


def confirm_password(page):
    """The re-authentication page: the person types their password again and confirms."""
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Bevestigen").click()


def pdf_text(data):
    """The text of a PDF with all whitespace as single spaces: table cells wrap lines."""
    assert data.startswith(b"%PDF-")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


# --- Journey 4: beheerder -------------------------------------------------------------------


@pytest.fixture
def expiring_consent(behandelaar_a, ggz_a, gemeente_g):
    """A client of GGZ A whose consent to share work data with Gemeente G runs out in 20
    days, and whose case the behandelaar has opened (real reads in the access log)."""
    case = make_case(behandelaar_a, first_name=CLIENT_FIRST, last_name=CLIENT_LAST)
    record = make_consent(
        case.client,
        ggz_a,
        gemeente_g,
        Purpose.REINTEGRATIE,
        [Category.IDENTIFICATIE, Category.WERKSITUATIE],
        valid_until=in_days(20),
        recorded_by=behandelaar_a,
    )
    # The behandelaar opens the case through the real view, which logs the reads.
    colleague = DjangoClient()
    colleague.force_login(behandelaar_a, backend="portal.backends.UserBackend")
    assert colleague.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    assert AccessLogEntry.objects.filter(
        user=behandelaar_a, client=case.client, action=Action.READ
    ).exists()
    return record


@pytest.mark.worker
def test_journey_4_beheerder(
    page,
    live_server,
    beheerder_a,
    behandelaar_a,
    expiring_consent,
    mailoutbox,
    celery_worker,  # noqa: F811
):
    sign_in(page, live_server, beheerder_a.email)
    # No werkvoorraad (a beheerder is on no team): the tasks, and what waits.
    expect(page.get_by_role("heading", level=1)).to_have_text("Beheer van GGZ A")
    expect(page.get_by_role("link", name="1 toestemming verloopt binnen 30 dagen")).to_be_visible()
    assert_accessible(page)

    # A new user for the organisation; the password is asked again before it is saved.
    main_menu(page, "Gebruikers")
    expect(page.get_by_role("heading", level=1)).to_have_text("Gebruikers van GGZ A")
    page.get_by_role("link", name="Gebruiker toevoegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gebruiker toevoegen")
    assert_accessible(page)
    page.get_by_label("E-mailadres").fill(NEW_USER["email"])
    page.get_by_label("Voornaam").fill(NEW_USER["first"])
    page.get_by_label("Achternaam").fill(NEW_USER["last"])
    page.get_by_label("Rol").select_option(label="IPS-trajectbegeleider")
    page.get_by_role("button", name="Opslaan").click()
    expect(page).to_have_url(re.compile(re.escape(reverse("account_reauthenticate"))))
    assert not User.objects.filter(email=NEW_USER["email"]).exists()  # not before the password
    confirm_password(page)
    expect(page.get_by_role("status")).to_contain_text(
        f"Account voor {NEW_USER['first']} {NEW_USER['last']} aangemaakt"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Gebruikers van GGZ A")
    row = page.get_by_role("row").filter(has_text=NEW_USER["email"])
    expect(row).to_contain_text("IPS-trajectbegeleider")
    expect(row).to_contain_text("Actief")
    assert_accessible(page)
    added = User.objects.get(email=NEW_USER["email"])
    assert (added.organisation, added.role) == (beheerder_a.organisation, Role.TRAJECTBEGELEIDER)
    assert [m.to for m in mailoutbox] == [[NEW_USER["email"]]]  # the invitation

    # The new trajectbegeleider joins an IPS team: a new team, refused once for its name.
    page.get_by_role("link", name="IPS-teams indelen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("IPS-teams van GGZ A")
    assert_accessible(page)
    page.get_by_label("Naam van het nieuwe IPS-team").fill("IPS Noord")
    page.get_by_role("button", name="IPS-team aanmaken").click()
    expect(page.get_by_role("status")).to_contain_text("IPS-team IPS Noord aangemaakt")
    page.get_by_label("Naam van het nieuwe IPS-team").fill("ips noord")
    page.get_by_role("button", name="IPS-team aanmaken").click()
    expect(page.get_by_text("Uw organisatie heeft al een IPS-team met deze naam.")).to_be_visible()
    assert_accessible(page)
    new_name = f"{NEW_USER['first']} {NEW_USER['last']}"
    page.get_by_label(f"IPS-team van {new_name}").select_option(label="IPS Noord")
    page.get_by_role("button", name=f"Opslaan {new_name}").click()
    expect(page.get_by_role("status")).to_contain_text(f"{new_name} hoort nu bij IPS Noord.")
    expect(page.get_by_role("row").filter(has_text="IPS Noord").first).to_contain_text(new_name)
    assert_accessible(page)
    assert added.ips_team_member.team.name == "IPS Noord"

    # The consent overview: the consent that expires within 30 days.
    main_menu(page, "Toestemmingen")
    expect(page.get_by_role("heading", level=1)).to_have_text("Toestemmingen")
    page.get_by_role("navigation", name="Status van de toestemming").get_by_role(
        "link", name="Verloopt binnen 30 dagen (1)"
    ).click()
    assert_accessible(page)
    row = page.get_by_role("row").filter(has_text=CLIENT_NAME)
    expect(row).to_contain_text("Gemeente G")
    with translation.override("nl"):
        # The date stored when the consent was made, not one counted again now (a run
        # across midnight would count a day later).
        expect(row).to_contain_text(date_format(expiring_consent.valid_until, "j b Y"))
    expect(row).to_contain_text("Actief")

    # The client's letter withdrawing the consent: recorded as received on paper.
    row.get_by_role("link", name=str(expiring_consent.pk)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Toestemming {expiring_consent.pk} van {CLIENT_NAME}"
    )
    assert_accessible(page)
    page.get_by_role("link", name="Toestemming intrekken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Toestemming intrekken")
    assert_accessible(page)
    page.get_by_label("Schriftelijk", exact=True).check()
    page.get_by_label("Reden (optioneel)").fill(WITHDRAWAL_REASON)
    page.get_by_role("button", name="Toestemming intrekken").click()
    expect(page.get_by_role("status")).to_contain_text("De toestemming is ingetrokken")
    withdrawn = page.get_by_role("region", name="Ingetrokken")
    expect(withdrawn).to_contain_text("Schriftelijk")
    expect(withdrawn).to_contain_text(WITHDRAWAL_REASON)
    assert_accessible(page)
    withdrawal = ConsentWithdrawal.objects.get(consent=expiring_consent)
    assert withdrawal.recorded_by == beheerder_a

    # The overview no longer lists it as expiring.
    main_menu(page, "Toestemmingen")
    tabs = page.get_by_role("navigation", name="Status van de toestemming")
    expect(tabs.get_by_role("link", name="Verloopt binnen 30 dagen (0)")).to_be_visible()
    tabs.get_by_role("link", name="Ingetrokken (1)").click()
    expect(page.get_by_role("row").filter(has_text=CLIENT_NAME)).to_contain_text("Ingetrokken")
    assert_accessible(page)

    # The access log: the withdrawal, filtered by client and action.
    main_menu(page, "Inzagelog")
    expect(page.get_by_role("heading", level=1)).to_have_text("Inzagelog")
    page.get_by_label("Cliënt (naam)").fill(CLIENT_LAST)
    page.get_by_label("Handeling").select_option(label="Aanmaken")
    page.get_by_role("button", name="Filteren").click()
    assert_accessible(page)
    log = page.get_by_role("table", name="Regels in het inzagelog")
    withdrawal_row = log.get_by_role("row").filter(has_text=f"intrekking {withdrawal.pk}")
    expect(withdrawal_row).to_have_count(1)
    expect(withdrawal_row).to_contain_text(beheerder_a.get_full_name())
    expect(withdrawal_row).to_contain_text("Toegestaan")
    expect(log).not_to_contain_text("Inzien")

    # ... and the behandelaar's reads of the case, filtered by user and action.
    page.get_by_label("Handeling").select_option(label="Inzien")
    page.get_by_label("Gebruiker (naam of e-mail)").fill(behandelaar_a.email)
    page.get_by_role("button", name="Filteren").click()
    assert_accessible(page)
    log = page.get_by_role("table", name="Regels in het inzagelog")
    expect(log.get_by_role("row").filter(has_text=CLIENT_NAME).first).to_contain_text(
        behandelaar_a.get_full_name()
    )
    expect(log).not_to_contain_text(beheerder_a.get_full_name())
    expect(log).not_to_contain_text("Aanmaken")

    # The client asks what the organisation holds (AVG art. 15): an AVG-inzage.
    page.get_by_role("link", name=re.compile("Maak een AVG-inzage")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("AVG-inzage (artikel 15)")
    assert_accessible(page)
    page.get_by_label("Naam of BSN van de cliënt").fill(CLIENT_NAME)
    page.get_by_role("button", name="Zoeken").click()
    assert_accessible(page)
    make = page.get_by_role("button", name=f"AVG-inzage maken voor {CLIENT_NAME}")
    # A while later than the password was last confirmed (allauth asks again after
    # ACCOUNT_REAUTHENTICATION_TIMEOUT): the export asks for it again.
    later = timezone.now() + datetime.timedelta(
        seconds=django_settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 60
    )
    with time_machine.travel(later, tick=True):
        make.click()
        expect(page).to_have_url(re.compile(re.escape(reverse("account_reauthenticate"))))
        confirm_password(page)
        # Made only on a recorded request of the client: when, how, and how the identity
        # was checked.
        expect(page.get_by_role("heading", level=1)).to_have_text("AVG-inzage (artikel 15)")
        assert_accessible(page)
        received = timezone.localdate() - datetime.timedelta(days=2)
        page.get_by_label("Verzoek ontvangen op").fill(received.isoformat())
        page.get_by_label("Per brief").check()
        page.get_by_label("ID-bewijs gezien aan de balie").check()
        page.get_by_role("button", name="Verzoek vastleggen en AVG-inzage maken").click()
        expect(page).to_have_url(re.compile(r"/rapporten/\d+/$"))

    link = page.get_by_role("link", name="Download de PDF")
    expect(link).to_be_visible(timeout=REPORT_TIMEOUT_MS)
    assert_accessible(page)
    with page.expect_download() as info:
        link.click()
    assert info.value.suggested_filename.endswith(".pdf")
    text = pdf_text(Path(info.value.path()).read_bytes())
    assert CLIENT_NAME in text
    assert "Inzagelog: wie heeft uw gegevens gezien of gebruikt" in text
    assert "Uw verzoek" in text
    assert behandelaar_a.get_full_name() in text

    # The export itself is in the access log.
    main_menu(page, "Inzagelog")
    page.get_by_label("Cliënt (naam)").fill(CLIENT_LAST)
    page.get_by_label("Handeling").select_option(label="Exporteren")
    page.get_by_role("button", name="Filteren").click()
    assert_accessible(page)
    export = AccessLogEntry.objects.get(
        user=beheerder_a, client=expiring_consent.client, object_type="avg-inzage"
    )
    assert (export.action, export.outcome) == (Action.EXPORT, Outcome.TOEGESTAAN)
    row = page.get_by_role("table", name="Regels in het inzagelog").get_by_role("row")
    expect(row.filter(has_text=f"avg-inzage {export.object_id}")).to_contain_text(
        beheerder_a.get_full_name()
    )


def test_beheerder_appoints_a_new_lead_for_a_case_left_without_one(
    page, live_server, beheerder_a, behandelaar_a, behandelaar_a2
):
    """The only regiebehandelaar of a case leaves the organisation: the beheerder finds the
    case under "Casussen zonder regie" and appoints a colleague, confirming the password."""
    case = make_case(behandelaar_a, first_name="Wees", last_name="Zonderregie")
    User.objects.filter(pk=behandelaar_a.pk).update(is_active=False)
    sign_in(page, live_server, beheerder_a.email)
    page.get_by_role("link", name="1 open casus zonder regievoerder").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Casussen zonder regie")
    expect(page.get_by_role("row").filter(has_text="Wees Zonderregie")).to_have_count(1)
    assert_accessible(page)
    page.get_by_label(f"Nieuwe regievoerder in casus {case.pk}").select_option(
        label=f"{behandelaar_a2.get_full_name()} (Behandelaar, {behandelaar_a2.email})"
    )
    page.get_by_role("button", name=f"Toewijzen in casus {case.pk}").click()
    confirm_password(page)
    expect(page.get_by_role("status")).to_contain_text(
        f"{behandelaar_a2.get_full_name()} voert nu de regie in casus {case.pk}."
    )
    expect(page.get_by_text("Alle open casussen van uw organisatie hebben iemand")).to_be_visible()
    assert_accessible(page)
    assert consent.case_roles_of(behandelaar_a2, case) == {CaseRole.REGIEBEHANDELAAR}


def test_beheerder_hands_over_the_trajectories_of_a_coach_who_left(
    page, live_server, beheerder_a, behandelaar_a, jobcoach_a, ggz_a
):
    """A trajectbegeleider left the organisation with an open IPS trajectory: the beheerder
    finds them on the IPS-teams page and hands the trajectory to a colleague, confirming the
    password; no client data is shown."""
    trajectory = start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a))
    successor = UserFactory(
        email="opvolger@a.test",
        organisation=ggz_a,
        role=Role.TRAJECTBEGELEIDER,
        first_name="Olga",
        last_name="Opvolger",
    )
    User.objects.filter(pk=jobcoach_a.pk).update(is_active=False)
    former = jobcoach_a.get_full_name()
    sign_in(page, live_server, beheerder_a.email)
    main_menu(page, "Gebruikers")
    page.get_by_role("link", name="IPS-teams indelen").click()
    section = page.get_by_role("region", name="Trajecten zonder actieve trajectbegeleider")
    expect(section.get_by_role("row").filter(has_text=former)).to_contain_text("Gedeactiveerd")
    expect(section).not_to_contain_text(trajectory.case.client.last_name)
    assert_accessible(page)
    page.get_by_label(f"Nieuwe trajectbegeleider voor de trajecten van {former}").select_option(
        label="Olga Opvolger (0 lopende trajecten)"
    )
    page.get_by_role("button", name=f"Overdragen {former}").click()
    confirm_password(page)
    expect(page.get_by_role("status")).to_contain_text(
        f"1 open traject van {former} is overgedragen aan Olga Opvolger."
    )
    expect(
        page.get_by_role("region", name="Trajecten zonder actieve trajectbegeleider")
    ).to_have_count(0)
    assert_accessible(page)
    trajectory.refresh_from_db()
    assert trajectory.coach == successor
    assert consent.case_roles_of(successor, trajectory.case) == {CaseRole.TRAJECTBEGELEIDER}


# --- Signing in with a second factor ---------------------------------------------------------


@pytest.fixture
def require_mfa(settings):
    """MFA enforced, as outside demo mode in production (tests switch it off by default)."""
    settings.WERKPAD_REQUIRE_MFA = True


@pytest.fixture
def totp_secret(behandelaar_a):
    """The behandelaar has set up an authenticator app; its secret, as the app stores it."""
    secret = generate_totp_secret()
    TOTP.activate(behandelaar_a, secret)
    return secret


def current_code(secret):
    """What the authenticator app shows now. allauth accepts only the code of the current
    30-second period, so near its end wait for the next one, as a person would wait for a
    fresh code, lest it expire between typing and submitting."""
    period = mfa_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < 8:
        time.sleep(left + 0.5)
    return f"{hotp_value(secret, int(time.time()) // period):06d}"


def test_sign_in_with_an_authenticator_code(
    page, live_server, require_mfa, behandelaar_a, totp_secret
):
    sign_in(page, live_server, behandelaar_a.email)
    # Password alone is not enough: the code is asked, and nothing of the portal is shown.
    expect(page).to_have_url(re.compile(re.escape(reverse("mfa_authenticate"))))
    expect(page.get_by_role("navigation", name="Hoofdmenu")).to_have_count(0)
    assert_accessible(page)
    page.get_by_label("Code").fill(current_code(totp_secret))
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn werkvoorraad")
    assert_accessible(page)


def test_wrong_authenticator_code_gives_a_dutch_error(
    page, live_server, require_mfa, behandelaar_a, totp_secret
):
    sign_in(page, live_server, behandelaar_a.email)
    expect(page).to_have_url(re.compile(re.escape(reverse("mfa_authenticate"))))
    right = int(current_code(totp_secret))
    page.get_by_label("Code").fill(f"{(right + 500_000) % 1_000_000:06d}")
    page.get_by_role("button", name="Inloggen").click()
    # The portal's own message (portal.adapters.MFAAdapter), announced as an alert.
    expect(page.get_by_role("alert")).to_contain_text("Deze code is niet juist.")
    code = page.get_by_label("Code")
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(code).to_have_accessible_description(re.compile("Deze code is niet juist"))
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Mijn werkvoorraad")
    expect(page.get_by_role("navigation", name="Hoofdmenu")).to_have_count(0)
    assert_accessible(page)


def test_professional_without_second_factor_sets_one_up_first(
    page, live_server, require_mfa, behandelaar_a
):
    case = make_case(behandelaar_a, first_name=CLIENT_FIRST, last_name=CLIENT_LAST)
    sign_in(page, live_server, behandelaar_a.email)
    # Setting up a second factor is itself a sensitive action: the password is asked again.
    expect(page).to_have_url(re.compile(re.escape(reverse("account_reauthenticate"))))
    expect(page.locator("body")).not_to_contain_text(CLIENT_NAME)
    confirm_password(page)
    setup_url = re.compile(re.escape(reverse("mfa_activate_totp")) + "$")
    expect(page).to_have_url(setup_url)
    expect(page.locator("body")).not_to_contain_text(CLIENT_NAME)
    assert_accessible(page)

    # The werkvoorraad (the brand link) or a case: back to the set-up, no client data.
    page.get_by_role("link", name="Werkpad").click()
    expect(page).to_have_url(setup_url)
    page.goto(reverse("cases:detail", args=[case.pk]))
    expect(page).to_have_url(setup_url)
    expect(page.locator("body")).not_to_contain_text(CLIENT_NAME)
    assert not Authenticator.objects.filter(user=behandelaar_a).exists()

    # The person adds the secret to their authenticator app and types the code it shows.
    secret = page.get_by_label("Geheime sleutel").input_value()
    page.get_by_label("Code uit de app").fill(current_code(secret))
    page.get_by_role("button", name="Activeren").click()
    assert_accessible(page)
    assert Authenticator.objects.filter(user=behandelaar_a, type=Authenticator.Type.TOTP).exists()
    main_menu(page, "Mijn werkvoorraad")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn werkvoorraad")
    expect(page.get_by_role("table")).to_contain_text(CLIENT_NAME)


def test_a_recovery_code_signs_in_once_when_the_phone_is_lost(
    page, live_server, require_mfa, behandelaar_a
):
    """The recovery codes shown right after the set-up: one signs the person in without
    the app, once."""
    sign_in(page, live_server, behandelaar_a.email)
    confirm_password(page)
    secret = page.get_by_label("Geheime sleutel").input_value()
    page.get_by_label("Code uit de app").fill(current_code(secret))
    page.get_by_role("button", name="Activeren").click()
    expect(page).to_have_url(re.compile(re.escape(reverse("mfa_view_recovery_codes"))))
    assert_accessible(page)
    codes = page.locator("#recovery_codes").input_value().split()
    assert len(codes) >= 8

    def sign_in_with(code):
        page.get_by_role("button", name="Uitloggen").click()
        sign_in(page, live_server, behandelaar_a.email)
        expect(page).to_have_url(re.compile(re.escape(reverse("mfa_authenticate"))))
        page.get_by_label("Code").fill(code)
        page.get_by_role("button", name="Inloggen").click()

    sign_in_with(codes[0])
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn werkvoorraad")
    sign_in_with(codes[0])  # used up
    expect(page.get_by_role("alert")).to_contain_text("Deze code is niet juist.")
    expect(page.get_by_role("navigation", name="Hoofdmenu")).to_have_count(0)
    assert_accessible(page)
    page.get_by_label("Code").fill(codes[1])
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn werkvoorraad")
