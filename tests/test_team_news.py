"""Team news on the timeline follows the team panel (CaseAccess.knows_of): a gemeente's
klantmanager reading GGZ A's identification on consent read there that a UWV adviseur was
invited, joined, was taken off or declined, while the team panel leaves UWV's people out.
News about a person is read only by who may know of that person's organisation."""

from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from cases import services
from cases.constants import CaseRole, TimelineKind
from cases.models import TimelineEntry
from consent import services as consent
from consent.constants import Category, Purpose
from portal import reports
from portal.constants import Role
from portal.models import ReportType

from .builders import make_case, make_consent, withdraw
from .factories import UserFactory
from .test_reports import _private_media, pdf_text  # noqa: F401


@pytest.fixture
def adviseur_u2(uwv_u):
    return UserFactory(email="adviseur2@u.test", organisation=uwv_u, role=Role.KLANTMANAGER)


@pytest.fixture
def adviseur_u3(uwv_u):
    return UserFactory(email="adviseur3@u.test", organisation=uwv_u, role=Role.KLANTMANAGER)


@pytest.fixture
def case_a(
    client_for,
    behandelaar_a,
    behandelaar_a2,
    klantmanager_g,
    adviseur_u,
    adviseur_u2,
    adviseur_u3,
):
    """GGZ A's case, its team made through the invite flow: behandelaar_a leads and invites
    a colleague, the gemeente's klantmanager and three UWV adviseurs. One of those is taken
    off the team again, one declines."""
    case = make_case(behandelaar_a, first_name="Eva", last_name="Jansen")
    lead = consent.case_access(behandelaar_a, case)
    invitations = {
        invitee: services.invite(lead, invitee, role)
        for invitee, role in (
            (behandelaar_a2, CaseRole.BEHANDELAAR),
            (klantmanager_g, CaseRole.KLANTMANAGER),
            (adviseur_u, CaseRole.KLANTMANAGER),
            (adviseur_u2, CaseRole.KLANTMANAGER),
            (adviseur_u3, CaseRole.KLANTMANAGER),
        )
    }
    for invitee, invitation in invitations.items():
        if invitee == adviseur_u3:
            services.respond(invitation, invitee, accept=False, reason="Geen tijd.")
        else:
            services.respond(invitation, invitee, accept=True)
    response = client_for(behandelaar_a).post(
        reverse("cases:leave", args=[case.pk]), {"gebruiker": adviseur_u2.pk}
    )
    assert response.status_code == 302
    return case


def about(case, *people):
    """The titles of the case's team news that name one of ``people``."""
    return {
        title
        for title in TimelineEntry.objects.filter(case=case, kind=TimelineKind.TEAM).values_list(
            "title", flat=True
        )
        if any(f"{person} " in title for person in people)  # every title goes on after it
    }


def team_news(client_for, user, case):
    """The team news ``user`` reads: the same on the case page and on the timeline page,
    with the HTML of both."""
    c = client_for(user)
    page = c.get(reverse("cases:detail", args=[case.pk]))
    timeline = c.get(reverse("cases:timeline", args=[case.pk]))
    assert page.status_code == timeline.status_code == 200
    on_page = {e.title for e in page.context["timeline"] if e.kind == TimelineKind.TEAM}
    on_timeline = {
        e.title for e in timeline.context["page"].object_list if e.kind == TimelineKind.TEAM
    }
    assert on_page == on_timeline
    return on_timeline, page.content.decode() + timeline.content.decode()


def test_team_news_is_read_as_the_team_panel_shows_the_team(
    client_for,
    ggz_a,
    gemeente_g,
    uwv_u,
    behandelaar_a,
    behandelaar_a2,
    klantmanager_g,
    adviseur_u,
    adviseur_u2,
    adviseur_u3,
    case_a,
):
    client = case_a.client
    uwv_people = (adviseur_u, adviseur_u2, adviseur_u3)
    everything = about(case_a, behandelaar_a2, klantmanager_g, *uwv_people)
    assert len(everything) == 11  # invited, joined, taken off, declined

    # GGZ A runs the case: its people read all the team news it holds, about anyone, the
    # lead and a colleague alike. (Who accepted wrote that line: held by their own
    # organisation, which the client shares nothing of with GGZ A.)
    joined = {
        f"{person} doet mee als klantmanager"
        for person in (klantmanager_g, adviseur_u, adviseur_u2)
    }
    assert joined < everything
    assert team_news(client_for, behandelaar_a, case_a)[0] == everything - joined
    assert team_news(client_for, behandelaar_a2, case_a)[0] == everything - joined

    # Without a consent the klantmanager reads only the gemeente's own line.
    assert team_news(client_for, klantmanager_g, case_a)[0] == {
        f"{klantmanager_g} doet mee als klantmanager"
    }

    # With GGZ A's identification: the news about GGZ A's people and the gemeente's own,
    # but not that UWV was asked, took part, was taken off or declined.
    shared = make_consent(client, ggz_a, gemeente_g, Purpose.REINTEGRATIE, [Category.IDENTIFICATIE])
    news, html = team_news(client_for, klantmanager_g, case_a)
    assert news == about(case_a, behandelaar_a2, klantmanager_g)
    assert f"{klantmanager_g} uitgenodigd als klantmanager" in news
    for person in uwv_people:
        assert escape(str(person)) not in html
    assert "Geen tijd." not in html  # the decline's reason neither
    # The team panel says the same.
    panel = client_for(klantmanager_g).get(reverse("cases:detail", args=[case_a.pk]))
    assert {m.organisation for m, _role in panel.context["team"]} == {ggz_a, gemeente_g}

    # UWV with GGZ A's identification: GGZ A's and UWV's people, not the gemeente's.
    make_consent(client, ggz_a, uwv_u, Purpose.REINTEGRATIE, [Category.IDENTIFICATIE])
    news, html = team_news(client_for, adviseur_u, case_a)
    assert news == about(case_a, behandelaar_a2, *uwv_people)
    assert escape(str(klantmanager_g)) not in html

    # After the withdrawal the klantmanager reads none of GGZ A's lines at all, as before.
    withdraw(shared, behandelaar_a)
    news, html = team_news(client_for, klantmanager_g, case_a)
    assert news == {f"{klantmanager_g} doet mee als klantmanager"}
    assert escape(str(behandelaar_a2)) not in html


@pytest.mark.parametrize("reader", ["behandelaar_a", "klantmanager_g", "adviseur_u"])
def test_one_rule_for_the_team_panel_and_the_timeline(
    request, ggz_a, gemeente_g, uwv_u, case_a, reader
):
    """Of what the user may read otherwise, the timeline leaves out exactly the news about
    people of organisations the user does not know of (CaseAccess.knows_of), other than
    the lines their own organisation holds."""
    client = case_a.client
    make_consent(client, ggz_a, gemeente_g, Purpose.REINTEGRATIE, [Category.IDENTIFICATIE])
    make_consent(client, ggz_a, uwv_u, Purpose.REINTEGRATIE, [Category.IDENTIFICATIE])
    access = consent.case_access(request.getfixturevalue(reader), case_a)
    entries = TimelineEntry.objects.filter(case=case_a)
    readable = entries.filter(access.readable_filter() & consent.own_news(access.organisation_id))
    expected = {
        e.pk
        for e in readable
        if e.subject_organisation_id is None
        or access.knows_of(e.subject_organisation_id)
        or e.organisation_id == access.organisation_id
    }
    assert set(entries.filter(access.timeline_filter()).values_list("pk", flat=True)) == expected
    hidden = {e.subject_organisation_id for e in readable if e.pk not in expected}
    assert hidden == ({uwv_u.pk} if reader == "klantmanager_g" else set()) | (
        {gemeente_g.pk} if reader == "adviseur_u" else set()
    )


def test_every_team_line_about_a_person_names_their_organisation(
    ggz_a,
    gemeente_g,
    uwv_u,
    behandelaar_a2,
    klantmanager_g,
    adviseur_u,
    adviseur_u2,
    adviseur_u3,
    case_a,
):
    subjects = dict(
        TimelineEntry.objects.filter(case=case_a, kind=TimelineKind.TEAM).values_list(
            "title", "subject_organisation"
        )
    )
    assert subjects == {
        **dict.fromkeys(about(case_a, behandelaar_a2), ggz_a.pk),
        **dict.fromkeys(about(case_a, klantmanager_g), gemeente_g.pk),
        **dict.fromkeys(about(case_a, adviseur_u, adviseur_u2, adviseur_u3), uwv_u.pk),
    }
    removed = TimelineEntry.objects.get(title=f"{adviseur_u2} is uit het team gehaald")
    declined = TimelineEntry.objects.get(title=f"{adviseur_u3} heeft de uitnodiging afgewezen")
    # Held by GGZ A, which wrote or asked: about UWV's people.
    assert (removed.organisation, removed.subject_organisation) == (ggz_a, uwv_u)
    assert (declined.organisation, declined.subject_organisation) == (ggz_a, uwv_u)


def test_the_case_page_and_timeline_keep_their_query_count_for_a_partner(
    client_for, ggz_a, gemeente_g, uwv_u, behandelaar_a, klantmanager_g, django_assert_num_queries
):
    """The rule is part of the timeline's query: as many queries for 2 lines of team news as
    for 50, for a klantmanager who knows of some organisations and not of others."""
    case = make_case(behandelaar_a)
    consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
    make_consent(case.client, ggz_a, gemeente_g, Purpose.REINTEGRATIE, [Category.IDENTIFICATIE])

    def news(start, count):
        for i in range(start, start + count):
            subject = (ggz_a, gemeente_g, uwv_u)[i % 3]
            TimelineEntry.objects.create(
                case=case,
                organisation=ggz_a,
                author=behandelaar_a,
                kind=TimelineKind.TEAM,
                category=Category.IDENTIFICATIE,
                title=f"Teamnieuws {i}",
                subject_organisation=subject,
            )

    def count_queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert c.get(url).status_code == 200
        return len(captured)

    c = client_for(klantmanager_g)
    detail = reverse("cases:detail", args=[case.pk])
    timeline = reverse("cases:timeline", args=[case.pk])
    news(0, 2)
    expected_detail, expected_timeline = count_queries(detail), count_queries(timeline)
    news(2, 48)
    with django_assert_num_queries(expected_detail):
        c.get(detail)
    with django_assert_num_queries(expected_timeline):
        response = c.get(timeline)
    titles = {e.title for e in response.context["page"].object_list if e.kind == TimelineKind.TEAM}
    assert len(titles) == 34  # the 16 lines about UWV's people (every third) are left out
    assert "Teamnieuws 2" not in titles and "Teamnieuws 3" in titles


class TestExistingTeamNews:
    """The migration that adds subject_organisation fills it for the team news written
    before, where the entry says beyond doubt whom it is about."""

    fill = staticmethod(import_module("cases.migrations.0010_timeline_subject_organisation").fill)

    def test_filled_as_the_services_write_it_now(self, client_for, behandelaar_a, uwv_u, case_a):
        # Someone put on the team without an invitation and taken off: only the access log
        # says who was taken off.
        extra = UserFactory(email="adviseur4@u.test", organisation=uwv_u, role=Role.KLANTMANAGER)
        consent.add_member(case_a, extra, CaseRole.KLANTMANAGER)
        client_for(behandelaar_a).post(
            reverse("cases:leave", args=[case_a.pk]), {"gebruiker": extra.pk}
        )
        written = dict(TimelineEntry.objects.values_list("pk", "subject_organisation"))
        assert written[TimelineEntry.objects.get(title=f"{extra} is uit het team gehaald").pk]
        TimelineEntry.objects.update(subject_organisation=None)
        self.fill(apps, None)
        assert dict(TimelineEntry.objects.values_list("pk", "subject_organisation")) == written

    def test_a_name_of_two_organisations_on_the_case_stays_empty(
        self, gemeente_g, adviseur_u, adviseur_u2, adviseur_u3, case_a
    ):
        namesake = UserFactory(
            email="naamgenoot@g.test",
            organisation=gemeente_g,
            role=Role.KLANTMANAGER,
            first_name=adviseur_u.first_name,
            last_name=adviseur_u.last_name,
        )
        consent.add_member(case_a, namesake, CaseRole.KLANTMANAGER)
        TimelineEntry.objects.update(subject_organisation=None)
        self.fill(apps, None)
        filled = dict(
            TimelineEntry.objects.filter(case=case_a).values_list("title", "subject_organisation")
        )
        ambiguous = about(case_a, adviseur_u)
        assert len(ambiguous) == 2
        assert all(filled[title] is None for title in ambiguous)
        others = about(case_a, adviseur_u2, adviseur_u3)
        assert others and all(filled[title] is not None for title in others)
        assert filled["Casus geopend"] is None


def test_the_voortgangsrapportage_and_the_werkvoorraad_follow_the_same_rule(
    client_for, ggz_a, gemeente_g, behandelaar_a2, klantmanager_g, adviseur_u, case_a
):
    """The klantmanager's PDF holds the timeline as the case page shows it (no UWV name), and
    the werkvoorraad's 'laatste activiteit' is not the time UWV was taken off the team."""
    make_consent(case_a.client, ggz_a, gemeente_g, Purpose.REINTEGRATIE, [Category.IDENTIFICATIE])
    report = reports.request_report(klantmanager_g, ReportType.VOORTGANG, "V", case=case_a)
    reports.render(report.pk)
    text = " ".join(pdf_text(report).split())
    assert f"{behandelaar_a2} uitgenodigd" in text  # GGZ A's people: known
    assert str(adviseur_u) not in text

    news = client_for(klantmanager_g).get(reverse("cases:timeline", args=[case_a.pk]))
    newest = max(e.occurred_at for e in news.context["page"].object_list)
    listed = consent.with_last_seen_activity(klantmanager_g, consent.cases_for(klantmanager_g))
    assert listed.get(pk=case_a.pk).last_seen_at == newest
    assert TimelineEntry.objects.filter(case=case_a).latest("occurred_at").occurred_at > newest
