from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.constants import InSentence


class CaseRole(InSentence, models.TextChoices):
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
    LEIDRAAD = "leidraad", _("Gespreksleidraad")


class MeetingStatus(models.TextChoices):
    GEPLAND = "gepland", _("Gepland")
    GEHOUDEN = "gehouden", _("Gehouden")


# --- Gespreksleidraad 'Arbeid als medicijn' -------------------------------------------------


class LeidraadStatus(models.TextChoices):
    BEZIG = "bezig", _("Bezig")
    AFGEROND = "afgerond", _("Afgerond")


class LeidraadStep(models.IntegerChoices):
    VOORBEREIDING = 1, _("Voorbereiding")
    IN_GESPREK = 2, _("In gesprek")
    VOLGENDE_STAPPEN = 3, _("Volgende stappen")


class Judgement(models.TextChoices):
    """What work does for this client's recovery on one theme, as agreed in the session."""

    HELPT = "helpt", _("Werk helpt bij herstel")
    NEUTRAAL = "neutraal", _("Werk is neutraal")
    BELEMMERT = "belemmert", _("Werk belemmert herstel")
    ONDUIDELIJK = "onduidelijk", _("Nog niet duidelijk")


class ReferralKind(models.TextChoices):
    IPS = "ips", _("IPS-team")
    KLANTMANAGER = "klantmanager", _("Klantmanager (gemeente of UWV)")
    EXTERN = "extern", _("Bedrijfsarts of UWV (buiten Werkpad)")
    GEEN = "geen", _("Geen verwijzing nodig")


class ExternalDestination(models.TextChoices):
    BEDRIJFSARTS = "bedrijfsarts", _("Bedrijfsarts")
    UWV = "uwv", _("UWV (verzekeringsarts of arbeidsdeskundige)")


# --- Motiverende gesprekken -----------------------------------------------------------------


class ConversationForm(models.TextChoices):
    PERSOONLIJK = "persoonlijk", _("Persoonlijk (fysiek)")
    TELEFOON = "telefoon", _("Telefoon")
    VIDEO = "video", _("Video")
    WERKPLEK = "werkplek", _("Op de werkplek")


class TargetBehaviour(models.TextChoices):
    WERK_ZOEKEN = "werk_zoeken", _("Betaald werk zoeken")
    WERK_BEHOUDEN = "werk_behouden", _("Werk behouden")
    TERUGKEER = "terugkeer", _("Terugkeer na ziekteverzuim")
    OPLEIDING = "opleiding", _("Opleiding of vrijwilligerswerk beginnen")
    ANDERS = "anders", _("Anders")


class StageOfChange(models.TextChoices):
    """Stages of change (Prochaska & DiClemente), in order; terugval (relapse) last."""

    PRECONTEMPLATIE = "precontemplatie", _("Precontemplatie")
    CONTEMPLATIE = "contemplatie", _("Contemplatie")
    VOORBEREIDING = "voorbereiding", _("Voorbereiding")
    ACTIE = "actie", _("Actie")
    CONSOLIDATIE = "consolidatie", _("Consolidatie")
    TERUGVAL = "terugval", _("Terugval")


class ChangeTalkKind(models.TextChoices):
    """DARN-CAT: preparatory (desire, ability, reasons, need) and mobilising change talk."""

    DESIRE = "desire", _("Wens (desire)")
    ABILITY = "ability", _("Kunnen (ability)")
    REASONS = "reasons", _("Redenen (reasons)")
    NEED = "need", _("Noodzaak (need)")
    COMMITMENT = "commitment", _("Toezegging (commitment)")
    ACTIVATION = "activation", _("Bereidheid (activation)")
    TAKING_STEPS = "taking_steps", _("Stappen gezet (taking steps)")


class MitiLevel(models.TextChoices):
    """Where a MITI 4.2.1 summary score stands against the published thresholds."""

    GOED = "goed", _("Goed")
    REDELIJK = "redelijk", _("Redelijk")
    ONDER = "onder", _("Onder de drempel")
