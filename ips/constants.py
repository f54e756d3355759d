"""Choices, norms and the IPS-25 scale of ips/. No magic strings elsewhere: use these."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

# --- Norms (BRIEF §6) ------------------------------------------------------------------------

# Wettelijk minimumuurloon, 21 jaar en ouder, bruto per uur, from the day it took effect
# (SZW's half-yearly indexation, Staatscourant; one hourly minimum since 1 January 2024). A
# job is regular paid work if it pays at least the minimum that held on its first day: a job
# begun in 2025 does not drop out of past quarters when the minimum rises. Indexed on 1
# January and 1 July: add the new amount then.
MINIMUM_HOURLY_WAGES = (
    (datetime.date(2024, 1, 1), Decimal("13.27")),
    (datetime.date(2024, 7, 1), Decimal("13.68")),
    (datetime.date(2025, 1, 1), Decimal("14.06")),
    (datetime.date(2025, 7, 1), Decimal("14.40")),
    (datetime.date(2026, 1, 1), Decimal("14.71")),
)
# Minimumjeugdloon: the share of that minimum by age (Wet minimumloon, staffel; the bbl has
# its own, which a job here is not).
YOUTH_MINIMUM_SHARES = {
    20: Decimal("0.800"),
    19: Decimal("0.600"),
    18: Decimal("0.500"),
    17: Decimal("0.395"),
    16: Decimal("0.345"),
    15: Decimal("0.300"),
}


def minimum_hourly_wage(day, date_of_birth=None):
    """The legal minimum hourly wage on ``day`` for someone born on ``date_of_birth`` (an
    adult's without it), in whole cents as SZW publishes it. Before 1 January 2024 (no
    hourly minimum yet): the first one."""
    amount = next(
        (wage for since, wage in reversed(MINIMUM_HOURLY_WAGES) if since <= day),
        MINIMUM_HOURLY_WAGES[0][1],
    )
    if date_of_birth is not None:
        age = (
            day.year
            - date_of_birth.year
            - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))
        )
        share = YOUTH_MINIMUM_SHARES.get(min(max(age, 15), 21))
        if share is not None:
            amount = (amount * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return amount


# Rapid job search: first employer contact within about 30 days of the referral.
RAPID_SEARCH_DAYS = 30
# Caseload per trajectbegeleider: at most 20.
CASELOAD_MAX = 20
# Job development: 6 face-to-face employer contacts a week per trajectbegeleider.
EMPLOYER_CONTACTS_PER_WEEK_NORM = 6
# A placement of more hours than this is a typing error.
MAX_HOURS_PER_WEEK = 60
# An hourly wage above this is a typing error (1450 for 14,50).
MAX_HOURLY_WAGE = 250
# A job of fewer hours than this is no job (the beroepsprofiel's wish only needs more than 0).
MIN_JOB_HOURS_PER_WEEK = Decimal("0.5")


class Phase(models.TextChoices):
    AANGEMELD = "aangemeld", _("Aangemeld")
    INTAKE = "intake", _("Intake")
    BEROEPSPROFIEL = "beroepsprofiel", _("Beroepsprofiel")
    ZOEKEN = "zoeken", _("Zoeken naar werk")
    GEPLAATST = "geplaatst", _("Aan het werk (plaatsing)")
    NAZORG = "nazorg", _("Nazorg en baanbehoud")
    AFGESLOTEN = "afgesloten", _("Afgesloten")


# The phase machine: from -> phases one may move to. Zero exclusion: there is no screening
# step, and no way past the intake without it. Going back (e.g. job lost: back to searching)
# is allowed; a closed trajectory stays closed (a new referral starts a new one).
TRANSITIONS = {
    Phase.AANGEMELD: {Phase.INTAKE, Phase.AFGESLOTEN},
    Phase.INTAKE: {Phase.BEROEPSPROFIEL, Phase.ZOEKEN, Phase.AFGESLOTEN},
    Phase.BEROEPSPROFIEL: {Phase.ZOEKEN, Phase.AFGESLOTEN},
    Phase.ZOEKEN: {Phase.BEROEPSPROFIEL, Phase.GEPLAATST, Phase.AFGESLOTEN},
    Phase.GEPLAATST: {Phase.NAZORG, Phase.ZOEKEN, Phase.AFGESLOTEN},
    Phase.NAZORG: {Phase.GEPLAATST, Phase.ZOEKEN, Phase.AFGESLOTEN},
    Phase.AFGESLOTEN: set(),
}

# Phases in which a placement may be recorded.
PLACEMENT_PHASES = {Phase.ZOEKEN, Phase.GEPLAATST, Phase.NAZORG}
# Leaving these phases needs the intake answer "wants paid work: yes".
AFTER_INTAKE = {Phase.BEROEPSPROFIEL, Phase.ZOEKEN, Phase.GEPLAATST, Phase.NAZORG}


class CloseReason(models.TextChoices):
    DUURZAAM_WERK = "duurzaam_werk", _("Duurzaam aan het werk")
    EIGEN_VERZOEK = "eigen_verzoek", _("Gestopt op eigen verzoek")
    VERHUISD = "verhuisd", _("Verhuisd")
    BEHANDELING_GESTOPT = "behandeling_gestopt", _("Behandeling gestopt")
    ANDERS = "anders", _("Anders")


class Disclosure(models.TextChoices):
    """What the employer may be told about the condition: the client's choice."""

    NOG_NIET = "nog_niet", _("Nog niet besproken")
    VERZWIJGEN = "verzwijgen", _("Verzwijgen: niets vertellen over de aandoening")
    GEDEELTELIJK = "gedeeltelijk", _("Gedeeltelijk vertellen (zie toelichting)")
    VERTELLEN = "vertellen", _("Vertellen: de werkgever mag het weten")


class ContactType(models.TextChoices):
    EERSTE_CONTACT = "eerste_contact", _("Eerste contact")
    VERVOLG = "vervolg", _("Vervolgcontact")
    VACATURE = "vacature", _("Vacature besproken")
    WERKPLEKBEZOEK = "werkplekbezoek", _("Werkplekbezoek")


class ContractType(models.TextChoices):
    ONBEPAALD = "onbepaald", _("Vast (onbepaalde tijd)")
    BEPAALD = "bepaald", _("Tijdelijk (bepaalde tijd)")
    UITZEND = "uitzend", _("Uitzendcontract")
    OPROEP = "oproep", _("Oproep- of nulurencontract")
    ZELFSTANDIG = "zelfstandig", _("Zelfstandige")
    ANDERS = "anders", _("Anders")


class PlacementEndReason(models.TextChoices):
    CONTRACT_AFGELOPEN = "contract_afgelopen", _("Contract afgelopen")
    ZELF_GESTOPT = "zelf_gestopt", _("Zelf gestopt")
    ONTSLAGEN = "ontslagen", _("Ontslagen door de werkgever")
    ANDERE_BAAN = "andere_baan", _("Andere baan gevonden")
    GEZONDHEID = "gezondheid", _("Om gezondheidsredenen")
    # A job recorded ahead of its start that did not go ahead: it never ran. Only for a job
    # that has not started; its end date is the day that was recorded (before the start).
    # Such a job counts in no figure: see ips.querysets.WENT_AHEAD.
    NIET_DOORGEGAAN = "niet_doorgegaan", _("Niet doorgegaan")
    ANDERS = "anders", _("Anders")


class FollowAlongWith(models.TextChoices):
    CLIENT = "client", _("Cliënt")
    WERKGEVER = "werkgever", _("Werkgever")
    BEIDE = "beide", _("Cliënt en werkgever samen")


class ReviewKind(models.TextChoices):
    ZELF = "zelf", _("Zelfbeoordeling")
    EXTERN = "extern", _("Externe audit")


class ReviewStatus(models.TextChoices):
    CONCEPT = "concept", _("Concept")
    AFGEROND = "afgerond", _("Afgerond")


class FidelitySection(models.TextChoices):
    PERSONEEL = "personeel", _("Personeel")
    ORGANISATIE = "organisatie", _("Organisatie")
    DIENSTVERLENING = "dienstverlening", _("Dienstverlening")


# The IPS-25 (Supported Employment Fidelity Scale; Becker, Swanson, Reese, Bond & McLeman):
# (code, section, Dutch name, original item name, our own short help text). Stored as data;
# scores refer to the code, so wording may improve without touching stored reviews.
FIDELITY_ITEMS = [
    # Staffing (3)
    (
        "p1",
        FidelitySection.PERSONEEL,
        _("Caseloadgrootte"),
        "Caseload size",
        _("Hoeveel cliënten begeleidt één trajectbegeleider? De norm is 20 of minder."),
    ),
    (
        "p2",
        FidelitySection.PERSONEEL,
        _("Alleen arbeidsdienstverlening"),
        "Employment services staff",
        _("Besteden trajectbegeleiders hun tijd aan werk, niet aan andere zorgtaken?"),
    ),
    (
        "p3",
        FidelitySection.PERSONEEL,
        _("Generalistische werkwijze"),
        "Vocational generalists",
        _("Doet één begeleider alle fasen: intake, profiel, zoeken, plaatsing en nazorg?"),
    ),
    # Organisation (8)
    (
        "o1",
        FidelitySection.ORGANISATIE,
        _("Integratie door teamtoewijzing"),
        "Integration of rehabilitation with mental health treatment through team assignment",
        _("Horen trajectbegeleiders bij één of twee behandelteams, met gedeelde cliënten?"),
    ),
    (
        "o2",
        FidelitySection.ORGANISATIE,
        _("Integratie door frequent teamcontact"),
        "Integration of rehabilitation with mental health treatment through frequent team "
        "member contact",
        _("Nemen trajectbegeleiders wekelijks deel aan het teamoverleg over cliënten?"),
    ),
    (
        "o3",
        FidelitySection.ORGANISATIE,
        _("Samenwerking met UWV en gemeente"),
        "Collaboration between employment specialists and Vocational Rehabilitation counselors",
        _("Is er vast en regelmatig overleg met klantmanagers en adviseurs werk?"),
    ),
    (
        "o4",
        FidelitySection.ORGANISATIE,
        _("IPS-eenheid"),
        "Vocational unit",
        _("Vormen de trajectbegeleiders een team met eigen overleg en intervisie?"),
    ),
    (
        "o5",
        FidelitySection.ORGANISATIE,
        _("Rol van de IPS-leidinggevende"),
        "Role of employment supervisor",
        _("Stuurt een leidinggevende op resultaten en coacht die het team in de praktijk?"),
    ),
    (
        "o6",
        FidelitySection.ORGANISATIE,
        _("Geen uitsluitingscriteria"),
        "Zero exclusion criteria",
        _("Kan iedereen die wil werken meedoen, zonder selectie op 'werkfitheid'?"),
    ),
    (
        "o7",
        FidelitySection.ORGANISATIE,
        _("Gerichtheid op regulier werk"),
        "Agency focus on competitive employment",
        _("Draagt de organisatie uit dat regulier betaald werk haalbaar is?"),
    ),
    (
        "o8",
        FidelitySection.ORGANISATIE,
        _("Steun van het management"),
        "Executive team support for SE",
        _("Steunt het bestuur IPS zichtbaar, met plannen, middelen en aandacht?"),
    ),
    # Services (14)
    (
        "d1",
        FidelitySection.DIENSTVERLENING,
        _("Advies over uitkering en inkomen"),
        "Work incentives planning",
        _("Krijgt elke cliënt persoonlijk advies over wat werken betekent voor het inkomen?"),
    ),
    (
        "d2",
        FidelitySection.DIENSTVERLENING,
        _("Openheid over de aandoening"),
        "Disclosure",
        _("Wordt met de cliënt besproken wat de werkgever wel en niet hoort?"),
    ),
    (
        "d3",
        FidelitySection.DIENSTVERLENING,
        _("Doorlopend beroepsprofiel"),
        "Ongoing, work-based vocational assessment",
        _("Groeit het beroepsprofiel mee met ervaringen op het werk, zonder testen vooraf?"),
    ),
    (
        "d4",
        FidelitySection.DIENSTVERLENING,
        _("Snel zoeken naar werk"),
        "Rapid search for competitive job",
        _("Is er binnen ongeveer 30 dagen na aanmelding een eerste werkgeverscontact?"),
    ),
    (
        "d5",
        FidelitySection.DIENSTVERLENING,
        _("Individueel zoeken naar werk"),
        "Individualized job search",
        _("Volgt het zoeken de voorkeuren en sterke punten van de cliënt?"),
    ),
    (
        "d6",
        FidelitySection.DIENSTVERLENING,
        _("Werkgeversbenadering: frequentie"),
        "Job development - Frequent employer contact",
        _("Heeft elke begeleider ongeveer zes persoonlijke werkgeverscontacten per week?"),
    ),
    (
        "d7",
        FidelitySection.DIENSTVERLENING,
        _("Werkgeversbenadering: kwaliteit"),
        "Job development - Quality of employer contact",
        _("Bouwen begeleiders een relatie op met werkgevers, over meerdere contacten?"),
    ),
    (
        "d8",
        FidelitySection.DIENSTVERLENING,
        _("Verscheidenheid aan functies"),
        "Diversity of job types",
        _("Zijn de gevonden banen verschillend van soort, passend bij wie de cliënt is?"),
    ),
    (
        "d9",
        FidelitySection.DIENSTVERLENING,
        _("Verscheidenheid aan werkgevers"),
        "Diversity of employers",
        _("Werken cliënten bij veel verschillende werkgevers?"),
    ),
    (
        "d10",
        FidelitySection.DIENSTVERLENING,
        _("Regulier werk"),
        "Competitive jobs",
        _("Zijn de banen gewoon betaald werk, minstens het minimumloon, open voor iedereen?"),
    ),
    (
        "d11",
        FidelitySection.DIENSTVERLENING,
        _("Individuele ondersteuning op het werk"),
        "Individualized follow-along supports",
        _("Krijgen cliënt en werkgever steun op maat na de plaatsing?"),
    ),
    (
        "d12",
        FidelitySection.DIENSTVERLENING,
        _("Onbeperkte duur van ondersteuning"),
        "Time-unlimited follow-along supports",
        _("Loopt de steun zolang als nodig, met een zorgvuldige overgang naar minder?"),
    ),
    (
        "d13",
        FidelitySection.DIENSTVERLENING,
        _("Dienstverlening in de samenleving"),
        "Community-based services",
        _("Vindt het werk vooral buiten het kantoor plaats, bij cliënt en werkgever?"),
    ),
    (
        "d14",
        FidelitySection.DIENSTVERLENING,
        _("Actieve betrokkenheid en outreach"),
        "Assertive engagement and outreach by integrated treatment team",
        _("Blijft het team actief contact zoeken als een cliënt afhaakt?"),
    ),
]

FIDELITY_ITEM_CODES = [code for code, *_rest in FIDELITY_ITEMS]
FIDELITY_SCORE_MIN, FIDELITY_SCORE_MAX = 1, 5


class FidelityBand(models.TextChoices):
    VOORBEELDIG = "voorbeeldig", _("Voorbeeldig (115–125)")
    GOED = "goed", _("Goed (100–114)")
    REDELIJK = "redelijk", _("Redelijk (74–99)")
    GEEN_IPS = "geen_ips", _("Geen IPS (73 of lager)")


def fidelity_band(total):
    """The band of an IPS-25 total (25–125)."""
    if total >= 115:
        return FidelityBand.VOORBEELDIG
    if total >= 100:
        return FidelityBand.GOED
    if total >= 74:
        return FidelityBand.REDELIJK
    return FidelityBand.GEEN_IPS
