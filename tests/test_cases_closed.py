"""A closed case stays readable for its team but takes no new entries: every form on the
case refuses, on the server, with the one message of services.ensure_open; the case page
offers none of them."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.constants import CaseRole, CaseStatus
from cases.models import (
    Agreement,
    Case,
    Driegesprek,
    Goal,
    Invitation,
    LeidraadSession,
    TimelineEntry,
    WorkSituation,
)
from consent import services as consent
from consent.constants import Action
from consent.models import AccessLogEntry

from .builders import make_case

CLOSED = "De casus is gesloten. Hij blijft leesbaar, maar er komt niets meer bij."


def close(case):
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.GESLOTEN, closed_at=timezone.now())
    case.refresh_from_db()


@pytest.fixture
def open_case(behandelaar_a):
    return make_case(behandelaar_a, first_name="Eva", last_name="Jansen")


@pytest.fixture
def meeting(open_case, behandelaar_a):
    """A driegesprek planned an hour ago: its report could be written now."""
    return Driegesprek.objects.create(
        case=open_case,
        organisation=behandelaar_a.organisation,
        created_by=behandelaar_a,
        planned_at=timezone.now() - datetime.timedelta(hours=1),
        location="Stadskantoor",
        participants="cliënt, behandelaar, klantmanager",
    )


def writes(case, meeting, ggz_a, behandelaar_a2):
    """(url name, url args, valid POST data, rows the save would add) for every view that
    adds something to a case."""
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    return [
        (
            "cases:work_situation",
            [case.pk],
            {"kind": "geen", "benefit": "bijstand", "wish_to_work": "ja"},
            WorkSituation.objects.filter(case=case),
        ),
        (
            "cases:work_discussed",
            [case.pk],
            {"version": case.version, "discussed_on": today.isoformat(), "work_is_goal": "on"},
            Case.objects.filter(pk=case.pk, work_discussed_on__isnull=False),
        ),
        (
            "cases:note_create",
            [case.pk],
            {"category": "medisch", "title": "Onderwerp", "body": "Tekst"},
            TimelineEntry.objects.filter(case=case, kind="notitie"),
        ),
        (
            "cases:goal_create",
            [case.pk],
            {"domain": "maatschappelijk", "description": "Vrijwilligerswerk"},
            Goal.objects.filter(case=case),
        ),
        (
            "cases:agreement_create",
            [case.pk],
            {"what": "CV opstellen", "owner": "Cliënt", "due_date": tomorrow.isoformat()},
            Agreement.objects.filter(case=case),
        ),
        (
            "cases:invite",
            [case.pk],
            {"email": behandelaar_a2.email, "case_role": CaseRole.BEHANDELAAR},
            Invitation.objects.filter(case=case),
        ),
        (
            "cases:refer",
            [case.pk],
            {"target": "ips", "organisation": ggz_a.pk, "reason": "Wil werken"},
            Invitation.objects.filter(case=case),
        ),
        (
            "cases:driegesprek_plan",
            [case.pk],
            {
                "planned_at": f"{tomorrow.isoformat()}T10:00",
                "location": "Stadskantoor",
                "participants": "cliënt, behandelaar",
            },
            Driegesprek.objects.filter(case=case).exclude(pk=meeting.pk),
        ),
        (
            "cases:driegesprek_record",
            [case.pk, meeting.pk],
            {"version": meeting.version, "summary": "Goed gesprek"},
            Driegesprek.objects.filter(pk=meeting.pk, status="gehouden"),
        ),
    ]


WRITE_VIEWS = [
    "cases:work_situation",
    "cases:work_discussed",
    "cases:note_create",
    "cases:goal_create",
    "cases:agreement_create",
    "cases:invite",
    "cases:refer",
    "cases:driegesprek_plan",
    "cases:driegesprek_record",
]


def the_write(name, open_case, meeting, ggz_a, behandelaar_a2):
    return next(w for w in writes(open_case, meeting, ggz_a, behandelaar_a2) if w[0] == name)


@pytest.mark.parametrize("name", WRITE_VIEWS)
def test_the_write_works_on_an_open_case(
    client_for, behandelaar_a, behandelaar_a2, ggz_a, open_case, meeting, name
):
    """The data below are valid: on an open case each of them saves (so the refusals below
    are about the closed case, not about the data)."""
    _name, args, data, added = the_write(name, open_case, meeting, ggz_a, behandelaar_a2)
    response = client_for(behandelaar_a).post(reverse(name, args=args), data)
    assert response.status_code == 302
    assert added.exists()


@pytest.mark.parametrize("name", WRITE_VIEWS)
def test_a_closed_case_refuses_the_write_with_the_one_message(
    client_for, behandelaar_a, behandelaar_a2, ggz_a, open_case, meeting, name
):
    _name, args, data, added = the_write(name, open_case, meeting, ggz_a, behandelaar_a2)
    close(open_case)
    entries_before = TimelineEntry.objects.filter(case=open_case).count()
    response = client_for(behandelaar_a).post(reverse(name, args=args), data, follow=True)
    assert response.redirect_chain == [(reverse("cases:detail", args=[open_case.pk]), 302)]
    assert CLOSED in response.content.decode()
    assert not added.exists()
    assert TimelineEntry.objects.filter(case=open_case).count() == entries_before
    assert not AccessLogEntry.objects.filter(
        case=open_case, action__in=[Action.CREATE, Action.UPDATE]
    ).exists()


@pytest.mark.parametrize("name", [n for n in WRITE_VIEWS if n != "cases:work_situation"])
def test_a_closed_case_offers_no_form(
    client_for, behandelaar_a, behandelaar_a2, ggz_a, open_case, meeting, name
):
    _name, args, _data, _added = the_write(name, open_case, meeting, ggz_a, behandelaar_a2)
    close(open_case)
    response = client_for(behandelaar_a).get(reverse(name, args=args), follow=True)
    assert response.redirect_chain == [(reverse("cases:detail", args=[open_case.pk]), 302)]
    assert CLOSED in response.content.decode()


def test_the_work_situation_history_stays_readable_without_a_form(
    client_for, behandelaar_a, open_case
):
    c = client_for(behandelaar_a)
    url = reverse("cases:work_situation", args=[open_case.pk])
    c.post(url, {"kind": "geen", "benefit": "bijstand", "wish_to_work": "ja"})
    close(open_case)
    response = c.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Geen werk of dagbesteding" in html
    assert 'name="kind"' not in html
    assert CLOSED in html


def test_the_case_page_offers_no_additions_once_closed(
    client_for, behandelaar_a, open_case, meeting
):
    c = client_for(behandelaar_a)
    detail = reverse("cases:detail", args=[open_case.pk])
    links = [
        reverse("cases:note_create", args=[open_case.pk]),
        reverse("cases:refer", args=[open_case.pk]),
        reverse("cases:invite", args=[open_case.pk]),
        reverse("cases:goal_create", args=[open_case.pk]),
        reverse("cases:agreement_create", args=[open_case.pk]),
        reverse("cases:driegesprek_plan", args=[open_case.pk]),
        reverse("cases:driegesprek_record", args=[open_case.pk, meeting.pk]),
        reverse("cases:close", args=[open_case.pk]),
    ]
    html = c.get(detail).content.decode()
    assert [link for link in links if f'"{link}"' not in html] == []
    assert "Werksituatie bijwerken" in html
    close(open_case)
    html = c.get(detail).content.decode()
    assert [link for link in links if f'"{link}"' in html] == []
    assert "Werksituatie bijwerken" not in html
    assert CLOSED in html


def test_the_services_refuse_too(behandelaar_a, behandelaar_a2, ggz_a, open_case):
    """Referral and invitation are services other code may call: the rule is there too."""
    close(open_case)
    access = consent.case_access(behandelaar_a, open_case)
    with pytest.raises(ValidationError, match="De casus is gesloten"):
        services.refer(access, ggz_a, CaseRole.TRAJECTBEGELEIDER, "Wil werken")
    with pytest.raises(ValidationError, match="De casus is gesloten"):
        services.invite(access, behandelaar_a2, CaseRole.BEHANDELAAR)
    assert not Invitation.objects.exists()


def test_motivational_logs_and_the_gespreksleidraad_give_the_same_answer(
    client_for, behandelaar_a, open_case
):
    """One rule, one message, also for the MI log and a new gespreksleidraad session."""
    from cases import leidraad_services as leidraad
    from cases.models import Conversation, LeidraadSession

    close(open_case)
    c = client_for(behandelaar_a)
    response = c.get(reverse("cases:conversation_create", args=[open_case.pk]), follow=True)
    assert CLOSED in response.content.decode()
    response = c.post(reverse("cases:leidraad_start", args=[open_case.pk]), follow=True)
    assert CLOSED in response.content.decode()
    with pytest.raises(ValidationError, match=CLOSED):
        leidraad.start(consent.case_access(behandelaar_a, open_case))
    assert not Conversation.objects.exists()
    assert not LeidraadSession.objects.exists()


@pytest.mark.parametrize("step", ["1", "2", "3-afspraken", "3-geen", "3-afronden"])
def test_a_session_running_when_the_case_closes_takes_nothing_more(
    client_for, behandelaar_a, open_case, step
):
    from cases.constants import LeidraadStatus
    from cases.models import LeidraadSession

    c = client_for(behandelaar_a)
    c.post(reverse("cases:leidraad_start", args=[open_case.pk]))
    session = LeidraadSession.objects.get()
    url = reverse("cases:leidraad_step", args=[open_case.pk, session.pk, 1])
    c.post(url, {"version": 1, "themes": ["grip"]})
    session.refresh_from_db()
    url2 = reverse("cases:leidraad_step", args=[open_case.pk, session.pk, 2])
    c.post(url2, {"version": session.version, "judgement_grip": "helpt"})
    session.refresh_from_db()
    close(open_case)
    before = (
        TimelineEntry.objects.count(),
        Agreement.objects.count(),
        session.referrals.count(),
        session.version,
    )
    url3 = reverse("cases:leidraad_step", args=[open_case.pk, session.pk, 3])
    posts = {
        "1": (url, {"version": session.version, "themes": ["grip", "krachten"]}),
        "2": (url2, {"version": session.version, "judgement_grip": "belemmert"}),
        "3-afspraken": (
            url3,
            {
                "action": "afspraken",
                "what_1": "CV maken",
                "owner_1": "Cliënt",
                "due_1": (timezone.localdate() + datetime.timedelta(days=7)).isoformat(),
            },
        ),
        "3-geen": (
            url3,
            {"action": "verwijzen", "kind": "geen", "verwijzing-geen-reason": "Werkt al."},
        ),
        "3-afronden": (url3, {"action": "afronden", "version": session.version}),
    }
    target, data = posts[step]
    response = c.post(target, data, follow=True)
    assert response.status_code == 200
    assert CLOSED in response.content.decode()
    session.refresh_from_db()
    assert session.status == LeidraadStatus.BEZIG
    assert (
        TimelineEntry.objects.count(),
        Agreement.objects.count(),
        session.referrals.count(),
        session.version,
    ) == before


@pytest.mark.parametrize("closed", [False, True])
def test_goals_and_agreements_keep_their_state_once_closed(
    client_for, behandelaar_a, open_case, closed
):
    """Marking a goal reached or an agreement done is a change like any other: it works on an
    open case, and a closed case refuses it with the one message and offers no button."""
    c = client_for(behandelaar_a)
    c.post(
        reverse("cases:goal_create", args=[open_case.pk]),
        {"domain": "maatschappelijk", "description": "Vrijwilligerswerk"},
    )
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    c.post(
        reverse("cases:agreement_create", args=[open_case.pk]),
        {"what": "CV opstellen", "owner": "Cliënt", "due_date": tomorrow.isoformat()},
    )
    goal, agreement = Goal.objects.get(), Agreement.objects.get()
    if closed:
        close(open_case)
    html = c.get(reverse("cases:detail", args=[open_case.pk])).content.decode()
    status_url = reverse("cases:goal_status", args=[open_case.pk, goal.pk])
    done_url = reverse("cases:agreement_done", args=[open_case.pk, agreement.pk])
    assert (f'"{status_url}"' in html, f'"{done_url}"' in html) == (not closed, not closed)
    goal_page = c.post(status_url, {"version": goal.version, "status": "bereikt"}, follow=True)
    done_page = c.post(done_url, {"version": agreement.version, "done": "on"}, follow=True)
    goal.refresh_from_db()
    agreement.refresh_from_db()
    assert (goal.status == "bereikt", agreement.done) == (not closed, not closed)
    for page in (goal_page, done_page):
        assert (CLOSED in page.content.decode()) == closed


def test_an_unfinished_gespreksleidraad_is_named_before_closing_and_read_only_after(
    client_for, behandelaar_a, open_case
):
    """A tester closed a case with a gespreksleidraad 'bezig': its steps stayed editable and
    every save was refused, so what was typed was lost. The close page now names it; after
    the close the session is read-only, with no way in to its forms."""
    c = client_for(behandelaar_a)
    c.post(reverse("cases:leidraad_start", args=[open_case.pk]))
    session = LeidraadSession.objects.get(case=open_case)
    close_url = reverse("cases:close", args=[open_case.pk])
    assert "Er loopt nog een gesprek over werk" in c.get(close_url).content.decode()
    c.post(close_url)
    open_case.refresh_from_db()
    assert not open_case.is_open
    step = reverse("cases:leidraad_step", args=[open_case.pk, session.pk, 1])
    detail = reverse("cases:leidraad_detail", args=[open_case.pk, session.pk])
    response = c.get(step, follow=True)
    assert response.redirect_chain[-1][0] == detail
    html = response.content.decode()
    assert CLOSED in html
    assert "Niet afgerond: de casus is gesloten" in html
    assert step not in html and "Verder met dit gesprek" not in html
    case_page = c.get(reverse("cases:detail", args=[open_case.pk])).content.decode()
    assert "Verder met het lopende gesprek" not in case_page


def test_without_an_unfinished_gespreksleidraad_the_close_page_says_nothing_of_it(
    client_for, behandelaar_a, open_case
):
    c = client_for(behandelaar_a)
    html = c.get(reverse("cases:close", args=[open_case.pk])).content.decode()
    assert "Er loopt nog een gesprek over werk" not in html
