"""Fixes found by exploratory testing of the case pages: an invitation answered after a role
change, 'werk besproken' (a stale form, the read it shows, the flag that asks for it), a
driegesprek report recorded twice, and the client's address on the case page."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from cases import services, views
from cases.constants import CaseRole, InvitationStatus, MeetingStatus
from cases.models import Agreement, Case, Driegesprek, Invitation, TimelineEntry
from consent import services as consent
from consent.constants import Action, Basis, Category, Purpose
from consent.models import AccessLogEntry
from portal.constants import Role
from portal.models import User

from .builders import make_case, make_consent, next_bsn

pytestmark = pytest.mark.django_db

CHANGED_MEANWHILE = "is intussen gewijzigd, in een ander venster of door een collega"


@pytest.fixture
def case_a(behandelaar_a):
    return make_case(behandelaar_a, first_name="Eva", last_name="Jansen")


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def logged(response):
    """The access-log entries the request wrote: (category, action, outcome, basis)."""
    return set(
        AccessLogEntry.objects.filter(request_id=response["X-Request-ID"]).values_list(
            "category", "action", "outcome", "basis"
        )
    )


# --- An invitation answered after a role change ----------------------------------------------


def change_role(user, role):
    """The beheerder gives ``user`` another role (on the users page; here directly, so that
    the test is about the answer, not about what the users page does with invitations)."""
    User.objects.filter(pk=user.pk).update(role=role)


@pytest.mark.parametrize("accept", ["1", "0"])
def test_an_invitation_answered_after_a_role_change_says_why(
    client_for, behandelaar_a, jobcoach_a, case_a, accept
):
    """A jobcoach had an invitation on the start page, then became behandelaar and pressed
    'Accepteren' (or 'Afwijzen'). They met a 404 'pagina niet gevonden', and the access log
    called it a refused attempt on someone else's case. Now the start page says the
    invitation no longer fits their role, and nothing is logged as refused."""
    invitation = services.invite(
        consent.case_access(behandelaar_a, case_a), jobcoach_a, CaseRole.TRAJECTBEGELEIDER
    )
    change_role(jobcoach_a, Role.BEHANDELAAR)
    response = client_for(jobcoach_a).post(
        reverse("cases:respond", args=[invitation.pk]), {"accept": accept, "reason": "Geen tijd"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert messages_of(response) == ["Deze uitnodiging past niet bij uw functie."]
    assert not AccessLogEntry.objects.filter(user=jobcoach_a, outcome="geweigerd").exists()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.OPEN
    assert not consent.case_access(jobcoach_a, case_a).is_member


def test_a_referral_answered_after_a_role_change_says_why(
    client_for, behandelaar_a, jobcoach_a, ggz_a, case_a
):
    """The same for a referral to the jobcoach's IPS team: listed on their start page while
    they were trajectbegeleider, answered after they became behandelaar."""
    response = client_for(behandelaar_a).post(
        reverse("cases:refer", args=[case_a.pk]),
        {"target": "ips", "organisation": ggz_a.pk, "reason": "Wil werken"},
    )
    assert response.status_code == 302
    referral = Invitation.objects.get(case=case_a, is_referral=True)
    assert referral in services.open_invitations_for(jobcoach_a)
    change_role(jobcoach_a, Role.BEHANDELAAR)
    response = client_for(jobcoach_a).post(
        reverse("cases:respond", args=[referral.pk]), {"accept": "1"}
    )
    assert response.status_code == 302
    assert messages_of(response) == ["Deze uitnodiging past niet bij uw functie."]
    assert not AccessLogEntry.objects.filter(user=jobcoach_a, outcome="geweigerd").exists()


def test_someone_else_s_invitation_is_still_not_found(
    client_for, behandelaar_a, behandelaar_a2, outsider, case_a
):
    """The explanation is for whom the invitation was addressed to: anyone else still gets
    the 404 and the refused entry, as before."""
    invitation = services.invite(
        consent.case_access(behandelaar_a, case_a), behandelaar_a2, CaseRole.BEHANDELAAR
    )
    response = client_for(outsider).post(
        reverse("cases:respond", args=[invitation.pk]), {"accept": "1"}
    )
    assert response.status_code == 404
    assert AccessLogEntry.objects.filter(user=outsider, outcome="geweigerd").count() == 1


# --- 'Werk besproken' --------------------------------------------------------------------------


def test_a_stale_work_discussed_form_does_not_undo_work_is_a_goal(
    client_for, behandelaar_a, behandelaar_a2, case_a
):
    """Two behandelaars opened 'Werk besproken vastleggen' while work was no treatment goal.
    A recorded 'werk is een behandeldoel'; B then recorded last week's conversation from
    the form opened before, box untouched, and work silently stopped being a goal. Now B's
    save is refused with the conflict message, which says what is stored now, and the form
    comes back with what B typed, on the new version: saving again is B's deliberate
    choice."""
    consent.add_member(case_a, behandelaar_a2, CaseRole.BEHANDELAAR)
    url = reverse("cases:work_discussed", args=[case_a.pk])
    today = timezone.localdate()
    opened_by_b = client_for(behandelaar_a2).get(url).context["form"].initial
    opened_by_a = client_for(behandelaar_a).get(url).context["form"].initial
    assert opened_by_b["work_is_goal"] is False
    recorded_by_a = {"version": opened_by_a["version"], "discussed_on": today.isoformat()}
    response = client_for(behandelaar_a).post(url, {**recorded_by_a, "work_is_goal": "on"})
    assert response.status_code == 302

    last_week = (today - datetime.timedelta(days=7)).isoformat()
    typed = {"version": opened_by_b["version"], "discussed_on": last_week, "note": "Over stage"}
    response = client_for(behandelaar_a2).post(url, typed)
    assert response.status_code == 200
    form = response.context["form"]
    (error,) = form.non_field_errors()
    assert CHANGED_MEANWHILE in error
    assert "werk is een behandeldoel: ja" in error
    assert "Over stage" in response.content.decode()
    case_a.refresh_from_db()
    assert (case_a.work_discussed_on, case_a.work_is_goal) == (today, True)
    assert TimelineEntry.objects.filter(case=case_a, kind="werk_besproken").count() == 1

    # Sent again from the form that came back: B saw what is stored, and chose.
    again = {**typed, "version": form["version"].value()}
    assert client_for(behandelaar_a2).post(url, again).status_code == 302
    case_a.refresh_from_db()
    assert (case_a.work_discussed_on, case_a.work_is_goal) == (today, False)
    assert TimelineEntry.objects.filter(case=case_a, kind="werk_besproken").count() == 2


@pytest.mark.parametrize("version", [None, "x"])
def test_a_work_discussed_form_without_its_version_asks_to_reload(
    client_for, behandelaar_a, case_a, version
):
    """A form that lost its hidden version (a cached page, made by hand) is refused in the
    product's words, not with "(Verborgen veld version) Dit veld is verplicht."."""
    url = reverse("cases:work_discussed", args=[case_a.pk])
    typed = {"discussed_on": timezone.localdate().isoformat(), "work_is_goal": "on"}
    if version is not None:
        typed["version"] = version
    response = client_for(behandelaar_a).post(url, typed)
    assert response.context["form"].non_field_errors() == [str(views.NOT_SAVED_RELOAD)]
    assert "Verborgen veld" not in response.content.decode()
    case_a.refresh_from_db()
    assert (case_a.work_discussed_on, case_a.work_is_goal) == (None, False)


def test_opening_the_work_discussed_form_logs_what_it_shows(client_for, behandelaar_a, case_a):
    """The form shows whether work is a treatment goal (the case organisation's afspraken &
    doelen, which the case page logs as read), yet only the banner's identificatie read was
    logged. Now both are, in the one request."""
    Case.objects.filter(pk=case_a.pk).update(work_is_goal=True)
    response = client_for(behandelaar_a).get(reverse("cases:work_discussed", args=[case_a.pk]))
    assert response.context["form"].initial["work_is_goal"] is True
    assert logged(response) == {
        (Category.IDENTIFICATIE, Action.READ, "toegestaan", Basis.EIGEN_ORGANISATIE),
        (Category.AFSPRAKEN, Action.READ, "toegestaan", Basis.EIGEN_ORGANISATIE),
    }


def test_no_work_flag_where_nobody_on_the_row_can_record_it(
    client_for, behandelaar_a, jobcoach_a, klantmanager_g, gemeente_g, ggz_a, case_a
):
    """A GGZ behandelaar on a case the gemeente opened (with a consent for its afspraken)
    saw 'Werk nog niet besproken' in the werkvoorraad for good: only a behandelaar of the
    organisation that opened the case records it, and the gemeente has none, so the form
    was a 404. Likewise a jobcoach on GGZ A's case. Now the flag, like the case page's
    prompt, is only for who can record it."""
    gemeente_case = make_case(klantmanager_g, first_name="Piet", last_name="Gemeente")
    consent.add_member(gemeente_case, behandelaar_a, CaseRole.BEHANDELAAR)
    make_consent(
        gemeente_case.client, gemeente_g, ggz_a, Purpose.AFSTEMMING,
        [Category.IDENTIFICATIE, Category.AFSPRAKEN], recorded_by=klantmanager_g,
    )  # fmt: skip
    consent.add_member(case_a, jobcoach_a, CaseRole.TRAJECTBEGELEIDER)

    c = client_for(behandelaar_a)
    flags = {row["case"].pk: row["flags"] for row in c.get("/").context["rows"]}
    assert flags == {case_a.pk: ["Werk nog niet besproken"], gemeente_case.pk: []}
    assert c.get(reverse("cases:work_discussed", args=[gemeente_case.pk])).status_code == 404
    assert not c.get(reverse("cases:detail", args=[gemeente_case.pk])).context["work_prompt"]

    c = client_for(jobcoach_a)
    assert [row["flags"] for row in c.get("/").context["rows"]] == [[]]
    assert c.get(reverse("cases:work_discussed", args=[case_a.pk])).status_code == 404


# --- Driegesprek --------------------------------------------------------------------------------


@pytest.fixture
def held_meeting(behandelaar_a, behandelaar_a2, case_a):
    consent.add_member(case_a, behandelaar_a2, CaseRole.BEHANDELAAR)
    return Driegesprek.objects.create(
        case=case_a,
        organisation=behandelaar_a.organisation,
        created_by=behandelaar_a,
        planned_at=timezone.now() - datetime.timedelta(hours=1),
        location="Stadskantoor",
        participants="Cliënt, behandelaar, klantmanager",
    )


def report_of_b(meeting):
    due = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    return {
        "version": meeting.version,
        "summary": "Lang verslag B",
        "what_1": "Vacatures bekijken",
        "owner_1": "Cliënt",
        "due_1": due,
    }


def record_as_colleague(meeting):
    Driegesprek.objects.filter(pk=meeting.pk).update(
        status=MeetingStatus.GEHOUDEN, summary="Verslag A", version=F("version") + 1
    )


@pytest.mark.parametrize("when", ["before the form was sent", "while it was saved"])
def test_a_driegesprek_report_recorded_first_by_a_colleague_keeps_what_was_typed(
    client_for, behandelaar_a2, case_a, held_meeting, monkeypatch, when
):
    """Two colleagues typed the report of the same driegesprek; the second to save was sent
    to the case page with a message, and their report and afspraken were gone. Now the
    form comes back with what they typed and the conflict message (a report is recorded
    once: no button to save it again), and nothing of theirs is stored."""
    data = report_of_b(held_meeting)
    if when == "before the form was sent":
        record_as_colleague(held_meeting)
    else:  # the colleague's save lands after B's request loaded the meeting
        updatable = views._updatable

        def loaded_then_recorded(*args):
            meeting = updatable(*args)
            record_as_colleague(meeting)
            return meeting

        monkeypatch.setattr(views, "_updatable", loaded_then_recorded)
    url = reverse("cases:driegesprek_record", args=[case_a.pk, held_meeting.pk])
    response = client_for(behandelaar_a2).post(url, data)
    assert response.status_code == 200
    (error,) = response.context["form"].non_field_errors()
    assert CHANGED_MEANWHILE in error
    assert "Het verslag is al vastgelegd en wijzigt niet meer." in error
    html = response.content.decode()
    assert "Lang verslag B" in html
    assert "Vacatures bekijken" in html
    assert '<button type="submit">' not in html
    held_meeting.refresh_from_db()
    assert held_meeting.summary == "Verslag A"
    assert not Agreement.objects.filter(case=case_a).exists()
    assert not TimelineEntry.objects.filter(case=case_a, kind="driegesprek").exists()


def test_a_recorded_driegesprek_s_form_still_sends_to_the_case_page(
    client_for, behandelaar_a, case_a, held_meeting
):
    """Opening the form of a recorded driegesprek (nothing typed yet) still goes to the case
    page with the message."""
    record_as_colleague(held_meeting)
    url = reverse("cases:driegesprek_record", args=[case_a.pk, held_meeting.pk])
    response = client_for(behandelaar_a).get(url)
    assert response.status_code == 302
    assert messages_of(response) == [
        "Dit driegesprek is al vastgelegd; het verslag wijzigt niet meer."
    ]


# --- The client's address ----------------------------------------------------------------------


def test_the_registered_address_is_on_the_case_page(client_for, behandelaar_a, klantmanager_g):
    """The registration form asks for the address, but no page showed it to the team. Now
    the case page shows it with the phone and e-mail, to whoever reads the client's
    identification (and, like them, to nobody else)."""
    response = client_for(behandelaar_a).post(
        reverse("cases:client_create"),
        {
            "first_name": "Eva",
            "last_name": "Jansen",
            "date_of_birth": "1990-05-17",
            "bsn": next_bsn(),
            "email": "eva@example.org",
            "phone": "0612345678",
            "address": "Dorpsstraat 12, Utrecht",
        },
    )
    assert response.status_code == 302
    html = client_for(behandelaar_a).get(response["Location"]).content.decode()
    assert "<dt>Adres</dt><dd>Dorpsstraat 12, Utrecht</dd>" in html

    case = Case.objects.get(client__last_name="Jansen")
    consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)  # no consent
    html = client_for(klantmanager_g).get(response["Location"]).content.decode()
    assert "Dorpsstraat" not in html
    assert "0612345678" not in html
