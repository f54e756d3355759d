from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationType(models.TextChoices):
    GGZ = "ggz", _("GGZ-aanbieder")
    GEMEENTE = "gemeente", _("Gemeente (Werk & Inkomen)")
    UWV = "uwv", _("UWV")


class InSentence:
    """For choices whose label also stands inside a sentence."""

    @property
    def in_sentence(self):
        """The label inside a sentence ('als klantmanager'); an abbreviation keeps its
        capitals ('als IPS-trajectbegeleider')."""
        label = str(self.label)
        return label if label[:2].isupper() else label[:1].lower() + label[1:]


class Role(InSentence, models.TextChoices):
    BEHANDELAAR = "behandelaar", _("Behandelaar")
    TRAJECTBEGELEIDER = "trajectbegeleider", _("IPS-trajectbegeleider")
    KLANTMANAGER = "klantmanager", _("Klantmanager")
    BEHEERDER = "beheerder", _("Beheerder")


# Which roles an organisation of each type may hold. The one place this rule lives.
ROLES_BY_ORGANISATION_TYPE = {
    OrganisationType.GGZ: {Role.BEHANDELAAR, Role.TRAJECTBEGELEIDER, Role.BEHEERDER},
    OrganisationType.GEMEENTE: {Role.KLANTMANAGER, Role.BEHEERDER},
    OrganisationType.UWV: {Role.KLANTMANAGER, Role.BEHEERDER},
}

# Professional roles work with client data and therefore need a second factor.
PROFESSIONAL_ROLES = {Role.BEHANDELAAR, Role.TRAJECTBEGELEIDER, Role.KLANTMANAGER, Role.BEHEERDER}
