"""Consent news and renewals found by exploratory testing: an expiry notice is the provider's
news (held by the provider, addressed only to a regiebehandelaar of theirs); a consent that
has not begun can be replaced."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.constants import CaseRole, TimelineKind
from cases.models import TimelineEntry
from consent import services as consent
from consent.constants import Category, ConsentState, Purpose
from consent.models import Consent
from consent.tasks import notify_expiries

from .builders import make_case, make_consent
from .test_consent_rules import (
    create_url,
    form_data,
    private_storage,  # noqa: F401  (autouse fixture)
)

TODAY = timezone.localdate


def days(n):
    return TODAY() + datetime.timedelta(days=n)


@pytest.fixture
def gemeente_case(klantmanager_g, behandelaar_a):
    """A client of the gemeente, on whose case GGZ A's behandelaar leads as regiebehandelaar."""
    case = make_case(klantmanager_g, first_name="Gerda", last_name="Gemeenteklant")
    consent.add_member(case, behandelaar_a, CaseRole.REGIEBEHANDELAAR)
    return case


def timeline(c, case):
    return c.get(reverse("cases:timeline", args=[case.pk])).content.decode()


class TestExpiryNotice:
    def test_a_consent_of_another_organisation_stays_with_its_provider(
        self, client_for, gemeente_case, gemeente_g, uwv_u, klantmanager_g, behandelaar_a
    ):
        make_consent(
            gemeente_case.client,
            gemeente_g,
            uwv_u,
            Purpose.REINTEGRATIE,
            [Category.WERKSITUATIE],
            valid_from=days(-10),
            valid_until=days(5),
            recorded_by=klantmanager_g,
        )
        assert notify_expiries()["gewaarschuwd"] == 1
        notice = TimelineEntry.objects.get(case=gemeente_case, kind=TimelineKind.TOESTEMMING)
        assert notice.organisation == gemeente_g
        # Not addressed to GGZ A's regiebehandelaar, who is no party to it ...
        assert str(behandelaar_a) not in notice.body
        assert "Bespreek met de cliënt" in notice.body
        # ... nor read by GGZ A (which never heard of UWV on this case); the gemeente, which
        # gave it, reads its own warning.
        assert "UWV U" not in timeline(client_for(behandelaar_a), gemeente_case)
        assert "UWV U" in timeline(client_for(klantmanager_g), gemeente_case)

    def test_the_providers_own_regiebehandelaar_is_still_addressed(
        self, client_for, behandelaar_a, ggz_a, gemeente_g, klantmanager_g
    ):
        case = make_case(behandelaar_a, first_name="Eva", last_name="Jansen")
        consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
        make_consent(
            case.client,
            ggz_a,
            gemeente_g,
            Purpose.REINTEGRATIE,
            [Category.WERKSITUATIE],
            valid_from=days(-10),
            valid_until=days(5),
        )
        assert notify_expiries()["gewaarschuwd"] == 1
        notice = TimelineEntry.objects.get(case=case, kind=TimelineKind.TOESTEMMING)
        assert notice.organisation == ggz_a
        assert f"Voor de regiebehandelaar, {behandelaar_a}:" in notice.body
        assert "Gemeente G" in timeline(client_for(behandelaar_a), case)


class TestReplacingAConsentThatHasNotBegun:
    @pytest.fixture
    def case_and_future(self, behandelaar_a, klantmanager_g, ggz_a, gemeente_g):
        case = make_case(behandelaar_a, first_name="Fenna", last_name="Toekomst")
        consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
        future = make_consent(
            case.client,
            ggz_a,
            gemeente_g,
            Purpose.REINTEGRATIE,
            [Category.WERKSITUATIE, Category.MOGELIJKHEDEN],
            valid_from=days(10),
            valid_until=days(40),
        )
        assert future.state() == ConsentState.TOEKOMSTIG
        return case, future

    def test_the_detail_page_offers_it(self, client_for, behandelaar_a, case_and_future):
        _case, future = case_and_future
        page = client_for(behandelaar_a).get(reverse("consent:detail", args=[future.pk]))
        assert f"vervangt={future.pk}" in page.content.decode()

    @pytest.mark.parametrize("start", [0, 10], ids=["today", "its-own-start"])
    def test_narrowed_from_today_or_from_its_own_start(
        self, client_for, behandelaar_a, gemeente_g, case_and_future, start
    ):
        case, future = case_and_future
        response = client_for(behandelaar_a).post(
            create_url(case),
            form_data(
                gemeente_g,
                supersedes=future.pk,
                categories=[Category.WERKSITUATIE],
                valid_from=days(start).isoformat(),
                valid_until=days(40).isoformat(),
            ),
        )
        assert response.status_code == 302, response.content.decode()
        new = Consent.objects.get(supersedes=future)
        assert list(new.categories.values_list("code", flat=True)) == [Category.WERKSITUATIE]
        assert Consent.objects.get(pk=future.pk).state() == ConsentState.VERVANGEN

    def test_a_consent_that_has_begun_still_takes_effect_at_once(
        self, client_for, behandelaar_a, ggz_a, gemeente_g
    ):
        case = make_case(behandelaar_a, first_name="Bea", last_name="Begonnen")
        begun = make_consent(
            case.client, ggz_a, gemeente_g, Purpose.REINTEGRATIE, [Category.WERKSITUATIE]
        )
        response = client_for(behandelaar_a).post(
            create_url(case),
            form_data(gemeente_g, supersedes=begun.pk, valid_from=days(3).isoformat()),
        )
        assert response.status_code == 200
        assert "Een vervanging gaat vandaag in" in response.content.decode()
        assert not Consent.objects.filter(supersedes=begun).exists()
