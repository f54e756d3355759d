"""The demo world: fictitious organisations, accounts and (as domains land) clients.

One place that every domain extends: add a loader to ``LOADERS``. Loading is idempotent.
"""

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from .constants import OrganisationType, Role

ORGANISATIONS = [
    ("GGZ Rivierland", OrganisationType.GGZ),
    ("Gemeente Havenstad", OrganisationType.GEMEENTE),
    ("UWV Havenstad", OrganisationType.UWV),
]

# (email, first name, last name, organisation, role)
ACCOUNTS = [
    ("behandelaar@rivierland.demo", "Bram", "de Vries", "GGZ Rivierland", Role.BEHANDELAAR),
    ("jobcoach@rivierland.demo", "Joke", "Bakker", "GGZ Rivierland", Role.TRAJECTBEGELEIDER),
    ("beheer@rivierland.demo", "Bea", "Jansen", "GGZ Rivierland", Role.BEHEERDER),
    ("klantmanager@havenstad.demo", "Karim", "El Amrani", "Gemeente Havenstad", Role.KLANTMANAGER),
    ("beheer@havenstad.demo", "Henk", "Visser", "Gemeente Havenstad", Role.BEHEERDER),
    ("adviseur@uwv.demo", "Anouk", "Smit", "UWV Havenstad", Role.KLANTMANAGER),
]

# Dotted paths of functions ``load(world)`` that later domains add.
LOADERS = ["cases.demo.load", "ips.demo.load"]


def load_organisations_and_users():
    from .models import Organisation, User

    organisations = {}
    for name, type_ in ORGANISATIONS:
        organisations[name], _ = Organisation.objects.get_or_create(
            name=name, defaults={"type": type_}
        )
    users = {}
    for email, first, last, org_name, role in ACCOUNTS:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={
                "first_name": first,
                "last_name": last,
                "organisation": organisations[org_name],
                "role": role,
            },
        )
        if created:
            user.set_password(settings.DEMO_PASSWORD)
            user.save(update_fields=["password"])
        users[email] = user
    return {"organisations": organisations, "users": users}


@transaction.atomic
def build_world():
    world = load_organisations_and_users()
    for path in LOADERS:
        import_string(path)(world)
    return world
