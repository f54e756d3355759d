"""A role change ends what the old role gave on case teams (consent.policy.fitting_case_roles):
the places on the teams stay, but give no access until an invitation in the new role is
accepted. A trajectbegeleider who becomes a behandelaar does not write in the treatment file
of the clients they coached."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import leidraad_services as leidraad
from cases import services as cases
from cases.constants import CaseRole, InvitationStatus, TimelineKind
from cases.models import TimelineEntry
from consent import services as consent
from consent.constants import Category, Outcome, Purpose
from consent.models import AccessLogEntry
from consent.tasks import notify_expiries
from ips.models import TeamMember
from portal.constants import Role

from .builders import make_case, make_consent
from .factories import UserFactory

NOTE = {"category": Category.MEDISCH, "title": "Medicatie", "body": "Dosis verlaagd."}


@pytest.fixture
def coached(behandelaar_a, jobcoach_a):
    """A case of behandelaar_a with jobcoach_a on the team as trajectbegeleider."""
    case = make_case(behandelaar_a)
    consent.add_member(case, jobcoach_a, CaseRole.TRAJECTBEGELEIDER)
    return case


def change_role(client_for, beheerder, user, role):
    response = client_for(beheerder).post(
        reverse("portal:user_edit", args=[user.pk]),
        {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "role": role,
            "version": user.version,
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.role == role
    return [str(m) for m in get_messages(response.wsgi_request)]


def case_link(case):
    return f'href="{reverse("cases:detail", args=[case.pk])}"'


def test_in_the_fitting_role_the_team_place_gives_access(client_for, jobcoach_a, coached):
    c = client_for(jobcoach_a)
    assert c.get(reverse("cases:detail", args=[coached.pk])).status_code == 200
    assert case_link(coached) in c.get(reverse("portal:home")).content.decode()


def test_after_a_role_change_the_old_place_gives_no_access(
    client_for, beheerder_a, jobcoach_a, coached
):
    change_role(client_for, beheerder_a, jobcoach_a, Role.BEHANDELAAR)
    c = client_for(jobcoach_a)
    assert c.get(reverse("cases:detail", args=[coached.pk])).status_code == 404
    assert case_link(coached) not in c.get(reverse("portal:home")).content.decode()
    # What the new role would allow (a medical note) is refused on the old place.
    assert c.post(reverse("cases:note_create", args=[coached.pk]), NOTE).status_code == 404
    assert not TimelineEntry.objects.filter(case=coached, kind=TimelineKind.NOTITIE).exists()
    assert AccessLogEntry.objects.filter(
        user=jobcoach_a, case=coached, outcome=Outcome.GEWEIGERD
    ).exists()
    assert not consent.case_access(jobcoach_a, coached).is_member
    assert not consent.accesses_for(jobcoach_a, [coached])[coached.pk].is_member


def test_an_invitation_in_the_new_role_gives_access_again(
    client_for, beheerder_a, behandelaar_a, jobcoach_a, coached
):
    change_role(client_for, beheerder_a, jobcoach_a, Role.BEHANDELAAR)
    invitation = cases.invite(
        consent.case_access(behandelaar_a, coached), jobcoach_a, CaseRole.BEHANDELAAR
    )
    cases.respond(invitation, jobcoach_a, accept=True)
    assert consent.case_roles_of(jobcoach_a, coached) == {CaseRole.BEHANDELAAR}
    c = client_for(jobcoach_a)
    assert c.post(reverse("cases:note_create", args=[coached.pk]), NOTE).status_code == 302
    assert TimelineEntry.objects.filter(case=coached, kind=TimelineKind.NOTITIE).exists()


def test_the_beheerder_is_told_what_the_new_role_ends(client_for, beheerder_a, jobcoach_a, coached):
    assert TeamMember.objects.filter(coach=jobcoach_a).exists()  # the fixture's IPS team
    told = change_role(client_for, beheerder_a, jobcoach_a, Role.BEHANDELAAR)
    name = str(jobcoach_a)
    assert f"{name} is geen lid meer van een IPS-team." in told
    assert (
        f"{name} staat in 1 open casusteam in een rol die niet bij de nieuwe functie past en "
        f"kan die casus niet meer openen. Wie de regie voert, kan {name} opnieuw uitnodigen."
        in told
    )
    assert not TeamMember.objects.filter(coach=jobcoach_a).exists()


def test_changed_back_the_old_place_opens_the_case_again_and_the_beheerder_is_told(
    client_for, beheerder_a, jobcoach_a, coached
):
    told = change_role(client_for, beheerder_a, jobcoach_a, Role.BEHANDELAAR)
    assert not [m for m in told if "weer toegang" in m]
    told = change_role(client_for, beheerder_a, jobcoach_a, Role.TRAJECTBEGELEIDER)
    name = str(jobcoach_a)
    assert (
        f"{name} heeft weer toegang tot 1 open casus: de plaats in het team bleef staan en "
        f"past bij de nieuwe functie. Hoort {name} daar niet meer bij, vraag dan degene die de "
        f"regie voert om {name} uit het team te halen." in told
    )
    assert client_for(jobcoach_a).get(reverse("cases:detail", args=[coached.pk])).status_code == 200


def test_a_change_of_name_only_tells_nothing_more(client_for, beheerder_a, jobcoach_a, coached):
    response = client_for(beheerder_a).post(
        reverse("portal:user_edit", args=[jobcoach_a.pk]),
        {
            "first_name": "Johanna",
            "last_name": jobcoach_a.last_name,
            "role": jobcoach_a.role,
            "version": jobcoach_a.version,
        },
    )
    told = [str(m) for m in get_messages(response.wsgi_request)]
    assert told == [f"Gegevens van Johanna {jobcoach_a.last_name} opgeslagen."]


# --- The regie: a case keeps a regiebehandelaar ------------------------------------------


def test_the_regiebehandelaar_cannot_leave_without_handing_over(client_for, behandelaar_a, coached):
    response = client_for(behandelaar_a).post(reverse("cases:leave", args=[coached.pk]))
    assert [str(m) for m in get_messages(response.wsgi_request)] == [str(cases.HAND_OVER_FIRST)]
    assert consent.case_roles_of(behandelaar_a, coached) == {CaseRole.REGIEBEHANDELAAR}


def test_a_role_change_waits_until_the_regie_is_handed_over(
    client_for, beheerder_a, behandelaar_a, behandelaar_a2, coached
):
    edit = reverse("portal:user_edit", args=[behandelaar_a.pk])
    data = {
        "first_name": behandelaar_a.first_name,
        "last_name": behandelaar_a.last_name,
        "role": Role.TRAJECTBEGELEIDER,
        "version": behandelaar_a.version,
    }
    refused = client_for(beheerder_a).post(edit, data)
    assert refused.status_code == 200
    assert refused.context["form"].errors["role"] == [
        f"{behandelaar_a} voert als enige de regie in 1 open casus. Laat {behandelaar_a} die "
        "eerst overdragen: een collega uitnodigen die de regie overneemt, en dan het team "
        "verlaten."
    ]
    behandelaar_a.refresh_from_db()
    assert behandelaar_a.role == Role.BEHANDELAAR

    # The handover: a colleague is invited as regiebehandelaar, then the first leaves.
    invitation = cases.invite(
        consent.case_access(behandelaar_a, coached), behandelaar_a2, CaseRole.REGIEBEHANDELAAR
    )
    cases.respond(invitation, behandelaar_a2, accept=True)
    left = client_for(behandelaar_a).post(reverse("cases:leave", args=[coached.pk]))
    assert left.status_code == 302 and not consent.case_roles_of(behandelaar_a, coached)
    assert consent.case_access(behandelaar_a2, coached).has_case_role(CaseRole.REGIEBEHANDELAAR)

    change_role(client_for, beheerder_a, behandelaar_a, Role.TRAJECTBEGELEIDER)


def test_deactivating_a_regiebehandelaar_warns_about_the_regie(
    client_for, beheerder_a, behandelaar_a, coached
):
    response = client_for(beheerder_a).post(
        reverse("portal:user_set_active", args=[behandelaar_a.pk]), {"actief": "0"}
    )
    told = [str(m) for m in get_messages(response.wsgi_request)]
    assert told[-1] == (
        f"{behandelaar_a} voerde als enige de regie in 1 open casus. Wijs bij 'Casussen zonder "
        "regie' een collega aan die de regie overneemt."
    )
    behandelaar_a.refresh_from_db()
    assert not behandelaar_a.is_active  # shut out at once all the same


def test_a_colleague_on_the_team_takes_over_the_regie(
    client_for, behandelaar_a, behandelaar_a2, coached
):
    consent.add_member(coached, behandelaar_a2, CaseRole.BEHANDELAAR)
    invitation = cases.invite(
        consent.case_access(behandelaar_a, coached), behandelaar_a2, CaseRole.REGIEBEHANDELAAR
    )
    cases.respond(invitation, behandelaar_a2, accept=True)
    assert consent.case_roles_of(behandelaar_a2, coached) == {CaseRole.REGIEBEHANDELAAR}
    left = client_for(behandelaar_a).post(reverse("cases:leave", args=[coached.pk]))
    assert left.status_code == 302 and not consent.case_roles_of(behandelaar_a, coached)
    # Inviting a member into the place they have is still refused; oneself as well.
    consent.add_member(coached, behandelaar_a, CaseRole.BEHANDELAAR)
    lead = consent.case_access(behandelaar_a2, coached)
    with pytest.raises(ValidationError, match="zit al als behandelaar in het team"):
        cases.invite(lead, behandelaar_a, CaseRole.BEHANDELAAR)
    with pytest.raises(ValidationError, match="u kunt uzelf niet uitnodigen"):
        cases.invite(lead, behandelaar_a2, CaseRole.REGIEBEHANDELAAR)


def test_the_only_lead_does_not_give_up_the_regie_by_accepting_another_place(
    client_for, behandelaar_a, behandelaar_a2
):
    """Two regiebehandelaars; one invites the other to be a plain behandelaar and then
    leaves. Accepting would leave the case without a lead: refused, with the way out."""
    case = make_case(behandelaar_a)
    consent.add_member(case, behandelaar_a2, CaseRole.REGIEBEHANDELAAR)
    demotion = cases.invite(
        consent.case_access(behandelaar_a, case), behandelaar_a2, CaseRole.BEHANDELAAR
    )
    cases.leave(consent.case_access(behandelaar_a, case))
    response = client_for(behandelaar_a2).post(
        reverse("cases:respond", args=[demotion.pk]), {"accept": "1"}
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "U voert als enige de regie in deze casus. Nodig eerst een collega uit die de regie "
        "overneemt; daarna kunt u deze uitnodiging accepteren."
    ]
    assert consent.case_roles_of(behandelaar_a2, case) == {CaseRole.REGIEBEHANDELAAR}
    demotion.refresh_from_db()
    assert demotion.status == InvitationStatus.OPEN
    # With another lead on the team, the same answer goes through.
    colleague = UserFactory(organisation=behandelaar_a.organisation, role=Role.BEHANDELAAR)
    consent.add_member(case, colleague, CaseRole.REGIEBEHANDELAAR)
    cases.respond(demotion, behandelaar_a2, accept=True)
    assert consent.case_roles_of(behandelaar_a2, case) == {CaseRole.BEHANDELAAR}


def test_an_invitation_to_a_case_closed_since_is_neither_listed_nor_accepted(
    client_for, behandelaar_a, behandelaar_a2
):
    from .test_cases_closed import close

    case = make_case(behandelaar_a)
    invitation = cases.invite(
        consent.case_access(behandelaar_a, case), behandelaar_a2, CaseRole.BEHANDELAAR
    )
    assert list(cases.open_invitations_for(behandelaar_a2)) == [invitation]
    close(case)
    assert list(cases.open_invitations_for(behandelaar_a2)) == []
    with pytest.raises(ValidationError, match="De casus is gesloten"):
        cases.respond(invitation, behandelaar_a2, accept=True)
    assert not consent.case_roles_of(behandelaar_a2, case)
    response = client_for(behandelaar_a2).post(
        reverse("cases:respond", args=[invitation.pk]), {"accept": "1"}
    )
    assert response.status_code in (302, 404)
    assert not consent.case_roles_of(behandelaar_a2, case)


def test_a_klantmanager_who_leads_a_case_cannot_leave_it_alone(client_for, klantmanager_g):
    case = make_case(klantmanager_g)
    response = client_for(klantmanager_g).post(reverse("cases:leave", args=[case.pk]))
    assert [str(m) for m in get_messages(response.wsgi_request)] == [str(cases.HAND_OVER_FIRST)]
    assert consent.case_roles_of(klantmanager_g, case) == {CaseRole.KLANTMANAGER}


def test_an_invitation_from_before_the_role_change_lapses(
    client_for, beheerder_a, behandelaar_a, jobcoach_a
):
    case = make_case(behandelaar_a)
    lead = consent.case_access(behandelaar_a, case)
    old = cases.invite(lead, jobcoach_a, CaseRole.TRAJECTBEGELEIDER)
    change_role(client_for, beheerder_a, jobcoach_a, Role.BEHANDELAAR)
    assert old not in cases.open_invitations_for(jobcoach_a)
    old.refresh_from_db()
    assert old.status == InvitationStatus.INGETROKKEN  # withdrawn, as on a deactivation
    with pytest.raises(ValidationError, match="al beantwoord"):
        cases.respond(old, jobcoach_a, accept=True)
    new = cases.invite(lead, jobcoach_a, CaseRole.BEHANDELAAR)  # not 'al uitgenodigd'
    assert list(cases.open_invitations_for(jobcoach_a)) == [new]


def test_an_old_trajectbegeleider_place_is_not_an_ips_trajectory(
    client_for, beheerder_a, jobcoach_a, coached
):
    assert leidraad.open_ips_for(coached) is not None
    change_role(client_for, beheerder_a, jobcoach_a, Role.BEHANDELAAR)
    assert leidraad.open_ips_for(coached) is None


def test_an_expiry_notice_names_an_active_regiebehandelaar(
    behandelaar_a, behandelaar_a2, ggz_a, gemeente_g, coached
):
    consent.add_member(coached, behandelaar_a2, CaseRole.REGIEBEHANDELAAR)
    behandelaar_a.is_active = False  # left; behandelaar_a2 leads now
    behandelaar_a.save(update_fields=["is_active"])
    make_consent(
        coached.client,
        ggz_a,
        gemeente_g,
        Purpose.REINTEGRATIE,
        [Category.WERKSITUATIE],
        valid_until=timezone.localdate() + datetime.timedelta(days=5),
    )
    assert notify_expiries()["gewaarschuwd"] == 1
    notice = TimelineEntry.objects.get(case=coached, kind=TimelineKind.TOESTEMMING)
    assert f"Voor de regiebehandelaar, {behandelaar_a2}:" in notice.body
    assert str(behandelaar_a) not in notice.body


def test_deactivating_withdraws_the_open_invitations_to_the_person(
    client_for, beheerder_g, behandelaar_a, klantmanager_g, coached
):
    """An invitation nobody can answer stays open otherwise, unseen, and could be accepted
    after a reactivation. The lead reads why on the timeline."""
    invitation = cases.invite(
        consent.case_access(behandelaar_a, coached), klantmanager_g, CaseRole.KLANTMANAGER
    )
    response = client_for(beheerder_g).post(
        reverse("portal:user_set_active", args=[klantmanager_g.pk]), {"actief": "0"}
    )
    told = [str(m) for m in get_messages(response.wsgi_request)]
    assert f"De open uitnodiging aan {klantmanager_g} is ingetrokken." in told
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.INGETROKKEN
    logged = AccessLogEntry.objects.get(object_type="uitnodiging", object_id=invitation.pk)
    assert (logged.user, logged.action, logged.basis, logged.case) == (
        beheerder_g,
        "update",
        "beheer",
        coached,
    )
    client_for(beheerder_g).post(
        reverse("portal:user_set_active", args=[klantmanager_g.pk]), {"actief": "1"}
    )
    with pytest.raises(ValidationError, match="al beantwoord"):
        cases.respond(invitation, klantmanager_g, accept=True)
    timeline = client_for(behandelaar_a).get(reverse("cases:timeline", args=[coached.pk]))
    assert (
        f"Uitnodiging aan {klantmanager_g} ingetrokken: het account is gedeactiveerd"
        in timeline.content.decode()
    )
