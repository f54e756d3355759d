from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseRole(models.TextChoices):
    """A person's role on one case team. Stored as a guardian object permission on Case."""

    REGIEBEHANDELAAR = "regiebehandelaar", _("Regiebehandelaar")
    BEHANDELAAR = "behandelaar", _("Behandelaar")
    TRAJECTBEGELEIDER = "trajectbegeleider", _("IPS-trajectbegeleider")
    KLANTMANAGER = "klantmanager", _("Klantmanager")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    GESLOTEN = "gesloten", _("Gesloten")


class WorkSituationKind(models.TextChoices):
    BETAALD = "betaald", _("Betaald werk")
    ZIEKGEMELD = "ziekgemeld", _("Ziekgemeld")
    WERKERVARING = "werkervaring", _("Werkervaringsplaats")
    VRIJWILLIGER = "vrijwilliger", _("Vrijwilligerswerk")
    OPLEIDING = "opleiding", _("Opleiding")
    DAGBESTEDING = "dagbesteding", _("Dagbesteding")
    GEEN = "geen", _("Geen werk of dagbesteding")


class Benefit(models.TextChoices):
    BIJSTAND = "bijstand", _("Bijstand (Participatiewet)")
    WW = "ww", _("WW")
    ZW = "zw", _("Ziektewet")
    WIA = "wia", _("WIA/WGA")
    WAJONG = "wajong", _("Wajong")
    GEEN = "geen", _("Geen uitkering")


class WishToWork(models.TextChoices):
    JA = "ja", _("Ja")
    NEE = "nee", _("Nee")
    NOG_NIET = "nog_niet", _("Nog niet")
    WEET_NIET = "weet_niet", _("Weet niet")


class RecoveryDomain(models.TextChoices):
    KLINISCH = "klinisch", _("Klinisch herstel")
    FUNCTIONEEL = "functioneel", _("Functioneel herstel")
    MAATSCHAPPELIJK = "maatschappelijk", _("Maatschappelijk herstel")
    PERSOONLIJK = "persoonlijk", _("Persoonlijk herstel")


class GoalStatus(models.TextChoices):
    OPEN = "open", _("Loopt")
    BEREIKT = "bereikt", _("Bereikt")
    GESTOPT = "gestopt", _("Gestopt")


class InvitationStatus(models.TextChoices):
    OPEN = "open", _("Wacht op antwoord")
    GEACCEPTEERD = "geaccepteerd", _("Geaccepteerd")
    AFGEWEZEN = "afgewezen", _("Afgewezen")
    INGETROKKEN = "ingetrokken", _("Ingetrokken")


class TimelineKind(models.TextChoices):
    NOTITIE = "notitie", _("Notitie")
    WERKSITUATIE = "werksituatie", _("Werksituatie")
    WERK_BESPROKEN = "werk_besproken", _("Werk besproken")
    DOEL = "doel", _("Doel")
    AFSPRAAK = "afspraak", _("Afspraak")
    TEAM = "team", _("Team")
    VERWIJZING = "verwijzing", _("Verwijzing")
    DRIEGESPREK = "driegesprek", _("Driegesprek")
    TOESTEMMING = "toestemming", _("Toestemming")
    GESPREK = "gesprek", _("Gesprek")
    RAPPORT = "rapport", _("Rapport")
    STATUS = "status", _("Status")


class MeetingStatus(models.TextChoices):
    GEPLAND = "gepland", _("Gepland")
    GEHOUDEN = "gehouden", _("Gehouden")
