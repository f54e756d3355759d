"""Every report of issue 8 beyond the voortgangsrapportage, requested through its page,
dispatched on commit and rendered by one real Celery worker through real Redis, then
downloaded through the logged view and read back with pdftotext."""

import datetime
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import leidraad_services as leidraad
from cases.constants import CaseRole
from consent import services as consent
from consent.constants import Category, Purpose
from consent.models import Consent
from portal.models import Report, ReportStatus

from .builders import make_case, make_consent
from .test_ips_results import job, trajectory
from .test_leidraad import in_future, run_session
from .test_report_worker import wait_until_finished
from .test_reports_consent import categories  # noqa: F401
from .test_reports_ips import finished
from .worker import celery_worker  # noqa: F401


@pytest.mark.worker
def test_each_report_is_rendered_by_a_real_worker(
    celery_worker,  # noqa: F811
    categories,  # noqa: F811
    client_for,
    behandelaar_a,
    klantmanager_g,
    beheerder_a,
    jobcoach_a,
):
    leidraad.ensure_bundled()
    case = make_case(behandelaar_a, first_name="Eva", last_name="Jansen")
    consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
    record = make_consent(
        case.client,
        behandelaar_a.organisation,
        klantmanager_g.organisation,
        Purpose.REINTEGRATIE,
        [Category.LEIDRAAD],
        recorded_by=behandelaar_a,
    )
    session = run_session(
        client_for(behandelaar_a),
        case,
        {"financien": "belemmert"},
        agreements=[("Schuldhulp bellen", "Cliënt", in_future())],
    )
    review = finished(jobcoach_a, datetime.date(2026, 3, 1), 4)
    working = trajectory(behandelaar_a, 1, jobcoach_a, datetime.date(2025, 1, 5), first="Zeldzaam")
    job(working, datetime.date(2025, 2, 1), wage="16.00")

    requests = [
        (
            klantmanager_g,
            reverse("cases:leidraad_summary_report", args=[case.pk, session.pk]),
            {},
            ["Werk staat uw herstel nu in de weg."],
            ["Schuldhulp bellen", "Eva Jansen"],  # afspraken and name not consented
        ),
        (
            behandelaar_a,
            reverse("consent:consent_report", args=[record.pk]),
            {},
            ["Ik geef GGZ A toestemming", "Uitkomsten gespreksleidraad"],
            [],
        ),
        (
            beheerder_a,
            reverse("consent:client_consents_report", args=[case.client_id]),
            {},
            ["Overzicht toestemmingen", "Gemeente G"],
            [],
        ),
        (
            beheerder_a,
            reverse("consent:avg_inzage_request", args=[case.client_id]),
            {
                "received_on": (timezone.localdate() - datetime.timedelta(days=2)).isoformat(),
                "channel": "brief",
                "identity_check": "id_bewijs",
            },
            ["Inzagelog", "Notitie over financien", "Schuldhulp bellen"],
            [],
        ),
        (
            jobcoach_a,
            reverse("ips:fidelity_report", args=[review.pk]),
            {},
            ["Totaal 100 van 125"],
            [],
        ),
        (
            jobcoach_a,
            reverse("ips:results_report"),
            {"kwartaal": "2025-1"},
            ["Met regulier betaald werk"],
            ["Zeldzaam"],
        ),
    ]
    made = []
    for user, url, data, _present, _absent in requests:
        response = client_for(user).post(url, data)
        report = Report.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
        made.append(report)
    for report, (user, _url, _data, present, absent) in zip(made, requests, strict=True):
        report = wait_until_finished(report)
        assert report.status == ReportStatus.KLAAR, (report.type, report.error)
        download = client_for(user).get(reverse("portal:report_download", args=[report.pk]))
        assert download.status_code == 200, report.type
        pdf = b"".join(download.streaming_content)
        text = " ".join(
            subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
            .stdout.decode()
            .split()
        )
        for expected in present:
            assert expected in text, (report.type, expected)
        for hidden in absent:
            assert hidden not in text, (report.type, hidden)
    assert Consent.objects.count() == 1
