"""Closing a case: it waits while an IPS trajectory runs (a closed case takes nothing more,
so the trajectory would stand still and keep the client from a new referral); open
invitations and referrals lapse, and a referral to IPS that nobody accepted closes its
trajectory, so that a new case can refer the client again."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from cases import services as cases
from cases.constants import CaseRole, CaseStatus, InvitationStatus
from cases.models import Case, Invitation, TimelineEntry
from consent import services as consent
from consent.constants import Action, Category
from consent.models import AccessLogEntry
from ips import services as ips
from ips.constants import CloseReason, Phase
from ips.models import Trajectory

from .builders import make_case
from .test_ips import new_case, refer_to_ips, start_trajectory
from .test_without_lead import messages_of

RUNNING = "Er loopt nog een IPS-traject in deze casus."


def close_url(case):
    return reverse("cases:close", args=[case.pk])


class TestIpsKeepsTheCaseOpen:
    def test_the_close_page_says_why_and_offers_no_button(
        self, client_for, behandelaar_a, jobcoach_a
    ):
        t = start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a))
        html = client_for(behandelaar_a).get(close_url(t.case)).content.decode()
        assert RUNNING in html
        assert "Ja, casus sluiten" not in html

    def test_closing_is_refused_and_nothing_changes(self, client_for, behandelaar_a, jobcoach_a):
        t = start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a))
        entries = TimelineEntry.objects.count()
        c = client_for(behandelaar_a)
        response = c.post(close_url(t.case))
        assert response.status_code == 302
        assert response["Location"] == close_url(t.case)
        assert messages_of(response) == []  # the page says why, once
        assert RUNNING in c.get(close_url(t.case)).content.decode()
        t.case.refresh_from_db()
        assert t.case.status == CaseStatus.OPEN
        assert TimelineEntry.objects.count() == entries
        assert not AccessLogEntry.objects.filter(
            user=behandelaar_a, action=Action.UPDATE, object_type="casus"
        ).exists()

    def test_a_lead_who_may_not_read_ips_learns_only_that_work_runs(
        self, client_for, klantmanager_g, jobcoach_a, ggz_a, behandelaar_a
    ):
        """A klantmanager leads the gemeente's case and referred to IPS; without the client's
        consent for IPS data they are not told that IPS runs, and nothing IPS is logged."""
        case = make_case(klantmanager_g, first_name="Ge", last_name="Meente")
        referral = refer_to_ips(klantmanager_g, case, ggz_a)
        cases.respond(referral, jobcoach_a, accept=True)
        c = client_for(klantmanager_g)
        response = c.get(close_url(case))
        html = response.content.decode()
        assert "een teamlid heeft er nog een lopend traject" in html
        assert "IPS" not in html.split("<main", 1)[1]
        assert "Ja, casus sluiten" not in html
        assert not AccessLogEntry.objects.filter(
            request_id=response["X-Request-ID"], category=Category.IPS
        ).exists()
        c.post(close_url(case))
        case.refresh_from_db()
        assert case.status == CaseStatus.OPEN
        # The behandelaar of the IPS team's organisation reads the reason, logged as IPS.
        consent.add_member(case, behandelaar_a, CaseRole.REGIEBEHANDELAAR)
        response = client_for(behandelaar_a).get(close_url(case))
        assert RUNNING in response.content.decode()
        assert AccessLogEntry.objects.filter(
            request_id=response["X-Request-ID"], category=Category.IPS, action=Action.READ
        ).exists()

    def test_once_the_trajectory_is_closed_the_case_closes(
        self, client_for, behandelaar_a, jobcoach_a
    ):
        t = start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a))
        ips.change_phase(t, jobcoach_a, Phase.AFGESLOTEN, close_reason=CloseReason.EIGEN_VERZOEK)
        c = client_for(behandelaar_a)
        assert "Ja, casus sluiten" in c.get(close_url(t.case)).content.decode()
        c.post(close_url(t.case))
        t.case.refresh_from_db()
        assert t.case.status == CaseStatus.GESLOTEN


class TestWhatLapses:
    def test_an_unanswered_referral_to_ips_lapses_and_frees_the_client(
        self, client_for, behandelaar_a, ggz_a, jobcoach_a
    ):
        case = new_case(behandelaar_a)
        referral = refer_to_ips(behandelaar_a, case, ggz_a)
        trajectory = Trajectory.objects.get(referral=referral)
        response = client_for(behandelaar_a).post(close_url(case))
        case.refresh_from_db()
        assert case.status == CaseStatus.GESLOTEN
        referral.refresh_from_db()
        assert referral.status == InvitationStatus.INGETROKKEN
        trajectory.refresh_from_db()
        assert (trajectory.phase, trajectory.close_reason) == (Phase.AFGESLOTEN, CloseReason.ANDERS)
        assert trajectory.close_note == "Verwijzing ingetrokken: casus gesloten."
        logged = AccessLogEntry.objects.filter(request_id=response["X-Request-ID"])
        assert set(logged.values_list("object_type", "object_id", "category", "action")) == {
            ("casus", str(case.pk), Category.IDENTIFICATIE, Action.UPDATE),
            ("uitnodiging", str(referral.pk), Category.IDENTIFICATIE, Action.UPDATE),
        }
        # The trajectbegeleider can no longer accept it, and a new case refers again.
        with pytest.raises(cases.ValidationError):
            cases.respond(referral, jobcoach_a, accept=True)
        again = cases.open_case(behandelaar_a, case.client)
        refer_to_ips(behandelaar_a, again, ggz_a)
        assert Trajectory.objects.open().get(client=case.client).case == again

    def test_an_open_invitation_lapses(self, client_for, behandelaar_a, behandelaar_a2):
        case = new_case(behandelaar_a)
        invitation = cases.invite(
            consent.case_access(behandelaar_a, case), behandelaar_a2, CaseRole.BEHANDELAAR, ""
        )
        client_for(behandelaar_a).post(close_url(case))
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.INGETROKKEN
        assert not Invitation.objects.filter(status=InvitationStatus.OPEN).exists()
        assert not consent.case_roles_of(behandelaar_a2, case)

    def test_the_close_page_says_what_lapses(self, client_for, behandelaar_a):
        html = client_for(behandelaar_a).get(close_url(new_case(behandelaar_a))).content.decode()
        assert "Uitnodigingen en verwijzingen die nog openstaan, worden ingetrokken." in html


def accept_and_close_at_once(referral, coach, behandelaar):
    """The trajectbegeleider accepts ``referral`` while ``behandelaar`` closes its case, each
    in a thread with a connection of its own: {"accept": outcome, "close": outcome}."""
    start = threading.Barrier(2)
    outcomes = {}

    def run(name, action):
        start.wait()
        try:
            action()
            outcomes[name] = "ok"
        except cases.ValidationError as exc:
            outcomes[name] = exc.messages[0]
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=run, args=("accept", lambda: cases.respond(referral, coach, accept=True))
        ),
        threading.Thread(
            target=run, args=("close", lambda: cases.close_case(behandelaar, referral.case))
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_accepting_and_closing_at_once_never_leaves_ips_on_a_closed_case(
    ggz_a, behandelaar_a, jobcoach_a
):
    """The case row lock orders the two: either the acceptance wins and the close is
    refused, or the close wins and the acceptance is refused. Never a running trajectory
    on a closed case."""
    for attempt in range(4):
        referral = refer_to_ips(behandelaar_a, new_case(behandelaar_a, index=attempt), ggz_a)
        outcomes = accept_and_close_at_once(referral, jobcoach_a, behandelaar_a)
        status = Case.objects.get(pk=referral.case_id).status
        trajectory = Trajectory.objects.get(referral=referral)
        if outcomes["accept"] == "ok":
            assert outcomes["close"] == str(cases.TEAM_WORK_RUNNING_MESSAGE)
            assert status == CaseStatus.OPEN and trajectory.coach == jobcoach_a
        else:
            assert outcomes["close"] == "ok"
            assert status == CaseStatus.GESLOTEN and not trajectory.is_open


def test_a_referral_taken_on_meanwhile_is_not_overwritten(behandelaar_a, jobcoach_a, ggz_a):
    """A trajectbegeleider took the referral on between close_case's first look and its
    update: the update leaves their trajectory alone, and the close is refused."""
    case = new_case(behandelaar_a)
    referral = refer_to_ips(behandelaar_a, case, ggz_a)
    Trajectory.objects.filter(referral=referral).update(coach=jobcoach_a)
    trajectory = ips.on_referral_declined(
        referral, behandelaar_a, "casus gesloten.", withdrawn=True
    )
    assert trajectory.is_open and trajectory.coach == jobcoach_a
    assert not trajectory.phases.filter(to_phase=Phase.AFGESLOTEN).exists()
    with pytest.raises(cases.IpsRunning):
        cases.close_case(behandelaar_a, case)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.OPEN
