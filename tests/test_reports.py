"""Rapportages: the machinery and the voortgangsrapportage (issue 8). The task body is
called directly here; tests/test_report_worker.py runs it through a real worker."""

import datetime
import subprocess

import pytest
import redis
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.constants import CaseRole, WorkSituationKind
from cases.models import WorkSituation
from consent import services as consent
from consent.constants import Category, ConsentMethod, Purpose
from consent.models import AccessLogEntry, Consent, ConsentWithdrawal
from portal import reports
from portal.models import Report, ReportStatus, ReportType

MARKER = "MEDISCH-GEHEIM-7f3a"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private"},
        },
    }


@pytest.fixture
def shared_case(behandelaar_a, klantmanager_g):
    client = services.register_client(
        behandelaar_a,
        first_name="Eva",
        last_name="Jansen",
        date_of_birth=datetime.date(1990, 5, 17),
        bsn="111222333",
    )
    case = services.open_case(behandelaar_a, client)
    services.add_timeline(case, behandelaar_a, "notitie", Category.MEDISCH, "Consult", MARKER)
    WorkSituation.objects.create(
        case=case,
        organisation=behandelaar_a.organisation,
        recorded_by=behandelaar_a,
        kind=WorkSituationKind.VRIJWILLIGER,
        hours_per_week=8,
        benefit="bijstand",
        wish_to_work="ja",
    )
    consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
    record = Consent.objects.create(
        client=client,
        provider=behandelaar_a.organisation,
        recipient=klantmanager_g.organisation,
        purpose=Purpose.REINTEGRATIE,
        valid_from=timezone.localdate(),
        valid_until=timezone.localdate() + datetime.timedelta(days=90),
        method=ConsentMethod.SCHRIFTELIJK,
        purpose_explained=True,
        recorded_by=behandelaar_a,
    )
    record.categories.set([Category.IDENTIFICATIE, Category.WERKSITUATIE])
    case.consent_record = record
    return case


def pdf_text(report):
    report.refresh_from_db()
    with report.file.open("rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF-")
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode()


def request_progress(user, case):
    return reports.request_report(user, ReportType.VOORTGANG, "Voortgang", case=case)


def test_each_copy_holds_exactly_what_its_requester_may_see(
    shared_case, behandelaar_a, klantmanager_g
):
    own = request_progress(behandelaar_a, shared_case)
    theirs = request_progress(klantmanager_g, shared_case)
    reports.render(own.pk)
    reports.render(theirs.pk)
    own_text, their_text = pdf_text(own), pdf_text(theirs)
    assert MARKER in own_text
    assert MARKER not in their_text
    assert "Vrijwilligerswerk" in their_text  # consented work situation is there
    assert "Eva Jansen" in their_text
    assert "Vertrouwelijk" in their_text and "Pagina 1 van" in their_text
    assert "GGZ A" in own_text and "Gemeente G" in their_text


def test_a_copy_holds_only_what_its_requester_may_export(shared_case, jobcoach_a):
    """A trajectbegeleider of the same organisation reads the medical note on screen, but
    may not take it out of the portal: their copy leaves it out."""
    consent.add_member(shared_case, jobcoach_a, CaseRole.TRAJECTBEGELEIDER)
    access = consent.case_access(jobcoach_a, shared_case)
    assert access.can_read(Category.MEDISCH, shared_case.organisation_id)
    theirs = request_progress(jobcoach_a, shared_case)
    reports.render(theirs.pk)
    text = pdf_text(theirs)
    assert MARKER not in text
    assert "Vrijwilligerswerk" in text and "Eva Jansen" in text


def test_pdf_metadata_and_rendering_to_png(shared_case, behandelaar_a, tmp_path):
    from pypdf import PdfReader

    report = request_progress(behandelaar_a, shared_case)
    reports.render(report.pk)
    report.refresh_from_db()
    with report.file.open("rb") as handle:
        data = handle.read()
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    meta = PdfReader(str(path)).metadata
    assert meta.title == "Voortgang"
    assert behandelaar_a.get_full_name() in meta.author
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(path), str(tmp_path / "p")], check=True)
    page = tmp_path / "p-1.png"
    assert page.exists() and page.stat().st_size > 1000


def test_rendering_is_idempotent(shared_case, behandelaar_a):
    report = request_progress(behandelaar_a, shared_case)
    reports.render(report.pk)
    report.refresh_from_db()
    first_name = report.file.name
    reports.render(report.pk)
    report.refresh_from_db()
    assert (report.status, report.attempts, report.file.name) == ("klaar", 1, first_name)


def test_rendering_takes_the_same_queries_for_a_short_and_a_long_file(
    shared_case, klantmanager_g, behandelaar_a, django_assert_num_queries
):
    """The task's reads do not grow with the file: the requester, case and client come
    with the report, and each kind of data is one query (none for conversation logs and
    IPS, which the case never had: Case.has_conversations and its kind)."""
    from cases.models import Agreement, Goal

    def rendered():
        report = request_progress(behandelaar_a, shared_case)
        with django_assert_num_queries(16):
            reports.render(report.pk)
        return pdf_text(report)

    assert "Vrijwilligerswerk" in rendered()
    for n in range(12):
        services.add_timeline(shared_case, behandelaar_a, "notitie", Category.AFSPRAKEN, f"N{n}")
        Goal.objects.create(
            case=shared_case,
            organisation=behandelaar_a.organisation,
            domain="functioneel",
            description=f"Doel {n}",
            created_by=behandelaar_a,
        )
        Agreement.objects.create(
            case=shared_case,
            organisation=behandelaar_a.organisation,
            what=f"Afspraak {n}",
            owner="Cliënt",
            due_date=timezone.localdate(),
            created_by=behandelaar_a,
        )
    text = rendered()
    assert "Doel 11" in text and "Afspraak 11" in text


def test_failing_render_ends_mislukt_without_a_file(shared_case, behandelaar_a, monkeypatch):
    report = request_progress(behandelaar_a, shared_case)

    def broken(html, base_url):
        raise RuntimeError("kapot")

    monkeypatch.setattr(reports, "render_pdf", broken)
    for _attempt in range(reports.MAX_ATTEMPTS - 1):
        with pytest.raises(RuntimeError):
            reports.render(report.pk)
        report.refresh_from_db()
        assert report.status == ReportStatus.WACHTRIJ
    reports.render(report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.MISLUKT
    assert report.attempts == reports.MAX_ATTEMPTS
    assert not report.file
    assert "kon niet worden gemaakt" in report.error


class TestDownload:
    def test_requester_downloads_and_it_is_logged(self, shared_case, klantmanager_g, client_for):
        report = request_progress(klantmanager_g, shared_case)
        reports.render(report.pk)
        response = client_for(klantmanager_g).get(
            reverse("portal:report_download", args=[report.pk])
        )
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
        # One entry per kind of data in the PDF, each on the basis it is exported on: the
        # klantmanager has GGZ A's data through the client's consent (with its number).
        entries = AccessLogEntry.objects.filter(
            action="export", object_type="rapport", user=klantmanager_g, outcome="toegestaan"
        )
        report.refresh_from_db()
        assert sorted(entries.values_list("category", flat=True)) == sorted(
            category for _holder, category in report.contents
        )
        ggz_a = shared_case.client.organisation_id
        shared = sum(1 for holder, _category in report.contents if holder == ggz_a)
        assert shared > 0
        assert entries.filter(basis="toestemming", consent__isnull=False).count() == shared
        assert entries.exclude(basis="toestemming").filter(consent__isnull=True).count() == (
            len(report.contents) - shared
        )

    @pytest.mark.parametrize("fixture", ["behandelaar_a", "outsider", "beheerder_g"])
    def test_nobody_else_gets_it(self, shared_case, klantmanager_g, client_for, request, fixture):
        report = request_progress(klantmanager_g, shared_case)
        reports.render(report.pk)
        other = request.getfixturevalue(fixture)
        c = client_for(other)
        assert c.get(reverse("portal:report_detail", args=[report.pk])).status_code == 404
        assert c.get(reverse("portal:report_download", args=[report.pk])).status_code == 404
        assert AccessLogEntry.objects.filter(user=other, outcome="geweigerd").exists()

    def test_anonymous_is_sent_to_sign_in(self, shared_case, klantmanager_g, client):
        report = request_progress(klantmanager_g, shared_case)
        response = client.get(reverse("portal:report_download", args=[report.pk]))
        assert response.status_code == 302

    def test_withdrawal_blocks_an_earlier_copy(
        self, shared_case, behandelaar_a, klantmanager_g, client_for
    ):
        report = request_progress(klantmanager_g, shared_case)
        reports.render(report.pk)
        url = reverse("portal:report_download", args=[report.pk])
        c = client_for(klantmanager_g)
        assert c.get(url).status_code == 200
        ConsentWithdrawal.objects.create(
            consent=shared_case.consent_record, method="mondeling", recorded_by=behandelaar_a
        )
        assert c.get(url).status_code == 404
        assert AccessLogEntry.objects.filter(
            user=klantmanager_g, object_type="rapport", outcome="geweigerd"
        ).exists()
        page = c.get(reverse("portal:report_detail", args=[report.pk])).content.decode()
        assert "niet meer beschikbaar" in page and url not in page

    def test_leaving_the_team_blocks_the_copy(self, shared_case, klantmanager_g, client_for):
        report = request_progress(klantmanager_g, shared_case)
        reports.render(report.pk)
        consent.remove_member(shared_case, klantmanager_g)
        url = reverse("portal:report_download", args=[report.pk])
        assert client_for(klantmanager_g).get(url).status_code == 404


def test_request_from_case_page_creates_a_queued_report(shared_case, klantmanager_g, client_for):
    c = client_for(klantmanager_g)
    response = c.post(reverse("cases:progress_report", args=[shared_case.pk]))
    report = Report.objects.get()
    assert response["Location"] == reverse("portal:report_detail", args=[report.pk])
    assert (report.requested_by, report.case, report.status) == (
        klantmanager_g,
        shared_case,
        ReportStatus.WACHTRIJ,
    )
    html = c.get(response["Location"]).content.decode()
    assert "In wachtrij" in html and 'hx-trigger="every 2s"' in html and "Vernieuwen" in html
    partial = c.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and "rapport-status" in partial


def test_polling_swaps_the_status_in_only_when_it_changed(shared_case, klantmanager_g, client_for):
    """The status sits in an aria-live region: swapping the same status in every 2 seconds
    would have screen readers announce it again and again. A poll says which status the page
    shows; unchanged, the answer is 204 (htmx swaps nothing). A changed status comes back as
    the new fragment, which stops polling once the report is finished or failed."""
    report = request_progress(klantmanager_g, shared_case)
    c = client_for(klantmanager_g)
    url = reverse("portal:report_detail", args=[report.pk])
    htmx = {"HX-Request": "true"}
    assert f'hx-get="{url}?getoond=wachtrij"' in c.get(url).content.decode()

    unchanged = c.get(url, {"getoond": "wachtrij"}, headers=htmx)
    assert (unchanged.status_code, unchanged.content) == (204, b"")

    Report.objects.filter(pk=report.pk).update(status=ReportStatus.BEZIG)
    changed = c.get(url, {"getoond": "wachtrij"}, headers=htmx).content.decode()
    assert "Bezig" in changed and f'hx-get="{url}?getoond=bezig"' in changed
    assert c.get(url, {"getoond": "bezig"}, headers=htmx).status_code == 204

    Report.objects.filter(pk=report.pk).update(status=ReportStatus.MISLUKT, error="Mislukt: X")
    failed = c.get(url, {"getoond": "bezig"}, headers=htmx).content.decode()
    assert "Mislukt: X" in failed and "hx-trigger" not in failed
    # Without JavaScript a reload shows the status, whatever the address says.
    page = c.get(url, {"getoond": "mislukt"}).content.decode()
    assert "<html" in page and "Mislukt: X" in page


def test_outsider_cannot_request_a_report(shared_case, outsider, client_for):
    response = client_for(outsider).post(reverse("cases:progress_report", args=[shared_case.pk]))
    assert response.status_code == 404
    assert not Report.objects.exists()


def test_sweep_resends_stuck_reports_through_redis(shared_case, behandelaar_a):
    report = request_progress(behandelaar_a, shared_case)
    Report.objects.filter(pk=report.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    fresh = request_progress(behandelaar_a, shared_case)
    queue = redis.Redis.from_url(settings.REDIS_URL)
    queue.delete("celery")
    assert reports.requeue_stuck() == [report.pk]
    assert fresh.pk not in reports.requeue_stuck()
    assert queue.llen("celery") >= 1


def test_retention_deletes_old_reports_and_files(shared_case, behandelaar_a):
    old = request_progress(behandelaar_a, shared_case)
    reports.render(old.pk)
    old.refresh_from_db()
    storage, name = old.file.storage, old.file.name
    assert storage.exists(name)
    recent = request_progress(behandelaar_a, shared_case)
    Report.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=31))
    assert reports.purge_expired() == 1
    assert not storage.exists(name)
    assert list(Report.objects.values_list("pk", flat=True)) == [recent.pk]


def test_every_scheduled_task_exists():
    """A typo in CELERY_BEAT_SCHEDULE would only show as a silent no-op in production."""
    from portal.celery import app

    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
