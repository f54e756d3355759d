"""Refusals inside a case are logged like any other refused access (NEN 7513): a team
member who is not the lead and asks to invite, to close the case or to take someone off
the team gets a 404, and one who may not refer gets the 403 page; each leaves one denied
entry in the access log, naming the case and what was asked for. (Outsiders are swept in
tests/test_idor.py.)"""

import pytest
from django.urls import reverse

from cases.constants import CaseRole
from consent import services as consent
from consent.constants import Action, Category, Outcome
from consent.models import AccessLogEntry

from .builders import make_case


@pytest.fixture
def case_a(behandelaar_a, klantmanager_g):
    case = make_case(behandelaar_a, first_name="Eva", last_name="Jansen")
    consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
    return case


def denied(response):
    return list(
        AccessLogEntry.objects.filter(request_id=response["X-Request-ID"]).values_list(
            "outcome", "object_type", "object_id", "action", "category", "case_id", "client_id"
        )
    )


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "name,object_type,action,asked",
    [
        ("cases:invite", "uitnodiging", Action.CREATE, {}),
        ("cases:close", "casus", Action.UPDATE, {}),
        ("cases:leave", "teamlid", Action.UPDATE, {"gebruiker": "lead"}),
    ],
)
def test_not_the_lead(
    client_for, behandelaar_a, klantmanager_g, case_a, method, name, object_type, action, asked
):
    url = reverse(name, args=[case_a.pk])
    data = {"gebruiker": str(behandelaar_a.pk)} if asked else {}
    # The positive control: the lead is let in (GET: the form or the question).
    assert client_for(behandelaar_a).get(url, data).status_code == 200
    response = getattr(client_for(klantmanager_g), method)(url, data)
    assert response.status_code == 404
    object_id = {"uitnodiging": "", "casus": str(case_a.pk), "teamlid": str(behandelaar_a.pk)}
    assert denied(response) == [
        (
            Outcome.GEWEIGERD,
            object_type,
            object_id[object_type],
            action,
            Category.IDENTIFICATIE,
            case_a.pk,
            case_a.client_id,
        )
    ]
    assert consent.case_access(behandelaar_a, case_a).is_member  # nothing changed


@pytest.mark.parametrize("who", ["member", "nobody", "nonsense", "huge"])
def test_taking_off_anyone_is_the_same_answer(
    client_for, behandelaar_a, klantmanager_g, case_a, who
):
    """Whether the id is a member, no one or no id at all: the same 404 and the same kind of
    entry (a member's id would otherwise say who is on the team)."""
    asked = {
        "member": str(behandelaar_a.pk),
        "nobody": "987654",
        "nonsense": "1; drop",
        "huge": "9" * 60,
    }[who]
    response = client_for(klantmanager_g).post(
        reverse("cases:leave", args=[case_a.pk]), {"gebruiker": asked}
    )
    assert response.status_code == 404
    [(outcome, object_type, object_id, *_rest)] = denied(response)
    assert (outcome, object_type) == (Outcome.GEWEIGERD, "teamlid")
    assert object_id == (asked if who in ("member", "nobody") else "")


def test_who_may_not_refer(client_for, klantmanager_g, case_a):
    response = client_for(klantmanager_g).get(reverse("cases:refer", args=[case_a.pk]))
    assert response.status_code == 403
    assert "Verwijzen kan alleen een behandelaar, of wie de regie voert." in (
        response.content.decode()
    )
    assert denied(response) == [
        (
            Outcome.GEWEIGERD,
            "verwijzing",
            "",
            Action.CREATE,
            Category.IDENTIFICATIE,
            case_a.pk,
            case_a.client_id,
        )
    ]


def test_the_lead_refers_without_a_denied_entry(client_for, behandelaar_a, case_a):
    response = client_for(behandelaar_a).get(reverse("cases:refer", args=[case_a.pk]))
    assert response.status_code == 200
    assert not AccessLogEntry.objects.filter(outcome=Outcome.GEWEIGERD).exists()


def test_a_lead_of_another_organisation_keeps_the_case_organisations_people(
    client_for, klantmanager_g, behandelaar_a, adviseur_u
):
    """An exploratory tester's GGZ regiebehandelaar, invited to a gemeente's case, took its
    klantmanager off the team: the gemeente lost its own case and client."""
    case = make_case(klantmanager_g, first_name="Lotte", last_name="Gemeente")
    consent.add_member(case, behandelaar_a, CaseRole.REGIEBEHANDELAAR)
    consent.add_member(case, adviseur_u, CaseRole.KLANTMANAGER)
    c = client_for(behandelaar_a)
    leave = reverse("cases:leave", args=[case.pk])
    html = c.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert f"{leave}?gebruiker={adviseur_u.pk}" in html  # the lead takes others off
    assert f"{leave}?gebruiker={klantmanager_g.pk}" not in html
    for method in ("get", "post"):
        response = getattr(c, method)(leave, {"gebruiker": klantmanager_g.pk}, follow=True)
        assert response.redirect_chain[-1][0] == reverse("cases:detail", args=[case.pk])
        assert (
            "Een medewerker van Gemeente G, die de casus opende, haalt alleen Gemeente G zelf "
            "uit het team." in response.content.decode()
        )
        assert consent.case_access(klantmanager_g, case).is_member
    # The gemeente's own lead still takes anyone off, the GGZ regiebehandelaar too.
    response = client_for(klantmanager_g).post(leave, {"gebruiker": behandelaar_a.pk})
    assert response.status_code == 302
    assert not consent.case_access(behandelaar_a, case).is_member


@pytest.mark.django_db(transaction=True)
def test_leaving_is_one_transaction_of_its_own(behandelaar_a, klantmanager_g):
    """services.leave locks the case row and changes the team: atomic by itself, also when
    not called from inside a view's transaction (its decorator had slid onto the function
    above it, which then opened an empty transaction per team member on every case page)."""
    from cases import services
    from cases.models import Case

    case = make_case(behandelaar_a, first_name="Eva", last_name="Jansen")
    consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
    case = Case.objects.select_related("organisation").get(pk=case.pk)
    services.leave(consent.case_access(behandelaar_a, case), klantmanager_g)
    assert not consent.case_access(klantmanager_g, case).is_member
