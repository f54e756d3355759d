"""Demo clients at GGZ Rivierland in different states, some shared with Gemeente Havenstad
or UWV Havenstad. All fictitious. Loaded by portal.demo.build_world (idempotent)."""

import datetime
from contextlib import contextmanager

from django.db.models import Max
from django.utils import timezone

from consent import services as consent
from consent.constants import Category, ConsentMethod, Purpose
from consent.models import Consent, ConsentWithdrawal

from . import conversation_services, services
from .constants import (
    Benefit,
    CaseRole,
    CaseStatus,
    ChangeTalkKind,
    ConversationForm,
    GoalStatus,
    RecoveryDomain,
    TargetBehaviour,
    TimelineKind,
    WishToWork,
    WorkSituationKind,
)
from .models import (
    Agreement,
    Case,
    Client,
    Conversation,
    Goal,
    MitiSelfAssessment,
    TimelineEntry,
    WorkSituation,
)

WORK_CATEGORIES = [
    Category.WERKSITUATIE,
    Category.MOGELIJKHEDEN,
    Category.AFSPRAKEN,
    Category.IDENTIFICATIE,
    Category.IPS,
]

# (first, last, birth year, state, shared with, consent state, case opened days ago). A case
# is opened before anything on it happened: its conversations (below), its consents and the
# IPS referral that ips.demo dates back (Ruben Kok: 300 days, Noor Peters: 200).
CLIENTS = [
    ("Sanne", "Willems", 1991, "intake", None, None, 3),
    ("Mehmet", "Yilmaz", 1985, "intake", None, None, 10),
    ("Lotte", "Hendriks", 1996, "behandeling", None, None, 90),
    ("Daan", "Mulder", 1979, "behandeling", "gemeente", "actief", 120),
    ("Fatima", "Bouzid", 1988, "verwezen", "gemeente", "actief", 45),
    ("Kees", "van Dijk", 1972, "verwezen", None, None, 35),
    ("Priya", "Ramdin", 1993, "zoeken", "gemeente", "ingetrokken", 80),
    ("Tom", "de Graaf", 1990, "zoeken", "uwv", "actief", 75),
    ("Noor", "Peters", 1987, "geplaatst", "gemeente", "verlopen", 420),
    ("Ruben", "Kok", 1983, "geplaatst", "gemeente", None, 330),
    ("Iris", "Vos", 1975, "gesloten", None, None, 400),
    ("Ahmed", "Haddou", 1998, "behandeling", "uwv", "actief", 40),
]

CLINICAL_NOTE = (
    "Klinische notitie (demo): stemming wisselend, medicatie ongewijzigd. "
    "Dit is medische informatie en mag nooit bij gemeente of UWV zichtbaar zijn."
)


def demo_bsn(index):
    """A valid (11-proef) fictitious BSN, deterministic per index."""
    base = f"{90000000 + index * 7919:08d}"
    for extra in range(100):
        digits = f"{int(base) + extra:08d}"
        total = sum(int(d) * w for d, w in zip(digits, range(9, 1, -1), strict=True))
        check = total % 11
        if check < 10:
            return digits + str(check)
    raise ValueError("geen geldig BSN gevonden")


def load(world):
    users = world["users"]
    orgs = world["organisations"]
    ggz = orgs["GGZ Rivierland"]
    behandelaar = users["behandelaar@rivierland.demo"]
    jobcoach = users["jobcoach@rivierland.demo"]
    partners = {
        "gemeente": (orgs["Gemeente Havenstad"], users["klantmanager@havenstad.demo"]),
        "uwv": (orgs["UWV Havenstad"], users["adviseur@uwv.demo"]),
    }
    today = timezone.localdate()
    for index, (first, last, year, state, shared, consent_state, opened) in enumerate(CLIENTS):
        bsn = demo_bsn(index)
        if Client.objects.filter(organisation=ggz, bsn=bsn).exists():
            continue
        client = services.register_client(
            behandelaar,
            first_name=first,
            last_name=last,
            date_of_birth=datetime.date(year, 3 + index % 9, 1 + index),
            bsn=bsn,
            phone=f"06-1234{index:04d}",
            email=f"{first.lower()}@voorbeeld.demo",
        )
        case = services.open_case(behandelaar, client)
        _backdate_opening(case, _at(today - datetime.timedelta(days=opened)))
        # UWV's clients have a benefit UWV pays; the gemeente's (and the others) bijstand.
        benefit = Benefit.WIA if shared == "uwv" else Benefit.BIJSTAND
        _fill_case(case, behandelaar, jobcoach, state, today, benefit)
        if shared:
            organisation, klantmanager = partners[shared]
            consent.add_member(case, klantmanager, CaseRole.KLANTMANAGER)
            with happened_on(case.pk, today - datetime.timedelta(days=opened - 7)):
                services.add_timeline(
                    case,
                    behandelaar,
                    TimelineKind.TEAM,
                    Category.IDENTIFICATIE,
                    f"{klantmanager} doet mee als klantmanager",
                    about=klantmanager,
                )
            if consent_state:
                _consent(client, ggz, organisation, behandelaar, consent_state, today)
    _load_conversations(ggz, {"behandelaar": behandelaar, "jobcoach": jobcoach}, today)


def _at(day, hour=9):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@contextmanager
def happened_on(case_id, day, hour=11):
    """Demo only: what the block writes on the case's timeline happened on ``day``, not on
    the day the demo was loaded."""
    last = TimelineEntry.objects.filter(case_id=case_id).aggregate(last=Max("pk"))["last"]
    yield
    TimelineEntry.objects.filter(case_id=case_id, pk__gt=last or 0).update(
        occurred_at=_at(day, hour)
    )


def _backdate_opening(case, opened_at):
    """Demo only: the client was registered and the case opened ``opened_at``."""
    Client.objects.filter(pk=case.client_id).update(created_at=opened_at)
    Case.objects.filter(pk=case.pk).update(opened_at=opened_at)
    TimelineEntry.objects.filter(case=case).update(occurred_at=opened_at)
    case.refresh_from_db()


def _fill_case(case, behandelaar, jobcoach, state, today, benefit):
    intake = services.add_timeline(
        case,
        behandelaar,
        TimelineKind.NOTITIE,
        Category.MEDISCH,
        "Intakegesprek",
        body=CLINICAL_NOTE,
    )
    TimelineEntry.objects.filter(pk=intake.pk).update(occurred_at=case.opened_at)
    if state == "intake":
        return
    case.work_discussed_on = today - datetime.timedelta(days=20)
    case.work_is_goal = state != "gesloten"
    case.save(update_fields=["work_discussed_on", "work_is_goal"])
    discussed = services.add_timeline(
        case,
        behandelaar,
        TimelineKind.WERK_BESPROKEN,
        Category.AFSPRAKEN,
        "Werk besproken — werk is een behandeldoel",
    )
    TimelineEntry.objects.filter(pk=discussed.pk).update(occurred_at=_at(case.work_discussed_on))
    # The situation at intake. A job found through IPS is a later werksituatie, recorded
    # from the placement itself (ips.demo), so the two always agree.
    WorkSituation.objects.create(
        case=case,
        organisation=behandelaar.organisation,
        recorded_by=behandelaar,
        recorded_at=case.opened_at,
        kind=WorkSituationKind.GEEN,
        benefit=benefit,
        job_search_duty=True,
        job_search_exempt=True,
        wish_to_work=WishToWork.JA if state != "behandeling" else WishToWork.NOG_NIET,
    )
    Goal.objects.create(
        case=case,
        organisation=behandelaar.organisation,
        created_by=behandelaar,
        domain=RecoveryDomain.MAATSCHAPPELIJK,
        description="Een betaalde baan die bij de cliënt past",
        status=GoalStatus.BEREIKT if state == "geplaatst" else GoalStatus.OPEN,
    )
    # A closed case has nothing left to do: its afspraak was met before it closed.
    closed = state == "gesloten"
    Agreement.objects.create(
        case=case,
        organisation=behandelaar.organisation,
        created_by=behandelaar,
        what="Vacatures bekijken in de zorg",
        owner="Cliënt",
        due_date=today + datetime.timedelta(days=-30 if closed else 14),
        done=closed,
    )
    if state in ("verwezen", "zoeken", "geplaatst"):
        access = consent.case_access(behandelaar, case)
        services.refer(
            access,
            behandelaar.organisation,
            CaseRole.TRAJECTBEGELEIDER,
            "Cliënt wil betaald werk en is gemotiveerd voor IPS.",
        )
    if state in ("zoeken", "geplaatst"):
        invitation = services.open_invitations_for(jobcoach).filter(case=case).first()
        services.respond(invitation, jobcoach, accept=True)
    if closed:
        closed_on = today - datetime.timedelta(days=20)
        with happened_on(case.pk, closed_on, hour=15):
            services.close_case(behandelaar, case)
        Case.objects.filter(pk=case.pk).update(closed_at=_at(closed_on, 15))


def _consent(client, provider, recipient, recorded_by, state, today):
    if state == "verlopen":
        start, end = today - datetime.timedelta(days=399), today - datetime.timedelta(days=35)
    else:
        start, end = today - datetime.timedelta(days=30), today + datetime.timedelta(days=20)
    record = Consent.objects.create(
        client=client,
        provider=provider,
        recipient=recipient,
        purpose=Purpose.REINTEGRATIE,
        valid_from=start,
        valid_until=end,
        method=ConsentMethod.SCHRIFTELIJK,
        purpose_explained=True,
        recorded_by=recorded_by,
    )
    record.categories.set(WORK_CATEGORIES)
    if state == "ingetrokken":
        ConsentWithdrawal.objects.create(
            consent=record,
            method=ConsentMethod.MONDELING,
            recorded_by=recorded_by,
            reason="Cliënt wil de gemeente voorlopig niet informeren.",
        )


# Motiverende gesprekken, all fictitious: (client, who, days ago, stage, importance,
# confidence, {change talk: quote}, summary, MITI self-scores or None).
K = ChangeTalkKind
CONVERSATIONS = [
    ("Lotte Hendriks", "behandelaar", 50, "precontemplatie", 3, 2, {}, "Werk voelt ver weg.",
     (8, 4, 2, 2, 2, 3, 3)),
    ("Lotte Hendriks", "behandelaar", 30, "contemplatie", 5, 3,
     {K.DESIRE: "Eigenlijk mis ik collega's wel."}, "Twijfel, maar nieuwsgierig.",
     (9, 6, 3, 3, 3, 4, 3)),
    ("Lotte Hendriks", "behandelaar", 9, "contemplatie", 6, 4,
     {K.DESIRE: "", K.REASONS: "Ik wil mijn eigen geld verdienen."}, "Wil meer weten over IPS.",
     None),
    ("Daan Mulder", "behandelaar", 60, "contemplatie", 6, 3, {K.NEED: "Zo kan het niet langer."},
     "Verveling en geldzorgen.", (10, 5, 5, 3, 3, 4, 4)),
    ("Daan Mulder", "behandelaar", 40, "voorbereiding", 7, 5,
     {K.ABILITY: "Ik kan goed met mijn handen werken.", K.COMMITMENT: ""},
     "Denkt aan werk in de groenvoorziening.", (7, 6, 6, 4, 3, 4, 4)),
    ("Daan Mulder", "behandelaar", 20, "actie", 8, 6,
     {K.TAKING_STEPS: "Ik heb de vacature al bekeken.", K.COMMITMENT: "Ik ga bellen."},
     "Eerste stappen gezet.", (6, 6, 7, 4, 4, 5, 4)),
    ("Daan Mulder", "behandelaar", 5, "terugval", 7, 4, {K.DESIRE: ""},
     "Afwijzing op een sollicitatie; stemming lager.", None),
    ("Tom de Graaf", "behandelaar", 45, "voorbereiding", 8, 5,
     {K.COMMITMENT: "Ik wil het IPS-traject in."}, "Klaar voor IPS.", (8, 7, 5, 4, 4, 4, 5)),
    ("Tom de Graaf", "jobcoach", 15, "actie", 9, 7, {K.TAKING_STEPS: "Mijn cv is af."},
     "Cv klaar, eerste werkgeverscontact gepland.", (5, 5, 4, 4, 3, 4, 4)),
]  # fmt: skip
MITI_FIELDS = MitiSelfAssessment.COUNTS + MitiSelfAssessment.GLOBALS


def _load_conversations(organisation, people, today):
    """A few logs on some demo cases, so the panel, chart and MITI trend have content.
    A case that already has a log is left alone (idempotent)."""
    filled = set(Conversation.objects.values_list("case_id", flat=True))
    for name, who, days, stage, importance, confidence, talk, summary, miti in CONVERSATIONS:
        first, last = name.split(" ", 1)
        case = Case.objects.filter(
            client__organisation=organisation,
            client__first_name=first,
            client__last_name=last,
            status=CaseStatus.OPEN,
        ).first()
        if case is None or case.pk in filled:
            continue
        user = people[who]
        access = consent.case_access(user, case)
        if not access.is_member:
            continue
        held_on = today - datetime.timedelta(days=days)
        with happened_on(case.pk, held_on, hour=16):
            conversation = conversation_services.log_conversation(
                access,
                {
                    "held_on": held_on,
                    "duration_minutes": 45 if who == "behandelaar" else 30,
                    "participants": f"{first} en {user.get_full_name()}",
                    "form": ConversationForm.PERSOONLIJK,
                    "target_behaviour": TargetBehaviour.WERK_ZOEKEN,
                    "target_other": "",
                    "stage": stage,
                    "importance": importance,
                    "confidence": confidence,
                    "sustain_talk": "",
                    "discord": "",
                    "summary": summary,
                    "zvw_funded": who == "behandelaar",
                },
                talk,
                miti=dict(zip(MITI_FIELDS, miti, strict=True)) if miti else None,
            )
        # As if logged on the day itself: older logs are past the edit window.
        Conversation.objects.filter(pk=conversation.pk).update(created_at=_at(held_on, 16))
