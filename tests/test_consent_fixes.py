"""Fixes from the exploratory sessions on beheer and the case team, in consent/: the AVG page
of another organisation's client only by the BSN the client handed over, the consent form
shown again after a refusal logged as a read, the case's status news kept to the case
organisation, and the werkvoorraad's name search without punctuation."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services as cases
from cases.constants import CaseRole, TimelineKind
from cases.models import Case, TimelineEntry
from consent import services as consent
from consent.constants import Action, Basis, Category, Outcome, Purpose
from consent.models import AccessLogEntry, AccessRequest

from .builders import make_case, make_consent
from .conftest import PASSWORD

# --- AVG-inzage: another organisation's client only by BSN (beheer finding 1) -------------


@pytest.fixture
def written_for(client_for, behandelaar_a, klantmanager_g):
    """GGZ A's client, on whose case the gemeente's klantmanager wrote an afspraak without
    any consent of the client: the gemeente's people worked with the client's data
    (consent.services.worked_with), but never received the name."""
    case = make_case(behandelaar_a, first_name="Lotte", last_name="Verborgen")
    consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
    due = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    response = client_for(klantmanager_g).post(
        reverse("cases:agreement_create", args=[case.pk]),
        {"what": "Bellen", "owner": "Cliënt", "due_date": due},
    )
    assert response.status_code == 302
    return case


def avg_request_url(client):
    return reverse("consent:avg_inzage_request", args=[client.pk])


def test_avg_page_of_another_organisations_client_is_refused_by_id(
    client_for, beheerder_g, written_for
):
    """A gemeente beheerder walking through client ids read on this page the name, date of
    birth and GGZ provider of a GGZ client the gemeente was never told the name of."""
    client = written_for.client
    c = client_for(beheerder_g)
    response = c.get(avg_request_url(client))
    assert response.status_code == 404
    assert "Verborgen" not in response.content.decode()
    received = timezone.localdate().isoformat()
    response = c.post(
        avg_request_url(client),
        {"received_on": received, "channel": "brief", "identity_check": "id_bewijs"},
    )
    assert response.status_code == 404
    assert not AccessRequest.objects.exists()
    refused = AccessLogEntry.objects.filter(
        user=beheerder_g, client=client, object_type="avg-inzage", outcome=Outcome.GEWEIGERD
    )
    assert sorted(refused.values_list("action", flat=True)) == [Action.EXPORT, Action.READ]
    assert not AccessLogEntry.objects.filter(
        user=beheerder_g, client=client, outcome=Outcome.TOEGESTAAN
    ).exists()


def test_avg_page_opens_for_the_client_found_by_bsn(client_for, beheerder_g, written_for):
    """The way in the product offers stays open: the BSN the client handed over finds them,
    and from the search the request page opens and records the request."""
    client = written_for.client
    c = client_for(beheerder_g)
    found = c.get(reverse("consent:avg_inzage"), {"q": client.bsn}).content.decode()
    assert avg_request_url(client) in found
    response = c.get(avg_request_url(client))
    assert response.status_code == 200
    assert "Lotte Verborgen" in response.content.decode()
    received = timezone.localdate().isoformat()
    response = c.post(
        avg_request_url(client),
        {"received_on": received, "channel": "brief", "identity_check": "id_bewijs"},
    )
    assert response.status_code == 302
    assert AccessRequest.objects.get().client == client
    # Found by BSN is for this session only: signed in again, the id alone is refused.
    assert client_for(beheerder_g).get(avg_request_url(client)).status_code == 404


def test_a_bsn_search_opens_only_the_client_it_found(
    client_for, behandelaar_a, klantmanager_g, beheerder_g, written_for
):
    """Another of GGZ A's clients the klantmanager worked for is not opened by the search
    for the first one's BSN."""
    other = make_case(behandelaar_a, first_name="Sem", last_name="Ander")
    consent.add_member(other, klantmanager_g, CaseRole.KLANTMANAGER)
    due = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    client_for(klantmanager_g).post(
        reverse("cases:agreement_create", args=[other.pk]),
        {"what": "Bellen", "owner": "Cliënt", "due_date": due},
    )
    c = client_for(beheerder_g)
    c.get(reverse("consent:avg_inzage"), {"q": written_for.client.bsn})
    assert c.get(avg_request_url(written_for.client)).status_code == 200
    response = c.get(avg_request_url(other.client))
    assert response.status_code == 404 and "Ander" not in response.content.decode()


def test_own_clients_still_open_by_id(client_for, beheerder_a, written_for):
    """The organisation's own clients are found by name as well: their page opens from the
    search by name, so by id too."""
    response = client_for(beheerder_a).get(avg_request_url(written_for.client))
    assert response.status_code == 200
    assert "Lotte Verborgen" in response.content.decode()


def test_found_by_bsn_holds_through_the_password_confirmation(client, beheerder_g, written_for):
    """The request page asks for the password first: the client found by BSN before is
    still the one it opens after."""
    client.force_login(beheerder_g, backend="portal.backends.UserBackend")
    client.get(reverse("consent:avg_inzage"), {"q": written_for.client.bsn})
    response = client.get(avg_request_url(written_for.client))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    response = client.post(response["Location"], {"password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert "Lotte Verborgen" in response.content.decode()


# --- The consent form shown again after a refusal is a read (beheer finding 6) ------------


def form_reads(user, client):
    return AccessLogEntry.objects.filter(
        user=user,
        client=client,
        object_type="toestemmingsformulier",
        action=Action.READ,
        outcome=Outcome.TOEGESTAAN,
    )


def test_refused_beheer_consent_form_is_logged_as_a_read(client_for, behandelaar_a, beheerder_a):
    """The form sent back with its errors names the client (name, date of birth), but the
    access log had no entry for it: a POST without a GET first read the client unlogged."""
    case = make_case(behandelaar_a, first_name="Sanne", last_name="Zichtbaar")
    url = reverse("consent:beheer_create") + f"?client={case.client.pk}"
    response = client_for(beheerder_a).post(url, {"purpose": "x"})
    assert response.status_code == 200 and "Zichtbaar" in response.content.decode()
    assert response.context["form"].errors
    assert form_reads(beheerder_a, case.client).count() == 1


def test_refused_case_consent_form_is_logged_as_a_read(client_for, behandelaar_a):
    """The same form from the case page: shown again after a refusal, logged as the GET
    logs it."""
    case = make_case(behandelaar_a, first_name="Sanne", last_name="Zichtbaar")
    url = reverse("consent:create_for_case", args=[case.pk])
    response = client_for(behandelaar_a).post(url, {"purpose": "x"})
    assert response.status_code == 200 and "Zichtbaar" in response.content.decode()
    assert response.context["form"].errors
    assert [(e.case_id, e.basis) for e in form_reads(behandelaar_a, case.client)] == [
        (case.pk, Basis.EIGEN_ORGANISATIE)
    ]


# --- When the case was opened or closed: the case organisation's (cases finding 1) --------


@pytest.fixture
def known_by_name(behandelaar_a, klantmanager_g, ggz_a, gemeente_g):
    """GGZ A's case, opened 40 days ago; the gemeente's klantmanager on the team reads GGZ
    A's identification on the client's consent."""
    case = make_case(behandelaar_a, first_name="Eva", last_name="Jansen")
    consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
    make_consent(case.client, ggz_a, gemeente_g, Purpose.REINTEGRATIE, [Category.IDENTIFICATIE])
    opened = timezone.now() - datetime.timedelta(days=40)
    Case.objects.filter(pk=case.pk).update(opened_at=opened)
    TimelineEntry.objects.filter(case=case).update(occurred_at=opened)
    case.refresh_from_db()
    return case


def status_titles(c, case):
    """The case status news on the case page and on the timeline page."""
    page = c.get(reverse("cases:detail", args=[case.pk]))
    timeline = c.get(reverse("cases:timeline", args=[case.pk]))
    assert page.status_code == timeline.status_code == 200
    return {
        e.title
        for e in [*page.context["timeline"], *timeline.context["page"].object_list]
        if e.kind == TimelineKind.STATUS
    }


def test_the_klantmanager_does_not_read_when_ggz_opened_or_closed_the_case(
    client_for, behandelaar_a, klantmanager_g, known_by_name
):
    """The case page hides when GGZ A opened the case (it says when treatment began), yet
    the klantmanager read it, with its time, in the timeline entry 'Casus geopend', and
    'Casus gesloten' when it ended."""
    cases.close_case(behandelaar_a, known_by_name)
    page = client_for(klantmanager_g).get(reverse("cases:detail", args=[known_by_name.pk]))
    assert page.context["opened_visible"] is False
    assert "Eva Jansen" in page.content.decode()  # the consent does let the name through
    assert status_titles(client_for(klantmanager_g), known_by_name) == set()
    assert status_titles(client_for(behandelaar_a), known_by_name) == {
        "Casus geopend",
        "Casus gesloten",
    }


def test_the_werkvoorraad_does_not_show_the_opening_as_last_activity(
    client_for, behandelaar_a, klantmanager_g, known_by_name
):
    """With nothing else to read, the klantmanager's werkvoorraad showed the time GGZ A
    opened the case as 'laatste activiteit'; GGZ A's own still does."""
    TimelineEntry.objects.filter(case=known_by_name).exclude(title="Casus geopend").delete()
    rows = client_for(klantmanager_g).get("/").context["rows"]
    assert [row["case"].last_seen_at for row in rows] == [None]
    rows = client_for(behandelaar_a).get("/").context["rows"]
    assert [row["case"].last_seen_at for row in rows] == [known_by_name.opened_at]


def test_ips_phase_news_is_still_read_on_an_ips_consent(
    client_for, jobcoach_a, klantmanager_g, ggz_a, gemeente_g, known_by_name
):
    """IPS writes its phases with the same kind as the case status, as IPS data: a consent
    for IPS lets the gemeente read them, on the timeline and as last activity."""
    consent.add_member(known_by_name, jobcoach_a, CaseRole.TRAJECTBEGELEIDER)
    make_consent(known_by_name.client, ggz_a, gemeente_g, Purpose.REINTEGRATIE, [Category.IPS])
    phase = cases.add_timeline(
        known_by_name, jobcoach_a, TimelineKind.STATUS, Category.IPS, "IPS-fase: Intake"
    )
    assert status_titles(client_for(klantmanager_g), known_by_name) == {"IPS-fase: Intake"}
    rows = client_for(klantmanager_g).get("/").context["rows"]
    assert [row["case"].last_seen_at for row in rows] == [phase.occurred_at]


# --- The werkvoorraad's name search and punctuation (cases finding 7) ---------------------


@pytest.fixture
def case_a(behandelaar_a):
    return make_case(behandelaar_a, first_name="Eva", last_name="Jansen")


@pytest.mark.parametrize("q", ["Jansen, Eva", "jansen,eva", "Eva (Jansen)", "Jansen; Eva."])
def test_search_surname_comma_first_name(client_for, behandelaar_a, case_a, q):
    """'Achternaam, Voornaam', as Dutch lists write a name, found nothing: the comma was
    looked for as part of the name."""
    response = client_for(behandelaar_a).get("/", {"q": q})
    assert [row["case"] for row in response.context["rows"]] == [case_a]


@pytest.mark.parametrize("q", ["'", ",", " - "])
def test_a_search_of_only_punctuation_is_no_search(client_for, klantmanager_g, case_a, q):
    """A klantmanager without the client's consent typed an apostrophe and got 'Geen
    casussen gevonden' for a case of theirs: nothing was searched for, yet the cases whose
    name they may not see were left out. A name still finds no hidden name."""
    consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
    c = client_for(klantmanager_g)
    assert [row["case"] for row in c.get("/", {"q": q}).context["rows"]] == [case_a]
    assert c.get("/", {"q": "Jansen"}).context["rows"] == []
