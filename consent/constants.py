from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portal.constants import OrganisationType


class Category(models.TextChoices):
    """Data categories (gegevenscategorieën). Codes are fixed; labels are editable as data."""

    IDENTIFICATIE = "identificatie", _("Identificatie en contact")
    WERKSITUATIE = "werksituatie", _("Werksituatie en uitkering")
    MOGELIJKHEDEN = "mogelijkheden", _("Arbeidsmogelijkheden en belastbaarheid")
    IPS = "ips", _("IPS-traject en voortgang")
    LEIDRAAD = "leidraad", _("Uitkomsten gespreksleidraad")
    GESPREKSVERSLAGEN = "gespreksverslagen", _("Gespreksverslagen")
    AFSPRAKEN = "afspraken", _("Afspraken en doelen")
    MEDISCH = "medisch", _("Medische en behandelinformatie")


def shared_notice(category):
    """Under a free-text field (or above a form of them) whose content other organisations
    on the team read with the client's consent, gemeente and UWV among them: what it is
    shared as, and to keep medical information out."""
    return format_lazy(
        _(
            "Gedeeld als ‘{category}’: leesbaar voor de teamleden van uw organisatie en, met "
            "toestemming van de cliënt, voor de andere organisaties in het team, ook gemeente en "
            "UWV. Schrijf hier geen medische informatie."
        ),
        category=Category(category).label,
    )


# Never shared with Werk & Inkomen (gemeente, UWV): only with another care organisation.
CARE_ONLY_CATEGORIES = frozenset({Category.MEDISCH})
# Werk & Inkomen: never a recipient of medical or treatment information (organisation types).
WORK_AND_INCOME = frozenset({OrganisationType.GEMEENTE, OrganisationType.UWV})


class Purpose(models.TextChoices):
    IPS_TRAJECT = "ips_traject", _("IPS-traject")
    REINTEGRATIE = "reintegratie", _("Re-integratie en participatie")
    AFSTEMMING = "afstemming", _("Afstemming behandeling en werk")
    DRIEGESPREK = "driegesprek", _("Driegesprek")
    CASUSBESPREKING = "casusbespreking", _("Casusbespreking")


class ConsentMethod(models.TextChoices):
    SCHRIFTELIJK = "schriftelijk", _("Schriftelijk ondertekend")
    DIGITAAL = "digitaal", _("Digitaal gegeven")
    MONDELING = "mondeling", _("Mondeling gegeven en vastgelegd")


class WithdrawalMethod(models.TextChoices):
    """How a consent was withdrawn: the same values as ConsentMethod, worded for taking it
    back."""

    SCHRIFTELIJK = "schriftelijk", _("Schriftelijk")
    DIGITAAL = "digitaal", _("Digitaal")
    MONDELING = "mondeling", _("Mondeling, vastgelegd door een medewerker")


class ConsentState(models.TextChoices):
    ACTIEF = "actief", _("Actief")
    TOEKOMSTIG = "toekomstig", _("Gaat nog in")
    VERLOPEN = "verlopen", _("Verlopen")
    INGETROKKEN = "ingetrokken", _("Ingetrokken")
    VERVANGEN = "vervangen", _("Vervangen")


# The states in which a consent still counts: it can be withdrawn, and signed.
LIVE_STATES = frozenset({ConsentState.ACTIEF, ConsentState.TOEKOMSTIG})


class Action(models.TextChoices):
    """NEN 7513 events."""

    READ = "read", _("Inzien")
    CREATE = "create", _("Aanmaken")
    UPDATE = "update", _("Wijzigen")
    DELETE = "delete", _("Verwijderen")
    EXPORT = "export", _("Exporteren")


class Basis(models.TextChoices):
    EIGEN_ORGANISATIE = (
        "eigen_organisatie",
        _("Eigen organisatie (behandelrelatie of eigen registratie)"),
    )
    TOESTEMMING = "toestemming", _("Toestemming van de cliënt")
    BEHEER = "beheer", _("Beheer (functioneel beheerder)")
    # A beheerder handling another organisation's client, only to answer the client's own
    # request for access to what their organisation holds (consent.services.avg_decisions).
    INZAGEVERZOEK = "inzageverzoek", _("Verzoek om inzage van de cliënt (artikel 15 AVG)")
    GEEN = "geen", _("Geen grondslag")


class Outcome(models.TextChoices):
    TOEGESTAAN = "toegestaan", _("Toegestaan")
    GEWEIGERD = "geweigerd", _("Geweigerd")


def label_of(choices, value):
    """The label of a stored ``value`` of ``choices``, or the value itself when it is not one
    of them (an access-log entry keeps the role as it was, e.g. "platform")."""
    try:
        return choices(value).label  # the enum's own value lookup: no list built per call
    except ValueError:
        return value


class RequestChannel(models.TextChoices):
    """How a client's request for access came in."""

    BALIE = "balie", _("Aan de balie of in een gesprek")
    BRIEF = "brief", _("Per brief")
    EMAIL = "email", _("Per e-mail")
    TELEFOON = "telefoon", _("Telefonisch")
    ANDERS = "anders", _("Anders")


class IdentityCheck(models.TextChoices):
    """How the beheerder made sure the request came from the client."""

    ID_BEWIJS = "id_bewijs", _("ID-bewijs gezien aan de balie")
    DIGID = "digid", _("Via DigiD of een beveiligd portaal")
    ANDERS = "anders", _("Anders")
