import factory
from django.conf import settings

from portal.constants import OrganisationType, Role
from portal.models import Organisation, User


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"GGZ Organisatie {n}")
    type = OrganisationType.GGZ

    class Params:
        gemeente = factory.Trait(
            type=OrganisationType.GEMEENTE, name=factory.Sequence(lambda n: f"Gemeente {n}")
        )
        uwv = factory.Trait(type=OrganisationType.UWV, name=factory.Sequence(lambda n: f"UWV {n}"))


def _letters(n):
    """0 -> 'a', 25 -> 'z', 26 -> 'ba': unique, and a name (a name has no digits)."""
    text = ""
    while True:
        n, rest = divmod(n, 26)
        text = "abcdefghijklmnopqrstuvwxyz"[rest] + text
        if not n:
            return text


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"gebruiker{n}@werkpad.test")
    # Names no test gives a client, and unique: a random Dutch name ("Eva", "Jansen") in the
    # signed-in user's header made assertions that a client's name is absent fail at random.
    first_name = factory.Iterator(["Anouk", "Fleur", "Joris", "Milan", "Thijs", "Marloes"])
    last_name = factory.Sequence(lambda n: f"Medewerker-{_letters(n)}")
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.BEHANDELAAR
    password = factory.PostGenerationMethodCall("set_password", settings.DEMO_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def join_ips_team(coach, name="IPS-team"):
    """Put ``coach`` in the IPS team ``name`` of their organisation (made if need be)."""
    from ips.models import IpsTeam, TeamMember

    team, _created = IpsTeam.objects.get_or_create(organisation=coach.organisation, name=name)
    TeamMember.objects.update_or_create(coach=coach, defaults={"team": team})
    return team
