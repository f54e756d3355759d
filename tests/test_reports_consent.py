"""Rapportage 3: the toestemmingsverklaring (one consent as a form to read and sign) and the
overview of a client's consents. Who may ask and download, stepped from anonymous to the
provider's team and beheerder; what is on the PDF and what is not."""

import importlib

import pytest
from django.urls import reverse

from cases.constants import CaseRole
from consent import services as consent
from consent.constants import Category, Purpose
from consent.models import AccessLogEntry, DataCategory
from portal import reports
from portal.models import Report, ReportStatus, ReportType

from .builders import make_case, make_consent, withdraw
from .test_reports import _private_media, pdf_text  # noqa: F401


@pytest.fixture(autouse=True)
def categories(db):
    """The categories with their plain-words explanation, as the data migration loads them
    (loaded again if a transactional test earlier in the run emptied the table)."""
    migration = importlib.import_module("consent.migrations.0002_categories_and_append_only_log")
    for position, (code, label, description) in enumerate(migration.CATEGORIES):
        DataCategory.objects.update_or_create(
            code=code, defaults={"label": label, "description": description, "position": position}
        )


@pytest.fixture
def case_a(behandelaar_a, klantmanager_g):
    case = make_case(behandelaar_a, first_name="Eva", last_name="Jansen")
    consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
    return case


@pytest.fixture
def to_gemeente(case_a, behandelaar_a, klantmanager_g):
    return make_consent(
        case_a.client,
        behandelaar_a.organisation,
        klantmanager_g.organisation,
        Purpose.REINTEGRATIE,
        [Category.IDENTIFICATIE, Category.WERKSITUATIE],
        recorded_by=behandelaar_a,
    )


@pytest.fixture
def withdrawn_to_uwv(case_a, behandelaar_a, uwv_u):
    record = make_consent(
        case_a.client,
        behandelaar_a.organisation,
        uwv_u,
        Purpose.DRIEGESPREK,
        [Category.AFSPRAKEN],
        recorded_by=behandelaar_a,
    )
    withdraw(record, behandelaar_a)
    return record


@pytest.fixture
def from_gemeente(case_a, klantmanager_g, behandelaar_a):
    """Recorded by the gemeente (the provider): not the GGZ's record."""
    return make_consent(
        case_a.client,
        klantmanager_g.organisation,
        behandelaar_a.organisation,
        Purpose.AFSTEMMING,
        [Category.MOGELIJKHEDEN],
        recorded_by=klantmanager_g,
    )


def form_url(record):
    return reverse("consent:consent_report", args=[record.pk])


def overview_url(client):
    return reverse("consent:client_consents_report", args=[client.pk])


def denied(user, **filters):
    return AccessLogEntry.objects.filter(user=user, outcome="geweigerd", **filters)


def render_text(report):
    reports.render(report.pk)
    return " ".join(pdf_text(report).split())


class TestConsentFormWhoMayAsk:
    def test_anonymous_is_sent_to_sign_in(self, client_for, to_gemeente):
        response = client_for(None).post(form_url(to_gemeente))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert not Report.objects.exists()

    @pytest.mark.parametrize(
        "fixture",
        [
            "outsider",  # another GGZ
            "jobcoach_a",  # the provider's organisation, but not on the case team
            "klantmanager_g",  # on the team, but the recipient, not the provider
            "beheerder_g",  # the recipient's beheerder
        ],
    )
    def test_only_the_provider_may(self, client_for, request, to_gemeente, fixture):
        user = request.getfixturevalue(fixture)
        assert client_for(user).post(form_url(to_gemeente)).status_code == 404
        assert denied(user, object_type="toestemming", action="export").exists()
        assert not Report.objects.exists()

    @pytest.mark.parametrize("fixture", ["behandelaar_a", "beheerder_a"])
    def test_provider_team_and_beheerder_may(self, client_for, request, to_gemeente, fixture):
        user = request.getfixturevalue(fixture)
        response = client_for(user).post(form_url(to_gemeente))
        report = Report.objects.get()
        assert response["Location"] == reverse("portal:report_detail", args=[report.pk])
        assert (report.type, report.client, report.params, report.status) == (
            ReportType.TOESTEMMINGSVERKLARING,
            to_gemeente.client,
            {"consent": to_gemeente.pk},
            ReportStatus.WACHTRIJ,
        )

    def test_detail_page_offers_both_pdfs(self, client_for, behandelaar_a, to_gemeente):
        html = (
            client_for(behandelaar_a)
            .get(reverse("consent:detail", args=[to_gemeente.pk]))
            .content.decode()
        )
        assert f'action="{form_url(to_gemeente)}"' in html
        assert f'action="{overview_url(to_gemeente.client)}"' in html


class TestConsentFormContent:
    def test_prefilled_form_to_read_and_sign(self, client_for, behandelaar_a, to_gemeente):
        client_for(behandelaar_a).post(form_url(to_gemeente))
        text = render_text(Report.objects.get())
        assert f"Toestemmingsverklaring nr. {to_gemeente.pk}" in text
        assert "Eva Jansen" in text
        assert "delen met Gemeente G, alleen voor dit doel: Re-integratie en participatie" in text
        # Categories in plain words; nothing else.
        assert "Identificatie en contact" in text
        assert "Uw naam, geboortedatum, BSN en hoe we u kunnen bereiken." in text
        assert "Of u werkt, hoeveel uur, welke uitkering u heeft" in text
        assert "Afspraken en doelen" not in text
        assert "Medische en behandelinformatie" not in text
        start, end = to_gemeente.valid_from, to_gemeente.valid_until
        assert f"{start.day} " in text and str(end.year) in text
        assert "altijd intrekken" in text and "Handtekening cliënt" in text
        assert "Let op" not in text  # an active consent needs no warning
        assert "Vertrouwelijk" in text

    def test_withdrawn_consent_is_marked(self, client_for, behandelaar_a, withdrawn_to_uwv):
        client_for(behandelaar_a).post(form_url(withdrawn_to_uwv))
        text = render_text(Report.objects.get())
        assert "Let op: deze toestemming is ingetrokken" in text


class TestConsentFormDownload:
    def test_leaving_the_team_blocks_the_copy(self, client_for, behandelaar_a, case_a, to_gemeente):
        c = client_for(behandelaar_a)
        c.post(form_url(to_gemeente))
        report = Report.objects.get()
        reports.render(report.pk)
        url = reverse("portal:report_download", args=[report.pk])
        assert c.get(url).status_code == 200
        consent.remove_member(case_a, behandelaar_a)
        assert c.get(url).status_code == 404
        assert denied(behandelaar_a, object_type="rapport").exists()

    def test_leaving_the_team_before_rendering_means_no_pdf(
        self, client_for, behandelaar_a, case_a, to_gemeente
    ):
        client_for(behandelaar_a).post(form_url(to_gemeente))
        report = Report.objects.get()
        consent.remove_member(case_a, behandelaar_a)
        # A refusal, not a fault: it ends the report at once, without a retry.
        reports.render(report.pk)
        report.refresh_from_db()
        assert not report.file
        assert (report.status, report.attempts) == (ReportStatus.MISLUKT, 1)
        assert "niet meer beschikbaar voor u" in report.error


class TestClientOverview:
    @pytest.mark.parametrize("fixture", ["outsider", "beheerder_g", "jobcoach_a"])
    def test_others_get_404_logged(self, client_for, request, case_a, to_gemeente, fixture):
        user = request.getfixturevalue(fixture)
        assert client_for(user).post(overview_url(case_a.client)).status_code == 404
        assert denied(user, object_type="toestemmingenoverzicht").exists()
        assert not Report.objects.exists()

    def test_anonymous_is_sent_to_sign_in(self, client_for, case_a):
        response = client_for(None).post(overview_url(case_a.client))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_beheerder_from_the_overview_page(
        self, client_for, beheerder_a, case_a, to_gemeente, withdrawn_to_uwv, from_gemeente
    ):
        c = client_for(beheerder_a)
        page = c.get(reverse("consent:overview")).content.decode()
        assert f'action="{overview_url(case_a.client)}"' in page
        response = c.post(overview_url(case_a.client))
        report = Report.objects.get()
        assert response["Location"] == reverse("portal:report_detail", args=[report.pk])
        text = render_text(report)
        assert "Eva Jansen" in text
        assert "Wat nu geldt" in text
        assert f"Nr. {to_gemeente.pk}: delen met Gemeente G" in text
        assert "UWV U" in text and "Ingetrokken" in text
        # Whom to tell: GGZ A has no klantmanagers (it said "behandelaar of klantmanager").
        assert "Zeg het tegen uw contactpersoon bij GGZ A" in text
        # The gemeente's own record is the gemeente's, not in GGZ A's overview.
        assert "Afstemming behandeling en werk" not in text
        assert "Arbeidsmogelijkheden" not in text
        url = reverse("portal:report_download", args=[report.pk])
        assert c.get(url).status_code == 200

    def test_klantmanager_sees_only_what_the_gemeente_recorded(
        self, client_for, klantmanager_g, case_a, to_gemeente, from_gemeente
    ):
        c = client_for(klantmanager_g)
        c.post(overview_url(case_a.client))
        text = render_text(Report.objects.get())
        assert "Afstemming behandeling en werk" in text
        assert "Re-integratie en participatie" not in text  # GGZ A's record

    def test_beheerder_who_changed_role_can_no_longer_download(
        self, client_for, beheerder_a, case_a, to_gemeente
    ):
        c = client_for(beheerder_a)
        c.post(overview_url(case_a.client))
        report = Report.objects.get()
        reports.render(report.pk)
        beheerder_a.role = "behandelaar"
        beheerder_a.save(update_fields=["role"])
        assert c.get(reverse("portal:report_download", args=[report.pk])).status_code == 404
