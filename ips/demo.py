"""Demo IPS data for the demo world (all fictitious): trajectories for the clients that
cases.demo put in the states 'zoeken' and 'geplaatst', with employer contacts, jobs and
follow-along, general employer contacts of the jobcoach, the IPS team, and two fidelity
reviews.

Loaded after cases.demo.load (portal.demo.LOADERS). Idempotent: a trajectory that has left
'aangemeld' is left alone, as are existing contacts and reviews. Referrals that the demo
world created without cases.services.refer get their trajectory here.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from cases.constants import (
    Benefit,
    CaseRole,
    CaseStatus,
    InvitationStatus,
    TimelineKind,
    WishToWork,
    WorkSituationKind,
)
from cases.demo import happened_on
from cases.models import Case, Invitation, TimelineEntry, WorkSituation
from consent.constants import Category

from . import fidelity, services
from .constants import (
    FIDELITY_ITEMS,
    ContactType,
    ContractType,
    Disclosure,
    FollowAlongWith,
    Phase,
    PlacementEndReason,
    ReviewKind,
)
from .models import (
    Beroepsprofiel,
    EmployerContact,
    FidelityReview,
    FollowAlongContact,
    IpsTeam,
    PhaseChange,
    Placement,
    TeamMember,
    Trajectory,
)

EMPLOYERS = [
    ("Bakkerij De Korenschoof", "mevrouw Smit"),
    ("Tuincentrum Groen", "de heer Bos"),
    ("Zorgcentrum De Linde", "mevrouw Yilmaz"),
    ("Fietsenmaker Havenstad", "de heer Vos"),
    ("Supermarkt Dorpsplein", "mevrouw de Wit"),
    ("Drukkerij Rivier", "de heer Kramer"),
    ("Hotel Aan de Haven", "mevrouw Jacobs"),
    ("Logistiek Centrum Oost", "de heer Visser"),
]

# (first name, last name) -> story
STORIES = {
    ("Priya", "Ramdin"): "zoeken",
    ("Tom", "de Graaf"): "zoeken_traag",
    ("Noor", "Peters"): "geplaatst",
    ("Ruben", "Kok"): "tweede_baan",
}

# Fidelity scores per item (IPS-25 order): an external review two years ago and a
# self-assessment this year.
EARLIER_SCORES = [3, 4, 4, 3, 3, 2, 3, 3, 5, 3, 3, 4, 3, 3, 4, 3, 3, 4, 4, 4, 3, 4, 3, 3, 3]
RECENT_SCORES = [5, 4, 5, 4, 4, 3, 4, 4, 5, 4, 4, 5, 4, 4, 5, 3, 4, 4, 4, 5, 4, 5, 4, 4, 3]


def load(world):
    users = world["users"]
    ggz = world["organisations"]["GGZ Rivierland"]
    jobcoach = users["jobcoach@rivierland.demo"]
    today = timezone.localdate()
    team = services.team_of(jobcoach)  # a demo database from before teams has one already
    if team is None:
        team, _created = IpsTeam.objects.get_or_create(organisation=ggz, name="IPS-team Rivierland")
        TeamMember.objects.create(coach=jobcoach, team=team)
    # Every open or accepted IPS referral has its trajectory.
    for referral in Invitation.objects.filter(
        is_referral=True,
        case_role=CaseRole.TRAJECTBEGELEIDER,
        organisation=ggz,
        status__in=[InvitationStatus.OPEN, InvitationStatus.GEACCEPTEERD],
        ips_trajectory__isnull=True,
        case__status=CaseStatus.OPEN,
    ).select_related("case", "invited_by"):
        if Trajectory.objects.open().filter(client_id=referral.case.client_id).exists():
            continue
        services.on_referral(referral)
        if referral.status == InvitationStatus.GEACCEPTEERD:
            services.on_referral_accepted(referral, referral.responded_by or jobcoach)
    for (first, last), story in STORIES.items():
        case = (
            Case.objects.filter(
                client__organisation=ggz,
                client__first_name=first,
                client__last_name=last,
                status=CaseStatus.OPEN,
            )
            .order_by("-pk")
            .first()
        )
        if case is None:
            continue
        trajectory = Trajectory.objects.open().filter(case=case).first()
        if trajectory is None or trajectory.phase != Phase.AANGEMELD:
            continue
        if trajectory.coach_id is None:
            Trajectory.objects.filter(pk=trajectory.pk).update(coach=jobcoach)
            trajectory.refresh_from_db()
        STORY_LOADERS[story](trajectory, jobcoach, today)
    _general_contacts(jobcoach, today)
    _reviews(team, jobcoach, today)


def _start(trajectory, days_ago, today):
    """Date the referral ``days_ago`` days back (demo only), with the referral itself and
    its line on the case's timeline. cases.demo opened the case before that day."""
    referred_on = today - datetime.timedelta(days=days_ago)
    referred_at = timezone.make_aware(datetime.datetime.combine(referred_on, datetime.time(10, 0)))
    Trajectory.objects.filter(pk=trajectory.pk).update(referred_at=referred_at)
    PhaseChange.objects.filter(trajectory=trajectory, to_phase=Phase.AANGEMELD).update(
        changed_on=referred_on
    )
    if trajectory.referral_id:
        Invitation.objects.filter(pk=trajectory.referral_id).update(created_at=referred_at)
        Invitation.objects.filter(pk=trajectory.referral_id, responded_at__isnull=False).update(
            responded_at=referred_at + datetime.timedelta(days=1)
        )
    TimelineEntry.objects.filter(
        case_id=trajectory.case_id, kind=TimelineKind.VERWIJZING, category=Category.IPS
    ).update(occurred_at=referred_at)
    # The coach's "doet mee" line: the day after, when the referral was accepted.
    TimelineEntry.objects.filter(
        case_id=trajectory.case_id, kind=TimelineKind.TEAM, author_id=trajectory.coach_id
    ).update(occurred_at=referred_at + datetime.timedelta(days=1))
    trajectory.refresh_from_db()
    return referred_on


def _day(start, n):
    return start + datetime.timedelta(days=n)


def _phase(trajectory, coach, phase, day, **fields):
    with happened_on(trajectory.case_id, day):
        services.change_phase(trajectory, coach, phase, day, **fields)


def _to_search(trajectory, coach, start, profile_days=None, search_day=20):
    _phase(trajectory, coach, Phase.INTAKE, _day(start, 4))
    if profile_days is not None:
        _phase(
            trajectory, coach, Phase.BEROEPSPROFIEL, _day(start, profile_days), wants_paid_work=True
        )
        _phase(trajectory, coach, Phase.ZOEKEN, _day(start, search_day))
    else:
        _phase(trajectory, coach, Phase.ZOEKEN, _day(start, search_day), wants_paid_work=True)


def _profile(trajectory, coach, **fields):
    Beroepsprofiel.objects.create(
        trajectory=trajectory, organisation=coach.organisation, updated_by=coach, **fields
    )


def _contact(trajectory, coach, day, employer_index, kind, outcome, face_to_face=True):
    employer, person = EMPLOYERS[employer_index % len(EMPLOYERS)]
    EmployerContact.objects.create(
        organisation=coach.organisation,
        coach=coach,
        trajectory=trajectory,
        contacted_on=day,
        employer=employer,
        contact_person=person,
        type=kind,
        face_to_face=face_to_face,
        outcome=outcome,
    )


def _placement(trajectory, coach, **fields):
    placement = Placement(**fields)
    with happened_on(trajectory.case_id, placement.start_date):
        return services.record_placement(trajectory, placement, coach)


def _works(trajectory, coach, placement, benefit):
    """The case's werksituatie from the job the client has now, recorded on its first day."""
    WorkSituation.objects.create(
        case_id=trajectory.case_id,
        organisation=coach.organisation,
        recorded_by=coach,
        recorded_at=timezone.make_aware(
            datetime.datetime.combine(placement.start_date, datetime.time(12, 0))
        ),
        kind=WorkSituationKind.BETAALD,
        hours_per_week=placement.hours_per_week,
        benefit=benefit,
        # Bijstand alongside part-time work keeps the duty to look for more work.
        job_search_duty=benefit != Benefit.GEEN,
        wish_to_work=WishToWork.JA,
    )


def _story_zoeken(trajectory, coach, today):
    start = _start(trajectory, 50, today)
    _to_search(trajectory, coach, start, profile_days=10, search_day=18)
    _profile(
        trajectory,
        coach,
        work_history="Vakkenvuller (2 jaar), magazijnmedewerker (1 jaar).",
        education="Mbo Logistiek, niveau 2.",
        preferred_sectors="Groen, logistiek; buiten werken",
        preferred_hours=20,
        travel="Fiets, tot 10 km",
        strengths="Nauwkeurig, doorzetter, werkt graag met de handen.",
        barriers="Drukte en onverwachte wijzigingen geven stress.",
        support_needed="Vaste begintijden, een vaste collega als aanspreekpunt.",
        disclosure=Disclosure.GEDEELTELIJK,
        disclosure_note="De werkgever mag weten dat ik ondersteuning krijg van een "
        "jobcoach, niet waarom.",
    )
    _contact(trajectory, coach, _day(start, 22), 1, ContactType.EERSTE_CONTACT, "Kennismaking")
    _contact(trajectory, coach, _day(start, 30), 1, ContactType.VACATURE, "Vacature hovenier")
    _contact(trajectory, coach, _day(start, 41), 7, ContactType.WERKPLEKBEZOEK, "Rondleiding")


def _story_zoeken_traag(trajectory, coach, today):
    # No employer contact yet, 40 days after the referral: flagged on the trajectory.
    start = _start(trajectory, 40, today)
    _to_search(trajectory, coach, start, search_day=9)
    _profile(
        trajectory,
        coach,
        preferred_sectors="Techniek, fietsen repareren",
        preferred_hours=24,
        strengths="Technisch handig.",
        disclosure=Disclosure.NOG_NIET,
    )


def _story_geplaatst(trajectory, coach, today):
    start = _start(trajectory, 200, today)
    _to_search(trajectory, coach, start, profile_days=12, search_day=25)
    _profile(
        trajectory,
        coach,
        work_history="Gastvrouw in een hotel (3 jaar).",
        preferred_sectors="Horeca, zorg",
        preferred_hours=16,
        strengths="Gastvrij, sociaal, goed met mensen.",
        support_needed="Rustige inwerkperiode.",
        disclosure=Disclosure.VERTELLEN,
        disclosure_note="De leidinggevende mag weten dat ik een psychische aandoening heb.",
    )
    _contact(trajectory, coach, _day(start, 15), 6, ContactType.EERSTE_CONTACT, "Interesse")
    _contact(trajectory, coach, _day(start, 30), 2, ContactType.EERSTE_CONTACT, "Geen plek")
    _contact(trajectory, coach, _day(start, 45), 6, ContactType.VACATURE, "Gesprek gepland")
    job = _placement(
        trajectory,
        coach,
        employer="Hotel Aan de Haven",
        job_title="Medewerker receptie",
        start_date=_day(start, 60),
        hours_per_week=Decimal("16"),
        hourly_wage=Decimal("15.20"),
        contract_type=ContractType.BEPAALD,
    )
    _works(trajectory, coach, job, Benefit.BIJSTAND)  # 16 hours: bijstand tops up the wage
    _phase(trajectory, coach, Phase.NAZORG, _day(start, 120))
    for n, (who, note) in enumerate(
        [
            (FollowAlongWith.CLIENT, "Eerste weken gaan goed; moe na late diensten."),
            (FollowAlongWith.WERKGEVER, "Leidinggevende tevreden; diensten voortaan vroeg."),
            (FollowAlongWith.BEIDE, "Evaluatie: contract wordt verlengd."),
        ]
    ):
        FollowAlongContact.objects.create(
            trajectory=trajectory,
            placement=job,
            organisation=coach.organisation,
            contacted_on=_day(start, 70 + 40 * n),
            with_whom=who,
            note=note,
            recorded_by=coach,
        )


def _story_tweede_baan(trajectory, coach, today):
    start = _start(trajectory, 300, today)
    _to_search(trajectory, coach, start, search_day=14)
    _profile(
        trajectory,
        coach,
        preferred_sectors="Logistiek, productie",
        preferred_hours=32,
        strengths="Sterk, betrouwbaar, houdt van structuur.",
        disclosure=Disclosure.VERZWIJGEN,
    )
    _contact(trajectory, coach, _day(start, 10), 7, ContactType.EERSTE_CONTACT, "Open sollicitatie")
    first = _placement(
        trajectory,
        coach,
        employer="Werkbedrijf Havenstad",
        job_title="Inpakker (beschut werk)",
        start_date=_day(start, 50),
        hours_per_week=Decimal("24"),
        hourly_wage=Decimal("14.71"),
        contract_type=ContractType.BEPAALD,
        set_aside=True,
    )
    Placement.objects.filter(pk=first.pk).update(
        end_date=_day(start, 110), end_reason=PlacementEndReason.CONTRACT_AFGELOPEN
    )
    _phase(trajectory, coach, Phase.ZOEKEN, _day(start, 110))
    _contact(trajectory, coach, _day(start, 118), 7, ContactType.VERVOLG, "Vacature orderpicker")
    _contact(trajectory, coach, _day(start, 125), 7, ContactType.WERKPLEKBEZOEK, "Proefdag")
    job = _placement(
        trajectory,
        coach,
        employer="Logistiek Centrum Oost",
        job_title="Orderpicker",
        start_date=_day(start, 150),
        hours_per_week=Decimal("32"),
        hourly_wage=Decimal("14.71"),
        contract_type=ContractType.UITZEND,
    )
    _works(trajectory, coach, job, Benefit.GEEN)  # 32 hours: off bijstand


STORY_LOADERS = {
    "zoeken": _story_zoeken,
    "zoeken_traag": _story_zoeken_traag,
    "geplaatst": _story_geplaatst,
    "tweede_baan": _story_tweede_baan,
}


def _general_contacts(coach, today):
    """Job development without a client: four contacts a week for the last ten weeks
    (below the norm of six, as the dashboard will show)."""
    if EmployerContact.objects.filter(coach=coach, trajectory__isnull=True).exists():
        return
    monday = today - datetime.timedelta(days=today.weekday())
    rows = []
    for week in range(1, 11):
        for day in range(4):
            contacted_on = monday - datetime.timedelta(weeks=week) + datetime.timedelta(days=day)
            employer, person = EMPLOYERS[(week + day) % len(EMPLOYERS)]
            rows.append(
                EmployerContact(
                    organisation=coach.organisation,
                    coach=coach,
                    contacted_on=contacted_on,
                    employer=employer,
                    contact_person=person,
                    type=ContactType.VERVOLG if week % 2 else ContactType.EERSTE_CONTACT,
                    face_to_face=day != 3,
                    outcome="Relatie opbouwen; vraagt naar mogelijkheden.",
                )
            )
    EmployerContact.objects.bulk_create(rows)


def _reviews(team, coach, today):
    if FidelityReview.objects.filter(team=team).exists():
        return
    for kind, days_ago, reviewers, scores in [
        (ReviewKind.EXTERN, 730, "Auditoren Kenniscentrum (demo)", EARLIER_SCORES),
        (ReviewKind.ZELF, 60, "IPS-team GGZ Rivierland", RECENT_SCORES),
    ]:
        review = fidelity.create_review(
            coach,
            team,
            kind=kind,
            review_date=today - datetime.timedelta(days=days_ago),
            reviewers=reviewers,
        )
        values = {
            code: (score, "") for (code, *_rest), score in zip(FIDELITY_ITEMS, scores, strict=True)
        }
        fidelity.save_scores(review, values, review.version)
        fidelity.finish_review(review, coach, review.version)
