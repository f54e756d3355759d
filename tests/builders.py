"""Small builders of test data: clients and cases, consents and withdrawals, valid BSNs,
and the named world (the same names as tests/conftest.py) for module-scoped fixtures.

Everything goes through the real services (register_client, open_case, add_member), so
the data is shaped exactly as the product shapes it. Consent records are created directly
on the model, the way the product stores them (no form), so a test can also build records
the consent form would refuse.
"""

import datetime
import itertools
from types import SimpleNamespace

from django.utils import timezone

from cases import services
from cases.validators import validate_bsn
from consent.constants import ConsentMethod
from consent.models import Consent, ConsentWithdrawal
from portal.constants import OrganisationType, Role

from .factories import OrganisationFactory, UserFactory, join_ips_team


def noon(day):
    """Midday of a local day, as an aware datetime: its local date is ``day``, whatever the
    clock changes in between (``now() - n days`` lands a day off just after one, and 24
    hours on stays on the same day the night the clocks go back)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


# --- BSN -----------------------------------------------------------------------------------


def valid_bsns(start=200_000_000):
    """Yield nine-digit numbers that pass the 11-proef, ascending from ``start``."""
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    for number in itertools.count(start):
        digits = f"{number:09d}"
        if len(digits) != 9:
            return
        if sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0:
            validate_bsn(digits)  # the product's own validator agrees
            yield digits


# One stream for the whole test process: never the same BSN twice, whatever the scope.
_BSNS = valid_bsns()


def next_bsn():
    return next(_BSNS)


# --- Clients and cases ---------------------------------------------------------------------


def make_case(owner, first_name="Test", last_name="Cliënt", date_of_birth=None, **extra):
    """Register a client of ``owner``'s organisation and open a case; ``owner`` becomes
    regiebehandelaar (GGZ) or klantmanager (W&I)."""
    client = services.register_client(
        owner,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth or datetime.date(1988, 3, 14),
        bsn=extra.pop("bsn", None) or next_bsn(),
        **extra,
    )
    return services.open_case(owner, client)


# --- Consent -------------------------------------------------------------------------------


def make_consent(
    client,
    provider,
    recipient,
    purpose,
    categories,
    valid_from=None,
    valid_until=None,
    recorded_by=None,
    supersedes=None,
    method=ConsentMethod.SCHRIFTELIJK,
):
    """A consent record: ``client`` permits ``categories`` held by ``provider`` to go to
    ``recipient`` for ``purpose``. Default period: from 30 days ago until 60 days ahead."""
    today = timezone.localdate()
    record = Consent.objects.create(
        client=client,
        provider=provider,
        recipient=recipient,
        purpose=purpose,
        valid_from=valid_from or today - datetime.timedelta(days=30),
        valid_until=valid_until or today + datetime.timedelta(days=60),
        method=method,
        purpose_explained=True,
        recorded_by=recorded_by or client.created_by,
        supersedes=supersedes,
    )
    record.categories.set([str(code) for code in categories])
    return record


def withdraw(consent, by, on=None, reason="Cliënt trekt de toestemming in."):
    return ConsentWithdrawal.objects.create(
        consent=consent,
        withdrawn_on=on or timezone.localdate(),
        method=ConsentMethod.SCHRIFTELIJK,
        reason=reason,
        recorded_by=by,
    )


# --- The named world -----------------------------------------------------------------------


def named_world():
    """The organisations and users of tests/conftest.py, built in one call (for fixtures
    with a wider scope than the function-scoped ones in conftest)."""
    ggz_a = OrganisationFactory(name="GGZ A", type=OrganisationType.GGZ)
    ggz_b = OrganisationFactory(name="GGZ B", type=OrganisationType.GGZ)
    gemeente_g = OrganisationFactory(name="Gemeente G", type=OrganisationType.GEMEENTE)
    uwv_u = OrganisationFactory(name="UWV U", type=OrganisationType.UWV)

    def user(email, organisation, role):
        return UserFactory(email=email, organisation=organisation, role=role)

    jobcoach_a = user("jobcoach@a.test", ggz_a, Role.TRAJECTBEGELEIDER)
    join_ips_team(jobcoach_a)
    return SimpleNamespace(
        ggz_a=ggz_a,
        ggz_b=ggz_b,
        gemeente_g=gemeente_g,
        uwv_u=uwv_u,
        behandelaar_a=user("behandelaar@a.test", ggz_a, Role.BEHANDELAAR),
        behandelaar_a2=user("behandelaar2@a.test", ggz_a, Role.BEHANDELAAR),
        jobcoach_a=jobcoach_a,
        beheerder_a=user("beheer@a.test", ggz_a, Role.BEHEERDER),
        klantmanager_g=user("klantmanager@g.test", gemeente_g, Role.KLANTMANAGER),
        beheerder_g=user("beheer@g.test", gemeente_g, Role.BEHEERDER),
        adviseur_u=user("adviseur@u.test", uwv_u, Role.KLANTMANAGER),
        outsider=user("outsider@b.test", ggz_b, Role.BEHANDELAAR),
    )


# --- The access rules, restated independently of consent.policy ----------------------------
#
# The issue ("Toestemming, toegangsbeleid en inzagelog") says: a user may read category C of
# client X held by organisation A only if the user is on X's case team and either the user's
# organisation is A or an active consent of X permits C from A to the user's organisation
# (for a purpose that fits the user's role on the case); writing follows role and creates
# data of the user's own organisation. Werk & Inkomen never sees medical information. The
# tables below are written out here by hand, not imported, so the tests compare the product
# against a second, independent statement of the rules.

READ, CREATE, UPDATE, EXPORT = "read", "create", "update", "export"
ACTIONS = (READ, CREATE, UPDATE, EXPORT)
_LETTERS = {"R": READ, "C": CREATE, "U": UPDATE, "E": EXPORT}

# Organisational role x category -> actions ("-" is nothing at all).
ROLE_TABLE = """
category            behandelaar  trajectbegeleider  klantmanager
identificatie       RCUE         RE                 RCUE
werksituatie        RCUE         RCUE               RCUE
mogelijkheden       RCUE         RCUE               RCUE
ips                 RE           RCUE               RE
leidraad            RCUE         RE                 RE
gespreksverslagen   RCUE         RCUE               RE
afspraken           RCUE         RCUE               RCUE
medisch             RCUE         R                  -
"""


def _parse_role_table(text):
    lines = [line.split() for line in text.strip().splitlines()]
    roles = lines[0][1:]
    table = {role: {} for role in roles}
    for category, *cells in lines[1:]:
        for role, cell in zip(roles, cells, strict=True):
            table[role][category] = frozenset(_LETTERS[c] for c in cell if c != "-")
    return table


EXPECTED_ACTIONS = _parse_role_table(ROLE_TABLE)
CATEGORIES = tuple(EXPECTED_ACTIONS["behandelaar"])
WORK_AND_INCOME = frozenset({"gemeente", "uwv"})

# Case role -> purposes of a consent that let that member read another organisation's data.
EXPECTED_PURPOSES = {
    "regiebehandelaar": frozenset({"afstemming", "casusbespreking", "driegesprek"}),
    "behandelaar": frozenset({"afstemming", "casusbespreking", "driegesprek"}),
    "trajectbegeleider": frozenset({"ips_traject", "afstemming", "driegesprek"}),
    "klantmanager": frozenset({"reintegratie", "driegesprek"}),
}
PURPOSES = ("reintegratie", "ips_traject", "afstemming", "driegesprek", "casusbespreking")

ALLOWED_OWN = "eigen_organisatie"
ALLOWED_CONSENT = "toestemming"
NO_BASIS = "geen"


def consent_is_active(spec, today):
    return (
        spec.valid_from <= today <= spec.valid_until and not spec.withdrawn and not spec.superseded
    )


def expected_decision(member, category, action, holder_id, consents, today=None):
    """(allowed, basis, consent id) by the rules above. ``member`` has ``role``,
    ``organisation_id`` and ``case_role``, or is None when the user is not on the team."""
    today = today or timezone.localdate()
    if member is None:
        return (False, NO_BASIS, None)
    if action not in EXPECTED_ACTIONS.get(member.role, {}).get(category, ()):
        return (False, NO_BASIS, None)
    if holder_id == member.organisation_id:
        return (True, ALLOWED_OWN, None)
    if action not in (READ, EXPORT):
        return (False, NO_BASIS, None)  # one writes only into one's own organisation's data
    for spec in consents:
        if (
            consent_is_active(spec, today)
            and spec.purpose in EXPECTED_PURPOSES[member.case_role]
            and spec.recipient_id == member.organisation_id
            and spec.provider_id == holder_id
            and category in spec.categories
        ):
            return (True, ALLOWED_CONSENT, spec.id)
    return (False, NO_BASIS, None)


# --- One case per (team member, consent state) ---------------------------------------------

# Who is on the team, in which case role: key -> (user in the named world, case role).
TEAM = {
    "regiebehandelaar@ggz_a": ("behandelaar_a", "regiebehandelaar"),
    "trajectbegeleider@ggz_a": ("jobcoach_a", "trajectbegeleider"),
    "klantmanager@gemeente_g": ("klantmanager_g", "klantmanager"),
    "klantmanager@uwv_u": ("adviseur_u", "klantmanager"),
    "behandelaar@ggz_b": ("outsider", "behandelaar"),
}

# The client's consent situation towards the member's organisation.
STATES = (
    "none",
    "active",
    "last_day",
    "expired",
    "future",
    "withdrawn",
    "superseded",
    "other_recipient",
    "other_purpose",
    "other_provider",
)

SUPERSEDING_CATEGORIES = frozenset({"identificatie", "werksituatie"})


def _consent_specs(world, member_org, case_role, state, today):
    """What consent records a state means, as plain specs (not yet in the database)."""
    day = datetime.timedelta(days=1)
    fitting = [p for p in PURPOSES if p in EXPECTED_PURPOSES[case_role]]
    base = {
        "provider": world.ggz_a,
        "recipient": member_org,
        "purpose": fitting[0],
        "categories": frozenset(CATEGORIES),  # all, medisch too: the role table must hold
        "valid_from": today - 30 * day,
        "valid_until": today + 60 * day,
        "withdrawn": False,
        "superseded": False,
        "supersedes": None,
    }

    def spec(**changes):
        return SimpleNamespace(**{**base, **changes})

    others = [o for o in (world.uwv_u, world.gemeente_g, world.ggz_b) if o != member_org]
    specs = {
        "none": [],
        "active": [spec()],
        "last_day": [spec(valid_until=today)],
        "expired": [spec(valid_from=today - 90 * day, valid_until=today - day)],
        "future": [spec(valid_from=today + day, valid_until=today + 60 * day)],
        "withdrawn": [spec(withdrawn=True)],
        "superseded": [spec(superseded=True)],
        "other_recipient": [spec(recipient=others[0])],
        "other_purpose": [
            spec(purpose=p) for p in PURPOSES if p not in EXPECTED_PURPOSES[case_role]
        ],
        "other_provider": [spec(provider=others[-1])],
    }[state]
    if state == "superseded":
        specs.append(spec(categories=SUPERSEDING_CATEGORIES, supersedes=specs[0]))
    # A consent from an organisation to itself cannot exist (and is not needed).
    return [s for s in specs if s.provider != s.recipient]


def client_name(key, state):
    return f"Naam-{state}-{key.replace('@', '-')}"


def note_marker(category, case):
    return f"mrk-{category}-c{case.pk}-q"


def build_state_case(world, key, state, with_notes=False, today=None):
    """A client of GGZ A with an open case (opened by behandelaar_a), the member ``key`` on
    the team, and the consent records ``state`` describes. Returns the case, the member and
    the consent specs (with their database ids)."""
    today = today or timezone.localdate()
    user_name, case_role = TEAM[key]
    user = getattr(world, user_name)
    case = make_case(world.behandelaar_a, first_name="Matrix", last_name=client_name(key, state))
    if user != world.behandelaar_a:
        from consent.services import add_member

        add_member(case, user, case_role)
    specs = _consent_specs(world, user.organisation, case_role, state, today)
    for spec in specs:
        record = make_consent(
            case.client,
            spec.provider,
            spec.recipient,
            spec.purpose,
            spec.categories,
            valid_from=spec.valid_from,
            valid_until=spec.valid_until,
            recorded_by=world.behandelaar_a,
            supersedes=spec.supersedes.record if spec.supersedes else None,
        )
        spec.record, spec.id = record, record.pk
        spec.provider_id, spec.recipient_id = spec.provider.pk, spec.recipient.pk
        if spec.withdrawn:
            withdraw(record, world.behandelaar_a)
        if spec.supersedes is not None:
            spec.supersedes.superseded = True
    if with_notes:
        for category in CATEGORIES:
            author = world.jobcoach_a if category == "ips" else world.behandelaar_a
            services.add_timeline(
                case,
                author,
                "notitie",
                category,
                f"Notitie {category}",
                body=f"Inhoud {note_marker(category, case)}",
            )
    member = SimpleNamespace(
        user=user,
        role=str(user.role),
        organisation_id=user.organisation_id,
        case_role=case_role,
    )
    return SimpleNamespace(case=case, member=member, consents=specs, key=key, state=state)


# Small but whole files as a signed consent form is uploaded (consent.forms.ENDINGS: a file
# cut short is refused).
SIGNED_PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
SIGNED_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32 + b"\x00\x00\x00\x00IEND\xaeB`\x82"
SIGNED_JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32 + b"\xff\xd9"
