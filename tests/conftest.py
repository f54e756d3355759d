"""The small named world every test can use.

GGZ A (with IPS) and GGZ B are care providers, Gemeente G and UWV U are Werk & Inkomen.
``outsider`` is a behandelaar at GGZ B: a professional with no relation to A's clients.
"""

import os
import time

import pytest

from portal.constants import OrganisationType, Role

from .factories import OrganisationFactory, UserFactory, join_ips_team

# Playwright's sync API runs an event loop in the test thread; Django's ORM in that
# thread is still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "demo1234"


@pytest.fixture
def ggz_a(db):
    return OrganisationFactory(name="GGZ A", type=OrganisationType.GGZ)


@pytest.fixture
def ggz_b(db):
    return OrganisationFactory(name="GGZ B", type=OrganisationType.GGZ)


@pytest.fixture
def gemeente_g(db):
    return OrganisationFactory(name="Gemeente G", type=OrganisationType.GEMEENTE)


@pytest.fixture
def uwv_u(db):
    return OrganisationFactory(name="UWV U", type=OrganisationType.UWV)


@pytest.fixture
def behandelaar_a(ggz_a):
    return UserFactory(email="behandelaar@a.test", organisation=ggz_a, role=Role.BEHANDELAAR)


@pytest.fixture
def behandelaar_a2(ggz_a):
    return UserFactory(email="behandelaar2@a.test", organisation=ggz_a, role=Role.BEHANDELAAR)


@pytest.fixture
def jobcoach_a(ggz_a):
    """GGZ A's trajectbegeleider, in its IPS team ("IPS-team")."""
    coach = UserFactory(email="jobcoach@a.test", organisation=ggz_a, role=Role.TRAJECTBEGELEIDER)
    join_ips_team(coach)
    return coach


@pytest.fixture
def beheerder_a(ggz_a):
    return UserFactory(email="beheer@a.test", organisation=ggz_a, role=Role.BEHEERDER)


@pytest.fixture
def klantmanager_g(gemeente_g):
    return UserFactory(email="klantmanager@g.test", organisation=gemeente_g, role=Role.KLANTMANAGER)


@pytest.fixture
def beheerder_g(gemeente_g):
    return UserFactory(email="beheer@g.test", organisation=gemeente_g, role=Role.BEHEERDER)


@pytest.fixture
def adviseur_u(uwv_u):
    return UserFactory(email="adviseur@u.test", organisation=uwv_u, role=Role.KLANTMANAGER)


@pytest.fixture
def outsider(ggz_b):
    return UserFactory(email="outsider@b.test", organisation=ggz_b, role=Role.BEHANDELAAR)


@pytest.fixture
def superuser(db):
    from portal.models import User

    return User.objects.create_superuser("platform@werkpad.test", PASSWORD)


@pytest.fixture(autouse=True)
def _no_mfa_by_default(settings):
    """Most tests are about other things; MFA tests switch it back on explicitly."""
    settings.WERKPAD_REQUIRE_MFA = False


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests (browser, worker) start after an earlier one emptied every table,
    the rows the migrations load included: load the data categories and the bundled
    gespreksleidraad again."""
    if not {"transactional_db", "live_server"} & set(request.fixturenames):
        return
    request.getfixturevalue("transactional_db")
    from importlib import import_module

    from django.apps import apps

    from cases import leidraad_services

    import_module("consent.migrations.0002_categories_and_append_only_log").load_categories(
        apps, None
    )
    import_module("consent.migrations.0009_ips_category_names_follow_along").forward(apps, None)
    leidraad_services.ensure_bundled()


def signed_in(client, user):
    """Sign ``user`` in on ``client`` (or sign out with None) and return the client."""
    client.logout()
    if user is not None:
        client.force_login(user, backend="portal.backends.UserBackend")
        # As if the user just confirmed their password: allauth's re-authentication check
        # for sensitive actions looks at this record (tests of the re-authentication itself
        # use a client without it).
        session = client.session
        session["account_authentication_methods"] = [
            {"method": "password", "at": time.time(), "reauthenticated": True}
        ]
        session["account_authentication_methods_user"] = str(user.pk)
        session.save()
    return client


@pytest.fixture
def client_for(client):
    """Sign ``user`` in on the test client (or sign out with None) and return the client."""
    return lambda user: signed_in(client, user)
