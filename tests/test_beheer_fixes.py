"""Fixes to the beheerder's user pages (exploratory findings on beheer, nos. 2, 5 and 7): an
edit saved from a form opened before another save is refused with the portal's conflict
message instead of overwriting that save; a role change withdraws the invitations the new
role cannot answer, as a deactivation does; and activating or deactivating happens only
when the form says which of the two it is."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from cases import services as cases
from cases.constants import CaseRole, InvitationStatus
from consent import services as consent
from consent.models import AccessLogEntry
from portal.constants import Role

from .builders import make_case
from .conftest import signed_in
from .factories import UserFactory

CONFLICT_END = (
    "Hieronder staat wat u invulde. Sla opnieuw op om dat te bewaren, of ga terug naar de "
    "gebruikers om de nieuwe stand te bekijken."
)


def edit_url(user):
    return reverse("portal:user_edit", args=[user.pk])


def opened(client, user):
    """The edit form of ``user`` as the browser sends it back untouched: every field with
    the value the page rendered, the hidden version among them."""
    response = client.get(edit_url(user))
    assert '<input type="hidden" name="version"' in response.content.decode()
    return {field.html_name: field.value() for field in response.context["form"]}


def second_beheerder(organisation):
    """A second beheerder of ``organisation``, signed in on a client of its own and just
    re-authenticated."""
    user = UserFactory(email="beheer2@a.test", organisation=organisation, role=Role.BEHEERDER)
    return signed_in(Client(), user)


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- 2. An edit carries the version it started from -----------------------------------------


def test_a_stale_edit_does_not_overwrite_a_colleagues_change(
    client_for, beheerder_a, ggz_a, jobcoach_a
):
    """Two beheerders had the same account open. The colleague corrected the surname and
    saved; the first then saved their older form with a new role. That put the old surname
    back without a word, and the audit event named it as a deliberate change. Now the save
    is refused: the message says what the account holds now, and the form keeps what was
    typed."""
    a = client_for(beheerder_a)
    stale = opened(a, jobcoach_a)
    b = second_beheerder(ggz_a)
    assert b.post(edit_url(jobcoach_a), {**opened(b, jobcoach_a), "last_name": "Gecorrigeerd"})[
        "Location"
    ] == reverse("portal:user_list")

    response = a.post(edit_url(jobcoach_a), {**stale, "role": Role.BEHANDELAAR})

    assert response.status_code == 200
    jobcoach_a.refresh_from_db()
    assert (jobcoach_a.last_name, jobcoach_a.role) == ("Gecorrigeerd", Role.TRAJECTBEGELEIDER)
    form = response.context["form"]
    assert form.non_field_errors() == [
        f"Niet opgeslagen: het account van {jobcoach_a.first_name} Gecorrigeerd is intussen "
        "gewijzigd, in een ander venster of door een collega. Wat er nu staat: Achternaam: "
        f"Gecorrigeerd, Rol: IPS-trajectbegeleider. {CONFLICT_END}"
    ]
    assert (form["last_name"].value(), form["role"].value()) == (
        stale["last_name"],
        Role.BEHANDELAAR,
    )


def test_a_stale_edit_does_not_restore_a_revoked_role(
    client_for, beheerder_a, ggz_a, behandelaar_a, behandelaar_a2
):
    """The colleague took the behandelaar role away (the person moved to IPS) while a
    beheerder had the account open to fix a typo in the first name. Saving that form made
    the person behandelaar again, with the treatment files of every case they were still
    on. Now the role stays as the colleague left it."""
    make_case(behandelaar_a)  # behandelaar_a leads it: behandelaar_a2 may change role
    a = client_for(beheerder_a)
    stale = opened(a, behandelaar_a2)
    b = second_beheerder(ggz_a)
    b.post(edit_url(behandelaar_a2), {**opened(b, behandelaar_a2), "role": Role.TRAJECTBEGELEIDER})

    response = a.post(edit_url(behandelaar_a2), {**stale, "first_name": "Annemarie"})

    assert response.status_code == 200
    behandelaar_a2.refresh_from_db()
    assert behandelaar_a2.role == Role.TRAJECTBEGELEIDER
    assert behandelaar_a2.first_name != "Annemarie"
    assert "Rol: IPS-trajectbegeleider" in response.context["form"].non_field_errors()[0]


def test_saving_the_form_again_after_a_conflict_is_a_choice_that_goes_through(
    client_for, beheerder_a, ggz_a, jobcoach_a
):
    """After the conflict message the form stands on the stored version: the beheerder who
    has read what the account holds now and still wants their own text saves it so."""
    a = client_for(beheerder_a)
    stale = opened(a, jobcoach_a)
    b = second_beheerder(ggz_a)
    b.post(edit_url(jobcoach_a), {**opened(b, jobcoach_a), "last_name": "Gecorrigeerd"})
    refused = a.post(edit_url(jobcoach_a), {**stale, "last_name": "Eigen"})

    again = {field.html_name: field.value() for field in refused.context["form"]}
    response = a.post(edit_url(jobcoach_a), again)

    assert response.status_code == 302
    jobcoach_a.refresh_from_db()
    assert jobcoach_a.last_name == "Eigen"


def test_a_colleague_who_made_the_same_change_costs_nothing(
    client_for, beheerder_a, ggz_a, jobcoach_a
):
    """Both beheerders fixed the same typo: the second save is not shown as a conflict to
    resolve, but as done."""
    a = client_for(beheerder_a)
    stale = opened(a, jobcoach_a)
    b = second_beheerder(ggz_a)
    b.post(edit_url(jobcoach_a), {**opened(b, jobcoach_a), "last_name": "Gecorrigeerd"})

    response = a.post(edit_url(jobcoach_a), {**stale, "last_name": "Gecorrigeerd"})

    assert response["Location"] == reverse("portal:user_list")
    assert messages_of(response) == [
        f"Het account van {jobcoach_a.first_name} Gecorrigeerd stond intussen al zo "
        "opgeslagen; er is niets anders gewijzigd."
    ]


def test_a_deactivation_meanwhile_stops_a_stale_edit(client_for, beheerder_a, ggz_a, jobcoach_a):
    """A colleague deactivated the account (the person left) while a beheerder had its
    edit form open. Saving it gave the departed person a new role without a word about
    the deactivation; now the beheerder is told that the account changed, and how."""
    a = client_for(beheerder_a)
    stale = opened(a, jobcoach_a)
    second_beheerder(ggz_a).post(
        reverse("portal:user_set_active", args=[jobcoach_a.pk]), {"actief": "0"}
    )

    response = a.post(edit_url(jobcoach_a), {**stale, "role": Role.BEHANDELAAR})

    assert response.status_code == 200
    jobcoach_a.refresh_from_db()
    assert jobcoach_a.role == Role.TRAJECTBEGELEIDER
    assert (
        "Wat er nu staat: Rol: IPS-trajectbegeleider, Account: gedeactiveerd."
        in response.context["form"].non_field_errors()[0]
    )


@pytest.mark.parametrize("version", [None, "", "oud"])
def test_an_edit_without_its_version_is_not_saved_unchecked(
    client_for, beheerder_a, jobcoach_a, version
):
    """A form that lost its version (a page cached from before this fix, a form made by
    hand) was saved over whatever the account held; now it is refused with the words the
    other forms use, not with Django's text about a hidden field."""
    data = {
        "first_name": jobcoach_a.first_name,
        "last_name": "Anders",
        "role": Role.BEHANDELAAR,
    }
    if version is not None:
        data["version"] = version

    response = client_for(beheerder_a).post(edit_url(jobcoach_a), data)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Niet opgeslagen: vernieuw de pagina en probeer het opnieuw."
    ]
    jobcoach_a.refresh_from_db()
    assert (jobcoach_a.last_name, jobcoach_a.role) != ("Anders", Role.BEHANDELAAR)


# --- 5. A role change withdraws the invitations the new role cannot answer -----------------


def test_a_role_change_withdraws_the_invitations_it_makes_unanswerable(
    client_for, beheerder_a, behandelaar_a, jobcoach_a
):
    """An invitation to the trajectbegeleider stayed open when the beheerder made them a
    behandelaar: the inviter kept waiting for an answer nobody could give, and once the
    role was changed back the old invitation could be accepted again, months later. Now
    the role change withdraws it, logged and noted on the case's timeline, as a
    deactivation does."""
    case = make_case(behandelaar_a)
    invitation = cases.invite(
        consent.case_access(behandelaar_a, case), jobcoach_a, CaseRole.TRAJECTBEGELEIDER
    )
    b = client_for(beheerder_a)

    changed = b.post(edit_url(jobcoach_a), {**opened(b, jobcoach_a), "role": Role.BEHANDELAAR})

    assert f"De open uitnodiging aan {jobcoach_a} is ingetrokken." in messages_of(changed)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.INGETROKKEN
    logged = AccessLogEntry.objects.get(object_type="uitnodiging", object_id=invitation.pk)
    assert (logged.user, logged.action, logged.basis) == (beheerder_a, "update", "beheer")
    timeline = client_for(behandelaar_a).get(reverse("cases:timeline", args=[case.pk]))
    assert (
        f"Uitnodiging aan {jobcoach_a} ingetrokken: de functie is gewijzigd"
        in timeline.content.decode()
    )

    b = client_for(beheerder_a)
    b.post(edit_url(jobcoach_a), {**opened(b, jobcoach_a), "role": Role.TRAJECTBEGELEIDER})
    jobcoach_a.refresh_from_db()
    assert list(cases.open_invitations_for(jobcoach_a)) == []


def test_a_change_of_name_withdraws_no_invitation(
    client_for, beheerder_a, behandelaar_a, jobcoach_a
):
    """Only what the new role cannot answer lapses: a corrected name leaves the invitation
    open."""
    case = make_case(behandelaar_a)
    invitation = cases.invite(
        consent.case_access(behandelaar_a, case), jobcoach_a, CaseRole.TRAJECTBEGELEIDER
    )
    b = client_for(beheerder_a)

    b.post(edit_url(jobcoach_a), {**opened(b, jobcoach_a), "last_name": "Gecorrigeerd"})

    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.OPEN


# --- 7. Activate or deactivate: said in so many words -----------------------------------------


@pytest.mark.parametrize("data", [{}, {"actief": ""}, {"actief": "ja"}])
def test_set_active_without_a_clear_answer_changes_nothing(
    client_for, beheerder_a, behandelaar_a, jobcoach_a, data
):
    """A POST without ``actief`` (cut short, made by hand, a page that forgot the hidden
    field) or with another value was taken as 'deactivate': the colleague was locked out
    and their open invitations withdrawn. Now nothing changes and the beheerder is told."""
    case = make_case(behandelaar_a)
    invitation = cases.invite(
        consent.case_access(behandelaar_a, case), jobcoach_a, CaseRole.TRAJECTBEGELEIDER
    )

    response = client_for(beheerder_a).post(
        reverse("portal:user_set_active", args=[jobcoach_a.pk]), data
    )

    assert response["Location"] == reverse("portal:user_list")
    assert messages_of(response) == [
        f"Er is niets gewijzigd: uit het formulier bleek niet of {jobcoach_a} geactiveerd of "
        "gedeactiveerd moest worden. Vernieuw de pagina en probeer het opnieuw."
    ]
    jobcoach_a.refresh_from_db()
    invitation.refresh_from_db()
    assert jobcoach_a.is_active
    assert invitation.status == InvitationStatus.OPEN
