"""That an IPS-trajectbegeleider is on the team says the client has IPS: IPS data. A
klantmanager whose consent shares other categories of the GGZ does not see the coach on the
team panel nor the team news that names the place; with IPS shared they do (exploratory
tester, 5 December)."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from cases import services as cases
from cases.constants import CaseRole, TimelineKind
from cases.models import TimelineEntry
from consent import services as consent
from consent.constants import Category, Purpose

from .builders import make_consent
from .test_ips import new_case, start_trajectory

JOINED = "doet mee als IPS-trajectbegeleider"


@pytest.fixture
def case(behandelaar_a, jobcoach_a, klantmanager_g):
    case = new_case(behandelaar_a)
    start_trajectory(behandelaar_a, jobcoach_a, case)
    consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
    return case


def shares(case, behandelaar_a, klantmanager_g, categories):
    make_consent(
        case.client,
        behandelaar_a.organisation,
        klantmanager_g.organisation,
        Purpose.REINTEGRATIE,
        categories,
        recorded_by=behandelaar_a,
    )


def pages(c, case):
    detail = c.get(reverse("cases:detail", args=[case.pk])).content.decode()
    timeline = c.get(reverse("cases:timeline", args=[case.pk])).content.decode()
    return detail, timeline


@pytest.mark.parametrize(
    "categories", [[Category.IDENTIFICATIE], [Category.IDENTIFICATIE, Category.WERKSITUATIE]]
)
def test_without_ips_shared_the_coach_is_not_named(
    client_for, behandelaar_a, jobcoach_a, klantmanager_g, case, categories
):
    shares(case, behandelaar_a, klantmanager_g, categories)
    detail, timeline = pages(client_for(klantmanager_g), case)
    assert behandelaar_a.get_full_name() in detail  # GGZ A's people are known
    for html in (detail, timeline):
        assert jobcoach_a.get_full_name() not in html
        assert "IPS-trajectbegeleider" not in html


def test_with_ips_shared_the_coach_is_on_the_team(
    client_for, behandelaar_a, jobcoach_a, klantmanager_g, case
):
    shares(case, behandelaar_a, klantmanager_g, [Category.IDENTIFICATIE, Category.IPS])
    detail, timeline = pages(client_for(klantmanager_g), case)
    assert f"{jobcoach_a.get_full_name()} — GGZ A, IPS-trajectbegeleider" in detail
    assert JOINED in timeline


def test_the_own_organisation_sees_the_coach(client_for, behandelaar_a, jobcoach_a, case):
    detail, timeline = pages(client_for(behandelaar_a), case)
    assert f"{jobcoach_a.get_full_name()} — GGZ A, IPS-trajectbegeleider" in detail
    assert JOINED in timeline


def test_team_news_about_a_coachs_place_is_ips(behandelaar_a, jobcoach_a, case):
    joined = TimelineEntry.objects.get(case=case, kind=TimelineKind.TEAM, title__endswith=JOINED)
    assert joined.category == Category.IPS
    assert cases.team_news_category({CaseRole.TRAJECTBEGELEIDER}) == Category.IPS
    assert (
        cases.team_news_category({CaseRole.TRAJECTBEGELEIDER, CaseRole.BEHANDELAAR})
        == Category.IDENTIFICATIE
    )


def test_the_migration_moves_earlier_coach_news(behandelaar_a, jobcoach_a, case):
    """Migration cases 0016: entries written before, under identificatie."""
    TimelineEntry.objects.filter(case=case, kind=TimelineKind.TEAM).update(
        category=Category.IDENTIFICATIE
    )
    other = "X doet mee als klantmanager"
    cases.add_timeline(case, behandelaar_a, TimelineKind.TEAM, Category.IDENTIFICATIE, other)
    importlib.import_module("cases.migrations.0016_coach_team_news_is_ips").forwards(apps, None)
    news = dict(
        TimelineEntry.objects.filter(case=case, kind=TimelineKind.TEAM).values_list(
            "title", "category"
        )
    )
    assert {title for title, category in news.items() if category == Category.IPS} == {
        title for title in news if title.endswith(JOINED)
    }
    assert news[other] == Category.IDENTIFICATIE
