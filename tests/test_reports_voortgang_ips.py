"""The voortgangsrapportage shows the IPS trajectory as the IPS card on the case page does
(phase, trajectbegeleider, disclosure choice, rapid search, the current job or the job still
to start), as far as the requester may export IPS data, and lists it in what the PDF holds
(the download re-check and the access log go by that)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from cases.constants import CaseRole, WorkSituationKind
from cases.models import WorkSituation
from consent import policy
from consent import services as consent
from consent.constants import Action, Category, Purpose
from consent.models import AccessLogEntry
from ips import services
from ips.constants import CloseReason, ContactType, ContractType, Disclosure, Phase
from ips.models import Beroepsprofiel, EmployerContact, Placement
from portal import reports
from portal.constants import Role

from .builders import make_consent, withdraw
from .test_ips import add_rows, new_case, start_trajectory, to_search
from .test_reports import _private_media, pdf_text, request_progress  # noqa: F401

IPS = Category.IPS

# The clock stands still from before the fixtures run (timezone.localtime is called then,
# not when the tests are collected): the job dates the fixtures store and the dates the
# tests look for in the PDF fall on one day, also when a run crosses midnight.
pytestmark = pytest.mark.time_machine(timezone.localtime, tick=False)


def day(offset):
    return timezone.localdate() + datetime.timedelta(days=offset)


def dutch(d):
    return date_format(d, "j F Y")


def job(trajectory, coach, *, employer, title, start, end=None, **extra):
    return Placement.objects.create(
        trajectory=trajectory,
        organisation=coach.organisation,
        recorded_by=coach,
        employer=employer,
        job_title=title,
        start_date=start,
        end_date=end,
        end_reason="anders" if end else "",
        hours_per_week=20,
        hourly_wage=15,
        contract_type=ContractType.BEPAALD,
        **extra,
    )


@pytest.fixture
def case_a(behandelaar_a):
    case = new_case(behandelaar_a)
    # What the tester saw: the work situation says 'geen werk' while IPS found a job.
    WorkSituation.objects.create(
        case=case,
        organisation=behandelaar_a.organisation,
        recorded_by=behandelaar_a,
        kind=WorkSituationKind.GEEN,
        benefit="bijstand",
        wish_to_work="ja",
    )
    return case


@pytest.fixture
def trajectory(behandelaar_a, jobcoach_a, case_a):
    trajectory = to_search(start_trajectory(behandelaar_a, jobcoach_a, case_a, 40), jobcoach_a)
    Beroepsprofiel.objects.create(
        trajectory=trajectory,
        organisation=jobcoach_a.organisation,
        updated_by=jobcoach_a,
        disclosure=Disclosure.VERTELLEN,
        disclosure_note="Alleen dat zij een aandoening heeft, geen diagnose.",
    )
    EmployerContact.objects.create(
        organisation=jobcoach_a.organisation,
        coach=jobcoach_a,
        trajectory=trajectory,
        contacted_on=day(-5),
        employer="Zorgcentrum De Linde",
        type=ContactType.EERSTE_CONTACT,
        face_to_face=True,
    )
    return trajectory


@pytest.fixture
def working(trajectory, jobcoach_a):
    """A job that started five days ago, and an earlier one that ended."""
    job(
        trajectory,
        jobcoach_a,
        employer="Oude Baan BV",
        title="Inpakker",
        start=day(-30),
        end=day(-20),
    )
    return job(
        trajectory, jobcoach_a, employer="Zorgcentrum De Linde", title="Gastvrouw", start=day(-5)
    )


def rendered(user, case):
    report = request_progress(user, case)
    reports.render(report.pk)
    report.refresh_from_db()
    return report, " ".join(pdf_text(report).split())


def contents(report):
    return {tuple(item) for item in report.contents}


def has_ips_section(text):
    return "IPS-traject" in text and "Trajectbegeleider" in text


class TestWhoGetsTheSection:
    @pytest.mark.parametrize("fixture", ["behandelaar_a", "jobcoach_a"])
    def test_the_ggz_that_holds_the_trajectory(
        self, request, fixture, case_a, jobcoach_a, ggz_a, working
    ):
        user = request.getfixturevalue(fixture)
        report, text = rendered(user, case_a)
        assert has_ips_section(text)
        assert "Geen werk of dagbesteding" in text  # the work situation is still there
        assert "Fase Zoeken naar werk" in text
        assert jobcoach_a.get_full_name() in text and "GGZ A" in text
        assert "Vertellen: de werkgever mag het weten" in text
        assert "Alleen dat zij een aandoening heeft, geen diagnose." in text
        # Referred 40 days ago; the ended job began 30 days ago, before the contact.
        assert "10 dagen van aanmelding tot eerste persoonlijke werkgeverscontact" in text
        assert "Aan het werk bij Zorgcentrum De Linde als Gastvrouw" in text
        assert "Oude Baan BV" not in text  # an ended job is not the current one
        assert (ggz_a.pk, IPS) in contents(report)

    def test_klantmanager_step_by_step_through_consent(
        self, client_for, case_a, behandelaar_a, klantmanager_g, ggz_a, gemeente_g, working
    ):
        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)

        # On the team, no consent at all: nothing of IPS.
        report, text = rendered(klantmanager_g, case_a)
        assert not has_ips_section(text) and "Zorgcentrum De Linde" not in text
        assert (ggz_a.pk, IPS) not in contents(report)

        # A consent for the work situation, not for IPS: still nothing of IPS.
        make_consent(
            case_a.client,
            ggz_a,
            gemeente_g,
            Purpose.REINTEGRATIE,
            [Category.IDENTIFICATIE, Category.WERKSITUATIE],
            recorded_by=behandelaar_a,
        )
        report, text = rendered(klantmanager_g, case_a)
        assert "Geen werk of dagbesteding" in text
        assert not has_ips_section(text) and "Zorgcentrum De Linde" not in text
        assert (ggz_a.pk, IPS) not in contents(report)

        # A consent that covers IPS: the section, on the basis of that consent.
        ips_consent = make_consent(
            case_a.client,
            ggz_a,
            gemeente_g,
            Purpose.REINTEGRATIE,
            [IPS],
            recorded_by=behandelaar_a,
        )
        report, text = rendered(klantmanager_g, case_a)
        assert has_ips_section(text)
        assert "Aan het werk bij Zorgcentrum De Linde als Gastvrouw" in text
        assert (ggz_a.pk, IPS) in contents(report)
        c = client_for(klantmanager_g)
        url = reverse("portal:report_download", args=[report.pk])
        assert c.get(url).status_code == 200
        logged = AccessLogEntry.objects.get(
            user=klantmanager_g, object_type="rapport", action="export", category=IPS
        )
        assert (logged.outcome, logged.basis, logged.consent_id) == (
            "toegestaan",
            "toestemming",
            ips_consent.pk,
        )

        # The IPS consent withdrawn: that copy is no longer handed out, a new one has no IPS.
        withdraw(ips_consent, behandelaar_a)
        assert c.get(url).status_code == 404
        report, text = rendered(klantmanager_g, case_a)
        assert not has_ips_section(text) and "Zorgcentrum De Linde" not in text
        assert (ggz_a.pk, IPS) not in contents(report)

    def test_export_rights_decide_not_read_rights(
        self, monkeypatch, case_a, behandelaar_a, ggz_a, working
    ):
        """A report leaves the portal: a role that may read IPS data but not export it
        (none today; the role table may change) gets no IPS section in its copy."""
        report, text = rendered(behandelaar_a, case_a)
        assert has_ips_section(text) and (ggz_a.pk, IPS) in contents(report)
        monkeypatch.setitem(policy.ROLE_ACTIONS[Role.BEHANDELAAR], IPS, {Action.READ})
        access = consent.case_access(behandelaar_a, case_a)
        assert access.can_read(IPS, ggz_a.pk)
        report, text = rendered(behandelaar_a, case_a)
        assert not has_ips_section(text) and "Zorgcentrum De Linde" not in text
        assert (ggz_a.pk, IPS) not in contents(report)

    def test_a_closed_trajectory_as_the_card_shows_it(
        self, behandelaar_a, jobcoach_a, ggz_a, case_a, trajectory
    ):
        services.change_phase(
            trajectory, jobcoach_a, Phase.AFGESLOTEN, close_reason=CloseReason.VERHUISD
        )
        report, text = rendered(behandelaar_a, case_a)
        assert "Fase Afgesloten — Verhuisd" in text
        assert (ggz_a.pk, IPS) in contents(report)


class TestJobLine:
    def test_a_job_that_has_started(self, behandelaar_a, case_a, working):
        _report, text = rendered(behandelaar_a, case_a)
        assert (
            f"Aan het werk bij Zorgcentrum De Linde als Gastvrouw, sinds {dutch(day(-5))} "
            "(regulier betaald werk)." in text
        )
        assert "begint op" not in text

    def test_a_job_still_to_start(self, behandelaar_a, jobcoach_a, case_a, trajectory):
        job(
            trajectory,
            jobcoach_a,
            employer="Bakkerij De Korenschoof",
            title="Bakkersassistent",
            start=day(10),
            end=day(100),
            set_aside=True,
        )
        _report, text = rendered(behandelaar_a, case_a)
        assert (
            f"Baan bij Bakkerij De Korenschoof als Bakkersassistent, begint op {dutch(day(10))}, "
            f"tot {dutch(day(100))} (geen regulier betaald werk)." in text
        )
        assert "Aan het werk bij" not in text

    def test_a_started_job_comes_before_one_still_to_start(
        self, behandelaar_a, jobcoach_a, case_a, trajectory, working
    ):
        job(trajectory, jobcoach_a, employer="Later BV", title="Kok", start=day(10))
        _report, text = rendered(behandelaar_a, case_a)
        assert "Aan het werk bij Zorgcentrum De Linde als Gastvrouw" in text
        assert "Later BV" not in text

    def test_no_current_job(self, behandelaar_a, case_a, trajectory):
        _report, text = rendered(behandelaar_a, case_a)
        assert has_ips_section(text)
        assert "Geen lopende of komende baan vastgelegd of gedeeld." in text


def test_the_report_and_the_case_page_agree(client_for, behandelaar_a, case_a, working):
    """The same selection as the IPS card on the case page: the same job on both."""
    page = client_for(behandelaar_a).get(reverse("cases:detail", args=[case_a.pk]))
    html = page.content.decode()
    assert "Werkt bij" in html and "Gastvrouw, Zorgcentrum De Linde" in html
    _report, text = rendered(behandelaar_a, case_a)
    assert "Aan het werk bij Zorgcentrum De Linde als Gastvrouw" in text


def test_rendering_takes_the_same_queries_for_a_short_and_a_long_trajectory(
    behandelaar_a, jobcoach_a, case_a, trajectory, working, django_assert_num_queries
):
    def queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        report = request_progress(behandelaar_a, case_a)
        with CaptureQueriesContext(connection) as captured:
            reports.render(report.pk)
        return len(captured)

    few = queries()
    add_rows(trajectory, jobcoach_a, 20)
    report = request_progress(behandelaar_a, case_a)
    with django_assert_num_queries(few):
        reports.render(report.pk)
    assert "Aan het werk bij Zorgcentrum De Linde als Gastvrouw" in " ".join(
        pdf_text(report).split()
    )
