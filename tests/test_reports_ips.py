"""Rapportages 5 and 6: an IPS-25 fidelity review and the IPS team's results of a quarter as
PDFs. Team reports: only the trajectbegeleiders of the team's organisation ask for and
download them, and they hold aggregated figures only, never a client's name."""

import datetime
import re
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone

from consent.models import AccessLogEntry
from ips import fidelity
from ips.constants import FIDELITY_ITEM_CODES
from ips.figures import Quarter
from portal import reports
from portal.constants import Role
from portal.models import Report, ReportStatus, ReportType

from .factories import UserFactory, join_ips_team
from .test_ips_results import job, trajectory
from .test_reports import _private_media, pdf_text  # noqa: F401

D = datetime.date

# The clock stands still from before the fixtures run (timezone.localtime is called then,
# not when the test is collected): the dates a test computes and those the server computes
# fall on one day, also when a run crosses midnight.
SAME_DAY = pytest.mark.time_machine(timezone.localtime, tick=False)


def finished(user, day, score, note=""):
    review = fidelity.create_review(
        user, user.ips_team_member.team, kind="extern", review_date=day, reviewers="Phrenos"
    )
    values = {code: (score, note if code == "p1" else "") for code in FIDELITY_ITEM_CODES}
    fidelity.save_scores(review, values, review.version)
    return fidelity.finish_review(review, user, review.version)


@pytest.fixture
def jobcoach_b(ggz_b):
    coach = UserFactory(email="jobcoach@b.test", organisation=ggz_b, role=Role.TRAJECTBEGELEIDER)
    join_ips_team(coach)
    return coach


@pytest.fixture
def reviews(jobcoach_a):
    before = finished(jobcoach_a, D(2024, 3, 1), 3)  # 75: redelijk
    now = finished(jobcoach_a, D(2026, 3, 1), 4, note="Caseload netjes onder de 20")  # 100: goed
    return before, now


def fidelity_url(review):
    return reverse("ips:fidelity_report", args=[review.pk])


def results_url():
    return reverse("ips:results_report")


def render_text(report):
    reports.render(report.pk)
    return " ".join(pdf_text(report).split())


class TestFidelityWhoMayAsk:
    def test_anonymous_is_sent_to_sign_in(self, client_for, reviews):
        response = client_for(None).post(fidelity_url(reviews[1]))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert not Report.objects.exists()

    @pytest.mark.parametrize("fixture", ["behandelaar_a", "beheerder_a", "jobcoach_b"])
    def test_others_get_404(self, client_for, request, reviews, fixture):
        user = request.getfixturevalue(fixture)
        assert client_for(user).post(fidelity_url(reviews[1])).status_code == 404
        assert not Report.objects.exists()

    def test_a_concept_review_has_no_report_yet(self, client_for, jobcoach_a):
        review = fidelity.create_review(
            jobcoach_a,
            jobcoach_a.ips_team_member.team,
            kind="zelf",
            review_date=D(2026, 1, 1),
            reviewers="Team",
        )
        c = client_for(jobcoach_a)
        page = c.get(reverse("ips:fidelity_detail", args=[review.pk])).content.decode()
        assert fidelity_url(review) not in page
        response = c.post(fidelity_url(review))
        assert response["Location"] == reverse("ips:fidelity_detail", args=[review.pk])
        assert not Report.objects.exists()

    def test_the_team_asks_from_the_finished_review(self, client_for, jobcoach_a, reviews):
        c = client_for(jobcoach_a)
        page = c.get(reverse("ips:fidelity_detail", args=[reviews[1].pk])).content.decode()
        assert f'action="{fidelity_url(reviews[1])}"' in page
        response = c.post(fidelity_url(reviews[1]))
        report = Report.objects.get()
        assert response["Location"] == reverse("portal:report_detail", args=[report.pk])
        assert (report.type, report.organisation, report.params, report.status) == (
            ReportType.IPS_MODELGETROUWHEID,
            jobcoach_a.organisation,
            {"review": reviews[1].pk, "team": reviews[1].team_id},
            ReportStatus.WACHTRIJ,
        )
        assert report.case is None and report.client is None


class TestFidelityContent:
    def test_scores_band_and_change_since_the_last(self, client_for, jobcoach_a, reviews):
        client_for(jobcoach_a).post(fidelity_url(reviews[1]))
        text = render_text(Report.objects.get())
        assert "IPS-modelgetrouwheid: meting van 1 maart 2026" in text
        assert "Totaal 100 van 125: Goed (100–114)" in text
        # Sections: personeel 3, organisatie 8, dienstverlening 14 items, each 4 now, 3 before.
        assert "Personeel (3 items) 12 / 15 9 +3" in text
        assert "Organisatie (8 items) 32 / 40 24 +8" in text
        assert "Dienstverlening (14 items) 56 / 70 42 +14" in text
        assert "+25" in text
        assert "Vorige afgeronde meting (1 maart 2024): 75, Redelijk (74–99)." in text
        assert "Caseload netjes onder de 20" in text
        assert "Zero exclusion criteria" in text
        assert "Vertrouwelijk" not in text  # team data, no personal data of clients

    def test_first_review_has_nothing_to_compare(self, client_for, jobcoach_a):
        only = finished(jobcoach_a, D(2026, 3, 1), 5)
        client_for(jobcoach_a).post(fidelity_url(only))
        text = render_text(Report.objects.get())
        assert "Totaal 125 van 125: Voorbeeldig (115–125)" in text
        assert "geen eerdere afgeronde meting" in text


def rows_per_page(built, report, confidential):
    """The table rows (their elements) laid out on each page of the PDF WeasyPrint makes of
    ``built`` (a report builder's result) for ``report``."""
    from django.template.loader import render_to_string
    from django.utils import timezone
    from weasyprint import HTML

    html = render_to_string(
        built.template,
        {
            **built.context,
            "report": report,
            "generated_at": timezone.now(),
            "confidential": confidential,
        },
    )
    pages = []
    for page in HTML(string=html).render().pages:
        rows, todo = set(), [page._page_box]
        while todo:
            box = todo.pop()
            tag = getattr(box, "element_tag", None)
            if tag == "thead":  # repeated on every page, as it should be
                continue
            if tag == "tr":
                rows.add(id(box.element))
            todo.extend(getattr(box, "children", ()))
        pages.append(rows)
    return pages


def split_rows(pages):
    """The rows of ``pages`` (rows_per_page) that go on over a page break."""
    return [
        row for i, rows in enumerate(pages) for row in rows if row in set().union(*pages[i + 1 :])
    ]


def test_a_row_of_the_review_is_not_split_over_two_pages(jobcoach_a):
    """Long notes make tall rows: each stays on one page (break-inside: avoid)."""
    from ips import reports as ips_reports

    review = fidelity.create_review(
        jobcoach_a,
        jobcoach_a.ips_team_member.team,
        kind="zelf",
        review_date=D(2026, 3, 1),
        reviewers="Team",
    )
    note = "Toelichting die een paar regels beslaat, zoals een beoordelaar die schrijft. " * 6
    fidelity.save_scores(review, dict.fromkeys(FIDELITY_ITEM_CODES, (4, note)), review.version)
    fidelity.finish_review(review, jobcoach_a, review.version)
    report = Report.objects.create(
        type=ReportType.IPS_MODELGETROUWHEID,
        title="IPS-25",
        requested_by=jobcoach_a,
        organisation=jobcoach_a.organisation,
        params={"review": review.pk, "team": review.team_id},
    )
    pages = rows_per_page(ips_reports.build(report), report, confidential=False)
    assert len(pages) > 2
    assert split_rows(pages) == []


class TestFidelityDownload:
    def test_leaving_the_ips_team_blocks_the_copy(self, client_for, jobcoach_a, reviews):
        c = client_for(jobcoach_a)
        c.post(fidelity_url(reviews[1]))
        report = Report.objects.get()
        reports.render(report.pk)
        url = reverse("portal:report_download", args=[report.pk])
        assert c.get(url).status_code == 200
        # Team figures hold no client data: one export entry, no category, no client.
        (entry,) = AccessLogEntry.objects.filter(object_type="rapport", action="export")
        assert (entry.basis, entry.category, entry.client_id) == ("eigen_organisatie", "", None)
        jobcoach_a.role = Role.BEHANDELAAR
        jobcoach_a.save(update_fields=["role"])
        assert c.get(url).status_code == 404

    def test_a_colleague_does_not_get_someone_elses_copy(
        self, client_for, jobcoach_a, ggz_a, reviews
    ):
        client_for(jobcoach_a).post(fidelity_url(reviews[1]))
        report = Report.objects.get()
        reports.render(report.pk)
        colleague = UserFactory(
            email="jobcoach2@a.test", organisation=ggz_a, role=Role.TRAJECTBEGELEIDER
        )
        url = reverse("portal:report_download", args=[report.pk])
        assert client_for(colleague).get(url).status_code == 404


@pytest.fixture
def quarter_data(behandelaar_a, jobcoach_a):
    """Q1 2025: two running trajectories of clients with rare names, one in regular paid
    work (wage above the minimum)."""
    working = trajectory(behandelaar_a, 1, jobcoach_a, D(2025, 1, 5), first="Zeldzaamnaam")
    trajectory(behandelaar_a, 2, jobcoach_a, D(2025, 1, 10), first="Onvindbaar")
    job(working, D(2025, 2, 1), wage="16.00")
    return working


class TestResults:
    def test_who_may_ask(self, client_for, behandelaar_a, beheerder_a, jobcoach_b, quarter_data):
        assert client_for(None).post(results_url(), {"kwartaal": "2025-1"}).status_code == 302
        for user in (behandelaar_a, beheerder_a):
            assert client_for(user).post(results_url(), {"kwartaal": "2025-1"}).status_code == 404
        assert not Report.objects.exists()
        # Another GGZ's coach asks for their own team's figures: none of GGZ A's.
        client_for(jobcoach_b).post(results_url(), {"kwartaal": "2025-1"})
        text = render_text(Report.objects.get())
        assert "IPS-team van GGZ B" in text
        assert "50%" not in text

    def test_aggregated_figures_without_client_names(self, client_for, jobcoach_a, quarter_data):
        c = client_for(jobcoach_a)
        page = c.get(reverse("ips:results"), {"kwartaal": "2025-1"}).content.decode()
        assert f'action="{results_url()}"' in page and 'value="2025-1"' in page
        # SVG coordinates are numbers, never localised ("18,0" is no coordinate).
        assert not re.search(r'\b(x|y|width|height|x1|x2|y1|y2)="[0-9.]*,', page)
        response = c.post(results_url(), {"kwartaal": "2025-1"})
        report = Report.objects.get()
        assert response["Location"] == reverse("portal:report_detail", args=[report.pk])
        team = jobcoach_a.ips_team_member.team
        assert report.params == {"quarter": "2025-1", "team": team.pk}
        text = render_text(report)
        assert "IPS-resultaten K1 2025, IPS-team (GGZ A)" in text
        assert "Met regulier betaald werk 50% (1 van 2)" in text
        assert jobcoach_a.get_full_name() in text  # per coach: an employee, not a client
        for name in ("Zeldzaamnaam", "Onvindbaar", "Achternaam1", "Achternaam2", "Eva"):
            assert name not in text
        assert "De stippellijn is de norm" in text
        assert "K1 2025 50" in text  # the chart's label and value, where they belong

    @SAME_DAY
    def test_a_future_quarter_becomes_the_current_one(self, client_for, jobcoach_a):
        client_for(jobcoach_a).post(results_url(), {"kwartaal": "2099-4"})
        report = Report.objects.get()
        assert report.params["quarter"] == Quarter.containing(timezone.localdate()).slug

    def test_charts_render_to_an_image(self, client_for, jobcoach_a, quarter_data, tmp_path):
        client_for(jobcoach_a).post(results_url(), {"kwartaal": "2025-1"})
        report = Report.objects.get()
        reports.render(report.pk)
        report.refresh_from_db()
        path = tmp_path / "r.pdf"
        with report.file.open("rb") as handle:
            path.write_bytes(handle.read())
        subprocess.run(["pdftoppm", "-png", "-r", "40", str(path), str(tmp_path / "p")], check=True)
        assert (tmp_path / "p-1.png").stat().st_size > 1000

    def test_leaving_the_team_blocks_the_copy(self, client_for, jobcoach_a, ggz_b, quarter_data):
        c = client_for(jobcoach_a)
        c.post(results_url(), {"kwartaal": "2025-1"})
        report = Report.objects.get()
        reports.render(report.pk)
        url = reverse("portal:report_download", args=[report.pk])
        assert c.get(url).status_code == 200
        jobcoach_a.organisation = ggz_b
        jobcoach_a.save(update_fields=["organisation"])
        assert c.get(url).status_code == 404
