"""The report pipeline end to end: requested through the page, dispatched on commit,
rendered by a real Celery worker through real Redis, downloaded through the logged view."""

import datetime
import subprocess
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.constants import CaseRole
from consent import services as consent
from consent.constants import Category
from portal.models import Report, ReportStatus

from .worker import celery_worker  # noqa: F401

MARKER = "KLINISCH-NIET-DELEN-91c2"


def wait_until_finished(report, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        report.refresh_from_db()
        if report.status in (ReportStatus.KLAAR, ReportStatus.MISLUKT):
            return report
        time.sleep(0.2)
    pytest.fail(f"Rapport {report.pk} bleef op '{report.status}'")


@pytest.mark.worker
def test_progress_report_rendered_by_a_real_worker(
    celery_worker,  # noqa: F811
    client_for,
    behandelaar_a,
    klantmanager_g,
):
    client = services.register_client(
        behandelaar_a,
        first_name="Eva",
        last_name="Jansen",
        date_of_birth=datetime.date(1990, 5, 17),
        bsn="111222333",
    )
    case = services.open_case(behandelaar_a, client)
    services.add_timeline(case, behandelaar_a, "notitie", Category.MEDISCH, "Consult", MARKER)
    consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
    c = client_for(klantmanager_g)
    started = timezone.now()
    response = c.post(reverse("cases:progress_report", args=[case.pk]))
    report = Report.objects.get()
    assert response["Location"] == reverse("portal:report_detail", args=[report.pk])
    report = wait_until_finished(report)
    assert report.status == ReportStatus.KLAAR, report.error
    assert report.attempts == 1
    assert report.finished_at > started
    celery_worker.wait_for_log("portal.tasks.render_report[")
    assert "Download de PDF" in c.get(response["Location"]).content.decode()
    download = c.get(reverse("portal:report_download", args=[report.pk]))
    assert download.status_code == 200
    pdf = b"".join(download.streaming_content)
    assert pdf.startswith(b"%PDF-")
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "Voortgangsrapportage casus" in text
    assert "naam niet gedeeld" in text  # no consent for identification
    assert MARKER not in text
