"""IPS derived figures on hand-built data with known answers, and the team dashboard
("Resultaten"): aggregates only, constant query count (issue 7)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Client
from ips import figures
from ips.constants import (
    ContactType,
    ContractType,
    Phase,
    PlacementEndReason,
    minimum_hourly_wage,
)
from ips.figures import Quarter
from ips.models import EmployerContact, Placement, Trajectory
from portal.constants import Role
from tests.factories import UserFactory, join_ips_team
from tests.test_ips import new_case

D = datetime.date

# The clock stands still from before the fixtures run (timezone.localtime is called then,
# not when the test is collected): the dates a test computes and those the server computes
# fall on one day, also when a run crosses midnight.
SAME_DAY = pytest.mark.time_machine(timezone.localtime, tick=False)


def team_of(coach):
    return coach.ips_team_member.team


def at(day):
    """Noon, Amsterdam time, on ``day``."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12, 0)))


def trajectory(owner, index, coach, referred, closed=None, phase=Phase.ZOEKEN, first="Cliënt"):
    case = new_case(owner, index=index, first=first, last=f"Achternaam{index}")
    return Trajectory.objects.create(
        case=case,
        client=case.client,
        organisation=owner.organisation,
        coach=coach,
        phase=Phase.AFGESLOTEN if closed else phase,
        referred_at=at(referred),
        closed_on=closed,
        close_reason="eigen_verzoek" if closed else "",
    )


def contact(coach, day, trajectory=None, face_to_face=True):
    return EmployerContact.objects.create(
        organisation=coach.organisation,
        coach=coach,
        trajectory=trajectory,
        contacted_on=day,
        employer="Werkgever",
        type=ContactType.EERSTE_CONTACT,
        face_to_face=face_to_face,
    )


def job(
    trajectory,
    start,
    end=None,
    wage="15.00",
    set_aside=False,
    override=None,
    reason="",
    end_reason=None,
):
    return Placement.objects.create(
        trajectory=trajectory,
        organisation=trajectory.organisation,
        recorded_by=trajectory.coach or trajectory.case.opened_by,
        employer="Werkgever",
        job_title="Functie",
        start_date=start,
        end_date=end,
        end_reason=end_reason or ("anders" if end else ""),
        hours_per_week=Decimal("20"),
        hourly_wage=Decimal(wage),
        contract_type=ContractType.BEPAALD,
        set_aside=set_aside,
        competitive_override=override,
        override_reason=reason,
    )


# --- Competitive work ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day,born,minimum",
    [
        (D(2026, 1, 1), None, "14.71"),  # the adult minimum from 1 January 2026
        (D(2025, 12, 31), None, "14.40"),  # the day before: 1 July 2025's
        (D(2025, 6, 30), None, "14.06"),
        (D(2024, 7, 1), None, "13.68"),
        (D(2023, 5, 1), None, "13.27"),  # before the hourly minimum: the first one
        (D(2025, 7, 1), D(2004, 7, 1), "14.40"),  # 21 that day
        (D(2025, 7, 1), D(2004, 7, 2), "11.52"),  # 21 tomorrow: 80 %
        (D(2025, 7, 1), D(2006, 7, 1), "8.64"),  # 19: 60 %
        (D(2025, 7, 1), D(2007, 7, 1), "7.20"),  # 18: 50 %
        (D(2025, 1, 1), D(2007, 6, 1), "5.55"),  # 17: 39.5 % of 14.06, rounded as SZW does
    ],
)
def test_the_minimum_wage_of_a_day_and_an_age(day, born, minimum):
    assert minimum_hourly_wage(day, born) == Decimal(minimum)


@pytest.mark.parametrize(
    "wage,set_aside,override,expected",
    [
        ("14.71", False, None, True),  # exactly the minimum
        ("14.70", False, None, False),  # one cent below
        ("20.00", True, None, False),  # set aside (beschut werk)
        ("12.00", False, True, True),  # corrected by the coach, with a reason
        ("20.00", False, False, False),  # corrected the other way
    ],
)
def test_competitive_work_derived_and_corrected(
    behandelaar_a, jobcoach_a, wage, set_aside, override, expected
):
    t = trajectory(behandelaar_a, 1, jobcoach_a, D(2026, 1, 1))
    placement = job(
        t, D(2026, 2, 1), wage=wage, set_aside=set_aside, override=override, reason="Reden"
    )
    assert placement.is_competitive is expected
    # The SQL used by the dashboard agrees with the Python property.
    assert Placement.objects.competitive().filter(pk=placement.pk).exists() is expected


@pytest.mark.parametrize(
    "start,born,wage,expected",
    [
        # Begun in 2025 at that year's minimum: regular paid work, also now that the
        # minimum is higher (a past quarter's figure does not change with the indexation).
        (D(2025, 3, 1), D(1990, 5, 17), "14.06", True),
        (D(2025, 3, 1), D(1990, 5, 17), "14.05", False),
        # A 19-year-old paid the youth minimum: regular paid work.
        (D(2026, 2, 1), D(2006, 9, 1), "8.83", True),  # 60 % of 14.71 = 8.826
        (D(2026, 2, 1), D(2006, 9, 1), "8.82", False),
    ],
)
def test_the_minimum_is_the_one_on_the_jobs_first_day_for_the_clients_age(
    behandelaar_a, jobcoach_a, start, born, wage, expected
):
    t = trajectory(behandelaar_a, 1, jobcoach_a, D(2025, 1, 1))
    Client.objects.filter(pk=t.client_id).update(date_of_birth=born)
    placement = job(t, start, wage=wage)
    assert placement.minimum_wage == minimum_hourly_wage(start, born)
    assert placement.is_competitive is expected
    assert Placement.objects.competitive().filter(pk=placement.pk).exists() is expected


# --- Rapid job search ------------------------------------------------------------------------


def test_days_to_first_employer_contact(behandelaar_a, jobcoach_a):
    t = trajectory(behandelaar_a, 1, jobcoach_a, D(2025, 1, 1))
    contact(jobcoach_a, D(2025, 2, 10), t)
    contact(jobcoach_a, D(2025, 1, 11), t)
    contact(jobcoach_a, D(2025, 1, 5))  # general: not for this client
    t = Trajectory.objects.with_first_contact().get(pk=t.pk)
    assert t.first_contact_on == D(2025, 1, 11)
    rapid = figures.rapid_search(t, t.first_contact_on)
    assert (rapid.days, rapid.flagged) == (10, False)


def test_only_a_face_to_face_contact_counts_for_the_rapid_search(behandelaar_a, jobcoach_a):
    """As IPS counts employer contacts: an e-mail on day 25 and a visit on day 36 is
    'later than 30 days' (a tester's e-mail made it 25 days, unflagged)."""
    t = trajectory(behandelaar_a, 1, jobcoach_a, D(2025, 1, 1))
    contact(jobcoach_a, D(2025, 1, 26), t, face_to_face=False)
    contact(jobcoach_a, D(2025, 2, 6), t)
    t = Trajectory.objects.with_first_contact().get(pk=t.pk)
    assert t.first_contact_on == D(2025, 2, 6)
    rapid = figures.rapid_search(t, t.first_contact_on)
    assert (rapid.days, rapid.flagged) == (36, True)


@pytest.mark.parametrize(
    "contact_day, expected",
    [(None, D(2025, 1, 27)), (D(2025, 2, 9), D(2025, 1, 27)), (D(2025, 1, 20), D(2025, 1, 20))],
)
def test_a_job_counts_as_an_employer_contact(behandelaar_a, jobcoach_a, contact_day, expected):
    """A job that began on day 26, recorded without a contact before it: not 'no contact
    yet', nor '39 days' from a contact logged later; the job's start counts, unless a
    contact came earlier."""
    t = trajectory(behandelaar_a, 1, jobcoach_a, D(2025, 1, 1))
    job(t, D(2025, 1, 27))
    if contact_day:
        contact(jobcoach_a, contact_day, t)
    t = Trajectory.objects.with_first_contact().get(pk=t.pk)
    assert t.first_contact_on == expected
    rapid = figures.rapid_search(t, t.first_contact_on, D(2025, 6, 1))
    assert (rapid.days, rapid.flagged) == ((expected - D(2025, 1, 1)).days, False)


def test_a_job_still_to_start_is_no_contact_yet(behandelaar_a, jobcoach_a):
    """Recorded on 10 February to start on 1 March: until then the rapid search waits (a
    tester saw '76 dagen … tot eerste persoonlijke werkgeverscontact' for a start weeks
    ahead); from its start, it counts."""
    t = trajectory(behandelaar_a, 1, jobcoach_a, D(2025, 1, 1))
    job(t, D(2025, 3, 1))
    before = Trajectory.objects.with_first_contact(D(2025, 2, 10)).get(pk=t.pk)
    assert before.first_contact_on is None
    assert figures.rapid_search(before, None, D(2025, 2, 10)).waiting == 40
    after = Trajectory.objects.with_first_contact(D(2025, 3, 1)).get(pk=t.pk)
    assert after.first_contact_on == D(2025, 3, 1)


def test_a_job_that_did_not_go_ahead_counts_nowhere(behandelaar_a, jobcoach_a):
    """Recorded to start on 1 March, called off on 10 February: its start was no employer
    contact, the client did not work in the quarter, and it has no tenure (a tester saw the
    start of a job that never happened counted in the rapid search)."""
    t = trajectory(behandelaar_a, 1, jobcoach_a, D(2025, 1, 1))
    job(t, D(2025, 3, 1), end=D(2025, 2, 10), end_reason=PlacementEndReason.NIET_DOORGEGAAN)
    t = Trajectory.objects.with_first_contact().get(pk=t.pk)
    assert t.first_contact_on is None
    assert figures.rapid_search(t, t.first_contact_on, D(2025, 1, 20)).waiting == 19
    data = figures.team_results(team_of(jobcoach_a), Quarter(2025, 1), today=D(2025, 6, 1))
    for figures_of in (data["team"], data["coaches"][0]):
        assert figures_of["active"] == 1
        assert (figures_of["with_work"], figures_of["with_work_pct"]) == (0, 0)
        assert figures_of["median_days_first_contact"] is None
        assert figures_of["median_tenure_weeks"] is None
    # A job that did go ahead, on the same days, counts as before.
    job(t, D(2025, 3, 1), end=D(2025, 3, 14))
    data = figures.team_results(team_of(jobcoach_a), Quarter(2025, 1), today=D(2025, 6, 1))
    assert (data["team"]["with_work"], data["team"]["median_tenure_weeks"]) == (1, 2.0)
    assert data["team"]["median_days_first_contact"] == 59


def test_a_contact_dated_before_the_referral_counts_as_on_the_referral_day(
    behandelaar_a, jobcoach_a
):
    """Older rows may have one (the forms refuse it now): never negative days, on the page
    nor in the quarter's median, which counts it in the quarter of the referral."""
    t = trajectory(behandelaar_a, 1, jobcoach_a, D(2025, 4, 3))
    contact(jobcoach_a, D(2025, 3, 20), t)
    t = Trajectory.objects.with_first_contact().get(pk=t.pk)
    assert figures.rapid_search(t, t.first_contact_on, D(2025, 6, 1)).days == 0
    data = figures.team_results(team_of(jobcoach_a), Quarter(2025, 2), today=D(2025, 6, 1))
    assert data["team"]["median_days_first_contact"] == 0
    assert data["coaches"][0]["median_days_first_contact"] == 0
    q1 = {row["quarter"]: row for row in data["trend"]}[Quarter(2025, 1)]
    assert q1["median_days_first_contact"] is None


@pytest.mark.parametrize(
    "first_contact,today,phase,days,waiting,flagged",
    [
        (D(2025, 1, 31), D(2025, 6, 1), Phase.ZOEKEN, 30, None, False),
        (D(2025, 2, 1), D(2025, 6, 1), Phase.ZOEKEN, 31, None, True),
        (None, D(2025, 1, 31), Phase.INTAKE, None, 30, False),
        (None, D(2025, 2, 1), Phase.INTAKE, None, 31, True),
        (None, D(2025, 6, 1), Phase.AFGESLOTEN, None, None, False),
    ],
)
def test_thirty_day_flag(first_contact, today, phase, days, waiting, flagged):
    t = Trajectory(referred_at=at(D(2025, 1, 1)), phase=phase)
    assert figures.rapid_search(t, first_contact, today) == figures.RapidSearch(
        days, waiting, flagged
    )


@pytest.mark.parametrize(
    "rapid,line",
    [
        (
            figures.RapidSearch(1, None, False),
            "1 dag van aanmelding tot eerste persoonlijke werkgeverscontact",
        ),
        (
            figures.RapidSearch(31, None, True),
            "31 dagen van aanmelding tot eerste persoonlijke werkgeverscontact "
            '<span class="flag">later dan 30 dagen</span>',
        ),
        (figures.RapidSearch(None, 1, False), "Nog geen werkgeverscontact, 1 dag na aanmelding"),
        (
            figures.RapidSearch(None, 45, True),
            'Nog geen werkgeverscontact, 45 dagen na aanmelding <span class="flag">meer dan 30 '
            "dagen</span>",
        ),
        (figures.RapidSearch(None, None, False), "Geen werkgeverscontact vastgelegd"),
    ],
)
def test_the_rapid_search_line(rapid, line):
    """What the caseload, the trajectory page and the case panel show for it."""
    assert Template("{{ rapid }}").render(Context({"rapid": rapid})) == line


# --- Small helpers -----------------------------------------------------------------------------


def test_caseload_flag_above_twenty():
    assert not figures.caseload_flagged(20)
    assert figures.caseload_flagged(21)


def test_contacts_per_week_against_the_norm_of_six():
    q = Quarter(2025, 2)  # 91 days: 13 weeks
    assert figures.contacts_per_week(78, q.start, q.end) == 6.0
    assert figures.contacts_per_week(77, q.start, q.end) == 5.9
    assert figures.contacts_per_week(0, q.start, q.end) == 0.0


def test_median():
    assert figures.median([3, 1, 2]) == 2
    assert figures.median([1, 2, 3, 4]) == 2.5
    assert figures.median([None, 5]) == 5
    assert figures.median([]) is None
    # An even count whose middle is whole is shown as a whole number ("11", not "11,0").
    assert repr(figures.median([10, 12])) == "11"


def test_quarters():
    q = Quarter(2025, 1)
    assert (q.start, q.end) == (D(2025, 1, 1), D(2025, 3, 31))
    assert q.previous() == Quarter(2024, 4)
    assert Quarter(2024, 4).next() == q
    assert Quarter(2025, 2).previous() == q
    assert Quarter.containing(D(2025, 11, 30)) == Quarter(2025, 4)
    assert Quarter.parse("2025-3", q) == Quarter(2025, 3)
    for bad in ["", "2025", "2025-5", "x-1", None, "1850-1"]:
        assert Quarter.parse(bad, q) == q


# --- The quarter on hand-built data --------------------------------------------------------------


@pytest.fixture
def coach_b(ggz_a, jobcoach_a):
    coach = UserFactory(
        email="jobcoach2@a.test",
        organisation=ggz_a,
        role=Role.TRAJECTBEGELEIDER,
        first_name="Bo",
        last_name="Tweede",
    )
    join_ips_team(coach)
    return coach


@pytest.fixture
def quarter_world(behandelaar_a, jobcoach_a, coach_b):
    """2025 Q1 (90 days) for GGZ A:

    T1 referred 2024-12-01, first contact 2025-01-10 (40 days), competitive job from 02-01.
    T2 referred 2025-01-15, first contact 01-25 (10 days), set-aside job from 03-01.
    T3 referred 2025-02-01 (coach B), first contact 02-21 (20 days), closed 03-15.
    T4 referred 2024-10-01, first contact 10-05, closed 2024-12-20: not in Q1.
    T5 referred 2025-04-02, no coach: not in Q1.
    Plus a general face-to-face contact and a phone contact of the jobcoach in Q1.
    """
    t1 = trajectory(behandelaar_a, 1, jobcoach_a, D(2024, 12, 1), phase=Phase.GEPLAATST)
    t2 = trajectory(behandelaar_a, 2, jobcoach_a, D(2025, 1, 15))
    t3 = trajectory(behandelaar_a, 3, coach_b, D(2025, 2, 1), closed=D(2025, 3, 15))
    t4 = trajectory(behandelaar_a, 4, jobcoach_a, D(2024, 10, 1), closed=D(2024, 12, 20))
    trajectory(behandelaar_a, 5, None, D(2025, 4, 2), phase=Phase.AANGEMELD)
    contact(jobcoach_a, D(2025, 1, 10), t1)
    contact(jobcoach_a, D(2025, 1, 25), t2)
    contact(coach_b, D(2025, 2, 21), t3)
    contact(jobcoach_a, D(2024, 10, 5), t4)
    contact(jobcoach_a, D(2025, 2, 10))
    contact(jobcoach_a, D(2025, 2, 11), face_to_face=False)
    job(t1, D(2025, 2, 1))
    job(t2, D(2025, 3, 1), set_aside=True)


def test_team_quarter_known_answers(ggz_a, jobcoach_a, coach_b, quarter_world):
    data = figures.team_results(team_of(jobcoach_a), Quarter(2025, 1), today=D(2025, 6, 1))
    team = data["team"]
    assert team["active"] == 3  # T1, T2, T3
    assert team["started"] == 2  # T2, T3
    assert team["ended"] == 1  # T3
    assert (team["with_work"], team["with_work_pct"]) == (1, 33)  # T1 of 3
    assert team["median_days_first_contact"] == 20  # of 40, 10, 20
    assert team["caseload"] == 2  # T1, T2 open on 31 March
    assert team["contacts"] == 4  # face to face: three for clients, one general
    assert team["contacts_per_week"] == 0.2  # 4 / 2 coaches / (90 / 7) weeks
    assert team["median_tenure_weeks"] == 6.4  # 59 and 31 days: median 45 days

    by_coach = {row["coach"]: row for row in data["coaches"]}
    mine = by_coach[jobcoach_a]
    assert (mine["active"], mine["started"], mine["ended"]) == (2, 1, 0)
    assert mine["with_work_pct"] == 50
    assert mine["median_days_first_contact"] == 25  # of 40 and 10
    assert mine["caseload"] == 2
    assert mine["contacts_per_week"] == 0.2  # 3 / (90 / 7)
    assert mine["contacts_below_norm"]
    other = by_coach[coach_b]
    assert (other["active"], other["started"], other["ended"], other["caseload"]) == (1, 1, 1, 0)
    assert other["with_work_pct"] == 0
    assert other["median_days_first_contact"] == 20

    trend = {row["quarter"]: row for row in data["trend"]}
    assert list(trend) == [Quarter(2024, 2), Quarter(2024, 3), Quarter(2024, 4), Quarter(2025, 1)]
    assert trend[Quarter(2024, 3)]["with_work_pct"] is None  # no trajectories
    q4 = trend[Quarter(2024, 4)]
    assert (q4["active"], q4["started"], q4["ended"], q4["with_work_pct"]) == (2, 2, 1, 0)
    assert q4["median_days_first_contact"] == 4


def test_team_and_coaches_count_the_jobs_of_the_same_trajectories(behandelaar_a, jobcoach_a):
    """A job still open in a trajectory closed earlier counts for neither: not for the
    coach (the trajectory is not theirs that quarter) and so not for the team either."""
    t1 = trajectory(behandelaar_a, 1, jobcoach_a, D(2024, 12, 1))
    job(t1, D(2025, 2, 1))  # 59 days in Q1 2025
    before_span = trajectory(behandelaar_a, 2, jobcoach_a, D(2023, 6, 1), closed=D(2024, 1, 15))
    job(before_span, D(2023, 12, 1))
    in_span = trajectory(behandelaar_a, 3, jobcoach_a, D(2024, 3, 1), closed=D(2024, 6, 30))
    job(in_span, D(2024, 5, 1))
    data = figures.team_results(team_of(jobcoach_a), Quarter(2025, 1), today=D(2025, 6, 1))
    mine = data["coaches"][0]
    assert data["team"]["median_tenure_weeks"] == mine["median_tenure_weeks"] == 8.4
    assert data["team"]["with_work"] == mine["with_work"] == 1
    q2 = {row["quarter"]: row for row in data["trend"]}[Quarter(2024, 2)]
    assert q2["median_tenure_weeks"] == 8.7  # 61 days: the trajectory was active then


def test_a_job_that_ended_before_the_quarter_does_not_count(behandelaar_a, jobcoach_a, ggz_a):
    t = trajectory(behandelaar_a, 1, jobcoach_a, D(2024, 11, 1))
    job(t, D(2024, 11, 15), end=D(2024, 12, 31))
    team = figures.team_results(team_of(jobcoach_a), Quarter(2025, 1), today=D(2025, 6, 1))["team"]
    assert (team["active"], team["with_work"], team["with_work_pct"]) == (1, 0, 0)


def test_running_quarter_counts_weeks_elapsed(behandelaar_a, jobcoach_a, ggz_a):
    for day in range(1, 15):  # 14 contacts in the first 14 days
        contact(jobcoach_a, D(2025, 1, day))
    data = figures.team_results(team_of(jobcoach_a), Quarter(2025, 1), today=D(2025, 1, 14))
    assert data["coaches"][0]["contacts_per_week"] == 7.0
    assert not data["coaches"][0]["contacts_below_norm"]


# --- The dashboard page -----------------------------------------------------------------------


def count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def busy_team(behandelaar, coach, start, count):
    today = timezone.localdate()
    for i in range(start, start + count):
        t = trajectory(
            behandelaar,
            i,
            coach,
            today - datetime.timedelta(days=40 + i),
            first=f"Geheimenaam{i}",
        )
        contact(coach, today - datetime.timedelta(days=i % 20), t)
        job(t, today - datetime.timedelta(days=10), wage="16.00")


class TestDashboard:
    url = reverse("ips:results")

    def test_aggregates_only_and_constant_queries(
        self, client_for, behandelaar_a, jobcoach_a, coach_b, django_assert_num_queries
    ):
        busy_team(behandelaar_a, jobcoach_a, 0, 2)
        c = client_for(jobcoach_a)
        expected = count_queries(c, self.url)
        busy_team(behandelaar_a, jobcoach_a, 2, 28)
        with django_assert_num_queries(expected):
            response = c.get(self.url)
        html = response.content.decode()
        assert "Geheimenaam" not in html
        assert "Achternaam" not in html
        assert "<svg" in html and "<table" in html
        assert "boven 20" in html  # 30 trajectories for one coach
        assert "Bo Tweede" in html  # coaches are named, clients never

    @SAME_DAY
    def test_earlier_quarter_and_bad_parameter(self, client_for, jobcoach_a):
        c = client_for(jobcoach_a)
        assert "K1 2025" in c.get(self.url, {"kwartaal": "2025-1"}).content.decode()
        current = Quarter.containing(timezone.localdate())
        assert current.label in c.get(self.url, {"kwartaal": "onzin"}).content.decode()
        assert current.label in c.get(self.url, {"kwartaal": "2100-1"}).content.decode()

    def test_only_the_own_team(self, client_for, behandelaar_a, jobcoach_a, ggz_b):
        busy_team(behandelaar_a, jobcoach_a, 0, 3)
        other = UserFactory(organisation=ggz_b, role=Role.TRAJECTBEGELEIDER)
        join_ips_team(other)
        html = client_for(other).get(self.url).content.decode()
        assert "GGZ B" in html
        assert jobcoach_a.get_full_name() not in html


def test_only_what_the_span_needs_is_loaded(jobcoach_a, quarter_world):
    """T4 closed before the span and T5 referred after it count in no figure of it, so they
    are not read: the cost follows the team's current work, not its whole history."""
    trajectories, placements, _contacts, _coaches = figures._load(
        team_of(jobcoach_a), D(2025, 1, 1), D(2025, 3, 31), D(2025, 6, 1)
    )
    assert sorted(t["referred_on"] for t in trajectories) == [
        D(2024, 12, 1),
        D(2025, 1, 15),
        D(2025, 2, 1),
    ]
    assert sorted(p["start_date"] for p in placements) == [D(2025, 2, 1), D(2025, 3, 1)]


def test_bar_chart_coordinates_survive_the_dutch_locale():
    """Coordinates with decimals are written with a point (SVG) on a Dutch page, the value
    shown as text with a comma; long names are shortened."""
    from django.template.loader import render_to_string
    from django.utils import translation

    chart = figures.bar_chart(
        [("Een trajectbegeleider met een hele lange naam", 1.5), ("Kort", None)], norm=2
    )
    with translation.override("nl"):
        svg = render_to_string("ips/_chart.html", {"chart": chart, "chart_id": "c"})
    rect = svg.split("<rect", 1)[1].split(">", 1)[0]
    width = rect.split('width="', 1)[1].split('"', 1)[0]
    assert float(width) == round(270 * 1.5 / 2, 1)  # plot 270 wide, top = norm 2
    assert "," not in rect
    assert ">1,5</text>" in svg
    assert "Een trajectbegeleider…" in svg
    assert ">—</text>" in svg
