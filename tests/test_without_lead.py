"""Casussen zonder regie: when the only lead of open cases is deactivated, nobody can invite,
refer or close there. The beheerder of the organisation that opened them sees those cases
(client names only, each read logged) and appoints a colleague who takes over the regie."""

import threading

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse

from cases import services as cases
from cases.constants import CaseRole, InvitationStatus, TimelineKind
from cases.models import Invitation, TimelineEntry
from consent import services as consent
from consent.constants import Action, Basis, Category, Outcome
from consent.models import AccessLogEntry
from portal.constants import Role
from portal.models import User

from .builders import make_case
from .factories import UserFactory
from .test_cases_closed import close

LIST = reverse("cases:without_lead")


def assign_url(case):
    return reverse("cases:assign_lead", args=[case.pk])


def deactivate(user):
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.refresh_from_db()


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def orphaned(behandelaar_a):
    """A case of GGZ A whose only lead, behandelaar_a, has left the organisation."""
    case = make_case(behandelaar_a, first_name="Wees", last_name="Zonderregie")
    deactivate(behandelaar_a)
    return case


class TestWhoSeesTheList:
    def test_anonymous_is_sent_to_sign_in(self, client_for, orphaned):
        response = client_for(None).get(LIST)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]

    @pytest.mark.parametrize("name", ["behandelaar_a2", "jobcoach_a", "klantmanager_g"])
    def test_professionals_on_case_teams_get_no_list(self, request, client_for, orphaned, name):
        user = request.getfixturevalue(name)
        response = client_for(user).get(LIST)
        assert response.status_code == 403
        assert "Zonderregie" not in response.content.decode()
        post = client_for(user).post(assign_url(orphaned), {"lead": user.pk})
        assert post.status_code == 403
        assert not consent.case_roles_of(user, orphaned)

    def test_beheerder_sees_only_their_organisations_cases_without_lead(
        self, client_for, orphaned, behandelaar_a2, beheerder_a, beheerder_g, klantmanager_g
    ):
        led = make_case(behandelaar_a2, first_name="Wel", last_name="Geleid")
        closed = make_case(behandelaar_a2, first_name="Al", last_name="Gesloten")
        close(closed)
        consent.remove_member(closed, behandelaar_a2)
        of_gemeente = make_case(klantmanager_g, first_name="Ander", last_name="Gemeentelijk")
        deactivate(klantmanager_g)

        html = client_for(beheerder_a).get(LIST).content.decode()
        assert "Wees Zonderregie" in html
        for other in ("Geleid", "Gesloten", "Gemeentelijk"):
            assert other not in html
        read = AccessLogEntry.objects.filter(user=beheerder_a, action=Action.READ)
        assert list(read.values_list("case_id", "category", "basis", "outcome")) == [
            (orphaned.pk, Category.IDENTIFICATIE, Basis.BEHEER, Outcome.TOEGESTAAN)
        ]

        html = client_for(beheerder_g).get(LIST).content.decode()
        assert "Ander Gemeentelijk" in html
        assert "Zonderregie" not in html
        assert led.pk and of_gemeente.pk

    def test_each_candidate_is_named_with_role_and_e_mail(
        self, client_for, orphaned, beheerder_a, behandelaar_a2
    ):
        """Two colleagues may share a name: the e-mail address tells them apart."""
        html = client_for(beheerder_a).get(LIST).content.decode()
        assert f"{behandelaar_a2.get_full_name()} (Behandelaar, {behandelaar_a2.email})" in html

    def test_a_case_led_by_a_klantmanager_of_the_opening_organisation_is_led(
        self, client_for, orphaned, klantmanager_g, beheerder_g, gemeente_g
    ):
        case = make_case(klantmanager_g, first_name="Ge", last_name="Meente")
        colleague = UserFactory(organisation=gemeente_g, role=Role.KLANTMANAGER)
        consent.add_member(case, colleague, CaseRole.KLANTMANAGER)
        deactivate(klantmanager_g)
        assert "Meente" not in client_for(beheerder_g).get(LIST).content.decode()
        deactivate(colleague)
        assert "Ge Meente" in client_for(beheerder_g).get(LIST).content.decode()


class TestAssign:
    def test_a_colleague_takes_over_and_can_lead_again(
        self, client_for, orphaned, behandelaar_a2, beheerder_a
    ):
        c = client_for(beheerder_a)
        response = c.post(assign_url(orphaned), {"lead": behandelaar_a2.pk})
        assert response.status_code == 302
        assert any("voert nu de regie" in m for m in messages_of(response))
        assert consent.case_roles_of(behandelaar_a2, orphaned) == {CaseRole.REGIEBEHANDELAAR}
        assert cases.can_lead(consent.case_access(behandelaar_a2, orphaned))
        entry = TimelineEntry.objects.filter(case=orphaned, kind=TimelineKind.TEAM).latest("pk")
        assert "aangewezen door de beheerder" in entry.title
        logged = AccessLogEntry.objects.filter(user=beheerder_a, action=Action.UPDATE).get()
        assert (logged.case_id, logged.object_type, logged.object_id, logged.basis) == (
            orphaned.pk,
            "teamlid",
            str(behandelaar_a2.pk),
            Basis.BEHEER,
        )
        assert "Zonderregie" not in c.get(LIST).content.decode()
        # The new lead opens the case and invites: the dead end is gone.
        page = client_for(behandelaar_a2).get(reverse("cases:detail", args=[orphaned.pk]))
        assert reverse("cases:invite", args=[orphaned.pk]) in page.content.decode()

    def test_a_member_already_on_the_team_changes_place_and_old_invitations_lapse(
        self, client_for, orphaned, behandelaar_a2, beheerder_a, ggz_a
    ):
        consent.add_member(orphaned, behandelaar_a2, CaseRole.BEHANDELAAR)
        invitation = Invitation.objects.create(
            case=orphaned,
            case_role=CaseRole.BEHANDELAAR,
            invitee=behandelaar_a2,
            organisation=ggz_a,
            invited_by=orphaned.opened_by,
        )
        response = client_for(beheerder_a).post(assign_url(orphaned), {"lead": behandelaar_a2.pk})
        assert consent.case_roles_of(behandelaar_a2, orphaned) == {CaseRole.REGIEBEHANDELAAR}
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.INGETROKKEN
        logged = AccessLogEntry.objects.filter(request_id=response["X-Request-ID"])
        assert set(logged.values_list("object_type", "object_id", "action", "basis")) == {
            ("teamlid", str(behandelaar_a2.pk), Action.UPDATE, Basis.BEHEER),
            ("uitnodiging", str(invitation.pk), Action.UPDATE, Basis.BEHEER),
        }

    def test_a_case_that_has_a_lead_is_not_taken_over(
        self, client_for, behandelaar_a, behandelaar_a2, beheerder_a
    ):
        case = make_case(behandelaar_a)
        response = client_for(beheerder_a).post(assign_url(case), {"lead": behandelaar_a2.pk})
        assert "Iemand anders voert de regie in deze casus al." in messages_of(response)
        assert not consent.case_roles_of(behandelaar_a2, case)
        assert not AccessLogEntry.objects.filter(user=beheerder_a, action=Action.UPDATE).exists()

    @pytest.mark.parametrize("who", ["jobcoach_a", "inactive", "outsider", "beheerder_a"])
    def test_only_an_active_colleague_who_opens_cases_can_lead(
        self, request, client_for, orphaned, beheerder_a, behandelaar_a2, who
    ):
        if who == "inactive":
            candidate = behandelaar_a2
            deactivate(candidate)
        else:
            candidate = request.getfixturevalue(who)
        response = client_for(beheerder_a).post(assign_url(orphaned), {"lead": candidate.pk})
        assert messages_of(response) == ["Kies de collega die de regie gaat voeren."]
        assert not consent.case_roles_of(candidate, orphaned)
        assert cases.cases_without_lead(orphaned.organisation).filter(pk=orphaned.pk).exists()

    def test_the_service_refuses_what_the_form_would_not_offer(
        self, orphaned, beheerder_a, jobcoach_a, beheerder_g, behandelaar_a2
    ):
        with pytest.raises(cases.ValidationError, match="kan de regie niet voeren"):
            cases.assign_lead(beheerder_a, orphaned, jobcoach_a)
        with pytest.raises(cases.ValidationError, match="Alleen de beheerder"):
            cases.assign_lead(beheerder_g, orphaned, behandelaar_a2)
        assert not consent.case_roles_of(behandelaar_a2, orphaned)

    def test_another_organisations_beheerder_gets_not_found_and_is_logged(
        self, client_for, orphaned, beheerder_g, behandelaar_a2
    ):
        response = client_for(beheerder_g).post(assign_url(orphaned), {"lead": behandelaar_a2.pk})
        assert response.status_code == 404
        assert not consent.case_roles_of(behandelaar_a2, orphaned)
        denied = AccessLogEntry.objects.get(user=beheerder_g)
        assert (denied.case_id, denied.outcome, denied.action) == (
            orphaned.pk,
            Outcome.GEWEIGERD,
            Action.UPDATE,
        )

    def test_a_closed_case_takes_no_new_lead(
        self, client_for, behandelaar_a, behandelaar_a2, beheerder_a
    ):
        case = make_case(behandelaar_a)
        close(case)
        deactivate(behandelaar_a)
        response = client_for(beheerder_a).post(assign_url(case), {"lead": behandelaar_a2.pk})
        assert [str(cases.CASE_CLOSED_MESSAGE)] == messages_of(response)
        assert not consent.case_roles_of(behandelaar_a2, case)


def test_the_list_costs_the_same_for_few_and_many_cases(
    client_for, behandelaar_a, behandelaar_a2, beheerder_a, django_assert_num_queries
):
    from .test_cases import count_queries

    UserFactory(organisation=beheerder_a.organisation, role=Role.BEHANDELAAR)
    for i in range(2):
        make_case(behandelaar_a, first_name=f"Een{i}")
    deactivate(behandelaar_a)
    c = client_for(beheerder_a)
    expected = count_queries(c, LIST)
    User.objects.filter(pk=behandelaar_a.pk).update(is_active=True)
    for i in range(20):
        make_case(behandelaar_a, first_name=f"Twee{i}")
    deactivate(behandelaar_a)
    with django_assert_num_queries(expected):
        response = c.get(LIST)
    assert response.content.decode().count("<select") == 22


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_two_beheerders_at_once_appoint_one_lead(ggz_a, behandelaar_a, behandelaar_a2):
    """Two beheerders appoint different colleagues at the same moment: the case row lock
    lets one in; the other finds the case led."""
    other_beheerder = UserFactory(organisation=ggz_a, role=Role.BEHEERDER)
    first_beheerder = UserFactory(organisation=ggz_a, role=Role.BEHEERDER)
    third = UserFactory(organisation=ggz_a, role=Role.BEHANDELAAR)
    case = make_case(behandelaar_a)
    deactivate(behandelaar_a)
    start = threading.Barrier(2)
    outcomes = []

    def appoint(beheerder, lead):
        start.wait()
        try:
            cases.assign_lead(beheerder, case, lead)
            outcomes.append("ok")
        except cases.ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connection.close()

    threads = [
        threading.Thread(target=appoint, args=(first_beheerder, behandelaar_a2)),
        threading.Thread(target=appoint, args=(other_beheerder, third)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["Iemand anders voert de regie in deze casus al.", "ok"]
    leads = [u for u in (behandelaar_a2, third) if consent.case_roles_of(u, case)]
    assert len(leads) == 1


def test_the_deactivation_tells_which_beheerder_appoints_the_new_lead(
    client_for, behandelaar_a, beheerder_a, beheerder_g, klantmanager_g
):
    """behandelaar_a alone leads a case of GGZ A and, after the gemeente's klantmanager
    handed it over and left, a case the gemeente opened: GGZ A's beheerder appoints for the
    first, the gemeente's beheerder for the second."""
    own = make_case(behandelaar_a, first_name="Eigen", last_name="Casus")
    theirs = make_case(klantmanager_g, first_name="Gemeente", last_name="Casus")
    handover = cases.invite(
        consent.case_access(klantmanager_g, theirs), behandelaar_a, CaseRole.REGIEBEHANDELAAR
    )
    cases.respond(handover, behandelaar_a, accept=True)
    cases.leave(consent.case_access(klantmanager_g, theirs))
    response = client_for(beheerder_a).post(
        reverse("portal:user_set_active", args=[behandelaar_a.pk]), {"actief": "0"}
    )
    assert messages_of(response)[1:] == [
        f"{behandelaar_a} voerde als enige de regie in 1 open casus. Wijs bij 'Casussen zonder "
        "regie' een collega aan die de regie overneemt.",
        f"{behandelaar_a} voerde ook als enige de regie in 1 open casus van een andere "
        "organisatie. Daar wijst de beheerder van die organisatie een nieuwe regievoerder aan.",
    ]
    assert "Eigen Casus" in client_for(beheerder_a).get(LIST).content.decode()
    html = client_for(beheerder_g).get(LIST).content.decode()
    assert "Gemeente Casus" in html and "Eigen Casus" not in html
    assert own.pk != theirs.pk
