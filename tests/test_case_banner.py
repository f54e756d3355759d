"""Every page under a case (timeline, forms, conversations, the gespreksleidraad, the IPS
trajectory) names whose file it is, so that nobody reads or writes in the wrong client's
file: the client's name when the user may read the identification (a read logged with its
basis), the case number only when not. Stepped from anonymous to the team with and without
consent."""

import pytest
from django.urls import reverse

from cases.constants import CaseRole
from consent import services as consent
from consent.constants import Action, Basis, Category, Outcome, Purpose
from consent.models import AccessLogEntry

from .builders import make_case, make_consent, withdraw
from .test_ips import start_trajectory

NAME = "Eva Bannerveld"
ROUTES = [
    "cases:timeline",
    "cases:work_situation",
    "cases:note_create",
    "cases:agreement_create",
    "cases:conversation_list",
    "cases:leidraad_list",
    "ips:trajectory",
]


@pytest.fixture
def case(behandelaar_a, jobcoach_a, klantmanager_g):
    case = make_case(behandelaar_a, first_name="Eva", last_name="Bannerveld")
    start_trajectory(behandelaar_a, jobcoach_a, case)
    consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
    return case


def banner_of(response):
    html = response.content.decode()
    start = html.index('<p class="case-banner">')
    return html[start : html.index("</p>", start)]


def name_reads(response):
    return set(
        AccessLogEntry.objects.filter(
            request_id=response["X-Request-ID"],
            category=Category.IDENTIFICATIE,
            action=Action.READ,
            outcome=Outcome.TOEGESTAAN,
        ).values_list("basis", "consent_id")
    )


@pytest.mark.parametrize("route", ROUTES)
def test_the_team_sees_whose_file_it_is(client_for, case, behandelaar_a, jobcoach_a, route):
    url = reverse(route, args=[case.pk])
    for user in (behandelaar_a, jobcoach_a):
        response = client_for(user).get(url)
        assert response.status_code == 200
        banner = banner_of(response)
        assert NAME in banner and f"casus {case.pk}" in banner
        assert name_reads(response) == {(Basis.EIGEN_ORGANISATIE, None)}


@pytest.mark.parametrize("route", ["cases:timeline", "cases:agreement_create"])
def test_without_consent_only_the_case_number(
    client_for, case, behandelaar_a, klantmanager_g, route
):
    url = reverse(route, args=[case.pk])
    c = client_for(klantmanager_g)
    response = c.get(url)
    assert response.status_code == 200
    assert banner_of(response).endswith(f"Casus {case.pk} (naam niet gedeeld)")
    assert "Bannerveld" not in response.content.decode()
    assert name_reads(response) == set()
    # With the client's consent the name is shown, on that consent; withdrawn, it is gone.
    shared = make_consent(
        case.client,
        behandelaar_a.organisation,
        klantmanager_g.organisation,
        Purpose.REINTEGRATIE,
        [Category.IDENTIFICATIE, Category.AFSPRAKEN],
    )
    response = c.get(url)
    assert NAME in banner_of(response)
    assert name_reads(response) == {(Basis.TOESTEMMING, shared.pk)}
    withdraw(shared, behandelaar_a)
    response = c.get(url)
    assert "Bannerveld" not in response.content.decode()
    assert name_reads(response) == set()


def test_outsiders_and_anonymous_see_no_banner(client_for, case, outsider):
    url = reverse("cases:timeline", args=[case.pk])
    assert client_for(None).get(url).status_code == 302
    response = client_for(outsider).get(url)
    assert response.status_code == 404
    assert "Bannerveld" not in response.content.decode()


def test_pages_outside_a_case_have_no_banner(client_for, case, behandelaar_a):
    html = client_for(behandelaar_a).get("/").content.decode()
    assert 'class="case-banner"' not in html


def test_a_page_of_a_case_names_the_case_in_its_title(client_for, behandelaar_a):
    """Several tabs of several cases: each title says which (by number, not by name:
    titles end up in the browser history)."""
    case = make_case(behandelaar_a)
    for name in ("cases:timeline", "cases:work_situation", "cases:note_create"):
        html = client_for(behandelaar_a).get(reverse(name, args=[case.pk])).content.decode()
        title = html.split("<title>")[1].split("</title>")[0]
        assert title.endswith(f" · casus {case.pk} · Werkpad")
        assert case.client.last_name not in title


def test_the_case_page_is_titled_by_number_where_its_heading_names_the_client(
    client_for, behandelaar_a
):
    case = make_case(behandelaar_a)
    html = client_for(behandelaar_a).get(reverse("cases:detail", args=[case.pk])).content.decode()
    title = html.split("<title>")[1].split("</title>")[0]
    assert title.startswith(f"Casus {case.pk} · ")
    assert case.client.last_name not in title and case.client.first_name not in title
    assert case.client.last_name in html.split("<h1>")[1].split("</h1>")[0]
