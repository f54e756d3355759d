"""A beheerder is on no case team: their start page lists their tasks and what waits for
them (cases without a lead, consents running out), as counts, without client data."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from consent.constants import Category, Purpose
from consent.models import AccessLogEntry

from .builders import make_case, make_consent, withdraw
from .test_without_lead import deactivate

HOME = reverse("portal:home")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()


def in_days(days):
    return timezone.localdate() + datetime.timedelta(days=days)


def expiring(case, provider, recipient, days=10):
    return make_consent(
        case.client,
        provider,
        recipient,
        Purpose.REINTEGRATIE,
        [Category.WERKSITUATIE],
        valid_until=in_days(days),
    )


def test_the_beheerder_gets_their_tasks_not_an_empty_werkvoorraad(client_for, beheerder_a):
    page = client_for(beheerder_a).get(HOME).content.decode()
    assert "<h1>Beheer van GGZ A</h1>" in page
    assert "Mijn werkvoorraad" not in page
    for name in ["portal:user_list", "ips:teams", "cases:without_lead", "consent:overview"]:
        assert f'href="{reverse(name)}"' in page
    assert f'href="{reverse("consent:access_log")}"' in page
    assert "Elke open casus heeft een regievoerder." in page
    assert "Geen toestemming verloopt binnen 30 dagen." in page


def test_no_ips_teams_at_a_gemeente(client_for, beheerder_g):
    page = client_for(beheerder_g).get(HOME).content.decode()
    assert "<h1>Beheer van Gemeente G</h1>" in page
    assert reverse("ips:teams") not in page


def test_what_waits_is_counted_for_the_own_organisation_only(
    client_for, beheerder_a, behandelaar_a, behandelaar_a2, ggz_a, gemeente_g, klantmanager_g
):
    cases = [make_case(behandelaar_a, last_name=f"Geheimnaam{i}") for i in range(2)]
    kept = make_case(behandelaar_a2, last_name="Geheimnaam9")
    expiring(cases[0], ggz_a, gemeente_g)
    expiring(cases[1], ggz_a, gemeente_g, days=25)
    withdraw(expiring(kept, ggz_a, gemeente_g), by=behandelaar_a2)  # withdrawn: not waiting
    expiring(kept, ggz_a, gemeente_g, days=90)  # not within 30 days
    # Another organisation's case without lead and consent running out: not GGZ A's.
    other = make_case(klantmanager_g, last_name="Geheimnaam8")
    expiring(other, gemeente_g, ggz_a)
    deactivate(klantmanager_g)
    deactivate(behandelaar_a)  # the lead of the first two cases

    page = client_for(beheerder_a).get(HOME).content.decode()
    without_lead = reverse("cases:without_lead")
    assert f'<a href="{without_lead}">2 open casussen zonder regievoerder</a>' in page
    assert (
        f'<a href="{reverse("consent:overview")}?status=verloopt">2 toestemmingen verlopen '
        "binnen 30 dagen</a>" in page
    )
    assert "Geheimnaam" not in page
    assert not AccessLogEntry.objects.filter(user=beheerder_a).exists()


def test_one_of_each_in_the_singular(client_for, beheerder_a, behandelaar_a, ggz_a, gemeente_g):
    expiring(make_case(behandelaar_a), ggz_a, gemeente_g)
    deactivate(behandelaar_a)
    page = client_for(beheerder_a).get(HOME).content.decode()
    assert "1 open casus zonder regievoerder</a>" in page
    assert "1 toestemming verloopt binnen 30 dagen</a>" in page


@pytest.mark.parametrize("name", ["behandelaar_a", "jobcoach_a", "klantmanager_g"])
def test_professionals_keep_their_werkvoorraad(request, client_for, name):
    page = client_for(request.getfixturevalue(name)).get(HOME).content.decode()
    assert "<h1>Mijn werkvoorraad</h1>" in page
    assert "Wacht op u" not in page


def test_queries_do_not_grow_with_what_waits(
    client_for, django_assert_num_queries, beheerder_a, behandelaar_a, ggz_a, gemeente_g
):
    c = client_for(beheerder_a)
    c.get(HOME)
    cache.clear()
    with django_assert_num_queries(8) as few:
        c.get(HOME)
    for i in range(15):
        expiring(make_case(behandelaar_a, last_name=f"Veel{i}"), ggz_a, gemeente_g)
    deactivate(behandelaar_a)
    cache.clear()
    with django_assert_num_queries(len(few.captured_queries)):
        c.get(HOME)
