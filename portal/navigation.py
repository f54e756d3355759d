"""The navigation each role sees. Domain apps add their entries here as they land."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .constants import Role

# (url name, label, roles that see it)
NAVIGATION = [
    ("portal:home", _("Mijn werkvoorraad"), set(Role) - {Role.BEHEERDER}),
    ("portal:home", _("Beheer"), {Role.BEHEERDER}),
    ("portal:user_list", _("Gebruikers"), {Role.BEHEERDER}),
    ("ips:caseload", _("IPS-caseload"), {Role.TRAJECTBEGELEIDER}),
    ("ips:contacts", _("Werkgeverscontacten"), {Role.TRAJECTBEGELEIDER}),
    ("ips:results", _("Resultaten"), {Role.TRAJECTBEGELEIDER}),
    ("ips:fidelity_list", _("Modelgetrouwheid"), {Role.TRAJECTBEGELEIDER}),
    ("cases:miti_trend", _("Mijn gespreksvoering"), {Role.BEHANDELAAR, Role.TRAJECTBEGELEIDER}),
    ("consent:overview", _("Toestemmingen"), {Role.BEHEERDER}),
    ("consent:access_log", _("Inzagelog"), {Role.BEHEERDER}),
    ("consent:avg_inzage", _("AVG-inzage"), {Role.BEHEERDER}),
    ("consent:help", _("Wie ziet wat"), set(Role)),
]


def items_for(user):
    if not user.is_authenticated:
        return []
    return [
        {"url": reverse(name), "label": label}
        for name, label, roles in NAVIGATION
        if user.role in roles
    ]
