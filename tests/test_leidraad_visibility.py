"""Who learns of the gespreksleidraad's referrals, and of IPS that already runs.

A referral and its reason stay with the organisation that made it and the organisation
referred to, as the timeline's referral news does (consent.services.own_news): another
organisation that reads the session on the client's consent learns of neither, on the
session page, the client's summary or its PDF (a UWV adviser read that the gemeente takes
part, and the reason written for it). Step 3 names the trajectbegeleider already on the
team only to who knows of their organisation (CaseAccess.knows_of), and an open referral to
IPS only to who may learn of it; anyone else reads only that the client already has IPS."""

import pytest
from django.urls import reverse

from cases import leidraad_services as leidraad
from cases import services
from cases.constants import CaseRole, LeidraadStatus
from cases.models import Invitation
from consent import services as consent
from consent.constants import Category, Purpose
from portal import reports
from portal.models import Report

from .builders import make_case, make_consent
from .test_leidraad import detail_url, start, step_url
from .test_reports import _private_media, pdf_text  # noqa: F401

REASON_G = "REDEN-VOOR-GEMEENTE-7c1"
REASON_U = "REDEN-VOOR-UWV-3f9"
TO_G = "We hebben uw klantmanager bij Gemeente G gevraagd om mee te doen."
TO_U = "We hebben uw klantmanager bij UWV U gevraagd om mee te doen."
HIDDEN_ON_PAGE = "Geen verwijzing die u mag zien."
HIDDEN_IN_SUMMARY = "Over de volgende stap hoort u meer van GGZ A."
IPS_ALREADY = "Deze cliënt heeft al een IPS-traject of een aanmelding daarvoor."


@pytest.fixture(autouse=True)
def guide(db):
    return leidraad.ensure_bundled()


@pytest.fixture
def case_a(behandelaar_a):
    return make_case(behandelaar_a, first_name="Eva", last_name="Jansen")


def summary_url(case, session):
    return reverse("cases:leidraad_summary", args=[case.pk, session.pk])


def flat(text):
    return " ".join(text.split())


def run_with_referrals(c, case, referrals):
    """Run one session through the views with these referrals (the posted fields of each);
    the referrer's own step 3 lists every one of them. Returns the finished session."""
    session = start(c, case)
    c.post(step_url(case, session, 1), {"version": session.version, "themes": ["financien"]})
    session.refresh_from_db()
    c.post(
        step_url(case, session, 2),
        {"version": session.version, "judgement_financien": "helpt", "verder": "1"},
    )
    for referral in referrals:
        response = c.post(step_url(case, session, 3), {"action": "verwijzen", **referral})
        assert response.status_code == 302, response.content.decode()
    step_3 = c.get(step_url(case, session, 3)).content.decode()
    for referral in referrals:
        reason = next(value for key, value in referral.items() if key.endswith("-reason"))
        assert reason in step_3
    session.refresh_from_db()
    c.post(step_url(case, session, 3), {"action": "afronden", "version": session.version})
    session.refresh_from_db()
    assert session.status == LeidraadStatus.AFGEROND
    return session


def to_klantmanager(organisation, reason):
    return {
        "kind": "klantmanager",
        "verwijzing-klantmanager-organisation": organisation.pk,
        "verwijzing-klantmanager-reason": reason,
    }


@pytest.fixture
def referred(client_for, behandelaar_a, case_a, gemeente_g, uwv_u):
    """GGZ A's session refers to the klantmanager of Gemeente G and to that of UWV U, each
    with a reason written for it."""
    return run_with_referrals(
        client_for(behandelaar_a),
        case_a,
        [to_klantmanager(gemeente_g, REASON_G), to_klantmanager(uwv_u, REASON_U)],
    )


def accept_referral(case, user):
    invitation = Invitation.objects.get(case=case, is_referral=True, organisation=user.organisation)
    services.respond(invitation, user, accept=True)


def leidraad_consent(case, provider, user, purpose=Purpose.REINTEGRATIE):
    make_consent(case.client, provider, user.organisation, purpose, [Category.LEIDRAAD])


# reader -> (user fixture, how they come on the team, leidraad consent from GGZ A, what
# they see: None for nothing at all (404), else the referrals' reasons and sentences).
READERS = {
    "de verwijzende organisatie": ("behandelaar_a", None, False, {"G", "U"}),
    "de gemeente waarnaar verwezen is": ("klantmanager_g", "verwijzing", True, {"G"}),
    "het UWV waarnaar verwezen is": ("adviseur_u", "verwijzing", True, {"U"}),
    "een derde organisatie met toestemming": ("outsider", "team", True, set()),
    "de gemeente zonder toestemming": ("klantmanager_g", "verwijzing", False, None),
    "een derde organisatie zonder toestemming": ("outsider", "team", False, None),
}


def reader(request, key, case, behandelaar_a):
    name, joins, consented, sees = READERS[key]
    user = request.getfixturevalue(name)
    if joins == "verwijzing":
        accept_referral(case, user)
    elif joins == "team":
        consent.add_member(case, user, CaseRole.BEHANDELAAR)
    if consented:
        purpose = Purpose.AFSTEMMING if joins == "team" else Purpose.REINTEGRATIE
        leidraad_consent(case, behandelaar_a.organisation, user, purpose)
    return user, sees


@pytest.mark.parametrize("key", READERS)
def test_session_page_shows_a_referral_only_to_the_two_organisations(
    request, client_for, behandelaar_a, case_a, referred, key
):
    user, sees = reader(request, key, case_a, behandelaar_a)
    response = client_for(user).get(detail_url(case_a, referred))
    if sees is None:
        assert response.status_code == 404
        return
    page = response.content.decode()
    assert "Oordeel:" in page  # the session itself is read
    assert (REASON_G in page, "Gemeente G" in page) == ("G" in sees, "G" in sees)
    assert (REASON_U in page, "UWV U" in page) == ("U" in sees, "U" in sees)
    assert (HIDDEN_ON_PAGE in page) == (not sees)


@pytest.mark.parametrize("key", READERS)
def test_client_summary_says_the_next_step_only_as_far_as_the_reader_may_know(
    request, client_for, behandelaar_a, case_a, referred, key
):
    user, sees = reader(request, key, case_a, behandelaar_a)
    response = client_for(user).get(summary_url(case_a, referred))
    if sees is None:
        assert response.status_code == 404
        return
    text = flat(response.content.decode())
    assert (TO_G in text, TO_U in text) == ("G" in sees, "U" in sees)
    assert REASON_G not in text and REASON_U not in text  # the summary never gives reasons
    assert (HIDDEN_IN_SUMMARY in text) == (not sees)
    assert "Nog geen volgende stap vastgelegd." not in text


@pytest.mark.parametrize("key", READERS)
def test_summary_pdf_names_only_the_referrals_the_requester_may_know_of(
    request, client_for, behandelaar_a, case_a, referred, key
):
    user, sees = reader(request, key, case_a, behandelaar_a)
    response = client_for(user).post(
        reverse("cases:leidraad_summary_report", args=[case_a.pk, referred.pk])
    )
    if sees is None:
        assert response.status_code == 404
        assert not Report.objects.exists()
        return
    report = Report.objects.get(requested_by=user)
    reports.render(report.pk)
    text = flat(pdf_text(report))
    assert "Werk helpt u nu bij uw herstel." in text
    assert (TO_G in text, TO_U in text) == ("G" in sees, "U" in sees)
    assert ("Gemeente G" in text) == ("G" in sees)
    assert (HIDDEN_IN_SUMMARY in text) == (not sees)


@pytest.mark.parametrize(
    "referral, markers",
    [
        ({"kind": "ips", "verwijzing-ips-reason": "IPS-REDEN-51a"}, ("IPS-team", "IPS-team")),
        (
            {
                "kind": "extern",
                "verwijzing-extern-destination": "bedrijfsarts",
                "verwijzing-extern-reason": "EXTERN-REDEN-0b2",
            },
            ("Verwezen naar: Bedrijfsarts", "We verwijzen u naar: Bedrijfsarts."),
        ),
        (
            {"kind": "geen", "verwijzing-geen-reason": "GEEN-REDEN-9d4"},
            ("Geen verwijzing nodig", "Een verwijzing is nu niet nodig."),
        ),
    ],
    ids=["ips", "extern", "geen"],
)
def test_other_kinds_for_an_organisation_that_reads_on_consent(
    client_for, behandelaar_a, adviseur_u, case_a, referral, markers
):
    """UWV reads GGZ A's leidraad on the client's consent and knows of GGZ A: still no
    referral of GGZ A's (to its own IPS team, to the bedrijfsarts), as the timeline shows it
    none. 'Geen verwijzing nodig' refers nobody: its reason is the session's."""
    session = run_with_referrals(client_for(behandelaar_a), case_a, [referral])
    reason = next(value for key, value in referral.items() if key.endswith("-reason"))
    consent.add_member(case_a, adviseur_u, CaseRole.KLANTMANAGER)
    leidraad_consent(case_a, behandelaar_a.organisation, adviseur_u)
    assert consent.case_access(adviseur_u, case_a).knows_of(behandelaar_a.organisation_id)
    shown = referral["kind"] == "geen"
    for user, sees in ((behandelaar_a, True), (adviseur_u, shown)):
        c = client_for(user)
        page = c.get(detail_url(case_a, session)).content.decode()
        summary = flat(c.get(summary_url(case_a, session)).content.decode())
        assert (reason in page, markers[0] in page, markers[1] in summary) == (sees,) * 3
        assert (HIDDEN_ON_PAGE in page, HIDDEN_IN_SUMMARY in summary) == (not sees, not sees)


def test_reads_referral_is_the_referrer_and_the_organisation_referred_to(
    behandelaar_a, klantmanager_g, adviseur_u, outsider, case_a
):
    consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
    consent.add_member(case_a, adviseur_u, CaseRole.KLANTMANAGER)
    consent.add_member(case_a, outsider, CaseRole.BEHANDELAAR)
    referrer, referred = behandelaar_a.organisation_id, klantmanager_g.organisation_id
    assert {
        user.organisation.name: (
            consent.case_access(user, case_a).reads_referral(referrer, referred),
            consent.case_access(user, case_a).reads_referral(referrer, None),
        )
        for user in (behandelaar_a, klantmanager_g, adviseur_u, outsider)
    } == {
        "GGZ A": (True, True),
        "Gemeente G": (True, False),
        "UWV U": (False, False),
        "GGZ B": (False, False),
    }


# --- Step 3: IPS that already runs -----------------------------------------------------------


def step_3(c, case):
    session = start(c, case)
    return session, c.get(step_url(case, session, 3)).content.decode()


def refuses_a_second_referral(c, case, session):
    response = c.post(step_url(case, session, 3), {"action": "verwijzen", "kind": "ips"})
    assert IPS_ALREADY in response.content.decode()
    assert Invitation.objects.filter(case=case, is_referral=True).count() <= 1


@pytest.mark.parametrize(
    "reader_name, shared, named",
    [
        ("behandelaar_a", [], True),  # the coach's own organisation
        # GGZ B, reading GGZ A's IPS data on the client's consent
        ("outsider", [Category.LEIDRAAD, Category.IPS], True),
        # GGZ B, reading GGZ A's leidraad, not its IPS data: knows of GGZ A, not that the
        # client has IPS (the place is IPS data: CaseAccess.sees_place)
        ("outsider", [Category.LEIDRAAD], False),
        ("outsider", [], False),  # GGZ B on the team, no consent: GGZ A unknown
    ],
    ids=[
        "eigen-organisatie",
        "derde-met-toestemming-ips",
        "derde-met-toestemming-leidraad",
        "derde-zonder-toestemming",
    ],
)
def test_step_3_names_the_coach_only_to_who_may_see_their_place(
    request, client_for, behandelaar_a, jobcoach_a, case_a, reader_name, shared, named
):
    consent.add_member(case_a, jobcoach_a, CaseRole.TRAJECTBEGELEIDER)
    user = request.getfixturevalue(reader_name)
    if user != behandelaar_a:
        consent.add_member(case_a, user, CaseRole.BEHANDELAAR)
    if shared:
        make_consent(
            case_a.client, behandelaar_a.organisation, user.organisation, Purpose.AFSTEMMING, shared
        )
    access = consent.case_access(user, case_a)
    assert access.knows_of(jobcoach_a.organisation_id) == (user == behandelaar_a or bool(shared))
    assert any(m == jobcoach_a for m, _role in access.visible_team) == named  # as the team panel
    c = client_for(user)
    session, page = step_3(c, case_a)
    coach = jobcoach_a.get_full_name()
    said = f"{coach} (GGZ A) is al IPS-trajectbegeleider in deze casus."
    assert (said in page) == named
    assert (coach in page) == named
    assert (IPS_ALREADY in page) == (not named)
    assert "Verwijzen naar het IPS-team" not in page  # referring again is not offered
    refuses_a_second_referral(c, case_a, session)


@pytest.mark.parametrize(
    "referred_to, reader_name, consented, named",
    [
        ("ggz_a", "behandelaar_a", False, True),  # referred by GGZ A, to GGZ A's own team
        ("ggz_b", "outsider", False, True),  # the organisation referred to
        ("ggz_a", "outsider", True, False),  # a third organisation, with consent
        ("ggz_a", "outsider", False, False),  # a third organisation, without
    ],
    ids=["verwijzer", "verwezen-naar", "derde-met-toestemming", "derde-zonder-toestemming"],
)
def test_step_3_names_an_open_ips_referral_only_to_the_two_organisations(
    request, client_for, behandelaar_a, case_a, referred_to, reader_name, consented, named
):
    organisation = request.getfixturevalue(referred_to)
    lead = consent.case_access(behandelaar_a, case_a)
    services.refer(lead, organisation, CaseRole.TRAJECTBEGELEIDER, "Wil graag werken")
    user = request.getfixturevalue(reader_name)
    if user != behandelaar_a:
        consent.add_member(case_a, user, CaseRole.BEHANDELAAR)
    if consented:
        leidraad_consent(case_a, behandelaar_a.organisation, user, Purpose.AFSTEMMING)
    c = client_for(user)
    session, page = step_3(c, case_a)
    said = f"Er staat al een verwijzing open naar het IPS-team van {organisation.name}"
    assert (said in page) == named
    assert ("verwijzing open" in page) == named
    assert (IPS_ALREADY in page) == (not named)
    assert "Verwijzen naar het IPS-team" not in page
    refuses_a_second_referral(c, case_a, session)
