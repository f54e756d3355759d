"""A goal in the clinical domain ('Klinisch herstel': symptoms, treatment), stored before
GoalForm left that domain out, is treatment information: Werk & Inkomen never reads it, with
whatever consent; the treatment team does, and its read is logged as medisch (exploratory
tester, 5 December)."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from cases import services
from cases.constants import CaseRole, RecoveryDomain, TimelineKind
from cases.models import Goal, TimelineEntry
from consent import services as consent
from consent.constants import Category, Purpose
from consent.models import AccessLogEntry
from portal import reports
from portal.models import ReportType

from . import test_reports
from .builders import make_case, make_consent

_private_media = test_reports._private_media

CLINICAL = "Minder psychotische klachten door depotmedicatie"
SHARED = "Twee dagdelen per week vrijwilligerswerk"


@pytest.fixture
def case(behandelaar_a, klantmanager_g):
    case = make_case(behandelaar_a, first_name="Eva", last_name="Jansen")
    consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
    make_consent(
        case.client,
        behandelaar_a.organisation,
        klantmanager_g.organisation,
        Purpose.REINTEGRATIE,
        [Category.IDENTIFICATIE, Category.WERKSITUATIE, Category.AFSPRAKEN],
        recorded_by=behandelaar_a,
    )
    for domain, text in ((RecoveryDomain.KLINISCH, CLINICAL), (RecoveryDomain.FUNCTIONEEL, SHARED)):
        Goal.objects.create(
            case=case,
            organisation=behandelaar_a.organisation,
            created_by=behandelaar_a,
            domain=domain,
            description=text,
        )
    return case


def page(client_for, user, case):
    response = client_for(user).get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_werk_en_inkomen_reads_the_shared_goal_only(client_for, klantmanager_g, case):
    html = page(client_for, klantmanager_g, case)
    assert SHARED in html
    assert CLINICAL not in html
    categories = set(
        AccessLogEntry.objects.filter(user=klantmanager_g).values_list("category", flat=True)
    )
    assert Category.AFSPRAKEN in categories and Category.MEDISCH not in categories


def test_the_treatment_team_reads_both_and_the_clinical_one_is_logged_as_medical(
    client_for, behandelaar_a, case
):
    html = page(client_for, behandelaar_a, case)
    assert SHARED in html and CLINICAL in html
    assert AccessLogEntry.objects.filter(
        user=behandelaar_a, category=Category.MEDISCH, action="read"
    ).exists()


@pytest.mark.parametrize("reader", ["klantmanager_g", "behandelaar_a"])
def test_the_voortgangsrapportage_as_the_page(request, case, reader):
    user = request.getfixturevalue(reader)
    report = reports.request_report(user, ReportType.VOORTGANG, "Voortgang", case=case)
    reports.render(report.pk)
    text = test_reports.pdf_text(report)
    assert SHARED in text
    assert (CLINICAL in text) is (reader == "behandelaar_a")
    report.refresh_from_db()
    assert ([case.organisation_id, Category.MEDISCH] in report.contents) is (
        reader == "behandelaar_a"
    )


def test_the_clinical_goals_news_becomes_medical(behandelaar_a, klantmanager_g, case, client_for):
    """Migration cases 0015: the timeline entry such a goal got when it was added."""
    services.add_timeline(
        case,
        behandelaar_a,
        TimelineKind.DOEL,
        Category.AFSPRAKEN,
        f"Doel (Klinisch herstel): {CLINICAL}",
    )
    services.add_timeline(
        case,
        behandelaar_a,
        TimelineKind.DOEL,
        Category.AFSPRAKEN,
        f"Doel (Functioneel herstel): {SHARED}",
    )
    migration = importlib.import_module("cases.migrations.0015_clinical_goal_news_is_medical")
    migration.forwards(apps, None)
    by_title = dict(
        TimelineEntry.objects.filter(case=case, kind=TimelineKind.DOEL).values_list(
            "title", "category"
        )
    )
    assert by_title == {
        f"Doel (Klinisch herstel): {CLINICAL}": Category.MEDISCH,
        f"Doel (Functioneel herstel): {SHARED}": Category.AFSPRAKEN,
    }
    timeline = client_for(klantmanager_g).get(reverse("cases:timeline", args=[case.pk]))
    assert CLINICAL not in timeline.content.decode()
    assert SHARED in timeline.content.decode()
