"""A consent recorded before the form refused a purpose no one at the recipient reads under
(consent.policy.usable_purposes) is live, yet shares nothing. The consent page and the
beheerder's overview say so, and the page does not offer to renew it (a renewal keeps the
purpose) but a new consent; the client's overview of consents does not claim it shares.
One decision (Consent.shares_nothing) and one flag (consent.models.SHARES_NOTHING) for
all of them; the toestemmingsverklaring does not ask the client to sign it unwarned."""

import datetime
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cases.constants import TimelineKind
from cases.models import TimelineEntry
from consent import policy
from consent.constants import Category, Purpose
from consent.models import SHARES_NOTHING, Consent
from portal import reports
from portal.models import Report

from .builders import make_case, make_consent
from .test_reports import _private_media, pdf_text  # noqa: F401

RENEW = "Verlengen of wijzigen"
NEW = "Nieuwe toestemming vastleggen voor een doel dat past"
FLAG = "Deelt niets: doel past niet bij de ontvanger"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@pytest.fixture
def case_a(behandelaar_a):
    return make_case(behandelaar_a, first_name="Eva", last_name="Jansen")


def record(case, recipient, purpose, days=(-10, 60)):
    """Set-up only: recorded directly, as an older version of the form let it be."""
    today = timezone.localdate()
    return make_consent(
        case.client,
        case.client.organisation,
        recipient,
        purpose,
        [Category.WERKSITUATIE],
        valid_from=today + datetime.timedelta(days=days[0]),
        valid_until=today + datetime.timedelta(days=days[1]),
    )


def detail(c, consent):
    response = c.get(reverse("consent:detail", args=[consent.pk]))
    assert response.status_code == 200
    return response.content.decode()


class TestConsentPage:
    @pytest.mark.parametrize("who", ["behandelaar_a", "beheerder_a"])
    def test_a_purpose_that_never_fits_shares_nothing_and_is_not_renewed(
        self, client_for, request, case_a, gemeente_g, who
    ):
        user = request.getfixturevalue(who)
        useless = record(case_a, gemeente_g, Purpose.IPS_TRAJECT)
        html = detail(client_for(user), useless)
        assert "Actief" in html and f'<span class="flag">{FLAG}</span>' in html
        assert (
            escape(
                "Deze toestemming deelt niets. Met het doel ‘IPS-traject’ kan niemand bij "
                "Gemeente G de gegevens inzien. Bij een organisatie van het soort ‘Gemeente "
                "(Werk & Inkomen)’ past alleen ‘Re-integratie en participatie’ of ‘Driegesprek’. "
                "Verlengen heeft geen zin."
            )
            in html
        )
        assert RENEW not in html
        # Instead: the renew flow, which explains and offers a new consent for the same
        # recipient and data.
        assert NEW in html
        assert f"vervangt={useless.pk}" in html
        # Withdrawing it stays possible.
        assert reverse("consent:withdraw", args=[useless.pk]) in html

    def test_the_new_consent_link_leads_to_the_form_that_explains(
        self, client_for, behandelaar_a, case_a, gemeente_g
    ):
        useless = record(case_a, gemeente_g, Purpose.CASUSBESPREKING)
        c = client_for(behandelaar_a)
        response = c.get(reverse("consent:detail", args=[useless.pk]))
        url = response.context["new_consent_url"]
        form = c.get(url)
        assert form.context["notice"].startswith(f"Toestemming nr. {useless.pk} deelt niets.")
        assert "supersedes" not in form.context["form"].initial

    def test_a_fitting_purpose_is_renewed_as_before(
        self, client_for, behandelaar_a, case_a, gemeente_g, ggz_b
    ):
        c = client_for(behandelaar_a)
        for recipient, purpose in [
            (gemeente_g, Purpose.REINTEGRATIE),
            (gemeente_g, Purpose.DRIEGESPREK),
            (ggz_b, Purpose.IPS_TRAJECT),
        ]:
            html = detail(c, record(case_a, recipient, purpose))
            assert RENEW in html and NEW not in html and "Deelt niets" not in html

    def test_an_ended_consent_is_not_flagged_but_not_renewed_either(
        self, client_for, behandelaar_a, case_a, gemeente_g
    ):
        expired = record(case_a, gemeente_g, Purpose.AFSTEMMING, days=(-90, -5))
        html = detail(client_for(behandelaar_a), expired)
        assert "Verlopen" in html and "Deelt niets" not in html
        assert RENEW not in html and NEW in html

    def test_derived_from_the_one_policy(
        self, client_for, behandelaar_a, case_a, gemeente_g, monkeypatch
    ):
        """Not a rule of its own: what policy.usable_purposes says, the page says."""
        fitting = record(case_a, gemeente_g, Purpose.REINTEGRATIE)
        monkeypatch.setattr(policy, "usable_purposes", lambda kind: set())
        html = detail(client_for(behandelaar_a), fitting)
        assert "Deelt niets" in html and RENEW not in html
        assert escape("Bij Gemeente G, een organisatie van het soort") in html
        assert "kan niemand gedeelde gegevens inzien" in html


class TestOverview:
    def rows(self, c, state="alle"):
        response = c.get(reverse("consent:overview"), {"status": state})
        assert response.status_code == 200
        html = response.content.decode()
        return {
            consent.pk: html[html.index(f">{consent.pk}</a>") :].split("</tr>")[0]
            for consent in response.context["rows"]
        }

    def test_a_live_consent_that_shares_nothing_is_flagged(
        self, client_for, beheerder_a, case_a, gemeente_g
    ):
        useless = record(case_a, gemeente_g, Purpose.IPS_TRAJECT)
        future = record(case_a, gemeente_g, Purpose.AFSTEMMING, days=(5, 60))
        fitting = record(case_a, gemeente_g, Purpose.DRIEGESPREK)
        expired = record(case_a, gemeente_g, Purpose.CASUSBESPREKING, days=(-90, -5))
        rows = self.rows(client_for(beheerder_a))
        assert "Actief" in rows[useless.pk] and FLAG in rows[useless.pk]
        assert "Gaat nog in" in rows[future.pk] and FLAG in rows[future.pk]
        assert FLAG not in rows[fitting.pk]
        assert FLAG not in rows[expired.pk]  # ended: it shares nothing either way
        assert FLAG in self.rows(client_for(beheerder_a), "actief")[useless.pk]


def test_the_clients_overview_of_consents_does_not_claim_it_shares(
    client_for, beheerder_a, case_a, gemeente_g
):
    useless = record(case_a, gemeente_g, Purpose.IPS_TRAJECT)
    fitting = record(case_a, gemeente_g, Purpose.REINTEGRATIE)
    client_for(beheerder_a).post(reverse("consent:client_consents_report", args=[case_a.client_id]))
    report = Report.objects.get()
    reports.render(report.pk)
    text = " ".join(pdf_text(report).split())
    now = text[text.index("Wat nu geldt") : text.index("Alle toestemmingen")]
    lines = {int(pk): line for pk, line in re.findall(r"Nr\. (\d+):(.*?)(?=Nr\. \d+:|$)", now)}
    # The flag, and why (consent.forms.shares_nothing, as on the consent page).
    assert (
        f"{FLAG}. Met het doel ‘IPS-traject’ kan niemand bij Gemeente G de gegevens inzien."
        in lines[useless.pk]
    )
    assert "Deelt niets" not in lines[fitting.pk]
    # The table's status column too (its cells' lines interleave in the extracted text).
    table = text[text.index("Alle toestemmingen") : text.index("Intrekken")]
    assert table.count("Deelt niets") == 1


class TestCasePanel:
    def test_the_case_pages_consent_panel_flags_it_too(
        self, client_for, behandelaar_a, klantmanager_g, case_a, gemeente_g
    ):
        from cases.constants import CaseRole
        from consent import services as consent

        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        useless = record(case_a, gemeente_g, Purpose.IPS_TRAJECT)
        record(case_a, gemeente_g, Purpose.REINTEGRATIE)
        url = reverse("cases:detail", args=[case_a.pk])
        for user in (behandelaar_a, klantmanager_g):
            response = client_for(user).get(url)
            html = response.content.decode()
            assert html.count(FLAG) == 1, user
            line = next(li for li in html.split("<li>") if f"Nr. {useless.pk}" in li)
            assert FLAG in line


class TestOneDecisionOneFlag:
    def test_live_and_not_fitting(self, case_a, gemeente_g, ggz_b):
        today = timezone.localdate()
        assert record(case_a, gemeente_g, Purpose.IPS_TRAJECT).shares_nothing()
        assert record(case_a, gemeente_g, Purpose.AFSTEMMING, days=(5, 60)).shares_nothing(today)
        # Ended: it shares nothing either way, and is not flagged.
        ended = record(case_a, gemeente_g, Purpose.CASUSBESPREKING, days=(-90, -5))
        assert not ended.shares_nothing()
        assert not record(case_a, gemeente_g, Purpose.REINTEGRATIE).shares_nothing(today)
        assert not record(case_a, ggz_b, Purpose.IPS_TRAJECT).shares_nothing(today)

    def test_a_date_of_its_own(self, case_a, gemeente_g):
        useless = record(case_a, gemeente_g, Purpose.IPS_TRAJECT, days=(-10, 60))
        assert not useless.shares_nothing(timezone.localdate() + datetime.timedelta(days=61))

    def test_one_wording(self):
        assert str(SHARES_NOTHING) == FLAG
        # No page or PDF words it, or decides it, on its own: they show SHARES_NOTHING.
        for path in TEMPLATES.rglob("*.html"):
            text = path.read_text()
            assert "deelt niets" not in text.lower(), path
            assert "purpose_fits" not in text, path


class TestTheFormToSign:
    def make(self, c, consent):
        c.post(reverse("consent:consent_report", args=[consent.pk]))
        report = Report.objects.latest("pk")
        reports.render(report.pk)
        return " ".join(pdf_text(report).split())

    def test_the_toestemmingsverklaring_says_not_to_sign_it(
        self, client_for, behandelaar_a, case_a, gemeente_g
    ):
        """The exploratory tester's find: it asked the client to sign 'Ik geef … toestemming
        om de gegevens hieronder te delen met Gemeente G' without a word."""
        useless = record(case_a, gemeente_g, Purpose.IPS_TRAJECT)
        text = self.make(client_for(behandelaar_a), useless)
        warning = text[: text.index("Wie geeft toestemming")]
        assert f"Let op: {FLAG}. Met het doel ‘IPS-" in warning  # the line may break after
        assert "kan niemand bij Gemeente G de gegevens inzien." in warning
        assert "Dit formulier is alleen een afschrift: laat het niet ondertekenen." in warning

    def test_a_fitting_one_is_a_form_to_sign(self, client_for, behandelaar_a, case_a, gemeente_g):
        fitting = record(case_a, gemeente_g, Purpose.REINTEGRATIE)
        text = self.make(client_for(behandelaar_a), fitting)
        assert "Let op" not in text and "Deelt niets" not in text
        assert "Handtekening cliënt" in text


class TestNoAlarm:
    """A consent that shares nothing ends without anything to warn of: no "Toestemming
    verloopt" or "verlopen" note on the case, and not in the beheerder's list of consents
    that end within 30 days (it stays under "Actief", flagged)."""

    def test_the_query_is_the_models_decision(self, case_a, ggz_b, gemeente_g, uwv_u):
        for recipient in (ggz_b, gemeente_g, uwv_u):
            for purpose in Purpose:
                consent = record(case_a, recipient, purpose)
                fits = Consent.objects.purpose_fits().filter(pk=consent.pk).exists()
                assert fits == consent.purpose_fits, (recipient.type, purpose)
        assert Consent.objects.purpose_fits().count() < Consent.objects.count()

    def test_no_expiry_notes_on_the_case(self, case_a, gemeente_g):
        from consent.tasks import notify_expiries

        record(case_a, gemeente_g, Purpose.IPS_TRAJECT, days=(-300, 10))
        record(case_a, gemeente_g, Purpose.AFSTEMMING, days=(-300, -3))
        assert notify_expiries() == {"gewaarschuwd": 0, "verlopen": 0}
        assert not TimelineEntry.objects.filter(kind=TimelineKind.TOESTEMMING).exists()
        # Ones that share, ending alike, are still noted.
        soon = record(case_a, gemeente_g, Purpose.REINTEGRATIE, days=(-300, 10))
        ended = record(case_a, gemeente_g, Purpose.DRIEGESPREK, days=(-300, -3))
        assert notify_expiries() == {"gewaarschuwd": 1, "verlopen": 1}
        bodies = TimelineEntry.objects.filter(kind=TimelineKind.TOESTEMMING).values_list(
            "body", flat=True
        )
        assert sorted(b.split(":")[0] for b in bodies) == sorted(
            f"Toestemming nr. {c.pk}" for c in (soon, ended)
        )

    def test_not_in_the_overviews_ending_soon(self, client_for, beheerder_a, case_a, gemeente_g):
        useless = record(case_a, gemeente_g, Purpose.IPS_TRAJECT, days=(-300, 10))
        fitting = record(case_a, gemeente_g, Purpose.REINTEGRATIE, days=(-300, 10))
        c = client_for(beheerder_a)
        response = c.get(reverse("consent:overview"), {"status": "verloopt"})
        assert [row.pk for row in response.context["rows"]] == [fitting.pk]
        assert ("verloopt", "Verloopt binnen 30 dagen", 1) in response.context["tabs"]
        active = c.get(reverse("consent:overview"), {"status": "actief"})
        assert {row.pk for row in active.context["rows"]} == {useless.pk, fitting.pk}
