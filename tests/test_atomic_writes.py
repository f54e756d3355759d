"""A change to client data and its access-log entry are stored together or not at all
(NEN 7513: no change without its entry). When writing the entry fails, the change is
rolled back too: the user sees an error, and trying again adds the change once, with
its entry.

Every form view that changes client data is listed in WRITES with a valid submission.
``test_the_submission_is_valid`` shows each one saves when the log works;
``test_a_failing_log_entry_leaves_no_change`` makes the access log refuse every change
entry (reads still go through) and checks that nothing at all changed.

Left out: ips:contacts (a general employer contact, no client: nothing is logged) and
cases:progress_report (only queues a report; nothing is logged until it is made).
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from cases import leidraad_services as leidraad
from cases import services as cases
from cases.constants import CaseRole, CaseStatus, Judgement, RecoveryDomain, ReferralKind
from cases.models import Agreement, Case, Driegesprek, Goal, LeidraadThemeNote
from consent import services as consent
from consent.constants import Action
from ips import services as ips
from ips.constants import ContractType, Disclosure, Phase
from ips.models import Placement
from portal.constants import Role
from portal.models import User

from .builders import make_case, next_bsn
from .factories import UserFactory
from .test_conversations import form_data as conversation_data
from .test_conversations import log_direct
from .test_ips import placement_data, start_trajectory, to_search
from .test_leidraad import finished_session

# --- The failing log ---------------------------------------------------------------------


class LogUnavailable(Exception):
    """The access log could not be written (database trouble, a lock timeout)."""


@pytest.fixture
def failing_change_log(monkeypatch):
    """consent.services.write_log refuses every batch with a change entry. Views reach it
    as a module attribute (consent.log, consent.write_log, log_case_reads), looked up at
    call time, so patching the module covers them all."""
    real = consent.write_log

    def write_log(entries):
        entries = list(entries)
        if any(entry.action != Action.READ for entry in entries):
            raise LogUnavailable
        return real(entries)

    monkeypatch.setattr(consent, "write_log", write_log)


# --- Everything stored about clients -----------------------------------------------------

CLIENT_DATA_APPS = {"cases", "consent", "ips"}
ALSO_CLIENT_DATA = {"portal.Report"}
NOT_COMPARED = {"consent.AccessLogEntry"}  # written by every request, reads included


def snapshot():
    """Every row of every table that holds client data (team membership and many-to-many
    tables included), per model."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_models(include_auto_created=True)
        if (model._meta.app_label in CLIENT_DATA_APPS or model._meta.label in ALSO_CLIENT_DATA)
        and model._meta.label not in NOT_COMPARED
        and not model._meta.proxy
    }


def changed(before, after):
    return {label for label, rows in before.items() if after[label] != rows}


# --- The world ---------------------------------------------------------------------------


@pytest.fixture
def w(behandelaar_a, behandelaar_a2, jobcoach_a, klantmanager_g, ggz_a, gemeente_g):
    leidraad.ensure_bundled()  # a transactional test earlier in the run may have flushed it
    return SimpleNamespace(
        behandelaar_a=behandelaar_a,
        behandelaar_a2=behandelaar_a2,
        jobcoach_a=jobcoach_a,
        klantmanager_g=klantmanager_g,
        ggz_a=ggz_a,
        gemeente_g=gemeente_g,
    )


def today(days=0):
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def lead(w, case):
    return consent.case_access(w.behandelaar_a, case)


def session_with_themes(w, case, judgement=""):
    """A session of behandelaar_a under way, with two themes chosen."""
    session, _created = leidraad.start(lead(w, case))
    keys = [theme["key"] for theme in session.guide.themes][:2]
    LeidraadThemeNote.objects.bulk_create(
        LeidraadThemeNote(session=session, theme=key, position=i, judgement=judgement)
        for i, key in enumerate(keys)
    )
    return session, keys


def trajectory_of(w, case, searching=False):
    trajectory = start_trajectory(w.behandelaar_a, w.jobcoach_a, case)
    if searching:
        to_search(trajectory, w.jobcoach_a)
        trajectory.refresh_from_db()
    return trajectory


def job(w, trajectory):
    return ips.record_placement(
        trajectory,
        Placement(
            employer="Zorgcentrum De Linde",
            job_title="Gastvrouw",
            start_date=timezone.localdate(),
            hours_per_week=20,
            hourly_wage=Decimal("15.00"),
            contract_type=ContractType.BEPAALD,
        ),
        w.jobcoach_a,
    )


def on_trajectory(name, trajectory, *more):
    return reverse(name, args=[trajectory.case_id, trajectory.pk, *more])


# --- The writes: each returns (user, url, valid POST data) -------------------------------

WRITES = {}


def write(name):
    def register(setup):
        WRITES[name] = setup
        return setup

    return register


@write("cases:client_create")
def client_create(w):
    data = {
        "first_name": "Piet",
        "last_name": "Puk",
        "date_of_birth": "1980-01-02",
        "bsn": next_bsn(),
        "email": "",
        "phone": "",
        "address": "",
    }
    return w.behandelaar_a, reverse("cases:client_create"), data


@write("cases:case_open")
def case_open(w):
    case = make_case(w.behandelaar_a)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.GESLOTEN, closed_at=timezone.now())
    return (
        w.behandelaar_a,
        reverse("cases:case_open", args=[case.client_id]),
        {"bsn": case.client.bsn},
    )


@write("cases:work_situation")
def work_situation(w):
    case = make_case(w.behandelaar_a)
    data = {"kind": "geen", "benefit": "geen", "wish_to_work": "ja"}
    return w.behandelaar_a, reverse("cases:work_situation", args=[case.pk]), data


@write("cases:work_discussed")
def work_discussed(w):
    case = make_case(w.behandelaar_a)
    data = {
        "version": case.version,
        "discussed_on": today(),
        "work_is_goal": "on",
        "note": "Werk besproken",
    }
    return w.behandelaar_a, reverse("cases:work_discussed", args=[case.pk]), data


@write("cases:note_create")
def note_create(w):
    case = make_case(w.behandelaar_a)
    data = {"category": "medisch", "title": "Consult", "body": "Het gaat beter."}
    return w.behandelaar_a, reverse("cases:note_create", args=[case.pk]), data


@write("cases:goal_create")
def goal_create(w):
    case = make_case(w.behandelaar_a)
    data = {"domain": RecoveryDomain.MAATSCHAPPELIJK, "description": "Werk vinden"}
    return w.behandelaar_a, reverse("cases:goal_create", args=[case.pk]), data


@write("cases:goal_status")
def goal_status(w):
    case = make_case(w.behandelaar_a)
    goal = Goal.objects.create(
        case=case,
        organisation=w.ggz_a,
        domain=RecoveryDomain.MAATSCHAPPELIJK,
        description="Vrijwilligerswerk vinden",
        created_by=w.behandelaar_a,
    )
    url = reverse("cases:goal_status", args=[case.pk, goal.pk])
    return w.behandelaar_a, url, {"version": goal.version, "status": "bereikt"}


@write("cases:agreement_create")
def agreement_create(w):
    case = make_case(w.behandelaar_a)
    data = {"what": "Cv bijwerken", "owner": "Cliënt", "due_date": today(7)}
    return w.behandelaar_a, reverse("cases:agreement_create", args=[case.pk]), data


@write("cases:agreement_done")
def agreement_done(w):
    case = make_case(w.behandelaar_a)
    agreement = Agreement.objects.create(
        case=case,
        organisation=w.ggz_a,
        what="Cv bijwerken",
        owner="Cliënt",
        due_date=timezone.localdate() + datetime.timedelta(days=14),
        created_by=w.behandelaar_a,
    )
    url = reverse("cases:agreement_done", args=[case.pk, agreement.pk])
    return w.behandelaar_a, url, {"version": agreement.version, "done": "on"}


@write("cases:invite")
def invite(w):
    case = make_case(w.behandelaar_a)
    data = {"email": w.behandelaar_a2.email, "case_role": CaseRole.BEHANDELAAR, "reason": "Graag"}
    return w.behandelaar_a, reverse("cases:invite", args=[case.pk]), data


@write("cases:refer-klantmanager")
def refer_klantmanager(w):
    case = make_case(w.behandelaar_a)
    data = {"target": "klantmanager", "organisation": w.gemeente_g.pk, "reason": "Werk"}
    return w.behandelaar_a, reverse("cases:refer", args=[case.pk]), data


@write("cases:refer-ips")
def refer_ips(w):
    case = make_case(w.behandelaar_a)
    data = {"target": "ips", "organisation": w.ggz_a.pk, "reason": "Wil werken"}
    return w.behandelaar_a, reverse("cases:refer", args=[case.pk]), data


@write("cases:respond-accept-invitation")
def respond_accept_invitation(w):
    case = make_case(w.behandelaar_a)
    invitation = cases.invite(lead(w, case), w.behandelaar_a2, CaseRole.BEHANDELAAR, "Graag")
    url = reverse("cases:respond", args=[invitation.pk])
    return w.behandelaar_a2, url, {"accept": "1", "reason": ""}


@write("cases:respond-accept-ips-referral")
def respond_accept_ips_referral(w):
    case = make_case(w.behandelaar_a)
    referral = cases.refer(lead(w, case), w.ggz_a, CaseRole.TRAJECTBEGELEIDER, "Wil werken")
    url = reverse("cases:respond", args=[referral.pk])
    return w.jobcoach_a, url, {"accept": "1", "reason": ""}


@write("cases:respond-decline")
def respond_decline(w):
    case = make_case(w.behandelaar_a)
    invitation = cases.invite(lead(w, case), w.behandelaar_a2, CaseRole.BEHANDELAAR, "Graag")
    url = reverse("cases:respond", args=[invitation.pk])
    return w.behandelaar_a2, url, {"accept": "0", "reason": "Geen ruimte"}


@write("cases:leave")
def leave(w):
    case = make_case(w.behandelaar_a)
    consent.add_member(case, w.klantmanager_g, CaseRole.KLANTMANAGER)
    url = reverse("cases:leave", args=[case.pk])
    return w.behandelaar_a, url, {"gebruiker": w.klantmanager_g.pk}


@write("cases:close")
def close(w):
    case = make_case(w.behandelaar_a)
    return w.behandelaar_a, reverse("cases:close", args=[case.pk]), {}


@write("cases:driegesprek_plan")
def driegesprek_plan(w):
    case = make_case(w.behandelaar_a)
    data = {
        "planned_at": today(7) + "T10:00",
        "location": "Gemeentehuis",
        "participants": "Cliënt, klantmanager",
    }
    return w.behandelaar_a, reverse("cases:driegesprek_plan", args=[case.pk]), data


@write("cases:driegesprek_record")
def driegesprek_record(w):
    case = make_case(w.behandelaar_a)
    meeting = Driegesprek.objects.create(
        case=case,
        organisation=w.ggz_a,
        planned_at=timezone.now() - datetime.timedelta(hours=1),
        location="Kantoor GGZ A",
        participants="Cliënt, behandelaar",
        created_by=w.behandelaar_a,
    )
    data = {
        "version": meeting.version,
        "summary": "Goed gesprek",
        "what_1": "Vacatures bekijken",
        "owner_1": "Cliënt",
        "due_1": today(7),
    }
    return w.behandelaar_a, reverse("cases:driegesprek_record", args=[case.pk, meeting.pk]), data


# Gespreksleidraad


@write("cases:leidraad_start")
def leidraad_start(w):
    case = make_case(w.behandelaar_a)
    return w.behandelaar_a, reverse("cases:leidraad_start", args=[case.pk]), {}


def step(case, session, number):
    return reverse("cases:leidraad_step", args=[case.pk, session.pk, number])


@write("cases:leidraad_step-1")
def leidraad_themes(w):
    case = make_case(w.behandelaar_a)
    session, _created = leidraad.start(lead(w, case))
    data = {
        "version": session.version,
        "themes": [theme["key"] for theme in session.guide.themes][:2],
        "client_questions": "Wat gebeurt er met mijn uitkering?",
    }
    return w.behandelaar_a, step(case, session, 1), data


@write("cases:leidraad_step-2")
def leidraad_notes(w):
    case = make_case(w.behandelaar_a)
    session, (first, second) = session_with_themes(w, case)
    data = {
        "version": session.version,
        f"notes_{first}": "Goed met mensen",
        f"judgement_{first}": Judgement.HELPT,
        f"notes_{second}": "",
        f"judgement_{second}": Judgement.BELEMMERT,
        "verder": "1",
    }
    return w.behandelaar_a, step(case, session, 2), data


@write("cases:leidraad_step-3-afspraken")
def leidraad_agreements(w):
    case = make_case(w.behandelaar_a)
    session, _keys = session_with_themes(w, case, Judgement.HELPT)
    data = {"action": "afspraken", "what_1": "Schuldhulp bellen", "owner_1": "Cliënt"}
    return w.behandelaar_a, step(case, session, 3), {**data, "due_1": today(7)}


@write("cases:leidraad_step-3-verwijzen-geen")
def leidraad_no_referral(w):
    case = make_case(w.behandelaar_a)
    session, _keys = session_with_themes(w, case, Judgement.HELPT)
    data = {"action": "verwijzen", "kind": "geen", "verwijzing-geen-reason": "Werkt al."}
    return w.behandelaar_a, step(case, session, 3), data


@write("cases:leidraad_step-3-verwijzen-extern")
def leidraad_external_referral(w):
    case = make_case(w.behandelaar_a)
    session, _keys = session_with_themes(w, case, Judgement.HELPT)
    data = {
        "action": "verwijzen",
        "kind": "extern",
        "verwijzing-extern-destination": "bedrijfsarts",
        "verwijzing-extern-reason": "Terugkeer naar eigen werk",
    }
    return w.behandelaar_a, step(case, session, 3), data


@write("cases:leidraad_step-3-verwijzen-ips")
def leidraad_ips_referral(w):
    case = make_case(w.behandelaar_a)
    session, _keys = session_with_themes(w, case, Judgement.HELPT)
    data = {"action": "verwijzen", "kind": "ips", "verwijzing-ips-reason": "Wil werken"}
    return w.behandelaar_a, step(case, session, 3), data


@write("cases:leidraad_step-3-afronden")
def leidraad_finish(w):
    case = make_case(w.behandelaar_a)
    session, _keys = session_with_themes(w, case, Judgement.HELPT)
    leidraad.refer(lead(w, case), session, ReferralKind.GEEN, reason="Werkt al.")
    session.refresh_from_db()
    data = {"action": "afronden", "version": session.version}
    return w.behandelaar_a, step(case, session, 3), data


@write("cases:leidraad_correction")
def leidraad_correction(w):
    case = make_case(w.behandelaar_a)
    session = finished_session(case, w.behandelaar_a, {"krachten": Judgement.HELPT})
    url = reverse("cases:leidraad_correction", args=[case.pk, session.pk])
    return w.behandelaar_a, url, {"body": "Aanvulling: de cliënt werkt inmiddels 8 uur."}


# Motiverende gesprekken


@write("cases:conversation_create")
def conversation_create(w):
    case = make_case(w.behandelaar_a)
    url = reverse("cases:conversation_create", args=[case.pk])
    return w.behandelaar_a, url, conversation_data()


@write("cases:conversation_edit")
def conversation_edit(w):
    case = make_case(w.behandelaar_a)
    conversation = log_direct(case, w.behandelaar_a)
    url = reverse("cases:conversation_edit", args=[case.pk, conversation.pk])
    data = conversation_data(version=str(conversation.version), summary="Bijgewerkt")
    return w.behandelaar_a, url, data


@write("cases:conversation_correct")
def conversation_correct(w):
    case = make_case(w.behandelaar_a)
    conversation = log_direct(case, w.behandelaar_a)
    url = reverse("cases:conversation_correct", args=[case.pk, conversation.pk])
    return w.behandelaar_a, url, conversation_data(correction_reason="Verkeerde datum")


# IPS


@write("ips:phase_change")
def phase_change(w):
    trajectory = trajectory_of(w, make_case(w.behandelaar_a))
    data = {
        "version": trajectory.version,
        "to_phase": Phase.INTAKE,
        "changed_on": today(),
        "note": "Intakegesprek gehad",
    }
    return w.jobcoach_a, on_trajectory("ips:phase_change", trajectory), data


@write("ips:profile_edit")
def profile_edit(w):
    trajectory = trajectory_of(w, make_case(w.behandelaar_a))
    data = {"disclosure": Disclosure.NOG_NIET, "preferred_sectors": "Zorg"}
    return w.jobcoach_a, on_trajectory("ips:profile_edit", trajectory), data


@write("ips:contact_create")
def contact_create(w):
    trajectory = trajectory_of(w, make_case(w.behandelaar_a))
    data = {
        "contacted_on": today(),
        "employer": "Bakkerij De Korenschoof",
        "contact_person": "Jan Bakker",
        "type": "eerste_contact",
        "face_to_face": "on",
        "outcome": "Vacature besproken",
    }
    return w.jobcoach_a, on_trajectory("ips:contact_create", trajectory), data


@write("ips:placement_create")
def placement_create(w):
    trajectory = trajectory_of(w, make_case(w.behandelaar_a), searching=True)
    return w.jobcoach_a, on_trajectory("ips:placement_create", trajectory), placement_data()


@write("ips:placement_end")
def placement_end(w):
    trajectory = trajectory_of(w, make_case(w.behandelaar_a), searching=True)
    placement = job(w, trajectory)
    url = on_trajectory("ips:placement_end", trajectory, placement.pk)
    data = {"version": placement.version, "end_date": today(), "end_reason": "zelf_gestopt"}
    return w.jobcoach_a, url, data


@write("ips:follow_along_create")
def follow_along_create(w):
    trajectory = trajectory_of(w, make_case(w.behandelaar_a), searching=True)
    placement = job(w, trajectory)
    data = {
        "contacted_on": today(),
        "with_whom": "client",
        "placement": placement.pk,
        "note": "Gaat goed",
    }
    return w.jobcoach_a, on_trajectory("ips:follow_along_create", trajectory), data


@write("ips:transfer")
def transfer(w):
    """The beheerder hands the trajectory of a coach who left to a colleague."""
    trajectory_of(w, make_case(w.behandelaar_a))
    successor = UserFactory(organisation=w.ggz_a, role=Role.TRAJECTBEGELEIDER)
    User.objects.filter(pk=w.jobcoach_a.pk).update(is_active=False)
    beheerder = UserFactory(organisation=w.ggz_a, role=Role.BEHEERDER)
    data = {f"former-{w.jobcoach_a.pk}-coach": successor.pk}
    return beheerder, reverse("ips:transfer", args=[w.jobcoach_a.pk]), data


@write("cases:assign_lead")
def assign_lead(w):
    """The beheerder appoints a lead for a case whose only lead left."""
    case = make_case(w.behandelaar_a)
    User.objects.filter(pk=w.behandelaar_a.pk).update(is_active=False)
    beheerder = UserFactory(organisation=w.ggz_a, role=Role.BEHEERDER)
    data = {"lead": w.behandelaar_a2.pk}
    return beheerder, reverse("cases:assign_lead", args=[case.pk]), data


# --- The tests ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", WRITES)
def test_the_submission_is_valid(name, w, client_for):
    """Without a fault the submission saves: so the other test is about the log."""
    user, url, data = WRITES[name](w)
    before = snapshot()
    response = client_for(user).post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert changed(before, snapshot())


@pytest.mark.parametrize("name", WRITES)
def test_a_failing_log_entry_leaves_no_change(name, w, client_for, failing_change_log):
    user, url, data = WRITES[name](w)
    c = client_for(user)
    before = snapshot()
    with pytest.raises(LogUnavailable):
        c.post(url, data)
    after = snapshot()
    assert changed(before, after) == set()
    assert after == before
