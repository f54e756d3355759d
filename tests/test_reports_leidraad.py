"""Rapportage 2: the client's summary of a finished gespreksleidraad session as a PDF. Who
may ask for it and download it, what is in it for each requester, and that the data is
decided when the PDF is made and re-checked at every download."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from cases import leidraad_services as leidraad
from cases import services
from cases.constants import CaseRole
from consent import services as consent
from consent.constants import Category, Purpose
from consent.models import AccessLogEntry
from portal import reports
from portal.models import Report, ReportStatus, ReportType

from .builders import make_case, make_consent, withdraw
from .test_leidraad import in_future, run_session, start
from .test_reports import _private_media, pdf_text  # noqa: F401

MEDICAL = "MEDISCH-LEIDRAAD-5e1d"


@pytest.fixture(autouse=True)
def guide(db):
    return leidraad.ensure_bundled()


@pytest.fixture
def case_a(behandelaar_a):
    case = make_case(behandelaar_a, first_name="Eva", last_name="Jansen")
    services.add_timeline(case, behandelaar_a, "notitie", Category.MEDISCH, "Consult", MEDICAL)
    return case


@pytest.fixture
def done(behandelaar_a, case_a, client_for):
    return run_session(
        client_for(behandelaar_a),
        case_a,
        {"financien": "belemmert", "steun": "helpt"},
        agreements=[("Schuldhulp bellen", "Cliënt", in_future())],
    )


def request_url(case, session):
    return reverse("cases:leidraad_summary_report", args=[case.pk, session.pk])


def denied(user):
    return AccessLogEntry.objects.filter(user=user, outcome="geweigerd")


def on_team_with_consent(case, behandelaar, klantmanager, categories):
    consent.add_member(case, klantmanager, CaseRole.KLANTMANAGER)
    if categories:
        return make_consent(
            case.client,
            behandelaar.organisation,
            klantmanager.organisation,
            Purpose.REINTEGRATIE,
            categories,
        )
    return None


class TestWhoMayAsk:
    def test_anonymous_is_sent_to_sign_in(self, client_for, case_a, done):
        response = client_for(None).post(request_url(case_a, done))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert not Report.objects.exists()

    def test_outsider_gets_404_logged(self, client_for, outsider, case_a, done):
        assert client_for(outsider).post(request_url(case_a, done)).status_code == 404
        assert denied(outsider).filter(case=case_a).exists()
        assert not Report.objects.exists()

    def test_klantmanager_on_the_team_without_consent(
        self, client_for, behandelaar_a, klantmanager_g, case_a, done
    ):
        on_team_with_consent(case_a, behandelaar_a, klantmanager_g, [])
        assert client_for(klantmanager_g).post(request_url(case_a, done)).status_code == 404
        assert denied(klantmanager_g).filter(category=Category.LEIDRAAD).exists()
        assert not Report.objects.exists()

    def test_get_is_not_a_request(self, client_for, behandelaar_a, case_a, done):
        assert client_for(behandelaar_a).get(request_url(case_a, done)).status_code == 405
        assert not Report.objects.exists()

    def test_klantmanager_with_consent_and_the_behandelaar_may(
        self, client_for, behandelaar_a, klantmanager_g, case_a, done
    ):
        on_team_with_consent(case_a, behandelaar_a, klantmanager_g, [Category.LEIDRAAD])
        for user in (klantmanager_g, behandelaar_a):
            response = client_for(user).post(request_url(case_a, done))
            report = Report.objects.get(requested_by=user)
            assert response["Location"] == reverse("portal:report_detail", args=[report.pk])
            assert (report.type, report.case, report.client, report.params) == (
                ReportType.LEIDRAAD,
                case_a,
                case_a.client,
                {"session": done.pk},
            )
            assert report.status == ReportStatus.WACHTRIJ

    def test_unfinished_session_has_no_summary_yet(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        response = c.post(request_url(case_a, session))
        assert response["Location"] == reverse(
            "cases:leidraad_detail", args=[case_a.pk, session.pk]
        )
        assert not Report.objects.exists()

    def test_summary_page_offers_the_pdf(self, client_for, behandelaar_a, case_a, done):
        page = client_for(behandelaar_a).get(
            reverse("cases:leidraad_summary", args=[case_a.pk, done.pk])
        )
        html = page.content.decode()
        assert f'action="{request_url(case_a, done)}"' in html
        assert "csrfmiddlewaretoken" in html
        assert "Werk staat uw herstel nu in de weg." in html  # the page itself still works


class TestContent:
    def test_the_behandelaars_copy(self, client_for, behandelaar_a, case_a, done):
        client_for(behandelaar_a).post(request_url(case_a, done))
        report = Report.objects.get()
        reports.render(report.pk)
        text = " ".join(pdf_text(report).split())
        assert "Samenvatting van ons gesprek over werk" in text
        assert "Voor: Eva Jansen" in text
        # Handed to the client: made at the behandelaar's request, not "for" them.
        assert f"op verzoek van {behandelaar_a.get_full_name()} (" in text
        assert "Gemaakt voor" not in text
        assert "Werk staat uw herstel nu in de weg." in text
        assert "Werk helpt u nu bij uw herstel." in text
        assert "Schuldhulp bellen" in text
        assert "Mag ik" in text  # the client's own questions
        assert "Een verwijzing is nu niet nodig." in text
        assert "Vertrouwelijk" in text and "Pagina 1 van" in text
        assert MEDICAL not in text
        report.refresh_from_db()
        assert sorted(map(tuple, report.contents)) == sorted(
            [
                (behandelaar_a.organisation_id, Category.AFSPRAKEN),
                (behandelaar_a.organisation_id, Category.IDENTIFICATIE),
                (behandelaar_a.organisation_id, Category.LEIDRAAD),
            ]
        )

    def test_pdf_is_dutch_and_titled(self, client_for, behandelaar_a, case_a, done):
        client_for(behandelaar_a).post(request_url(case_a, done))
        report = Report.objects.get()
        reports.render(report.pk)
        report.refresh_from_db()
        with report.file.open("rb") as handle:
            pdf = PdfReader(io.BytesIO(handle.read()))
        assert pdf.trailer["/Root"]["/Lang"] == "nl"
        assert pdf.metadata.title.startswith("Samenvatting van ons gesprek over werk")

    def test_klantmanager_copy_holds_only_what_is_consented(
        self, client_for, behandelaar_a, klantmanager_g, case_a, done
    ):
        on_team_with_consent(case_a, behandelaar_a, klantmanager_g, [Category.LEIDRAAD])
        client_for(klantmanager_g).post(request_url(case_a, done))
        report = Report.objects.get()
        reports.render(report.pk)
        text = " ".join(pdf_text(report).split())
        assert "Werk staat uw herstel nu in de weg." in text
        assert "Schuldhulp bellen" not in text  # afspraken not consented
        assert "Eva Jansen" not in text  # identification not consented
        assert MEDICAL not in text

    def test_what_is_in_it_is_decided_at_render_time(
        self, client_for, behandelaar_a, klantmanager_g, case_a, done
    ):
        record = on_team_with_consent(
            case_a, behandelaar_a, klantmanager_g, [Category.LEIDRAAD, Category.AFSPRAKEN]
        )
        client_for(klantmanager_g).post(request_url(case_a, done))
        report = Report.objects.get()
        withdraw(record, behandelaar_a)
        make_consent(
            case_a.client,
            behandelaar_a.organisation,
            klantmanager_g.organisation,
            Purpose.REINTEGRATIE,
            [Category.LEIDRAAD],
        )
        reports.render(report.pk)
        text = " ".join(pdf_text(report).split())
        assert "Werk staat uw herstel nu in de weg." in text
        assert "Schuldhulp bellen" not in text

    def test_no_consent_left_at_render_time_means_no_pdf(
        self, client_for, behandelaar_a, klantmanager_g, case_a, done
    ):
        record = on_team_with_consent(case_a, behandelaar_a, klantmanager_g, [Category.LEIDRAAD])
        client_for(klantmanager_g).post(request_url(case_a, done))
        report = Report.objects.get()
        withdraw(record, behandelaar_a)
        # A refusal, not a fault: it ends the report at once, without a retry.
        reports.render(report.pk)
        report.refresh_from_db()
        assert report.status == ReportStatus.MISLUKT and not report.file
        assert report.attempts == 1 and "niet meer beschikbaar voor u" in report.error


class TestDownload:
    def test_withdrawal_blocks_the_klantmanagers_earlier_copy(
        self, client_for, behandelaar_a, klantmanager_g, case_a, done
    ):
        record = on_team_with_consent(
            case_a, behandelaar_a, klantmanager_g, [Category.LEIDRAAD, Category.AFSPRAKEN]
        )
        c = client_for(klantmanager_g)
        c.post(request_url(case_a, done))
        report = Report.objects.get()
        reports.render(report.pk)
        url = reverse("portal:report_download", args=[report.pk])
        assert c.get(url).status_code == 200
        assert AccessLogEntry.objects.filter(
            user=klantmanager_g, action="export", object_type="rapport", outcome="toegestaan"
        ).exists()
        withdraw(record, behandelaar_a)
        assert c.get(url).status_code == 404
        assert denied(klantmanager_g).filter(object_type="rapport", action="export").exists()

    def test_someone_else_never_gets_it(
        self, client_for, behandelaar_a, behandelaar_a2, case_a, done
    ):
        client_for(behandelaar_a).post(request_url(case_a, done))
        report = Report.objects.get()
        reports.render(report.pk)
        consent.add_member(case_a, behandelaar_a2, CaseRole.BEHANDELAAR)
        c = client_for(behandelaar_a2)
        assert c.get(reverse("portal:report_download", args=[report.pk])).status_code == 404
        assert denied(behandelaar_a2).filter(object_type="rapport").exists()
