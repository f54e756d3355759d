"""IPS teams below the organisation (issue 10, IPS-25 items 5 and 6): a beheerder creates
teams and places each trajectbegeleider in one; the results dashboard and its PDF show one
team, for its own members only."""

import datetime
import importlib

from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from structlog.testing import capture_logs

from ips import fidelity, figures
from ips.constants import Phase
from ips.models import FidelityReview, IpsTeam, TeamMember, Trajectory
from portal import volume
from portal.constants import Role
from portal.models import Report, User
from portal.reports import render
from tests.factories import UserFactory, join_ips_team
from tests.test_ips_results import busy_team, count_queries, trajectory

TEAMS = reverse("ips:teams")
RESULTS = reverse("ips:results")


def assign_url(coach):
    return reverse("ips:team_member", args=[coach.pk])


def coach_of(organisation, email, **names):
    return UserFactory(email=email, organisation=organisation, role=Role.TRAJECTBEGELEIDER, **names)


def only_the_team_downloads(client_for, report, coach):
    """``coach`` downloads the finished ``report``; a colleague in another team of the same
    organisation may not, nor may ``coach`` after moving to that team."""
    render(report.pk)
    url = reverse("portal:report_download", args=[report.pk])
    assert client_for(coach).get(url).status_code == 200
    other = coach_of(coach.organisation, "ander@a.test")
    join_ips_team(other, "Zuid")
    assert client_for(other).get(url).status_code == 404
    join_ips_team(coach, "Zuid")
    assert client_for(coach).get(url).status_code == 404
    # The report's page says why, in words for a team report (there is no client).
    html = client_for(coach).get(reverse("portal:report_detail", args=[report.pk])).content
    assert "u hoort niet meer bij het IPS-team waarover het gaat" in html.decode()
    assert "toestemming van de cliënt" not in html.decode()


# --- Managing teams ---------------------------------------------------------------------------


class TestTeamsPage:
    def test_who_may_manage_teams(
        self, client_for, behandelaar_a, jobcoach_a, beheerder_a, klantmanager_g, beheerder_g
    ):
        """Only a GGZ beheerder: a gemeente has no trajectbegeleiders to place, and its
        beheerder was offered a form to create IPS teams (before any password prompt)."""
        team = jobcoach_a.ips_team_member.team
        anonymous = client_for(None)
        assert anonymous.get(TEAMS).status_code == 302
        assert (
            anonymous.post(assign_url(jobcoach_a), {f"coach-{jobcoach_a.pk}-team": ""}).status_code
            == 302
        )
        for user in (behandelaar_a, jobcoach_a, klantmanager_g, beheerder_g):
            c = client_for(user)
            assert c.get(TEAMS).status_code == 403
            assert c.post(TEAMS, {"name": "Eigen team"}).status_code == 403
            response = c.post(assign_url(jobcoach_a), {f"coach-{jobcoach_a.pk}-team": ""})
            assert response.status_code == 403
        assert TeamMember.objects.get(coach=jobcoach_a).team == team
        assert not IpsTeam.objects.filter(name="Eigen team").exists()
        page = client_for(beheerder_a).get(TEAMS)
        assert page.status_code == 200
        assert jobcoach_a.get_full_name() in page.content.decode()

    def test_only_the_own_organisation(self, client_for, beheerder_a, jobcoach_a, ggz_b):
        elsewhere = coach_of(ggz_b, "coach@b.test", first_name="Elders", last_name="Anders")
        team_b = join_ips_team(elsewhere, "Team B")
        c = client_for(beheerder_a)
        html = c.get(TEAMS).content.decode()
        assert "Elders" not in html and "Team B" not in html
        # Another organisation's coach: as if it did not exist.
        assert c.post(assign_url(elsewhere), {f"coach-{elsewhere.pk}-team": ""}).status_code == 404
        assert TeamMember.objects.get(coach=elsewhere).team == team_b
        # Another organisation's team is no choice for one's own coach.
        response = c.post(assign_url(jobcoach_a), {f"coach-{jobcoach_a.pk}-team": team_b.pk})
        assert response.status_code == 302
        assert "kies een IPS-team uit de lijst" in c.get(TEAMS).content.decode()
        assert TeamMember.objects.get(coach=jobcoach_a).team.organisation == jobcoach_a.organisation

    def test_a_behandelaar_is_not_placed_in_a_team(self, client_for, beheerder_a, behandelaar_a):
        team = IpsTeam.objects.create(organisation=beheerder_a.organisation, name="Noord")
        response = client_for(beheerder_a).post(
            assign_url(behandelaar_a), {f"coach-{behandelaar_a.pk}-team": team.pk}
        )
        assert response.status_code == 404
        assert not TeamMember.objects.filter(coach=behandelaar_a).exists()

    def test_create_a_team_and_refusals(self, client_for, beheerder_a, ggz_b):
        IpsTeam.objects.create(organisation=ggz_b, name="Noord")  # same name elsewhere: fine
        c = client_for(beheerder_a)
        response = c.post(TEAMS, {"name": "  IPS   Noord "})
        assert response.status_code == 302
        assert IpsTeam.objects.get(organisation=beheerder_a.organisation, name="IPS Noord")
        refused = c.post(TEAMS, {"name": "ips noord"})
        assert refused.status_code == 200
        assert "Uw organisatie heeft al een IPS-team met deze naam." in refused.content.decode()
        assert 'value="ips noord"' in refused.content.decode()  # what was typed stays
        empty = c.post(TEAMS, {"name": "   "})
        assert "Dit veld is verplicht." in empty.content.decode()
        assert IpsTeam.objects.filter(organisation=beheerder_a.organisation).count() == 1

    def test_place_move_and_take_out(self, client_for, beheerder_a, ggz_a):
        coach = coach_of(ggz_a, "nieuw@a.test", first_name="Nina", last_name="Nieuw")
        north = IpsTeam.objects.create(organisation=ggz_a, name="Noord")
        south = IpsTeam.objects.create(organisation=ggz_a, name="Zuid")
        c = client_for(beheerder_a)
        field = f"coach-{coach.pk}-team"
        c.post(assign_url(coach), {field: north.pk})
        assert TeamMember.objects.get(coach=coach).team == north
        c.post(assign_url(coach), {field: south.pk})
        assert TeamMember.objects.get(coach=coach).team == south
        html = c.get(TEAMS).content.decode()
        assert "Nina Nieuw hoort nu bij Zuid." in html
        assert f'<option value="{south.pk}" selected>Zuid</option>' in html
        c.post(assign_url(coach), {field: ""})
        assert not TeamMember.objects.filter(coach=coach).exists()
        assert c.post(assign_url(coach), {field: "onzin"}).status_code == 302
        assert not TeamMember.objects.filter(coach=coach).exists()

    def test_constant_queries(self, client_for, beheerder_a, ggz_a, django_assert_num_queries):
        c = client_for(beheerder_a)
        join_ips_team(coach_of(ggz_a, "c0@a.test"), "Team 0")
        expected = count_queries(c, TEAMS)
        for i in range(1, 12):
            join_ips_team(coach_of(ggz_a, f"c{i}@a.test"), f"Team {i % 3}")
        with django_assert_num_queries(expected):
            assert c.get(TEAMS).status_code == 200

    def test_link_from_the_user_list_for_a_ggz_only(self, client_for, beheerder_a, gemeente_g):
        assert TEAMS in client_for(beheerder_a).get(reverse("portal:user_list")).content.decode()
        beheerder_g = UserFactory(organisation=gemeente_g, role=Role.BEHEERDER)
        assert (
            TEAMS not in client_for(beheerder_g).get(reverse("portal:user_list")).content.decode()
        )


# --- The dashboard and its PDF per team ---------------------------------------------------------


class TestResultsPerTeam:
    def test_each_team_sees_its_own_figures(self, client_for, behandelaar_a, jobcoach_a, ggz_a):
        south_coach = coach_of(ggz_a, "zuid@a.test", first_name="Sam", last_name="Zuidkant")
        join_ips_team(south_coach, "Zuid")
        busy_team(behandelaar_a, jobcoach_a, 0, 3)
        busy_team(behandelaar_a, south_coach, 3, 1)

        mine = client_for(jobcoach_a).get(RESULTS).content.decode()
        assert "Resultaten IPS-team (GGZ A)" in mine
        assert "Zuidkant" not in mine
        theirs = client_for(south_coach).get(RESULTS).content.decode()
        assert "Resultaten Zuid (GGZ A)" in theirs
        assert jobcoach_a.get_full_name() not in theirs

        today = timezone.localdate()
        quarter = figures.Quarter.containing(today)
        north = figures.team_results(jobcoach_a.ips_team_member.team, quarter, today)
        south = figures.team_results(south_coach.ips_team_member.team, quarter, today)
        assert (north["team"]["caseload"], south["team"]["caseload"]) == (3, 1)

    def test_without_a_team_an_explanation_and_no_figures(
        self, client_for, behandelaar_a, jobcoach_a, ggz_a
    ):
        busy_team(behandelaar_a, jobcoach_a, 0, 2)
        loner = coach_of(ggz_a, "los@a.test")
        c = client_for(loner)
        page = c.get(RESULTS)
        assert page.status_code == 200
        html = page.content.decode()
        assert "U hoort nog niet bij een IPS-team." in html
        assert jobcoach_a.get_full_name() not in html and "<svg" not in html
        assert c.post(reverse("ips:results_report"), {"kwartaal": "2025-1"}).status_code == 404
        assert not Report.objects.exists()

    def test_moving_to_another_team_blocks_the_copy(self, client_for, jobcoach_a, ggz_a):
        c = client_for(jobcoach_a)
        c.post(reverse("ips:results_report"), {"kwartaal": "2025-1"})
        only_the_team_downloads(client_for, Report.objects.get(), jobcoach_a)


# --- Data ---------------------------------------------------------------------------------------


def test_the_migration_keeps_each_organisation_one_team(ggz_a, ggz_b):
    """Before teams, an organisation's trajectbegeleiders were one team: the migration says so."""
    migration = importlib.import_module("ips.migrations.0002_ips_teams")
    coaches = [coach_of(ggz_a, f"m{i}@a.test") for i in range(3)] + [coach_of(ggz_b, "m@b.test")]
    UserFactory(organisation=ggz_a, role=Role.BEHANDELAAR)
    migration.one_team_per_organisation(apps, None)
    assert TeamMember.objects.count() == 4
    for organisation, count in ((ggz_a, 3), (ggz_b, 1)):
        team = IpsTeam.objects.get(organisation=organisation)
        assert team.name == "IPS-team"
        assert {m.coach for m in team.members.all()} == {
            c for c in coaches if c.organisation == organisation
        }
        assert team.members.count() == count


def test_volume_data_makes_teams_of_at_most_eight(ggz_a, ggz_b, settings):
    settings.DEBUG = False
    big = [coach_of(ggz_a, f"v{i}@a.test").pk for i in range(22)]
    small = [coach_of(ggz_b, f"v{i}@b.test").pk for i in range(2)]
    writer = volume.Writer()
    with writer.transaction():
        volume._ips_teams(
            writer,
            {
                ggz_a.pk: {Role.TRAJECTBEGELEIDER: big, Role.BEHEERDER: []},
                ggz_b.pk: {Role.TRAJECTBEGELEIDER: small},
            },
        )
    sizes = sorted(team.members.count() for team in IpsTeam.objects.filter(organisation=ggz_a))
    assert sizes == [7, 7, 8]
    assert IpsTeam.objects.get(organisation=ggz_b).members.count() == 2
    assert TeamMember.objects.filter(coach_id__in=big + small).count() == 24


def test_the_demo_coach_sees_the_results_of_a_team(db, settings, client_for):
    settings.DEMO_MODE = True
    call_command("load_demo", verbosity=0)
    call_command("load_demo", verbosity=0)  # idempotent: still one team, one member
    coach = User.objects.get(email="jobcoach@rivierland.demo")
    assert IpsTeam.objects.get().members.get().coach == coach
    html = client_for(coach).get(RESULTS).content.decode()
    assert "Resultaten IPS-team Rivierland (GGZ Rivierland)" in html


# --- Fidelity reviews per team ------------------------------------------------------------------


def finished_review_of(coach, day):
    review = fidelity.create_review(
        coach, coach.ips_team_member.team, kind="zelf", review_date=day, reviewers="Team"
    )
    scores = dict.fromkeys((code for code, *_rest in fidelity.FIDELITY_ITEMS), (4, ""))
    fidelity.save_scores(review, scores, review.version)
    return fidelity.finish_review(review, coach, review.version)


class TestFidelityPerTeam:
    def test_another_team_neither_sees_nor_follows_on(self, client_for, jobcoach_a, ggz_a):
        north = finished_review_of(jobcoach_a, datetime.date(2026, 3, 1))
        south_coach = coach_of(ggz_a, "zuid@a.test")
        join_ips_team(south_coach, "Zuid")
        c = client_for(south_coach)
        listing = c.get(reverse("ips:fidelity_list")).content.decode()
        assert "Modelgetrouwheid (IPS-25) van Zuid (GGZ A)" in listing
        assert "Nog geen metingen." in listing
        assert c.get(reverse("ips:fidelity_detail", args=[north.pk])).status_code == 404
        assert c.post(reverse("ips:fidelity_report", args=[north.pk])).status_code == 404
        # Their own review does not count the other team's as its previous one.
        south = finished_review_of(south_coach, datetime.date(2026, 6, 1))
        assert south.team.name == "Zuid"
        assert fidelity.previous_review(south) is None
        assert (
            fidelity.previous_review(finished_review_of(jobcoach_a, datetime.date(2026, 9, 1)))
            == north
        )

    def test_without_a_team_no_reviews(self, client_for, jobcoach_a, ggz_a):
        review = finished_review_of(jobcoach_a, datetime.date(2026, 3, 1))
        loner = coach_of(ggz_a, "los@a.test")
        c = client_for(loner)
        listing = c.get(reverse("ips:fidelity_list"))
        assert listing.status_code == 200
        assert "U hoort nog niet bij een IPS-team." in listing.content.decode()
        created = c.post(
            reverse("ips:fidelity_list"),
            {"kind": "zelf", "review_date": "2026-03-01", "reviewers": "Ik"},
        )
        assert created.status_code == 200
        assert FidelityReview.objects.count() == 1
        assert c.get(reverse("ips:fidelity_detail", args=[review.pk])).status_code == 404

    def test_the_pdf_is_for_the_team_of_the_review(self, client_for, jobcoach_a, ggz_a):
        review = finished_review_of(jobcoach_a, datetime.date(2026, 3, 1))
        c = client_for(jobcoach_a)
        c.post(reverse("ips:fidelity_report", args=[review.pk]))
        report = Report.objects.get()
        assert report.params == {"review": review.pk, "team": review.team_id}
        only_the_team_downloads(client_for, report, jobcoach_a)


def test_the_migration_gives_each_review_its_organisations_team(jobcoach_a, ggz_b):
    migration = importlib.import_module("ips.migrations.0003_fidelity_per_team")
    review = finished_review_of(jobcoach_a, datetime.date(2026, 3, 1))
    coach_b = coach_of(ggz_b, "b@b.test")
    team_b = join_ips_team(coach_b, "B")
    review_b = finished_review_of(coach_b, datetime.date(2026, 3, 1))
    # As before the migration: the team is whatever the organisation has.
    FidelityReview.objects.filter(pk=review.pk).update(team=team_b)
    migration.reviews_to_teams(apps, None)
    assert FidelityReview.objects.get(pk=review.pk).team == jobcoach_a.ips_team_member.team
    assert FidelityReview.objects.get(pk=review_b.pk).team == team_b


# --- Renaming and removing a team ---------------------------------------------------------------


class TestTeamEdit:
    def test_who_may_rename_or_remove(
        self, client_for, behandelaar_a, jobcoach_a, beheerder_a, beheerder_g, ggz_a
    ):
        team = IpsTeam.objects.create(organisation=ggz_a, name="Leeg")
        edit = reverse("ips:team_edit", args=[team.pk])
        delete = reverse("ips:team_delete", args=[team.pk])
        assert client_for(None).get(edit).status_code == 302
        assert client_for(None).post(delete).status_code == 302
        # A gemeente's beheerder: refused as one, whatever the team (no hint it exists).
        for user, status in ((behandelaar_a, 403), (jobcoach_a, 403), (beheerder_g, 403)):
            c = client_for(user)
            assert c.get(edit).status_code == status
            assert c.post(edit, {"name": "Overgenomen"}).status_code == status
            assert c.post(delete).status_code == status
        team.refresh_from_db()
        assert team.name == "Leeg"
        assert client_for(beheerder_a).get(edit).status_code == 200

    def test_rename(self, client_for, beheerder_a, jobcoach_a):
        team = jobcoach_a.ips_team_member.team
        IpsTeam.objects.create(organisation=team.organisation, name="Zuid")
        c = client_for(beheerder_a)
        url = reverse("ips:team_edit", args=[team.pk])
        refused = c.post(url, {"name": "zuid"})
        assert "Uw organisatie heeft al een IPS-team met deze naam." in refused.content.decode()
        assert c.post(url, {"name": team.name}).status_code == 302  # its own name is no clash
        assert c.post(url, {"name": "  IPS   Noord "}).status_code == 302
        team.refresh_from_db()
        assert team.name == "IPS Noord"
        assert "Naam gewijzigd in IPS Noord." in c.get(TEAMS).content.decode()

    def test_remove_only_an_empty_team_without_reviews(self, client_for, beheerder_a, jobcoach_a):
        team = jobcoach_a.ips_team_member.team
        c = client_for(beheerder_a)
        page = c.get(reverse("ips:team_edit", args=[team.pk])).content.decode()
        assert "In dit team zit 1 trajectbegeleider." in page
        assert reverse("ips:team_delete", args=[team.pk]) not in page
        response = c.post(reverse("ips:team_delete", args=[team.pk]), follow=True)
        assert "Niet verwijderd" in response.content.decode()
        assert IpsTeam.objects.filter(pk=team.pk).exists()
        # Without members, its fidelity review still keeps it.
        finished_review_of(jobcoach_a, datetime.date(2026, 3, 1))
        TeamMember.objects.filter(coach=jobcoach_a).delete()
        c.post(reverse("ips:team_delete", args=[team.pk]))
        assert IpsTeam.objects.filter(pk=team.pk).exists()
        empty = IpsTeam.objects.create(organisation=team.organisation, name="Leeg")
        page = c.get(reverse("ips:team_edit", args=[empty.pk])).content.decode()
        assert reverse("ips:team_delete", args=[empty.pk]) in page
        assert c.post(reverse("ips:team_delete", args=[empty.pk])).status_code == 302
        assert not IpsTeam.objects.filter(pk=empty.pk).exists()
        assert "IPS-team Leeg verwijderd." in c.get(TEAMS).content.decode()


def test_a_referral_waiting_for_a_coach_is_shown_apart(client_for, behandelaar_a, jobcoach_a):
    """It counts for no team until a trajectbegeleider takes it; nothing goes unseen."""
    today = timezone.localdate()
    waiting = trajectory(behandelaar_a, 1, None, today, phase=Phase.AANGEMELD)
    trajectory(behandelaar_a, 2, None, today, closed=today)  # declined: not waiting
    c = client_for(jobcoach_a)
    html = c.get(RESULTS).content.decode()
    assert "Aanmeldingen bij GGZ A die nog op een trajectbegeleider wachten</dt><dd>1<" in html
    quarter = figures.Quarter.containing(today)
    team = figures.team_results(jobcoach_a.ips_team_member.team, quarter, today)["team"]
    assert team["active"] == 0
    Trajectory.objects.filter(pk=waiting.pk).update(coach=jobcoach_a)
    html = c.get(RESULTS).content.decode()
    assert "wachten</dt><dd>0<" in html
    team = figures.team_results(jobcoach_a.ips_team_member.team, quarter, today)["team"]
    assert team["active"] == 1


def test_team_changes_are_audit_events(client_for, beheerder_a, ggz_a):
    coach = coach_of(ggz_a, "audit@a.test")
    c = client_for(beheerder_a)
    with capture_logs() as events:
        c.post(TEAMS, {"name": "Noord"})
        team = IpsTeam.objects.get(name="Noord")
        c.post(assign_url(coach), {f"coach-{coach.pk}-team": team.pk})
        c.post(assign_url(coach), {f"coach-{coach.pk}-team": ""})
        c.post(reverse("ips:team_edit", args=[team.pk]), {"name": "Zuid"})
        c.post(reverse("ips:team_delete", args=[team.pk]))
    audit = [
        (e["event"], e.get("team_id"), e.get("coach_id"))
        for e in events
        if e["event"].startswith("ips_team")
    ]
    assert audit == [
        ("ips_team_created", team.pk, None),
        ("ips_team_member", team.pk, coach.pk),
        ("ips_team_member", None, coach.pk),
        ("ips_team_renamed", team.pk, None),
        ("ips_team_removed", team.pk, None),
    ]
    assert all(e["by_user_id"] == beheerder_a.pk for e in events if e["event"].startswith("ips_"))


def test_a_member_who_is_no_longer_a_coach_does_not_keep_the_team(
    client_for, beheerder_a, jobcoach_a
):
    team = jobcoach_a.ips_team_member.team
    jobcoach_a.role = Role.BEHANDELAAR
    jobcoach_a.save(update_fields=["role"])
    c = client_for(beheerder_a)
    page = c.get(reverse("ips:team_edit", args=[team.pk])).content.decode()
    assert reverse("ips:team_delete", args=[team.pk]) in page
    assert jobcoach_a.get_full_name() not in c.get(TEAMS).content.decode()
    c.post(reverse("ips:team_delete", args=[team.pk]))
    assert not IpsTeam.objects.filter(pk=team.pk).exists()
