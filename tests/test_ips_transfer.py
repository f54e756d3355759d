"""Trajecten overdragen: a trajectbegeleider who leaves (deactivated, or another role) leaves
open IPS trajectories that nobody works on. The beheerder of the IPS team's organisation sees
who left with how many open trajectories (names and numbers only, no client data) and hands
them over to an active trajectbegeleider, who takes a place on each case team."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from structlog.testing import capture_logs

from cases.constants import CaseRole, InvitationStatus, TimelineKind
from cases.models import Invitation, TimelineEntry
from consent import services as consent
from consent.constants import Action, Basis, Category, Outcome
from consent.models import AccessLogEntry
from ips import services
from ips.constants import Phase
from ips.models import Trajectory
from portal.constants import Role
from portal.models import User

from .factories import UserFactory, join_ips_team
from .test_cases_closed import close
from .test_ips import new_case, start_trajectory
from .test_ips_results import count_queries
from .test_ips_results import trajectory as bare_trajectory
from .test_without_lead import deactivate, messages_of

TEAMS = reverse("ips:teams")


def transfer_url(former):
    return reverse("ips:transfer", args=[former.pk])


def field(former):
    return f"former-{former.pk}-coach"


@pytest.fixture
def successor(ggz_a):
    """An active colleague of jobcoach_a in the same IPS team."""
    coach = UserFactory(
        email="opvolger@a.test",
        organisation=ggz_a,
        role=Role.TRAJECTBEGELEIDER,
        first_name="Olga",
        last_name="Opvolger",
    )
    join_ips_team(coach)
    return coach


@pytest.fixture
def left(behandelaar_a, jobcoach_a):
    """jobcoach_a coached two open trajectories and a closed one, then left the
    organisation: (open trajectories, closed trajectory)."""
    running = [
        start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a, i, last=f"Geheim{i}"))
        for i in range(2)
    ]
    ended = start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a, 2))
    services.change_phase(ended, jobcoach_a, Phase.AFGESLOTEN, close_reason="eigen_verzoek")
    deactivate(jobcoach_a)
    return running, ended


class TestWhoMayHandOver:
    def test_anonymous_is_sent_to_sign_in(self, client_for, left, successor, jobcoach_a):
        response = client_for(None).post(
            transfer_url(jobcoach_a), {field(jobcoach_a): successor.pk}
        )
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
        assert set(Trajectory.objects.open().values_list("coach", flat=True)) == {jobcoach_a.pk}

    @pytest.mark.parametrize("name", ["behandelaar_a", "successor", "klantmanager_g"])
    def test_professionals_may_not(self, request, client_for, left, jobcoach_a, successor, name):
        user = request.getfixturevalue(name)
        c = client_for(user)
        assert c.get(TEAMS).status_code == 403
        response = c.post(transfer_url(jobcoach_a), {field(jobcoach_a): successor.pk})
        assert response.status_code == 403
        assert set(Trajectory.objects.open().values_list("coach", flat=True)) == {jobcoach_a.pk}

    def test_another_organisations_beheerder_gets_a_404(
        self, client_for, left, jobcoach_a, successor, ggz_b
    ):
        beheerder_b = UserFactory(email="beheer@b.test", organisation=ggz_b, role=Role.BEHEERDER)
        c = client_for(beheerder_b)
        response = c.post(transfer_url(jobcoach_a), {field(jobcoach_a): successor.pk})
        assert response.status_code == 404
        assert escape(jobcoach_a.get_full_name()) not in c.get(TEAMS).content.decode()
        assert set(Trajectory.objects.open().values_list("coach", flat=True)) == {jobcoach_a.pk}

    def test_the_beheerder_sees_who_left_with_numbers_and_no_client_data(
        self, client_for, left, jobcoach_a, successor, beheerder_a, behandelaar_a
    ):
        # One more: an open trajectory on a case closed since, which takes nothing more.
        on_closed = start_trajectory(behandelaar_a, successor, new_case(behandelaar_a, 3))
        Trajectory.objects.filter(pk=on_closed.pk).update(coach=jobcoach_a)
        close(on_closed.case)
        html = client_for(beheerder_a).get(TEAMS).content.decode()
        assert "Trajecten zonder actieve trajectbegeleider" in html
        row = html[html.index('id="overdragen"') :]
        assert escape(jobcoach_a.get_full_name()) in row
        assert "<td>Gedeactiveerd</td>" in row
        assert "<td>2</td>" in row  # the closed trajectory and the closed case do not count
        assert "Olga Opvolger (0 lopende trajecten)" in row
        assert "Geheim" not in html and "Eva" not in html
        assert not AccessLogEntry.objects.filter(user=beheerder_a).exists()

    def test_nobody_listed_while_every_coach_is_active(
        self, client_for, behandelaar_a, jobcoach_a, beheerder_a
    ):
        start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a))
        html = client_for(beheerder_a).get(TEAMS).content.decode()
        assert "Trajecten zonder actieve trajectbegeleider" not in html

    def test_a_coach_who_became_behandelaar_is_listed(
        self, client_for, behandelaar_a, jobcoach_a, beheerder_a
    ):
        start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a))
        User.objects.filter(pk=jobcoach_a.pk).update(role=Role.BEHANDELAAR)
        html = client_for(beheerder_a).get(TEAMS).content.decode()
        row = html[html.index('id="overdragen"') :]
        assert escape(jobcoach_a.get_full_name()) in row and "Nu behandelaar" in row


class TestHandOver:
    def test_the_successor_takes_over_and_the_former_place_goes(
        self, client_for, left, jobcoach_a, successor, beheerder_a
    ):
        running, ended = left
        versions = {t.pk: t.version for t in running}
        with capture_logs() as logs:
            response = client_for(beheerder_a).post(
                transfer_url(jobcoach_a), {field(jobcoach_a): successor.pk}
            )
        assert response.status_code == 302
        assert response["Location"].endswith("#overdragen")
        assert "2 open trajecten van" in " ".join(messages_of(response))
        for t in running:
            t.refresh_from_db()
            assert t.coach == successor
            assert t.version == versions[t.pk] + 1  # an edit begun before is a conflict
            assert consent.case_roles_of(successor, t.case) == {CaseRole.TRAJECTBEGELEIDER}
            assert not consent.case_roles_of(jobcoach_a, t.case)
            entry = TimelineEntry.objects.filter(case=t.case, kind=TimelineKind.TEAM).latest("pk")
            assert entry.category == Category.IPS
            assert entry.author == beheerder_a
            assert "overgedragen" in entry.title and str(successor) in entry.title
        ended.refresh_from_db()
        assert ended.coach == jobcoach_a  # history stays as it was
        logged = AccessLogEntry.objects.filter(request_id=response["X-Request-ID"])
        assert sorted(
            logged.values_list("case_id", "object_type", "object_id", "category", "action")
        ) == sorted(
            row
            for t in running
            for row in (
                (t.case_id, "ips-traject", str(t.pk), Category.IPS, Action.UPDATE),
                (t.case_id, "teamlid", str(successor.pk), Category.IDENTIFICATIE, Action.UPDATE),
                (t.case_id, "teamlid", str(jobcoach_a.pk), Category.IDENTIFICATIE, Action.UPDATE),
            )
        )
        assert set(logged.values_list("basis", "outcome", "user")) == {
            (Basis.BEHEER, Outcome.TOEGESTAAN, beheerder_a.pk)
        }
        events = [e for e in logs if e["event"] == "ips_trajectories_transferred"]
        assert events and events[0]["former_id"] == jobcoach_a.pk
        assert (events[0]["coach_id"], events[0]["trajectories"]) == (successor.pk, 2)
        # The dead end is gone: no longer listed; the successor works on the trajectories.
        assert "Trajecten zonder" not in client_for(beheerder_a).get(TEAMS).content.decode()
        c = client_for(successor)
        caseload = c.get(reverse("ips:caseload")).content.decode()
        assert "Geheim0" in caseload and "Geheim1" in caseload
        page = c.get(reverse("ips:trajectory", args=[running[0].case_id]))
        assert page.status_code == 200

    def test_a_place_in_a_fitting_role_stays_and_open_invitations_lapse(
        self, client_for, behandelaar_a, jobcoach_a, successor, beheerder_a, ggz_a
    ):
        t = start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a))
        User.objects.filter(pk=jobcoach_a.pk).update(role=Role.BEHANDELAAR)
        jobcoach_a.refresh_from_db()
        consent.add_member(t.case, jobcoach_a, CaseRole.BEHANDELAAR)  # invited back
        invitation = Invitation.objects.create(
            case=t.case,
            case_role=CaseRole.TRAJECTBEGELEIDER,
            invitee=successor,
            organisation=ggz_a,
            invited_by=behandelaar_a,
        )
        response = client_for(beheerder_a).post(
            transfer_url(jobcoach_a), {field(jobcoach_a): successor.pk}
        )
        assert consent.case_roles_of(jobcoach_a, t.case) == {CaseRole.BEHANDELAAR}
        assert consent.case_roles_of(successor, t.case) == {CaseRole.TRAJECTBEGELEIDER}
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.INGETROKKEN
        logged = AccessLogEntry.objects.filter(request_id=response["X-Request-ID"])
        assert set(logged.values_list("object_type", "object_id")) == {
            ("ips-traject", str(t.pk)),
            ("teamlid", str(successor.pk)),
            ("uitnodiging", str(invitation.pk)),
        }

    @pytest.mark.parametrize(
        "choice", ["", "onzin", "behandelaar_a", "jobcoach_a", "coach_b", "inactive"]
    )
    def test_only_an_active_trajectbegeleider_of_the_organisation_takes_over(
        self, request, client_for, left, jobcoach_a, beheerder_a, ggz_b, ggz_a, choice
    ):
        others = {
            "coach_b": lambda: UserFactory(organisation=ggz_b, role=Role.TRAJECTBEGELEIDER),
            "inactive": lambda: UserFactory(
                organisation=ggz_a, role=Role.TRAJECTBEGELEIDER, is_active=False
            ),
        }
        if choice in others:
            value = others[choice]().pk
        elif choice in ("behandelaar_a", "jobcoach_a"):
            value = request.getfixturevalue(choice).pk
        else:
            value = choice
        response = client_for(beheerder_a).post(
            transfer_url(jobcoach_a), {field(jobcoach_a): value}
        )
        assert response.status_code == 302
        assert "Niet overgedragen" in " ".join(messages_of(response))
        assert set(Trajectory.objects.open().values_list("coach", flat=True)) == {jobcoach_a.pk}
        assert not AccessLogEntry.objects.filter(user=beheerder_a).exists()

    def test_an_active_coach_has_nothing_to_hand_over(
        self, client_for, behandelaar_a, jobcoach_a, successor, beheerder_a
    ):
        t = start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a))
        response = client_for(beheerder_a).post(
            transfer_url(jobcoach_a), {field(jobcoach_a): successor.pk}
        )
        assert "geen open trajecten meer" in " ".join(messages_of(response))
        t.refresh_from_db()
        assert t.coach == jobcoach_a
        assert not consent.case_roles_of(successor, t.case)

    def test_a_caseload_beyond_the_ips_model_is_named(
        self, client_for, left, behandelaar_a, jobcoach_a, successor, beheerder_a
    ):
        for i in range(19):
            bare_trajectory(behandelaar_a, 10 + i, successor, referred=timezone.localdate())
        response = client_for(beheerder_a).post(
            transfer_url(jobcoach_a), {field(jobcoach_a): successor.pk}
        )
        assert any("begeleidt nu 21 trajecten, meer dan de 20" in m for m in messages_of(response))


class TestTellingTheBeheerder:
    def test_deactivating_a_coach_points_to_the_hand_over(
        self, client_for, behandelaar_a, jobcoach_a, beheerder_a
    ):
        start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a))
        response = client_for(beheerder_a).post(
            reverse("portal:user_set_active", args=[jobcoach_a.pk]), {"actief": "0"}
        )
        assert any(
            "begeleidde nog 1 open IPS-traject. Draag het bij 'IPS-teams indelen' over" in m
            for m in messages_of(response)
        )

    def test_a_role_change_points_to_the_hand_over(
        self, client_for, behandelaar_a, jobcoach_a, beheerder_a
    ):
        for i in range(2):
            start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a, i))
        data = {
            "first_name": jobcoach_a.first_name,
            "last_name": jobcoach_a.last_name,
            "email": jobcoach_a.email,
            "role": Role.BEHANDELAAR,
            "version": jobcoach_a.version,
        }
        response = client_for(beheerder_a).post(
            reverse("portal:user_edit", args=[jobcoach_a.pk]), data
        )
        assert response.status_code == 302
        assert any("begeleidde nog 2 open IPS-trajecten" in m for m in messages_of(response))


def test_the_teams_page_keeps_its_query_count(
    client_for, behandelaar_a, beheerder_a, ggz_a, successor, django_assert_num_queries
):
    def coach_who_left(i):
        coach = UserFactory(organisation=ggz_a, role=Role.TRAJECTBEGELEIDER)
        bare_trajectory(behandelaar_a, 100 + i, coach, referred=timezone.localdate())
        deactivate(coach)

    c = client_for(beheerder_a)
    coach_who_left(0)
    expected = count_queries(c, TEAMS)
    for i in range(1, 8):
        coach_who_left(i)
    with django_assert_num_queries(expected):
        assert c.get(TEAMS).status_code == 200
