"""Every list and detail page keeps its number of queries for few rows and for many.

Here: the pages whose query count no other test file asserts. Each test builds the page's
data with one or two rows, asserts the page's queries, adds a dozen or more rows of what
the page lists (or opens a record with that many rows of its own), and asserts again: the
same, exact number both times (django_assert_num_queries, inside ``with``). The counts
include the page's access-log write: one insert whatever the number of rows.

Asserted elsewhere: the werkvoorraad (test_cases, test_beheer_start, test_invitation_answer),
the case page and timeline (test_cases, test_team_news, test_consent_views, test_ips,
test_conversations, test_leidraad), the conversation list and MITI trend
(test_conversations), the session list (test_leidraad), casussen zonder regie
(test_without_lead), the consent overview and detail, the inzagelog (test_consent_views,
test_inzagelog), the AVG search (test_reports_avg), the IPS trajectory page, caseload,
contacts, results, teams and form pages (test_ips, test_ips_pages_fixes, test_ips_results,
test_ips_teams, test_ips_transfer) and the user list (test_users).
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import leidraad_services as leidraad
from cases import services as cases
from cases.constants import (
    Benefit,
    CaseRole,
    ChangeTalkKind,
    ExternalDestination,
    GoalStatus,
    Judgement,
    LeidraadStatus,
    RecoveryDomain,
    ReferralKind,
    TimelineKind,
    WishToWork,
    WorkSituationKind,
)
from cases.models import (
    Agreement,
    Driegesprek,
    Goal,
    LeidraadCorrection,
    LeidraadReferral,
    LeidraadSession,
    LeidraadThemeNote,
    LeidraadVersion,
    WorkSituation,
)
from consent import services as consent
from consent.constants import Category, Purpose
from ips import fidelity
from ips.constants import ReviewKind, ReviewStatus
from ips.models import FidelityReview, FidelityScore
from portal import reports
from portal.constants import Role
from portal.models import Report, ReportStatus, ReportType

from .builders import make_case, make_consent
from .factories import UserFactory, join_ips_team
from .test_conversations import MITI, days_ago, log_direct
from .test_leidraad import finished_session

# The clock stands still from before the fixtures run: the dates the tests store and those
# the pages compute fall on one day, also when a run crosses midnight.
pytestmark = pytest.mark.time_machine(timezone.localtime, tick=False)


@pytest.fixture(autouse=True)
def guide(db):
    return leidraad.ensure_bundled()


@pytest.fixture
def case_a(behandelaar_a):
    return make_case(behandelaar_a, first_name="Eva", last_name="Jansen")


def constant(django_assert_num_queries, c, url, n, grow):
    """GET ``url`` with the data as it is (few rows) takes ``n`` queries; ``grow`` adds many
    rows, and GET again takes ``n`` too. ``grow`` may return another URL to get then: the
    page of a record with many rows of its own. Returns the last response."""
    warm_up = c.get(url)  # the session, content types and caches
    assert warm_up.status_code == 200
    with django_assert_num_queries(n):
        few = c.get(url)
    assert few.status_code == 200
    url = grow() or url
    with django_assert_num_queries(n):
        response = c.get(url)
    assert response.status_code == 200
    return response


# --- Cases -------------------------------------------------------------------------------------


def work_situations(case, user, start, count):
    for i in range(start, start + count):
        WorkSituation.objects.create(
            case=case,
            organisation=user.organisation,
            recorded_by=user,
            kind=WorkSituationKind.VRIJWILLIGER,
            hours_per_week=8 + i % 10,
            benefit=Benefit.GEEN,
            wish_to_work=WishToWork.JA,
        )


@pytest.mark.parametrize(("reader", "n"), [("behandelaar_a", 21), ("klantmanager_g", 21)])
def test_case_page_with_many_goals_meetings_work_situations_and_team_members(
    request,
    client_for,
    behandelaar_a,
    klantmanager_g,
    ggz_a,
    gemeente_g,
    case_a,
    django_assert_num_queries,
    reader,
    n,
):
    """The case page's other lists: goals, driegesprekken and the team (with its remove
    buttons), and the work situations and open invitations behind them; the timeline,
    afspraken, consents, conversations, sessions and IPS rows are grown elsewhere."""
    consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
    make_consent(
        case_a.client,
        ggz_a,
        gemeente_g,
        Purpose.DRIEGESPREK,
        [Category.AFSPRAKEN, Category.WERKSITUATIE, Category.IDENTIFICATIE],
        recorded_by=behandelaar_a,
    )

    def add(start, count):
        for i in range(start, start + count):
            Goal.objects.create(
                case=case_a,
                organisation=ggz_a,
                created_by=behandelaar_a,
                domain=RecoveryDomain.values[i % len(RecoveryDomain.values)],
                description=f"Doel {i}",
                status=GoalStatus.OPEN,
            )
            Driegesprek.objects.create(
                case=case_a,
                organisation=ggz_a,
                created_by=behandelaar_a,
                planned_at=timezone.now() + datetime.timedelta(days=i),
                location=f"Kantoor {i}",
                participants="Cliënt",
            )
            work_situations(case_a, behandelaar_a, i, 1)
            colleague = UserFactory(organisation=ggz_a, role=Role.BEHANDELAAR)
            consent.add_member(case_a, colleague, CaseRole.BEHANDELAAR)
            other = UserFactory(organisation=ggz_a, role=Role.BEHANDELAAR)
            cases.invite(consent.case_access(behandelaar_a, case_a), other, CaseRole.BEHANDELAAR)

    add(0, 2)
    url = reverse("cases:detail", args=[case_a.pk])
    c = client_for(request.getfixturevalue(reader))
    constant(django_assert_num_queries, c, url, n, lambda: add(2, 13))


def test_work_situation_history(client_for, behandelaar_a, case_a, django_assert_num_queries):
    """The work situation page lists every recorded situation, with who recorded it."""
    work_situations(case_a, behandelaar_a, 0, 2)
    c = client_for(behandelaar_a)
    url = reverse("cases:work_situation", args=[case_a.pk])
    response = constant(
        django_assert_num_queries,
        c,
        url,
        19,
        lambda: work_situations(case_a, behandelaar_a, 2, 13),
    )
    assert len(response.context["history"]) == 15


def test_driegesprek_report_form(
    client_for, behandelaar_a, ggz_a, case_a, django_assert_num_queries
):
    """The report form of one driegesprek, on a case with one and with fifteen."""

    def meetings(start, count):
        for i in range(start, start + count):
            Driegesprek.objects.create(
                case=case_a,
                organisation=ggz_a,
                created_by=behandelaar_a,
                planned_at=timezone.now() - datetime.timedelta(days=1 + i),
                location=f"Kantoor {i}",
                participants="Cliënt, behandelaar, klantmanager",
            )

    meetings(0, 1)
    first = Driegesprek.objects.get(case=case_a)
    c = client_for(behandelaar_a)
    url = reverse("cases:driegesprek_record", args=[case_a.pk, first.pk])
    constant(django_assert_num_queries, c, url, 19, lambda: meetings(1, 14))


@pytest.mark.parametrize(
    ("name", "n"),
    [("conversation_detail", 21), ("conversation_edit", 21), ("conversation_correct", 20)],
)
def test_one_conversation_s_pages(
    client_for, behandelaar_a, case_a, django_assert_num_queries, name, n
):
    """One log with one utterance of change talk, and, on a case with many more logs, one
    with all seven kinds: the same queries for its page, its edit and its correction form."""
    few = log_direct(
        case_a,
        behandelaar_a,
        held_on=days_ago(3),
        talk={ChangeTalkKind.DESIRE: "Ik wil"},
        miti=MITI,
    )

    def grow():
        for i in range(13):
            log_direct(case_a, behandelaar_a, held_on=days_ago(50 - i), miti=MITI)
        many = log_direct(
            case_a,
            behandelaar_a,
            held_on=days_ago(2),
            talk={kind: f"Zin {kind}" for kind in ChangeTalkKind},
            miti=MITI,
        )
        return reverse(f"cases:{name}", args=[case_a.pk, many.pk])

    url = reverse(f"cases:{name}", args=[case_a.pk, few.pk])
    constant(django_assert_num_queries, client_for(behandelaar_a), url, n, grow)


# --- Gespreksleidraad --------------------------------------------------------------------------


def busy_session(case, user, rows, target, status=LeidraadStatus.AFGEROND):
    """A session with ``rows`` of everything its pages show: themes (up to nine),
    agreements, referrals (outside Werkpad, and to ``target``'s klantmanager) and (finished)
    corrections."""
    judgements = Judgement.values
    themes = [t["key"] for t in leidraad.current_version().themes][:rows]
    if status == LeidraadStatus.AFGEROND:
        session = finished_session(
            case, user, {key: judgements[i % len(judgements)] for i, key in enumerate(themes)}
        )
    else:
        session = LeidraadSession.objects.create(
            case=case,
            organisation=user.organisation,
            guide=leidraad.current_version(),
            started_by=user,
            started_at=timezone.now(),
        )
        LeidraadThemeNote.objects.bulk_create(
            LeidraadThemeNote(session=session, theme=key, position=i, notes="n")
            for i, key in enumerate(themes)
        )
    agreements = [
        Agreement.objects.create(
            case=case,
            organisation=user.organisation,
            created_by=user,
            what=f"Stap {i}",
            owner="Cliënt",
            due_date=timezone.localdate() + datetime.timedelta(days=i),
        )
        for i in range(rows)
    ]
    session.agreements.add(*agreements)
    for i in range(rows):
        to_target = i % 2 == 1
        LeidraadReferral.objects.create(
            session=session,
            organisation=user.organisation,
            kind=ReferralKind.KLANTMANAGER if to_target else ReferralKind.EXTERN,
            destination="" if to_target else ExternalDestination.BEDRIJFSARTS,
            target_organisation=target if to_target else None,
            reason=f"Reden {i}",
            created_by=user,
        )
        if status == LeidraadStatus.AFGEROND:
            LeidraadCorrection.objects.create(
                session=session, organisation=user.organisation, body=f"Correctie {i}", author=user
            )
    return session


@pytest.mark.parametrize(
    ("name", "n"),
    [("leidraad_detail", 25), ("leidraad_summary", 25), ("leidraad_preparation", 19)],
)
def test_one_session_s_pages(
    client_for, behandelaar_a, gemeente_g, case_a, django_assert_num_queries, name, n
):
    """A session with two themes, agreements, referrals and corrections, and one with
    fifteen of each (nine themes): the same queries for its page, summary and sheet."""
    few = busy_session(case_a, behandelaar_a, 2, gemeente_g)

    def grow():
        many = busy_session(case_a, behandelaar_a, 15, gemeente_g)
        return reverse(f"cases:{name}", args=[case_a.pk, many.pk])

    url = reverse(f"cases:{name}", args=[case_a.pk, few.pk])
    constant(django_assert_num_queries, client_for(behandelaar_a), url, n, grow)


def test_session_step_next_steps(
    client_for, behandelaar_a, gemeente_g, case_a, django_assert_num_queries
):
    """Step 3 lists the session's agreements and referrals so far."""
    session = busy_session(case_a, behandelaar_a, 2, gemeente_g, status=LeidraadStatus.BEZIG)
    c = client_for(behandelaar_a)
    url = reverse("cases:leidraad_step", args=[case_a.pk, session.pk, 3])

    def grow():
        more = busy_session(case_a, behandelaar_a, 15, gemeente_g)
        session.agreements.add(*more.agreements.all())
        more.referrals.update(session=session)

    constant(django_assert_num_queries, c, url, 28, grow)


def test_leidraad_beheer_versions(client_for, ggz_a, django_assert_num_queries):
    """The published versions, each with who published it and its number of sessions."""
    beheerder = UserFactory(organisation=ggz_a, role=Role.BEHEERDER)
    case = make_case(UserFactory(organisation=ggz_a, role=Role.BEHANDELAAR))
    current = leidraad.current_version()

    def versions(start, count):
        for number in range(start, start + count):
            version = LeidraadVersion.objects.create(
                number=number,
                title=current.title,
                content=current.content,
                checksum=f"{number:064d}",
                note=f"Versie {number}",
                published_by=beheerder,
            )
            session = finished_session(case, beheerder, {"financien": Judgement.HELPT})
            LeidraadSession.objects.filter(pk=session.pk).update(guide=version)

    versions(current.number + 1, 1)
    c = client_for(beheerder)
    response = constant(
        django_assert_num_queries,
        c,
        reverse("cases:leidraad_beheer"),
        6,
        lambda: versions(current.number + 2, 13),
    )
    assert len(response.context["versions"]) == current.number + 14


# --- Consent -----------------------------------------------------------------------------------


def test_consent_print(client_for, behandelaar_a, gemeente_g, case_a, django_assert_num_queries):
    """A consent of one category, and one of every category a gemeente may receive."""
    few = make_consent(
        case_a.client,
        behandelaar_a.organisation,
        gemeente_g,
        Purpose.REINTEGRATIE,
        [Category.WERKSITUATIE],
    )

    def grow():
        many = make_consent(
            case_a.client,
            behandelaar_a.organisation,
            gemeente_g,
            Purpose.DRIEGESPREK,
            [cat for cat in Category if cat not in (Category.IDENTIFICATIE, Category.MEDISCH)],
        )
        return reverse("consent:print", args=[many.pk])

    response = constant(
        django_assert_num_queries,
        client_for(behandelaar_a),
        reverse("consent:print", args=[few.pk]),
        15,
        grow,
    )
    assert len(response.context["categories"]) == len(Category) - 2


def test_withdraw_page_lists_the_follow_ons(
    client_for, behandelaar_a, gemeente_g, case_a, django_assert_num_queries
):
    """Withdrawing a consent withdraws its follow-ons: the page lists them."""
    today = timezone.localdate()
    record = make_consent(
        case_a.client,
        behandelaar_a.organisation,
        gemeente_g,
        Purpose.REINTEGRATIE,
        [Category.WERKSITUATIE],
    )

    def follow_ons(start, count):
        for i in range(start, start + count):
            begins = today + datetime.timedelta(days=61 + 30 * i)
            make_consent(
                case_a.client,
                behandelaar_a.organisation,
                gemeente_g,
                Purpose.REINTEGRATIE,
                [Category.WERKSITUATIE, Category.AFSPRAKEN],
                valid_from=begins,
                valid_until=begins + datetime.timedelta(days=29),
            )

    follow_ons(0, 1)
    c = client_for(behandelaar_a)
    response = constant(
        django_assert_num_queries,
        c,
        reverse("consent:withdraw", args=[record.pk]),
        16,
        lambda: follow_ons(1, 13),
    )
    assert len(response.context["follow_ons"]) == 14


def test_consent_form_lists_the_consents_it_may_replace(
    client_for, behandelaar_a, gemeente_g, uwv_u, case_a, django_assert_num_queries
):
    """The consent form (from the case page) offers the client's live consents to replace."""

    def consents(start, count):
        for i in range(start, start + count):
            make_consent(
                case_a.client,
                behandelaar_a.organisation,
                (gemeente_g, uwv_u)[i % 2],
                Purpose.REINTEGRATIE,
                [Category.WERKSITUATIE],
            )

    consents(0, 2)
    response = constant(
        django_assert_num_queries,
        client_for(behandelaar_a),
        reverse("consent:create_for_case", args=[case_a.pk]),
        16,
        lambda: consents(2, 13),
    )
    assert len(response.context["form"].fields["supersedes"].queryset) == 15


def test_beheer_client_search(client_for, beheerder_a, behandelaar_a, django_assert_num_queries):
    """The beheerder's client search before recording a consent (each client found logged)."""

    def clients(start, count):
        for i in range(start, start + count):
            make_case(behandelaar_a, first_name=f"Zoek{i}", last_name="Vindbaar")

    clients(0, 2)
    c = client_for(beheerder_a)
    response = constant(
        django_assert_num_queries,
        c,
        reverse("consent:beheer_create") + "?q=vindbaar",
        11,
        lambda: clients(2, 13),
    )
    assert len(response.context["clients"]) == 15


# --- IPS ---------------------------------------------------------------------------------------


def reviews(coach, days):
    for day in days:
        review(coach, day)


def review(coach, day, finished=True):
    team = join_ips_team(coach)
    made = fidelity.create_review(
        coach, team, kind=ReviewKind.ZELF, review_date=day, reviewers="Team"
    )
    if finished:
        FidelityScore.objects.filter(review=made).update(score=3)
        FidelityReview.objects.filter(pk=made.pk).update(
            status=ReviewStatus.AFGEROND, finished_at=timezone.now(), finished_by=coach
        )
    return made


def test_fidelity_list(client_for, jobcoach_a, django_assert_num_queries):
    """The team's IPS-25 reviews, each with its scores summed up."""
    today = timezone.localdate()
    reviews(jobcoach_a, [today - datetime.timedelta(days=400 + i) for i in range(2)])
    c = client_for(jobcoach_a)
    response = constant(
        django_assert_num_queries,
        c,
        reverse("ips:fidelity_list"),
        8,
        lambda: reviews(jobcoach_a, [today - datetime.timedelta(days=i) for i in range(13)]),
    )
    assert len(response.context["rows"]) == 15


def test_fidelity_detail(client_for, jobcoach_a, django_assert_num_queries):
    """One review with its 25 items and the previous review's, among few or many reviews."""
    today = timezone.localdate()
    review(jobcoach_a, today - datetime.timedelta(days=400))
    current = review(jobcoach_a, today, finished=False)
    c = client_for(jobcoach_a)
    constant(
        django_assert_num_queries,
        c,
        reverse("ips:fidelity_detail", args=[current.pk]),
        10,
        lambda: reviews(jobcoach_a, [today - datetime.timedelta(days=30 + i) for i in range(13)]),
    )


def test_team_page(client_for, beheerder_a, ggz_a, jobcoach_a, django_assert_num_queries):
    """An IPS team's page counts its members and reviews."""
    team = join_ips_team(jobcoach_a)

    def coaches(start, count):
        for i in range(start, start + count):
            coach = UserFactory(
                organisation=ggz_a, role=Role.TRAJECTBEGELEIDER, email=f"coach{i}@a.test"
            )
            join_ips_team(coach)
            review(coach, timezone.localdate() - datetime.timedelta(days=i))

    coaches(0, 1)
    c = client_for(beheerder_a)
    response = constant(
        django_assert_num_queries,
        c,
        reverse("ips:team_edit", args=[team.pk]),
        9,
        lambda: coaches(1, 13),
    )
    assert response.context["members"] == 15


# --- Portal ------------------------------------------------------------------------------------


def test_report_status_page(client_for, behandelaar_a, case_a, django_assert_num_queries):
    """A finished progress report's page checks whether the user may still download it:
    the same queries for a case with little and with much data, among more reports."""

    def ready(report):
        Report.objects.filter(pk=report.pk).update(
            status=ReportStatus.KLAAR, file=f"rapporten/{report.pk}.pdf"
        )

    first = reports.request_report(behandelaar_a, ReportType.VOORTGANG, "Voortgang", case=case_a)
    ready(first)
    c = client_for(behandelaar_a)

    def grow():
        for i in range(13):
            cases.add_timeline(
                case_a, behandelaar_a, TimelineKind.NOTITIE, Category.MEDISCH, f"Notitie {i}"
            )
        work_situations(case_a, behandelaar_a, 0, 13)
        for _ in range(3):
            ready(
                reports.request_report(
                    behandelaar_a, ReportType.VOORTGANG, "Voortgang", case=case_a
                )
            )

    constant(
        django_assert_num_queries,
        c,
        reverse("portal:report_detail", args=[first.pk]),
        8,
        grow,
    )


def test_user_edit_page(client_for, beheerder_a, ggz_a, jobcoach_a, django_assert_num_queries):
    """One account's page, however many accounts and IPS teams the organisation has."""

    def users(start, count):
        for i in range(start, start + count):
            coach = UserFactory(organisation=ggz_a, role=Role.TRAJECTBEGELEIDER)
            join_ips_team(coach, name=f"Team {i}")

    users(0, 1)
    c = client_for(beheerder_a)
    constant(
        django_assert_num_queries,
        c,
        reverse("portal:user_edit", args=[jobcoach_a.pk]),
        6,
        lambda: users(1, 13),
    )
