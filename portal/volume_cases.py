"""What one fictitious client brings to the volume data (see portal/volume.py): the client,
one case with its team, consents, timeline, work situations, goals, agreements, sometimes a
driegesprek, for some an IPS trajectory with everything that hangs off it, and motivational
conversations.

Rows are collected per block and written with one COPY per table. Rows that others point to
(consents, invitations, trajectories, placements) are :class:`Pending` until the block
reserves their ids.
"""

import datetime as dt
import random
from decimal import Decimal

from cases.constants import (
    Benefit,
    CaseRole,
    CaseStatus,
    ChangeTalkKind,
    ConversationForm,
    GoalStatus,
    InvitationStatus,
    MeetingStatus,
    RecoveryDomain,
    StageOfChange,
    TargetBehaviour,
    TimelineKind,
    WishToWork,
    WorkSituationKind,
)
from cases.models import (
    Agreement,
    Case,
    CaseMember,
    ChangeTalk,
    Client,
    Conversation,
    Driegesprek,
    Goal,
    Invitation,
    MitiSelfAssessment,
    TimelineEntry,
    WorkSituation,
)
from cases.services import team_news_category
from consent.constants import Category, ConsentMethod, Purpose
from consent.models import Consent, ConsentWithdrawal
from ips.constants import (
    CloseReason,
    ContactType,
    ContractType,
    Disclosure,
    FollowAlongWith,
    Phase,
    PlacementEndReason,
    minimum_hourly_wage,
)
from ips.models import (
    Beroepsprofiel,
    EmployerContact,
    FollowAlongContact,
    PhaseChange,
    Placement,
    Trajectory,
)

from .constants import OrganisationType, Role
from .volume import FIRST_NAMES, LAST_NAMES, OWN_CATEGORIES, role_of, weighted, words
from .words import searchable, sort_name

STREETS = words("Dorpsstraat Kerkweg Molenlaan Schoolstraat Stationsweg Julianalaan Beukenlaan")
EMPLOYERS = words(
    "Bakkerij De Korenschoof|Supermarkt Dagvers|Tuincentrum Het Groene Hart|Kringloop Tweede "
    "Kans|Logistiek Centrum Oost|Hotel De Zwaan|Zorgboerderij De Hoeve|Drukkerij Punt|"
    "Fietsenmaker Van Rijn|Gemeentewerf|Schoonmaakbedrijf Glans|Restaurant De Kade",
    "|",
)
JOBS = words(
    "medewerker productie|vakkenvuller|administratief medewerker|hovenier|magazijnmedewerker|"
    "keukenhulp|schoonmaker|fietsenmaker|medewerker klantenservice|chauffeur",
    "|",
)
NOTE_TITLES = {
    Category.MEDISCH: ("Consult", "Medicatie besproken", "Behandelplan geëvalueerd"),
    Category.AFSPRAKEN: ("Afspraak gemaakt", "Doel bijgesteld", "Voortgang besproken"),
    Category.WERKSITUATIE: ("Werksituatie gewijzigd", "Uitkering besproken", "Uren aangepast"),
    Category.MOGELIJKHEDEN: ("Belastbaarheid besproken", "Wensen voor werk geïnventariseerd"),
    Category.IPS: ("Werkgeverscontact", "Beroepsprofiel aangevuld", "Sollicitatie voorbereid"),
}
# Consent states and their shares; "vervangen" writes the old record and its successor.
CONSENT_STATES = (
    ("actief", 55),
    ("verloopt", 7),
    ("toekomstig", 8),
    ("verlopen", 10),
    ("ingetrokken", 10),
    ("vervangen", 10),
)
SHARED_CATEGORIES = (
    Category.WERKSITUATIE,
    Category.MOGELIJKHEDEN,
    Category.IPS,
    Category.AFSPRAKEN,
    Category.LEIDRAAD,
)
# The current phase of an IPS trajectory and how often each occurs.
PHASE_WEIGHTS = (
    (Phase.AANGEMELD, 5),
    (Phase.INTAKE, 10),
    (Phase.BEROEPSPROFIEL, 15),
    (Phase.ZOEKEN, 25),
    (Phase.GEPLAATST, 15),
    (Phase.NAZORG, 10),
    (Phase.AFGESLOTEN, 20),
)
# Trajectory k gets PHASE_CYCLE[k % 100]: exactly these shares, and every phase among the
# first seven (so even a small N has each phase).
PHASE_CYCLE = tuple(p for p, _w in PHASE_WEIGHTS) + tuple(
    random.Random(0).sample([p for p, w in PHASE_WEIGHTS for _ in range(w - 1)], 100 - 7)  # noqa: S311
)
PHASE_PATH = (
    Phase.AANGEMELD,
    Phase.INTAKE,
    Phase.BEROEPSPROFIEL,
    Phase.ZOEKEN,
    Phase.GEPLAATST,
    Phase.NAZORG,
)

# Goals as GoalForm offers them: no clinical recovery (treatment information).
SHARED_GOAL_DOMAINS = tuple(d for d in RecoveryDomain.values if d != RecoveryDomain.KLINISCH)

# Choice values, looked up once (TextChoices.values builds a new list on every call).
V = {
    ConversationForm: tuple(ConversationForm.values),
    StageOfChange: tuple(StageOfChange.values),
    TargetBehaviour: tuple(TargetBehaviour.values),
    Benefit: tuple(Benefit.values),
    CloseReason: tuple(CloseReason.values),
    ConsentMethod: tuple(ConsentMethod.values),
    ContactType: tuple(ContactType.values),
    ContractType: tuple(ContractType.values),
    Disclosure: tuple(Disclosure.values),
    FollowAlongWith: tuple(FollowAlongWith.values),
    GoalStatus: tuple(GoalStatus.values),
    # Jobs that ran: 'niet doorgegaan' is for a job called off before it started.
    PlacementEndReason: tuple(
        r for r in PlacementEndReason.values if r != PlacementEndReason.NIET_DOORGEGAAN
    ),
    RecoveryDomain: tuple(RecoveryDomain.values),
    WishToWork: tuple(WishToWork.values),
    WorkSituationKind: tuple(WorkSituationKind.values),
}

F = words  # field lists, in the order of the row tuples below
# Rows with their own id, reserved per block because others point to them.
PENDING = (
    ("consent", Consent),
    ("invitation", Invitation),
    ("trajectory", Trajectory),
    ("placement", Placement),
)
# What a block writes, in this order: (model, fields, row list name).
TABLES = (
    (
        Client,
        F(
            "id organisation_id first_name last_name date_of_birth bsn email phone address "
            "created_by_id created_at search_name sort_name"
        ),
        "client",
    ),
    (
        Case,
        F(
            "id client_id organisation_id status opened_by_id opened_at closed_at "
            "work_discussed_on work_is_goal"
        ),
        "case",
    ),
    (CaseMember, F("permission_id user_id content_object_id"), "member"),
    (
        Invitation,
        F(
            "id case_id case_role invitee_id organisation_id is_referral reason status "
            "invited_by_id created_at responded_by_id responded_at"
        ),
        "invitation",
    ),
    (
        Consent,
        F(
            "id client_id provider_id recipient_id purpose valid_from valid_until method "
            "purpose_explained supersedes_id recorded_by_id recorded_at"
        ),
        "consent",
    ),
    (Consent.categories.through, F("consent_id datacategory_id"), "category"),
    (
        ConsentWithdrawal,
        F("consent_id withdrawn_on method reason recorded_by_id recorded_at"),
        "withdrawal",
    ),
    (
        TimelineEntry,
        F(
            "case_id organisation_id author_id kind category title body occurred_at "
            "subject_organisation_id"
        ),
        "timeline",
    ),
    (
        WorkSituation,
        F(
            "case_id organisation_id kind hours_per_week benefit job_search_duty "
            "job_search_exempt wish_to_work recorded_by_id recorded_at"
        ),
        "work",
    ),
    (
        Goal,
        F("case_id organisation_id domain description status created_by_id created_at"),
        "goal",
    ),
    (
        Agreement,
        F("case_id organisation_id what owner due_date done created_by_id created_at"),
        "agreement",
    ),
    (
        Driegesprek,
        F(
            "case_id organisation_id planned_at location participants status summary "
            "created_by_id created_at"
        ),
        "meeting",
    ),
    (
        Trajectory,
        F(
            "id case_id client_id organisation_id referral_id coach_id phase referred_at "
            "wants_paid_work closed_on close_reason close_note"
        ),
        "trajectory",
    ),
    (
        PhaseChange,
        F(
            "trajectory_id organisation_id from_phase to_phase changed_on note recorded_by_id "
            "recorded_at"
        ),
        "phase",
    ),
    (
        Beroepsprofiel,
        F(
            "trajectory_id organisation_id work_history preferred_sectors preferred_hours "
            "strengths disclosure updated_by_id updated_at"
        ),
        "profile",
    ),
    (
        EmployerContact,
        F(
            "organisation_id coach_id trajectory_id contacted_on employer type face_to_face "
            "outcome recorded_at"
        ),
        "contact",
    ),
    (
        Placement,
        F(
            "id trajectory_id organisation_id employer job_title start_date hours_per_week "
            "hourly_wage minimum_wage contract_type set_aside end_date end_reason recorded_by_id "
            "recorded_at"
        ),
        "placement",
    ),
    (
        FollowAlongContact,
        F(
            "trajectory_id placement_id organisation_id contacted_on with_whom note "
            "recorded_by_id recorded_at"
        ),
        "follow",
    ),
)


class Pending:
    """A row whose own id is known once the block reserves ids for its table."""

    __slots__ = ("id", "values")

    def __init__(self, values):
        self.id = None
        self.values = values

    def __iter__(self):
        yield self.id
        yield from self.values


class Rows(dict):
    """Row lists per table name for one block."""

    def add(self, name, row):
        self.setdefault(name, []).append(row)

    def pending(self, name, values):
        row = Pending(values)
        self.add(name, row)
        return row


def _plain(value):
    return value.id if isinstance(value, Pending) else value


def between(rng, start, end):
    """A random moment in [start, end]."""
    return start + dt.timedelta(seconds=rng.random() * max((end - start).total_seconds(), 0))


def block(writer, world, rng, numbers, first, count):
    """Clients ``first`` .. ``first + count - 1``, with their cases and all on them."""
    rows = Rows()
    client_id = writer.reserve(Client, count)
    case_id = writer.reserve(Case, count)
    summaries = [
        _client(world, rng, rows, next(numbers), client_id + i, case_id + i, first + i)
        for i in range(count)
    ]
    for name, model in PENDING:
        pending = rows.get(name, [])
        start = writer.reserve(model, len(pending))
        for offset, row in enumerate(pending):
            row.id = start + offset
    for name, table in rows.items():
        rows[name] = [tuple(_plain(v) for v in row) for row in table]
    for opened_at, case, client, owner, team, grants in summaries:
        grants = tuple((r, h, c, consent.id) for r, h, c, consent in grants)
        world.cases.append((opened_at, case, client, owner, team, grants))
    for model, fields, name in TABLES:
        writer.copy(model, fields, rows.get(name, []))
    for step in OPTIONAL_STEPS:
        step(writer, world, rng, first, count)


def _client(world, rng, rows, bsn, client_id, case_id, index):
    """One client and case. Returns what the access log needs (see World.cases)."""
    plan, now = world.plan, world.now
    by_ggz = rng.random() < plan.GGZ_SHARE
    ggz = world.orgs[(OrganisationType.GGZ, rng.randrange(plan.ggz))]
    gemeente = world.orgs[(OrganisationType.GEMEENTE, rng.randrange(plan.gemeenten))]
    behandelaar = rng.choice(world.staff[ggz][Role.BEHANDELAAR])
    klantmanager = rng.choice(world.staff[gemeente][Role.KLANTMANAGER])
    if by_ggz:
        owner, team = ggz, [(behandelaar, ggz, CaseRole.REGIEBEHANDELAAR)]
    else:
        owner, team = gemeente, [(klantmanager, gemeente, CaseRole.KLANTMANAGER)]
    opener = team[0][0]
    opened_at = now - dt.timedelta(days=14 + rng.random() * 900)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(45 * 365))
    rows.add(
        "client",
        (
            client_id,
            owner,
            first,
            last,
            born,
            bsn,
            f"{first.lower()}.{index}@example.org" if rng.random() < 0.7 else "",
            f"06-{rng.randrange(10_000_000, 99_999_999)}" if rng.random() < 0.8 else "",
            f"{rng.choice(STREETS)} {rng.randrange(1, 200)}",
            opener,
            opened_at - dt.timedelta(minutes=5),
            searchable(f"{first} {last}"),
            sort_name(last),
        ),
    )
    if by_ggz:
        second = rng.choice(world.staff[ggz][Role.BEHANDELAAR])
        if rng.random() < 0.2 and second != behandelaar:
            team.append((second, ggz, CaseRole.BEHANDELAAR))
        if rng.random() < plan.KLANTMANAGER_SHARE:
            team.append((klantmanager, gemeente, CaseRole.KLANTMANAGER))
        if rng.random() < plan.UWV_SHARE:
            uwv = world.orgs[(OrganisationType.UWV, rng.randrange(plan.uwv))]
            adviseur = rng.choice(world.staff[uwv][Role.KLANTMANAGER])
            team.append((adviseur, uwv, CaseRole.KLANTMANAGER))
    elif rng.random() < 0.5:
        team.append((behandelaar, ggz, CaseRole.BEHANDELAAR))
    closed = rng.random() < plan.CLOSED_SHARE
    closed_at = between(rng, opened_at + dt.timedelta(days=7), now) if closed else None
    if by_ggz and not closed and rng.random() < plan.IPS_SHARE:
        coach = _trajectory(world, rng, rows, case_id, client_id, born, ggz, behandelaar, opened_at)
        if coach is not None:
            team.append((coach, ggz, CaseRole.TRAJECTBEGELEIDER))
    for user, _org, case_role in team:
        rows.add("member", (world.perms[case_role], user, case_id))
    grants = _consents(world, rng, rows, client_id, owner, opener, team, opened_at)
    _timeline(rng, rows, case_id, team, opened_at, closed_at or now)
    _case_data(world, rng, rows, case_id, team, opened_at, closed_at or now)
    discussed = None
    if by_ggz and rng.random() < 0.6:
        discussed = ((closed_at or now) - dt.timedelta(days=rng.randrange(150))).date()
    status = CaseStatus.GESLOTEN if closed else CaseStatus.OPEN
    rows.add(
        "case",
        (case_id, client_id, owner, status.value, opener, opened_at, closed_at)
        + (discussed, discussed is not None and rng.random() < 0.5),
    )
    return opened_at, case_id, client_id, owner, tuple(team), grants


def _consents(world, rng, rows, client_id, owner, recorder, team, opened_at):
    """Consents from the client's organisation to each other organisation on the team, in a
    random state. Returns the active grants [(recipient, holder, category, consent)]."""
    today, grants = world.today, []
    for recipient in sorted({org for _u, org, _r in team if org != owner}):
        purpose = (
            Purpose.AFSTEMMING
            if world.org_type[recipient] == OrganisationType.GGZ
            else Purpose.REINTEGRATIE
        )
        categories = [Category.IDENTIFICATIE, *rng.sample(SHARED_CATEGORIES, rng.randrange(1, 4))]
        state = weighted(rng, CONSENT_STATES)
        start = today - dt.timedelta(days=rng.randrange(300))
        until = today + dt.timedelta(days=rng.randrange(31, 330))
        if state == "verloopt":
            until = today + dt.timedelta(days=rng.randrange(30))
        elif state == "toekomstig":
            start = today + dt.timedelta(days=rng.randrange(1, 60))
            until = start + dt.timedelta(days=365)
        elif state == "verlopen":
            until = today - dt.timedelta(days=rng.randrange(1, 200))
            start = until - dt.timedelta(days=365)
        recorded = between(rng, opened_at, world.now)
        method = rng.choice(V[ConsentMethod])
        head = (client_id, owner, recipient, purpose.value)
        record = rows.pending(
            "consent", (*head, start, until, method, True, None, recorder, recorded)
        )
        for category in categories:
            rows.add("category", (record, category.value))
        live = record
        if state == "ingetrokken":
            withdrawn = min(today, start + dt.timedelta(days=rng.randrange(1, 120)))
            reason = "Cliënt wil dit niet meer delen."
            later = recorded + dt.timedelta(days=1)
            rows.add("withdrawal", (record, withdrawn, method, reason, recorder, later))
            live = None
        elif state == "vervangen":
            start = today - dt.timedelta(days=rng.randrange(30))
            until = today + dt.timedelta(days=rng.randrange(60, 365))
            later = recorded + dt.timedelta(days=1)
            live = rows.pending(
                "consent", (*head, start, until, method, True, record, recorder, later)
            )
            if Category.AFSPRAKEN not in categories:
                categories.append(Category.AFSPRAKEN)
            for category in categories:
                rows.add("category", (live, category.value))
        if live is not None and state in ("actief", "verloopt", "vervangen"):
            grants.extend((recipient, owner, category, live) for category in categories)
    return grants


def _timeline(rng, rows, case_id, team, opened_at, end):
    """Six to thirteen entries: opening, team changes, notes."""
    times = sorted(between(rng, opened_at, end) for _ in range(rng.randrange(6, 14)))
    times[0] = opened_at
    opener, owner, _role = team[0]
    identificatie = Category.IDENTIFICATIE.value
    rows.add(
        "timeline",
        (case_id, owner, opener, TimelineKind.STATUS.value, identificatie)
        + ("Casus geopend", "", opened_at, None),
    )
    for when, (user, org, case_role) in zip(times[1:], team[1:], strict=False):
        # Written by the new member, about themselves (as cases.services.respond does).
        title = f"Nieuw teamlid: {CaseRole(case_role).label}"
        category = team_news_category({case_role}).value
        rows.add(
            "timeline",
            (case_id, org, user, TimelineKind.TEAM.value, category, title, "", when, org),
        )
    for when in times[len(team) :]:
        user, org, case_role = rng.choice(team)
        category = rng.choice(OWN_CATEGORIES[role_of(case_role)])
        title = rng.choice(NOTE_TITLES[category])
        body = "Besproken met de cliënt; vervolg afgesproken."
        rows.add(
            "timeline",
            (case_id, org, user, TimelineKind.NOTITIE.value, category.value, title, body, when)
            + (None,),
        )


def _case_data(world, rng, rows, case_id, team, opened_at, end):
    """Work situations, goals, agreements and sometimes a driegesprek."""
    for _ in range(rng.randrange(1, 3)):
        user, org, _role = rng.choice(team)
        kind = rng.choice(V[WorkSituationKind])
        hours = None if kind == WorkSituationKind.GEEN else rng.randrange(4, 36)
        rows.add(
            "work",
            (case_id, org, kind, hours, rng.choice(V[Benefit]), rng.random() < 0.3)
            + (rng.random() < 0.2, rng.choice(V[WishToWork]), user)
            + (between(rng, opened_at, end),),
        )
    lead, lead_org, _role = team[0]
    for _ in range(rng.randrange(3)):
        rows.add(
            "goal",
            (case_id, lead_org, rng.choice(SHARED_GOAL_DOMAINS))
            + ("Twee dagdelen per week actief buiten de deur", rng.choice(V[GoalStatus]))
            + (lead, between(rng, opened_at, end)),
        )
    for _ in range(rng.randrange(1, 4)):
        user, org, _role = rng.choice(team)
        due = world.today + dt.timedelta(days=rng.randrange(-60, 60))
        rows.add(
            "agreement",
            (case_id, org, "Gesprek met werkgever voorbereiden", "cliënt", due)
            + (rng.random() < 0.4, user, between(rng, opened_at, end)),
        )
    work_side = [(u, o) for u, o, r in team if r == CaseRole.KLANTMANAGER]
    if work_side and rng.random() < 0.1:
        user, org = work_side[0]
        planned = between(rng, opened_at, world.now + dt.timedelta(days=30))
        held = planned < world.now
        status = MeetingStatus.GEHOUDEN if held else MeetingStatus.GEPLAND
        summary = "Afspraken over werk en uitkering gemaakt." if held else ""
        rows.add(
            "meeting",
            (case_id, org, planned, "Wijkteamkantoor", "cliënt, behandelaar, klantmanager")
            + (status.value, summary, user, opened_at),
        )


def _trajectory(world, rng, rows, case_id, client_id, born, ggz, behandelaar, opened_at):
    """An IPS trajectory in a random phase, with its history. Returns the coach, or None
    while the referral still waits for an answer (phase aangemeld)."""
    now, today = world.now, world.today
    phase = PHASE_CYCLE[world.trajectories % len(PHASE_CYCLE)]
    world.trajectories += 1
    referred_at = between(rng, opened_at, now - dt.timedelta(days=3))
    coach = None
    if phase != Phase.AANGEMELD:
        coach = rng.choice(world.staff[ggz][Role.TRAJECTBEGELEIDER])
    status = InvitationStatus.OPEN if coach is None else InvitationStatus.GEACCEPTEERD
    answered = None if coach is None else referred_at + dt.timedelta(days=2)
    referral = rows.pending(
        "invitation",
        (case_id, CaseRole.TRAJECTBEGELEIDER.value, None, ggz, True)
        + ("Cliënt wil graag aan het werk.", status.value, behandelaar, referred_at)
        + (coach, answered),
    )
    closed = phase == Phase.AFGESLOTEN
    reached = rng.randrange(1, len(PHASE_PATH)) if closed else PHASE_PATH.index(phase)
    path = PHASE_PATH[: reached + 1]
    span = max((today - referred_at.date()).days, 2)
    dates = sorted(
        min(today, referred_at.date() + dt.timedelta(days=rng.randrange(1, span))) for _ in path[1:]
    )
    last_change = dates[-1] if dates else referred_at.date()
    closed_on = min(today, last_change + dt.timedelta(days=30)) if closed else None
    trajectory = rows.pending(
        "trajectory",
        (case_id, client_id, ggz, referral, coach, phase.value, referred_at)
        + (True if reached >= 2 else None, closed_on)
        + (rng.choice(V[CloseReason]) if closed else "", ""),
    )
    recorder = coach or behandelaar
    history = list(zip(("", *path[:-1]), path, (referred_at.date(), *dates), strict=True))
    if closed:
        history.append((path[-1], Phase.AFGESLOTEN, closed_on))
    for from_phase, to_phase, on in history:
        rows.add("phase", (trajectory, ggz, str(from_phase), str(to_phase), on, "", recorder, now))
    if coach is None:
        return None
    if reached >= 2:
        rows.add(
            "profile",
            (trajectory, ggz, "Ervaring in de horeca en in een magazijn.", rng.choice(JOBS))
            + (rng.choice((16, 20, 24, 32)), "Betrouwbaar, precies, goed met mensen.")
            + (rng.choice(V[Disclosure]), coach, now),
        )
    if reached >= 3:
        search_start = dates[2] if len(dates) > 2 else referred_at.date()
        for _ in range(rng.randrange(2, 9)):
            on = min(today, search_start + dt.timedelta(days=rng.randrange(120)))
            rows.add(
                "contact",
                (ggz, coach, trajectory, on, rng.choice(EMPLOYERS), rng.choice(V[ContactType]))
                + (rng.random() < 0.8, "Kennismaking; vervolgafspraak gemaakt.", now),
            )
    if reached >= 4:
        _placement(rng, rows, trajectory, born, ggz, coach, dates, closed, reached, today, now)
    return coach


def _placement(rng, rows, trajectory, born, ggz, coach, dates, closed, reached, today, now):
    start = dates[3] if len(dates) > 3 else today
    ended = closed and rng.random() < 0.5
    end = min(today, start + dt.timedelta(days=rng.randrange(30, 300))) if ended else None
    hours = Decimal(rng.choice(("8.0", "12.0", "16.0", "24.0", "32.0")))
    wage = Decimal(f"{rng.uniform(12.5, 22):.2f}")  # some below the minimum wage
    placement = rows.pending(
        "placement",
        (trajectory, ggz, rng.choice(EMPLOYERS), rng.choice(JOBS), start, hours, wage)
        + (minimum_hourly_wage(start, born),)
        + (rng.choice(V[ContractType]), rng.random() < 0.1, end)
        + (rng.choice(V[PlacementEndReason]) if ended else "", coach, now),
    )
    if reached >= 5:
        for _ in range(rng.randrange(2, 6)):
            on = min(today, start + dt.timedelta(days=rng.randrange(7, 200)))
            rows.add(
                "follow",
                (trajectory, placement, ggz, on, rng.choice(V[FollowAlongWith]))
                + ("Gaat goed; rooster besproken.", coach, now),
            )


# --- Motivational conversations -----------------------------------------------------------

CONVERSATION_FIELDS = F(
    "id case_id organisation_id author_id held_on duration_minutes participants form "
    "target_behaviour stage importance confidence summary zvw_funded created_at"
)
MITI_FIELDS = F(
    "conversation_id professional_id organisation_id questions simple_reflections "
    "complex_reflections cultivating_change_talk softening_sustain_talk partnership empathy "
    "held_on created_at"
)
TALK_QUOTES = {
    ChangeTalkKind.DESIRE: "Ik wil graag weer ergens bij horen.",
    ChangeTalkKind.ABILITY: "Twee ochtenden lukt me wel.",
    ChangeTalkKind.REASONS: "Dan heb ik structuur in mijn week.",
    ChangeTalkKind.NEED: "Ik moet iets omhanden hebben.",
    ChangeTalkKind.COMMITMENT: "Ik ga die werkgever bellen.",
}


def conversations(writer, world, rng, first, count):
    """Motivational conversations on 40 % of this block's cases: one to three, by a
    behandelaar or the coach of the team (category gespreksverslagen, held by the author's
    organisation), with change talk, and a MITI self-assessment for one in five."""
    rows = Rows()
    for opened_at, case_id, _client, _owner, team, _grants in world.cases[-count:]:
        authors = [(u, o) for u, o, r in team if r != CaseRole.KLANTMANAGER]
        if not authors or rng.random() >= 0.4:
            continue
        for _ in range(rng.randrange(1, 4)):
            user, org = rng.choice(authors)
            held = between(rng, opened_at, world.now)
            conversation = rows.pending(
                "conversation",
                (case_id, org, user, held.date(), rng.choice((20, 30, 45, 60)), "cliënt")
                + (rng.choice(V[ConversationForm]), rng.choice(V[TargetBehaviour]))
                + (rng.choice(V[StageOfChange]), rng.randrange(11), rng.randrange(11))
                + ("Werk besproken; cliënt denkt na over vrijwilligerswerk.", False, held),
            )
            for kind in rng.sample(tuple(TALK_QUOTES), rng.randrange(1, 4)):
                rows.add("talk", (conversation, kind.value, TALK_QUOTES[kind]))
            if rng.random() < 0.2:
                counts = (rng.randrange(5, 30), rng.randrange(3, 20), rng.randrange(1, 15))
                scores = tuple(rng.randrange(1, 6) for _ in range(4))
                rows.add("miti", (conversation, user, org, *counts, *scores, held.date(), held))
    pending = rows.get("conversation", [])
    start = writer.reserve(Conversation, len(pending))
    for offset, row in enumerate(pending):
        row.id = start + offset
    for name, table in rows.items():
        rows[name] = [tuple(_plain(v) for v in row) for row in table]
    writer.copy(Conversation, CONVERSATION_FIELDS, rows.get("conversation", []))
    writer.copy(ChangeTalk, F("conversation_id kind quote"), rows.get("talk", []))
    writer.copy(MitiSelfAssessment, MITI_FIELDS, rows.get("miti", []))


# step(writer, world, rng, first, count), run after each block's own tables are written, for
# data that builds on the cases (add new domains here).
OPTIONAL_STEPS = [conversations]
