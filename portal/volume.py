"""Volume data: a regional deployment's worth of realistic, fictitious data, fast.

``manage.py seed_volume --clients N`` (demo and test settings only) calls :func:`seed`.
Everything is written with PostgreSQL ``COPY`` in blocks of clients, one transaction per
block, so an interrupted run leaves whole blocks behind and N = 100 000 fits in minutes.
What one client brings (case, team, consents, timeline, IPS...) is in portal/volume_cases.py.

The shape follows the domain brief, scaled with N (:class:`Plan`):

- organisations grow with N, slower than the clients (a bigger region has more and bigger
  providers): GGZ ``ceil(N/10 000)`` (at least 2), gemeenten ``ceil(N/5 000)`` (at least 1),
  UWV ``ceil(N/50 000)`` (at least 1);
- people keep realistic workloads, so their number grows with N: a behandelaar has about 45
  clients, a klantmanager about 100 cases, an IPS-trajectbegeleider about 18 open
  trajectories (caseload norm 20), and there is one beheerder per 5 000 clients (at least
  one per organisation); a provider's trajectbegeleiders form IPS teams of at most
  IPS_TEAM_SIZE;
- 85 % of the clients are registered by a GGZ provider, 15 % by a gemeente; each has one case
  (8 % closed) with a team, stored as guardian object permissions like consent.services does;
- consents in every state (actief, verloopt binnenkort, toekomstig, verlopen, ingetrokken,
  vervangen) between the client's organisation and the others on the team;
- about 10 timeline entries and 20 access-log entries per client; IPS trajectories for 6 % of
  the GGZ clients, in every phase, with phase history, profiles, employer contacts,
  placements and follow-along contacts; motivational conversations on 40 % of the cases
  with a behandelaar or coach, with change talk and some MITI self-assessments.

The access log is a hash chain (consent.services.write_log). It is written last, in time
order, under the same advisory lock as write_log, each block continuing from the last stored
hash, so ``manage.py verify_inzagelog`` accepts the result.
"""

import bisect
import datetime as dt
import hashlib
import json
import math
import random
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from cases.constants import CaseRole
from consent.constants import Action, Basis, Category, Outcome
from consent.models import AccessLogEntry
from consent.services import ACCESS_LOG_LOCK_KEY, GENESIS_HASH

from .constants import OrganisationType, Role
from .models import Organisation, User
from .words import sort_name

BLOCK = 5_000  # clients per transaction
LOG_BLOCK = 100_000  # access-log entries per transaction
LOG_PER_CLIENT = 20
EMAIL_DOMAIN = "volume.test"
# Trajectbegeleiders per IPS team at most (IPS-25: about ten per leidinggevende at most).
IPS_TEAM_SIZE = 8


def words(text, sep=None):
    return tuple(text.split(sep))


FIRST_NAMES = words(
    "Anna Bram Chantal Daan Eline Fatima Gerrit Hanna Ilse Jesse Karim Lotte Mohamed Noor "
    "Olga Pieter Quinten Rosa Sanne Tom Umar Vera Wouter Yara Zeynep Ahmet Bas Carla Dirk "
    "Esra Floor Gijs Hatice Iris Joost Kees Lieke Marco Nadia Otto Petra Ruud Samira Thijs "
    "Ulla Vincent Wendy Youssef Zoë Ayoub Bente Cor Demi Emre Fenna Guus Hilde Ivo Jasmijn"
)
LAST_NAMES = words(
    "de Jong|Jansen|de Vries|van den Berg|van Dijk|Bakker|Janssen|Visser|Smit|Meijer|de Boer|"
    "Mulder|de Groot|Bos|Vos|Peters|Hendriks|van Leeuwen|Dekker|Brouwer|de Wit|Dijkstra|Smits|"
    "de Graaf|van der Meer|van der Linden|Kok|Jacobs|de Haan|Vermeulen|van den Heuvel|"
    "van der Veen|van den Broek|de Bruijn|de Bruin|van der Heijden|Schouten|van Beek|Willems|"
    "van Vliet|van de Ven|Hoekstra|Maas|Verhoeven|Koster|van Dam|van der Wal|Prins|Blom|"
    "Huisman|Peeters|de Koning|Yilmaz|El Idrissi|Kaya|Bouzid|Öztürk|Rahimi|Nguyen|Tahiri",
    "|",
)
REGIONS = words(
    "Dijkstreek Kempenland Waterland Veluwezoom Duinstreek Lingewaard Achterhoek Peelland "
    "Westerkwartier Zaanstreek Bollenstreek Vechtdal Maasduinen Heuvelland Krimpenerwaard "
    "Langstraat Eemland Gooi Kop Noorderkwartier"
)
ORGANISATION_LABELS = {
    OrganisationType.GGZ: ("GGZ", "ggz"),
    OrganisationType.GEMEENTE: ("Gemeente", "gemeente"),
    OrganisationType.UWV: ("UWV", "uwv"),
}


class VolumeError(Exception):
    """A refusal, with a Dutch message for the user."""


@dataclass(frozen=True)
class Plan:
    """How many of what, for N clients (see the module docstring)."""

    clients: int
    ggz: int
    gemeenten: int
    uwv: int

    GGZ_SHARE = 0.85
    KLANTMANAGER_SHARE = 0.45  # of the GGZ clients; a gemeente's own clients always have one
    UWV_SHARE = 0.08  # of the GGZ clients
    IPS_SHARE = 0.06  # of the GGZ clients
    CLOSED_SHARE = 0.08

    @classmethod
    def for_clients(cls, n):
        return cls(
            clients=n,
            ggz=max(2, math.ceil(n / 10_000)),
            gemeenten=max(1, math.ceil(n / 5_000)),
            uwv=max(1, math.ceil(n / 50_000)),
        )

    def staff(self):
        """{(organisation type, index): {role: count}}."""
        n = self.clients
        ggz_clients = n * self.GGZ_SHARE / self.ggz
        gemeente_cases = n * (self.GGZ_SHARE * self.KLANTMANAGER_SHARE + 1 - self.GGZ_SHARE)
        uwv_cases = n * self.GGZ_SHARE * self.UWV_SHARE
        open_ips = ggz_clients * self.IPS_SHARE * 0.75
        beheer = max(1, round(n / 5_000 / (self.ggz + self.gemeenten + self.uwv)))
        staff = {}
        for i in range(self.ggz):
            staff[(OrganisationType.GGZ, i)] = {
                Role.BEHANDELAAR: max(2, round(ggz_clients / 45)),
                Role.TRAJECTBEGELEIDER: max(2, math.ceil(open_ips / 18)),
                Role.BEHEERDER: beheer,
            }
        for i in range(self.gemeenten):
            staff[(OrganisationType.GEMEENTE, i)] = {
                Role.KLANTMANAGER: max(2, round(gemeente_cases / self.gemeenten / 100)),
                Role.BEHEERDER: beheer,
            }
        for i in range(self.uwv):
            staff[(OrganisationType.UWV, i)] = {
                Role.KLANTMANAGER: max(2, round(uwv_cases / self.uwv / 100)),
                Role.BEHEERDER: beheer,
            }
        return staff


# --- Writing with COPY ------------------------------------------------------------------------


class Writer:
    """COPY rows into a model's table, inside :meth:`transaction` blocks.

    Rows are tuples in the order of ``fields`` (attnames); every other column gets the model
    field's default. Every row gets an explicit id (reserved from the table's sequence when
    ``fields`` has none), so the block knows exactly which rows it wrote.

    Foreign keys: when the database role may set ``session_replication_role`` (a superuser,
    as in bin/with-services and the compose database), the per-row foreign-key triggers are
    off inside a block and :meth:`verify` checks every foreign key of the block's rows with
    one set-based query per key before the commit; an orphan aborts the block. That is the
    same guarantee as the triggers at a fraction of the cost (pg_restore --disable-triggers
    works the same way). Otherwise the usual per-row checks run at commit.
    """

    def __init__(self):
        self.counts = Counter()
        self._layouts = {}
        self._written = []  # (model, first id, last id) in the open block
        self._fast = None

    def reserve(self, model, n):
        """Take ``n`` ids from the table's sequence and return the first. (Between nextval
        and setval another writer could take an id: fine for demo and test databases.)"""
        if n <= 0:
            return 0
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                "nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
                [table, table, n],
            )
            last = cursor.fetchone()[0]
        return last - n + 1

    @contextmanager
    def transaction(self):
        """One block: all or nothing, foreign keys verified before the commit."""
        if self._fast is None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('is_superuser') = 'on'")
                self._fast = cursor.fetchone()[0]
        with transaction.atomic(), connection.cursor() as cursor:
            self._written = []
            if self._fast:
                # SET LOCAL outlives a savepoint: inside an outer transaction (tests) the
                # triggers must come back on after the block.
                cursor.execute("SELECT set_config('session_replication_role', 'replica', true)")
            yield
            if self._fast:
                self.verify()
                cursor.execute("SELECT set_config('session_replication_role', 'origin', true)")

    def verify(self):
        """Every foreign key of the rows written in this block points to an existing row."""
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for model, first, last in self._written:
                for fk in model._meta.concrete_fields:
                    if not fk.is_relation:
                        continue
                    column, target = quote(fk.column), fk.target_field
                    # Only quoted table and column names from the models are put in the text.
                    sql = (
                        f"SELECT count(*) FROM {quote(model._meta.db_table)} c "  # noqa: S608
                        f"WHERE c.id BETWEEN %s AND %s AND c.{column} IS NOT NULL "
                        f"AND NOT EXISTS (SELECT 1 FROM {quote(target.model._meta.db_table)} p "
                        f"WHERE p.{quote(target.column)} = c.{column})"
                    )
                    cursor.execute(sql, [first, last])
                    orphans = cursor.fetchone()[0]
                    if orphans:
                        raise RuntimeError(
                            f"{orphans} rijen van {model._meta.label} verwijzen via "
                            f"{fk.name} naar iets dat niet bestaat; het blok is teruggedraaid."
                        )

    def _layout(self, model, fields):
        key = (model, fields)
        if key not in self._layouts:
            concrete = {f.attname: f for f in model._meta.concrete_fields}
            rest = [f for f in concrete.values() if f.attname not in fields and not f.primary_key]
            columns = [concrete[name].column for name in fields] + [f.column for f in rest]
            quote = connection.ops.quote_name
            sql = "COPY {} ({}) FROM STDIN".format(
                quote(model._meta.db_table), ", ".join(quote(c) for c in columns)
            )
            self._layouts[key] = (sql, tuple(f.get_default() for f in rest))
        return self._layouts[key]

    def copy(self, model, fields, rows, ids=None):
        """Write ``rows``. With "id" first in ``fields`` the rows carry their ids, reserved
        before and increasing (pass ``ids=(first, last)`` when ``rows`` is a generator, so
        that PostgreSQL works on the rows while Python makes the next ones); otherwise ids
        are reserved and put in front here."""
        fields = tuple(fields)
        if fields[0] != "id":
            if not rows:
                return 0
            first = self.reserve(model, len(rows))
            rows = [(first + i, *row) for i, row in enumerate(rows)]
            fields = ("id", *fields)
        if ids is None:
            if not rows:
                return 0
            ids = rows[0][0], rows[-1][0]
        sql, extra = self._layout(model, fields)
        written = 0
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row + extra)
                written += 1
        self._written.append((model, *ids))
        self.counts[model._meta.label] += written
        return written


# --- The run ----------------------------------------------------------------------------------


@dataclass
class World:
    """What the blocks share, and what the access log needs to know about every case."""

    plan: Plan
    now: dt.datetime
    today: dt.date
    orgs: dict  # (type, index) -> organisation id
    org_type: dict  # organisation id -> type
    staff: dict  # organisation id -> {role: [user ids]}
    user_org: dict  # user id -> organisation id
    user_role: dict  # user id -> role value
    perms: dict  # case role -> permission id
    trajectories: int = 0  # IPS trajectories made so far
    # Per case: (opened_at, case id, client id, client's organisation,
    #            ((user, organisation, case role), ...),
    #            ((recipient organisation, holder, category, consent id), ...) active grants)
    cases: list = field(default_factory=list)


def refuse_unless_allowed(clients):
    if not (settings.DEMO_MODE or settings.TEST_MODE):
        raise VolumeError(
            "seed_volume vult de database met fictieve testgegevens en draait daarom alleen "
            "in demomodus (WERKPAD_DEMO=1) of in de testomgeving (WERKPAD_TEST=1)."
        )
    if connection.vendor != "postgresql":
        raise VolumeError(
            "seed_volume schrijft met PostgreSQL COPY; laat DATABASE_URL naar een "
            "PostgreSQL-database wijzen (bijvoorbeeld via bin/with-services)."
        )
    if clients < 1:
        raise VolumeError("Geef met --clients een aantal cliënten van minstens 1.")
    if User.objects.filter(email__endswith=f"@ggz-01.{EMAIL_DOMAIN}").exists():
        raise VolumeError(
            "Deze database bevat al volumegegevens; gebruik een lege database "
            "(bijvoorbeeld na manage.py flush)."
        )


def seed(clients, *, random_seed=7513, say=None):
    """Fill the database with ``clients`` clients and everything around them. Returns the
    number of rows written per model. Raises VolumeError when refused."""
    from . import volume_cases

    refuse_unless_allowed(clients)
    say = say or (lambda text: None)
    writer = Writer()
    started = time.monotonic()

    def progress(text):
        say(f"{text} ({time.monotonic() - started:.0f} s)")

    world = _organisations_and_users(writer, Plan.for_clients(clients), random_seed)
    progress(f"{len(world.orgs)} organisaties en {len(world.user_org)} gebruikers")
    numbers = bsns(10_000_000 + random_seed * 7)
    for first in range(0, clients, BLOCK):
        count = min(BLOCK, clients - first)
        rng = random.Random(f"{random_seed}-{first}")  # noqa: S311  fictitious data
        with writer.transaction():
            volume_cases.block(writer, world, rng, numbers, first, count)
        progress(f"cliënten {first + 1}–{first + count}")
    _access_log(writer, world, random.Random(f"{random_seed}-log"), progress)  # noqa: S311
    set_case_content_flags()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    progress("klaar")
    return dict(writer.counts)


def set_case_content_flags():
    """Case.has_conversations and its kind, for the records COPY wrote without save()
    (cases.models.CaseContent): one UPDATE per flag."""
    from cases.models import Case, Conversation, Driegesprek, LeidraadSession
    from ips.models import Trajectory

    for flag, model in (
        ("has_conversations", Conversation),
        ("has_leidraad_sessions", LeidraadSession),
        ("has_ips_trajectories", Trajectory),
        ("has_meetings", Driegesprek),
    ):
        Case.objects.filter(Exists(model.objects.filter(case=OuterRef("pk")))).update(
            **{flag: True}
        )


def bsns(start):
    """Valid, fictitious BSNs (the 11-proef), in increasing order from ``start`` (8 digits
    plus the check digit)."""
    weights = (9, 8, 7, 6, 5, 4, 3, 2)
    number = start
    while True:
        digits = f"{number:08d}"
        check = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
        if check < 10:
            yield digits + str(check)
        number += 1


def _organisations_and_users(writer, plan, random_seed):
    rng = random.Random(f"{random_seed}-users")  # noqa: S311  fictitious data
    now = timezone.now()
    staff_plan = plan.staff()
    with writer.transaction():
        first_org = writer.reserve(Organisation, len(staff_plan))
        orgs, org_type, org_rows = {}, {}, []
        for offset, (type_, index) in enumerate(staff_plan):
            org_id = first_org + offset
            label = REGIONS[index % len(REGIONS)]
            if index >= len(REGIONS):
                label += f" {index // len(REGIONS) + 1}"
            orgs[(type_, index)] = org_id
            org_type[org_id] = type_
            name = f"{ORGANISATION_LABELS[type_][0]} {label} (volume)"
            org_rows.append((org_id, name, type_.value))
        writer.copy(Organisation, ("id", "name", "type"), org_rows)

        password = make_password(settings.DEMO_PASSWORD)  # one hash for all: fast sign-in
        next_id = writer.reserve(User, sum(sum(r.values()) for r in staff_plan.values()))
        staff, user_org, user_role, user_rows = {}, {}, {}, []
        for (type_, index), roles in staff_plan.items():
            org_id = orgs[(type_, index)]
            domain = f"{ORGANISATION_LABELS[type_][1]}-{index + 1:02d}.{EMAIL_DOMAIN}"
            staff[org_id] = {}
            for role, count in roles.items():
                staff[org_id][role] = list(range(next_id, next_id + count))
                for i in range(count):
                    user_org[next_id], user_role[next_id] = org_id, role.value
                    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                    email = f"{role.value}{i + 1}@{domain}"
                    user_rows.append(
                        (next_id, email, first, last, sort_name(last), org_id, role.value, password)
                    )
                    next_id += 1
        writer.copy(
            User,
            (
                "id",
                "email",
                "first_name",
                "last_name",
                "sort_name",
                "organisation_id",
                "role",
                "password",
            ),
            user_rows,
        )
        _ips_teams(writer, staff)
    perms = dict(
        Permission.objects.filter(
            content_type__app_label="cases", codename__in=CaseRole.values
        ).values_list("codename", "id")
    )
    return World(
        plan=plan,
        now=now,
        today=timezone.localdate(now),
        orgs=orgs,
        org_type=org_type,
        staff=staff,
        user_org=user_org,
        user_role=user_role,
        perms=perms,
    )


def _ips_teams(writer, staff):
    """Every GGZ provider's trajectbegeleiders in IPS teams of at most IPS_TEAM_SIZE, as even
    as possible (a provider with 22 runs three teams of 7 or 8)."""
    from ips.models import IpsTeam, TeamMember

    plan = [
        (org_id, roles[Role.TRAJECTBEGELEIDER])
        for org_id, roles in staff.items()
        if roles.get(Role.TRAJECTBEGELEIDER)
    ]
    sizes = [math.ceil(len(coaches) / IPS_TEAM_SIZE) for _org, coaches in plan]
    team_id = writer.reserve(IpsTeam, sum(sizes))
    team_rows, member_rows = [], []
    for (org_id, coaches), teams in zip(plan, sizes, strict=True):
        for k in range(teams):
            team_rows.append((team_id, org_id, f"IPS-team {k + 1}"))
            member_rows.extend((team_id, coach) for coach in coaches[k::teams])
            team_id += 1
    writer.copy(IpsTeam, ("id", "organisation_id", "name"), team_rows)
    writer.copy(TeamMember, ("team_id", "coach_id"), member_rows)


def role_of(case_role):
    """The organisational role behind a case role."""
    if case_role in (CaseRole.REGIEBEHANDELAAR, CaseRole.BEHANDELAAR):
        return Role.BEHANDELAAR
    if case_role == CaseRole.TRAJECTBEGELEIDER:
        return Role.TRAJECTBEGELEIDER
    return Role.KLANTMANAGER


def weighted(rng, table):
    """Pick a value from ((value, weight), ...)."""
    pick = rng.random() * sum(w for _v, w in table)
    for value, weight in table:
        pick -= weight
        if pick < 0:
            return value
    return table[-1][0]


# --- The access log ---------------------------------------------------------------------------

LOG_FIELDS = words(
    "timestamp user_id role organisation_id client_id case_id object_type object_id category "
    "action basis consent_id outcome ip_address request_id access_point prev_hash hash"
)
PAGES = (
    ("casus", 45),
    ("tijdlijn", 20),
    ("werkvoorraad", 20),
    ("werksituatie", 10),
    ("ips-traject", 5),
)
ACTIONS = ((Action.READ, 90), (Action.CREATE, 6), (Action.UPDATE, 3), (Action.EXPORT, 1))
# What each role reads and writes of its own organisation's data, in this fictitious world.
OWN_CATEGORIES = {
    Role.BEHANDELAAR: (Category.MEDISCH, Category.AFSPRAKEN, Category.WERKSITUATIE),
    Role.TRAJECTBEGELEIDER: (Category.IPS, Category.MOGELIJKHEDEN),
    Role.KLANTMANAGER: (Category.WERKSITUATIE, Category.AFSPRAKEN),
}


# json.dumps(payload, sort_keys=True, default=str) builds this encoder on every call.
_ENCODE = json.JSONEncoder(sort_keys=True, default=str).encode


def chain_hash(previous, values):
    """AccessLogEntry.compute_hash for a row of the hashed fields (the same payload, the
    same JSON text)."""
    payload = dict(zip(AccessLogEntry.HASHED_FIELDS, values, strict=True))
    payload["timestamp"] = values[0].isoformat()
    return hashlib.sha256((previous + _ENCODE(payload)).encode()).hexdigest()


def _access_log(writer, world, rng, progress):
    """LOG_PER_CLIENT entries per client over the last year, in time order, chained. A visit
    goes to a case already open at that moment."""
    cases = sorted(world.cases, key=lambda c: c[0])
    opened = [c[0] for c in cases]
    total = LOG_PER_CLIENT * len(cases)
    end = world.now - dt.timedelta(minutes=1)
    moment = max(world.now - dt.timedelta(days=365), opened[0])
    step = (end - moment) / total  # per entry
    users = list(world.user_org)
    produced = 0
    while produced < total:
        batch = []
        while len(batch) < LOG_BLOCK and produced + len(batch) < total:
            index = bisect.bisect_right(opened, moment)
            visit = _visit(world, rng, cases[rng.randrange(max(index, 1))], moment, users)
            batch.extend(visit)
            moment += step * len(visit)
        batch = batch[: total - produced]
        with writer.transaction():
            # As consent.services.write_log: the lock serialises appends; ids are taken under
            # it, so pk order is chain order.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ACCESS_LOG_LOCK_KEY])
            previous = (
                AccessLogEntry.objects.order_by("-pk").values_list("hash", flat=True).first()
                or GENESIS_HASH
            )
            first = writer.reserve(AccessLogEntry, len(batch))
            ids = (first, first + len(batch) - 1)
            rows = _chained(batch, first, previous)
            writer.copy(AccessLogEntry, ("id", *LOG_FIELDS), rows, ids=ids)
        produced += len(batch)
        progress(f"inzagelog {produced}/{total}")


def _chained(batch, first, previous):
    """The batch as rows with id, previous hash and hash, made while COPY consumes them."""
    for offset, values in enumerate(batch):
        digest = chain_hash(previous, values)
        yield (first + offset, *values, previous, digest)
        previous = digest


def _visit(world, rng, case, moment, users):
    """One page view: one entry per (holder, category) shown, sharing a request id."""
    _opened, case_id, client_id, owner_org, team, grants = case
    request_id = f"{rng.getrandbits(128):032x}"
    ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    path = f"/casussen/{case_id}/"
    if rng.random() < 0.02:  # someone outside the team tries: denied
        user = rng.choice(users)
        denied = Action.READ.value, Basis.GEEN.value, None, Outcome.GEWEIGERD.value
        return [
            (moment, user, world.user_role[user], world.user_org[user], client_id, case_id)
            + ("casus", str(case_id), "", *denied, ip, request_id, path)
        ]
    user, org, case_role = rng.choice(team)
    role = role_of(case_role)
    own = [(org, c, Basis.EIGEN_ORGANISATIE, None) for c in OWN_CATEGORIES[role]]
    readable = list(own)
    if org == owner_org:
        readable.append((org, Category.IDENTIFICATIE, Basis.EIGEN_ORGANISATIE, None))
    readable.extend(
        (holder, category, Basis.TOESTEMMING, consent_id)
        for recipient, holder, category, consent_id in grants
        if recipient == org
    )
    page = weighted(rng, PAGES)
    action = weighted(rng, ACTIONS)
    if action in (Action.CREATE, Action.UPDATE):
        shown = [rng.choice(own)]
    else:
        shown = rng.sample(readable, min(len(readable), 1 if page == "werkvoorraad" else 3))
    access_point = "/" if page == "werkvoorraad" else path
    return [
        (moment, user, role.value, org, client_id, case_id, page, str(case_id), category.value)
        + (action.value, basis.value, consent_id, Outcome.TOEGESTAAN.value, ip, request_id)
        + (access_point,)
        for _holder, category, basis, consent_id in sorted(shown, key=lambda s: (s[0], s[1]))
    ]
