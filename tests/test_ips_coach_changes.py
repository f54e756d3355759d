"""Who coaches an IPS trajectory, and how that changes. One trajectory has one
trajectbegeleider; it changes hands only through the beheerder's hand-over.

- Finding 5: the lead invited a trajectbegeleider by name and also referred the client to
  the IPS team. The invited one took the trajectory on (moved it to the intake) while the
  referral stayed open; a colleague then accepted the stale referral and silently became
  the coach. Now taking the trajectory on answers its referral, and accepting a referral
  never takes a trajectory away from its coach.
- Finding 6: the coach left the case team (or the lead took them off) and the open
  trajectory was orphaned: not in the beheerder's hand-over list, the case could not be
  closed, and a newly invited coach could edit it while it stayed on the old coach's
  caseload. Now the active coach of a running trajectory stays on the team until it is
  closed; who left the organisation or the function is handed over by the beheerder."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from cases import services as cases
from cases.constants import CaseRole, CaseStatus, InvitationStatus
from cases.models import Case, Invitation
from consent import services as consent
from consent.constants import Action, Outcome
from consent.models import AccessLogEntry
from ips import services
from ips.constants import Phase
from ips.models import Trajectory
from portal.constants import Role
from portal.models import User

from .builders import make_case
from .factories import UserFactory, join_ips_team
from .test_ips import new_case, post_phase, refer_to_ips, start_trajectory
from .test_without_lead import deactivate, messages_of


@pytest.fixture
def coach2(ggz_a):
    """A colleague of jobcoach_a in the same IPS team."""
    coach = UserFactory(
        email="coach2@a.test",
        organisation=ggz_a,
        role=Role.TRAJECTBEGELEIDER,
        first_name="Cor",
        last_name="Collega",
    )
    join_ips_team(coach)
    return coach


def invited_and_referred(behandelaar, coach, organisation, case=None):
    """The lead invites ``coach`` by name (accepted) and refers the client to the IPS team:
    (case, referral, trajectory still waiting in 'aangemeld' without a coach)."""
    case = case or new_case(behandelaar)
    lead = consent.case_access(behandelaar, case)
    invitation = cases.invite(lead, coach, CaseRole.TRAJECTBEGELEIDER, "graag")
    cases.respond(invitation, coach, accept=True)
    referral = refer_to_ips(behandelaar, case, organisation)
    trajectory = Trajectory.objects.get(referral=referral)
    assert trajectory.coach is None and trajectory.phase == Phase.AANGEMELD
    return case, referral, trajectory


def leave_url(case):
    return reverse("cases:leave", args=[case.pk])


# --- Finding 5: a stale referral never takes the trajectory away -------------------------


class TestTakingTheTrajectoryOn:
    def test_taking_it_on_answers_the_referral_and_the_colleague_cannot_take_it(
        self, client_for, behandelaar_a, jobcoach_a, coach2, ggz_a
    ):
        case, referral, trajectory = invited_and_referred(behandelaar_a, jobcoach_a, ggz_a)
        assert referral in cases.open_invitations_for(coach2)
        response = post_phase(client_for(jobcoach_a), trajectory, "intake")
        assert response.status_code == 302
        trajectory.refresh_from_db()
        assert (trajectory.phase, trajectory.coach) == (Phase.INTAKE, jobcoach_a)
        referral.refresh_from_db()
        assert referral.status == InvitationStatus.GEACCEPTEERD
        assert referral.responded_by == jobcoach_a and referral.responded_at is not None
        # Answering it is a change, logged as accepting one is (NEN 7513).
        assert AccessLogEntry.objects.filter(
            user=jobcoach_a,
            object_type="uitnodiging",
            object_id=str(referral.pk),
            action=Action.UPDATE,
            outcome=Outcome.TOEGESTAAN,
        ).exists()
        # Off the IPS team's list, for the colleague and for the one who took it on.
        assert referral not in cases.open_invitations_for(coach2)
        assert referral not in cases.open_invitations_for(jobcoach_a)
        # The colleague's page was older: accepting is refused, nothing changes.
        c = client_for(coach2)
        answer = c.post(reverse("cases:respond", args=[referral.pk]), {"accept": "1"})
        assert answer.status_code == 302
        assert messages_of(answer) == ["Deze uitnodiging is al beantwoord."]
        with pytest.raises(ValidationError, match="al beantwoord"):
            cases.respond(referral, coach2, accept=True)
        trajectory.refresh_from_db()
        assert trajectory.coach == jobcoach_a
        assert not consent.case_roles_of(coach2, case)
        # The trajectory stays on the caseload of who did the intake.
        assert "Eva" not in c.get(reverse("ips:caseload")).content.decode()
        assert "Eva" in client_for(jobcoach_a).get(reverse("ips:caseload")).content.decode()

    def test_the_service_says_which_referral_it_answered(self, behandelaar_a, jobcoach_a, ggz_a):
        _case, referral, trajectory = invited_and_referred(behandelaar_a, jobcoach_a, ggz_a)
        change = services.change_phase(trajectory, jobcoach_a, Phase.INTAKE)
        assert change.answered_referral == referral.pk
        later = services.change_phase(trajectory, jobcoach_a, Phase.ZOEKEN, wants_paid_work=True)
        assert later.answered_referral is None

    def test_an_accepted_referral_is_left_as_it_was(self, behandelaar_a, jobcoach_a, ggz_a):
        """The usual way: the coach accepted the referral; the intake changes nothing of it."""
        trajectory = start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a))
        referral = Invitation.objects.get(pk=trajectory.referral_id)
        answered_at = referral.responded_at
        change = services.change_phase(trajectory, jobcoach_a, Phase.INTAKE)
        assert change.answered_referral is None
        referral.refresh_from_db()
        assert (referral.status, referral.responded_by) == (
            InvitationStatus.GEACCEPTEERD,
            jobcoach_a,
        )
        assert referral.responded_at == answered_at

    def test_an_older_open_referral_of_a_coached_trajectory_is_refused_in_dutch(
        self, client_for, behandelaar_a, jobcoach_a, coach2, ggz_a
    ):
        """A referral left open from before: its trajectory already has a coach. Accepting
        it says so and changes nothing."""
        case, referral, trajectory = invited_and_referred(behandelaar_a, jobcoach_a, ggz_a)
        Trajectory.objects.filter(pk=trajectory.pk).update(coach=jobcoach_a, phase=Phase.INTAKE)
        version = Trajectory.objects.get(pk=trajectory.pk).version
        response = client_for(coach2).post(
            reverse("cases:respond", args=[referral.pk]), {"accept": "1"}
        )
        assert messages_of(response) == [
            f"Dit IPS-traject heeft al een trajectbegeleider: {jobcoach_a}. Aannemen kan niet "
            "meer; wijs de verwijzing af, met als reden dat het traject al begeleid wordt."
        ]
        trajectory.refresh_from_db()
        assert (trajectory.coach, trajectory.version) == (jobcoach_a, version)
        referral.refresh_from_db()
        assert referral.status == InvitationStatus.OPEN
        assert not consent.case_roles_of(coach2, case)
        assert not AccessLogEntry.objects.filter(user=coach2, action=Action.UPDATE).exists()
        # Declining it, as the message says, leaves the trajectory with its coach.
        cases.respond(referral, coach2, accept=False, reason="Traject al begeleid")
        trajectory.refresh_from_db()
        assert trajectory.is_open and trajectory.coach == jobcoach_a

    def test_who_left_the_team_meanwhile_does_not_take_it_on(
        self, behandelaar_a, jobcoach_a, ggz_a
    ):
        """Taking on waits for a leave() under way (both lock the case row) and then finds
        the user off the team: no coach outside the team."""
        case, referral, trajectory = invited_and_referred(behandelaar_a, jobcoach_a, ggz_a)
        cases.leave(consent.case_access(jobcoach_a, case))  # not the coach yet: allowed
        with pytest.raises(ValidationError, match="niet meer in het team van deze casus"):
            services.change_phase(trajectory, jobcoach_a, Phase.INTAKE)
        trajectory.refresh_from_db()
        assert (trajectory.phase, trajectory.coach) == (Phase.AANGEMELD, None)
        referral.refresh_from_db()
        assert referral.status == InvitationStatus.OPEN


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_taking_on_and_accepting_at_once_give_one_coach(ggz_a, behandelaar_a, jobcoach_a):
    """jobcoach_a moves the trajectory to the intake while coach2 accepts the referral:
    both lock the case row, then the referral, then the trajectory. One wins; the other is
    refused (the referral is answered, or the trajectory changed meanwhile). Never a silent
    change of coach, never a deadlock."""
    coach2 = UserFactory(organisation=ggz_a, role=Role.TRAJECTBEGELEIDER)
    for attempt in range(4):
        case = new_case(behandelaar_a, index=attempt)
        case, referral, trajectory = invited_and_referred(behandelaar_a, jobcoach_a, ggz_a, case)
        outcomes = {}

        def run(name, action, outcomes=outcomes):
            try:
                action()
                outcomes[name] = "ok"
            except services.ConflictError:
                outcomes[name] = "conflict"
            except ValidationError as exc:
                outcomes[name] = exc.messages[0]
            finally:
                connection.close()

        take_on = lambda t=trajectory: services.change_phase(  # noqa: E731
            t, jobcoach_a, Phase.INTAKE, expected_version=t.version
        )
        accept = lambda r=referral: cases.respond(r, coach2, accept=True)  # noqa: E731
        threads = [
            threading.Thread(target=run, args=("take_on", take_on)),
            threading.Thread(target=run, args=("accept", accept)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        trajectory.refresh_from_db()
        referral.refresh_from_db()
        assert referral.status == InvitationStatus.GEACCEPTEERD
        if outcomes["take_on"] == "ok":
            assert outcomes["accept"] == "Deze uitnodiging is al beantwoord."
            assert trajectory.coach == jobcoach_a and referral.responded_by == jobcoach_a
            assert not consent.case_roles_of(coach2, case)
        else:
            assert outcomes == {"accept": "ok", "take_on": "conflict"}
            assert trajectory.coach == coach2 and trajectory.phase == Phase.AANGEMELD


# --- Finding 6: the coach of a running trajectory stays on the team ----------------------


class TestTheCoachStaysOnTheTeam:
    def test_the_coach_cannot_leave_while_the_trajectory_runs(
        self, client_for, behandelaar_a, jobcoach_a, ggz_a, beheerder_a
    ):
        trajectory = start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a))
        case = trajectory.case
        c = client_for(jobcoach_a)
        response = c.post(leave_url(case))
        assert response["Location"] == reverse("cases:detail", args=[case.pk])
        c.get(response["Location"])  # the case page shows (and so clears) the message
        assert messages_of(response) == [
            "U begeleidt het lopende IPS-traject in deze casus en blijft in het team zolang "
            "het loopt: zonder u kan niemand het bijwerken, afsluiten of overdragen. Sluit "
            "het traject eerst af; daarna kunt u het team verlaten. Gaat u uit dienst of "
            "krijgt u een andere functie, dan draagt de beheerder van uw organisatie het "
            "traject over aan een collega."
        ]
        assert consent.case_roles_of(jobcoach_a, case) == {CaseRole.TRAJECTBEGELEIDER}
        assert not AccessLogEntry.objects.filter(
            user=jobcoach_a, object_type="teamlid", action=Action.UPDATE
        ).exists()
        # Once the trajectory is closed, leaving goes through.
        services.change_phase(trajectory, jobcoach_a, Phase.AFGESLOTEN, close_reason="verhuisd")
        response = c.post(leave_url(case))
        assert messages_of(response) == ["U heeft het team verlaten."]
        assert not consent.case_roles_of(jobcoach_a, case)

    def test_the_lead_cannot_take_the_coach_off(self, client_for, behandelaar_a, jobcoach_a, ggz_a):
        trajectory = start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a))
        case = trajectory.case
        response = client_for(behandelaar_a).post(leave_url(case), {"gebruiker": jobcoach_a.pk})
        name = str(jobcoach_a)
        assert messages_of(response) == [
            f"{name} begeleidt het lopende IPS-traject in deze casus en blijft in het team "
            f"zolang het loopt. Vraag {name} het traject af te sluiten; daarna kunt u {name} "
            f"uit het team halen. Gaat {name} uit dienst, dan draagt de beheerder van {ggz_a} "
            "het traject over aan een collega."
        ]
        assert consent.case_roles_of(jobcoach_a, case) == {CaseRole.TRAJECTBEGELEIDER}
        with pytest.raises(ValidationError, match="begeleidt het lopende IPS-traject"):
            cases.leave(consent.case_access(behandelaar_a, case), jobcoach_a)
        trajectory.refresh_from_db()
        assert trajectory.coach == jobcoach_a

    def test_a_lead_who_may_not_read_ips_hears_only_that_a_trajectory_runs(
        self, client_for, klantmanager_g, jobcoach_a, ggz_a
    ):
        case = make_case(klantmanager_g, first_name="Ge", last_name="Meente")
        cases.respond(refer_to_ips(klantmanager_g, case, ggz_a), jobcoach_a, accept=True)
        response = client_for(klantmanager_g).post(leave_url(case), {"gebruiker": jobcoach_a.pk})
        told = messages_of(response)
        assert told == [
            f"{jobcoach_a} heeft in deze casus nog een lopend traject en blijft in het team "
            f"zolang dat loopt. Overleg met {jobcoach_a}."
        ]
        assert "IPS" not in told[0]
        assert consent.case_roles_of(jobcoach_a, case) == {CaseRole.TRAJECTBEGELEIDER}

    def test_a_colleague_who_does_not_coach_it_may_go(
        self, client_for, behandelaar_a, jobcoach_a, coach2
    ):
        trajectory = start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a))
        consent.add_member(trajectory.case, coach2, CaseRole.TRAJECTBEGELEIDER)
        response = client_for(coach2).post(leave_url(trajectory.case))
        assert messages_of(response) == ["U heeft het team verlaten."]
        assert not consent.case_roles_of(coach2, trajectory.case)

    def test_a_waiting_referral_keeps_nobody_on_the_team(
        self, client_for, behandelaar_a, jobcoach_a, ggz_a
    ):
        """Invited by name, the referral still waiting: not the coach, so free to go."""
        case, _referral, _trajectory = invited_and_referred(behandelaar_a, jobcoach_a, ggz_a)
        response = client_for(jobcoach_a).post(leave_url(case))
        assert messages_of(response) == ["U heeft het team verlaten."]

    def test_a_coach_who_left_the_organisation_is_taken_off_and_handed_over(
        self, client_for, behandelaar_a, jobcoach_a, coach2, beheerder_a
    ):
        """The beheerder's hand-over covers who left the organisation: taking them off the
        team loses nothing, and the hand-over puts the successor on the team."""
        trajectory = start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a))
        case = trajectory.case
        deactivate(jobcoach_a)
        response = client_for(behandelaar_a).post(leave_url(case), {"gebruiker": jobcoach_a.pk})
        assert messages_of(response) == [f"{jobcoach_a} is uit het team gehaald."]
        assert list(services.former_coaches(beheerder_a.organisation)) == [jobcoach_a]
        services.transfer_trajectories(beheerder_a, jobcoach_a, coach2)
        trajectory.refresh_from_db()
        assert trajectory.coach == coach2
        assert consent.case_roles_of(coach2, case) == {CaseRole.TRAJECTBEGELEIDER}

    def test_a_coach_in_another_function_may_leave_and_is_handed_over(
        self, client_for, behandelaar_a, jobcoach_a, coach2, beheerder_a
    ):
        trajectory = start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a))
        User.objects.filter(pk=jobcoach_a.pk).update(role=Role.BEHANDELAAR)
        jobcoach_a.refresh_from_db()
        cases.leave(consent.case_access(behandelaar_a, trajectory.case), jobcoach_a)
        assert list(services.former_coaches(beheerder_a.organisation)) == [jobcoach_a]
        services.transfer_trajectories(beheerder_a, jobcoach_a, coach2)
        trajectory.refresh_from_db()
        assert trajectory.coach == coach2

    def test_every_place_agrees_while_the_coach_stays(
        self, client_for, behandelaar_a, jobcoach_a, beheerder_a
    ):
        """After the refused leave: the coach still works on it, the case waits for the
        trajectory (the coach is on the team), and the beheerder has nothing to hand over."""
        trajectory = start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a))
        case = trajectory.case
        client_for(jobcoach_a).post(leave_url(case))
        assert list(services.former_coaches(beheerder_a.organisation)) == []
        with pytest.raises(cases.IpsRunning):
            cases.close_case(behandelaar_a, case)
        assert Case.objects.get(pk=case.pk).status == CaseStatus.OPEN
        c = client_for(jobcoach_a)
        assert c.get(reverse("ips:trajectory", args=[case.pk])).status_code == 200
        assert "Eva" in c.get(reverse("ips:caseload")).content.decode()
