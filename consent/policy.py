"""The access policy as data: which role may do what with which category, and which
consent purposes serve which case role. Rendered on the "Wie ziet wat" help page."""

from cases.constants import CaseRole
from portal.constants import ROLES_BY_ORGANISATION_TYPE, Role

from .constants import Action, Category, Purpose

R, C, U, E = Action.READ, Action.CREATE, Action.UPDATE, Action.EXPORT
ALL = frozenset(Category)

# Role x category -> actions. Reading and exporting additionally need a basis: the user's
# own organisation holds the data, or an active consent covers it (see services).
ROLE_ACTIONS = {
    Role.BEHANDELAAR: {
        Category.IDENTIFICATIE: {R, C, U, E},
        Category.WERKSITUATIE: {R, C, U, E},
        Category.MOGELIJKHEDEN: {R, C, U, E},
        Category.IPS: {R, E},
        Category.LEIDRAAD: {R, C, U, E},
        Category.GESPREKSVERSLAGEN: {R, C, U, E},
        Category.AFSPRAKEN: {R, C, U, E},
        Category.MEDISCH: {R, C, U, E},
    },
    Role.TRAJECTBEGELEIDER: {
        Category.IDENTIFICATIE: {R, E},
        Category.WERKSITUATIE: {R, C, U, E},
        Category.MOGELIJKHEDEN: {R, C, U, E},
        Category.IPS: {R, C, U, E},
        Category.LEIDRAAD: {R, E},
        Category.GESPREKSVERSLAGEN: {R, C, U, E},
        Category.AFSPRAKEN: {R, C, U, E},
        Category.MEDISCH: {R},
    },
    # Werk & Inkomen never sees medical or treatment information, whatever is consented.
    Role.KLANTMANAGER: {
        Category.IDENTIFICATIE: {R, C, U, E},
        Category.WERKSITUATIE: {R, C, U, E},
        Category.MOGELIJKHEDEN: {R, C, U, E},
        Category.IPS: {R, E},
        Category.LEIDRAAD: {R, E},
        Category.GESPREKSVERSLAGEN: {R, E},
        Category.AFSPRAKEN: {R, C, U, E},
    },
    # A beheerder is not on case teams. They administer consent (identification of the
    # organisation's own clients) and export everything the organisation holds about a
    # client for an AVG-inzage.
    Role.BEHEERDER: {
        Category.IDENTIFICATIE: {R, E},
        **{category: {E} for category in Category if category != Category.IDENTIFICATIE},
    },
}

# Which consent purposes let a member in each case role read another organisation's data.
PURPOSES_BY_CASE_ROLE = {
    CaseRole.REGIEBEHANDELAAR: {Purpose.AFSTEMMING, Purpose.CASUSBESPREKING, Purpose.DRIEGESPREK},
    CaseRole.BEHANDELAAR: {Purpose.AFSTEMMING, Purpose.CASUSBESPREKING, Purpose.DRIEGESPREK},
    CaseRole.TRAJECTBEGELEIDER: {Purpose.IPS_TRAJECT, Purpose.AFSTEMMING, Purpose.DRIEGESPREK},
    CaseRole.KLANTMANAGER: {Purpose.REINTEGRATIE, Purpose.DRIEGESPREK},
}

# Which case roles fit which user role.
CASE_ROLES_BY_ROLE = {
    Role.BEHANDELAAR: {CaseRole.REGIEBEHANDELAAR, CaseRole.BEHANDELAAR},
    Role.TRAJECTBEGELEIDER: {CaseRole.TRAJECTBEGELEIDER},
    Role.KLANTMANAGER: {CaseRole.KLANTMANAGER},
    Role.BEHEERDER: set(),
}
# The roles that work in cases (a beheerder is never on a case team).
CASE_WORKERS = frozenset(role for role, case_roles in CASE_ROLES_BY_ROLE.items() if case_roles)


def fitting_case_roles(role, case_roles):
    """The case roles that count for a user: those that fit their role now. A user whose
    role changed keeps their places on case teams, but not what the old role gave: a
    trajectbegeleider who becomes a behandelaar does not write in the treatment file of
    the clients they coached. An invitation in the new role gives access again."""
    return frozenset(case_roles) & CASE_ROLES_BY_ROLE.get(role, frozenset())


def leads(case_roles, organisation_id, case_organisation_id):
    """Whether someone with these (fitting) case roles, of ``organisation_id``, leads a case
    opened by ``case_organisation_id``: the regiebehandelaar, or a klantmanager of the
    organisation that opened it. Who leads invites, refers and takes people off the team."""
    return CaseRole.REGIEBEHANDELAAR in case_roles or (
        CaseRole.KLANTMANAGER in case_roles and organisation_id == case_organisation_id
    )


def role_allows(role, category, action):
    return action in ROLE_ACTIONS.get(role, {}).get(category, ())


def held_by(organisation_type):
    """The categories an organisation of this type can hold: those one of its roles
    records. A consent can only share what its provider holds (a gemeente has no medical
    data to give)."""
    roles = ROLES_BY_ORGANISATION_TYPE[organisation_type]
    return {c for c in Category if any(role_allows(r, c, Action.CREATE) for r in roles)}


def purposes_for(case_roles):
    purposes = set()
    for case_role in case_roles:
        purposes |= PURPOSES_BY_CASE_ROLE[case_role]
    return purposes


def usable_purposes(organisation_type):
    """The purposes under which someone at an organisation of this type could ever read
    shared data: those of the case roles that fit the roles such an organisation can hold
    (ROLES_BY_ORGANISATION_TYPE, CASE_ROLES_BY_ROLE). Under any other purpose a consent
    shares nothing (the consent form refuses it)."""
    case_roles = set()
    for role in ROLES_BY_ORGANISATION_TYPE[organisation_type]:
        case_roles |= CASE_ROLES_BY_ROLE.get(role, set())
    return purposes_for(case_roles)
