"""A consent and what follows it: a replacement dated back only to continue what the old
consent allowed; the withdrawal page of an expired consent points to its live follow-on;
only a follow-on that carries on straight away quiets the expiry warnings, in the daily
notice, the werkvoorraad and the beheerder's 'verloopt' tab alike."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from cases.constants import CaseRole, TimelineKind
from cases.models import TimelineEntry
from cases.views import _expiring_consent_case_ids
from consent import services
from consent.constants import Category, ConsentMethod, ConsentState, Purpose
from consent.models import Consent, ConsentWithdrawal
from consent.tasks import notify_expiries

from .builders import make_case, make_consent, withdraw

AMS = zoneinfo.ZoneInfo("Europe/Amsterdam")
D = datetime.date
FLAG = "Toestemming verloopt binnen 30 dagen"


def at(y, m, d, hh=12, mm=0):
    """An aware datetime in Amsterdam local time."""
    return datetime.datetime(y, m, d, hh, mm, tzinfo=AMS)


@pytest.fixture
def case(behandelaar_a, klantmanager_g):
    with time_machine.travel(at(2026, 6, 1), tick=False):
        case = make_case(behandelaar_a, first_name="Eva", last_name="Jansen")
        services.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
    return case


def share(case, recipient, start, end, categories=(Category.WERKSITUATIE,), **kw):
    """A consent of the case's client, given by its GGZ, for re-integratie."""
    return make_consent(
        case.client,
        case.client.organisation,
        recipient,
        Purpose.REINTEGRATIE,
        categories,
        valid_from=start,
        valid_until=end,
        **kw,
    )


def renew(c, case, old, categories, valid_from, valid_until="2027-05-31"):
    """Post the renewal form of ``old`` ('Verlengen of wijzigen')."""
    return c.post(
        reverse("consent:create_for_case", args=[case.pk]),
        {
            "recipient": old.recipient_id,
            "purpose": old.purpose,
            "categories": list(categories),
            "valid_from": valid_from,
            "valid_until": valid_until,
            "method": ConsentMethod.MONDELING,
            "purpose_explained": "on",
            "supersedes": old.pk,
        },
    )


def replacement_of(old):
    return Consent.objects.filter(supersedes=old).first()


# --- 1. A replacement dated back -------------------------------------------------------------


@pytest.mark.time_machine(at(2026, 12, 5), tick=False)
class TestBackdatedReplacement:
    """On 5 December the client agrees to a renewal. The record may say it holds from an
    earlier day (a paper form handed in late) only where the old consent already allowed
    the same: otherwise the client's agreement is from today."""

    def test_one_that_adds_a_category_starts_today(
        self, case, behandelaar_a, gemeente_g, client_for
    ):
        old = share(case, gemeente_g, D(2026, 6, 1), D(2026, 12, 20))
        c = client_for(behandelaar_a)
        wider = [Category.WERKSITUATIE, Category.AFSPRAKEN]
        for start in ("2026-06-01", "2026-12-04"):
            response = renew(c, case, old, wider, start)
            assert response.status_code == 200
            assert response.context["form"].errors["valid_from"] == [
                f"Deze vervanging deelt ook ‘Afspraken en doelen’, waarvoor nr. {old.pk} geen "
                "toestemming gaf. Daarmee stemde de cliënt vandaag in, dus een vervanging die "
                "gegevens toevoegt gaat vandaag in. Kies vandaag als begindatum."
            ]
            assert replacement_of(old) is None
        assert Consent.objects.get(pk=old.pk).state() == ConsentState.ACTIEF
        assert renew(c, case, old, wider, "2026-12-05").status_code == 302
        assert replacement_of(old).valid_from == D(2026, 12, 5)

    @pytest.mark.parametrize(
        "categories",
        [[Category.WERKSITUATIE, Category.MOGELIJKHEDEN], [Category.WERKSITUATIE]],
        ids=["same", "fewer"],
    )
    def test_one_that_only_continues_may_start_on_the_day_the_client_agreed(
        self, case, behandelaar_a, gemeente_g, client_for, categories
    ):
        """The same or fewer categories, while the old consent runs: the day of the paper
        form stands. (And one that adds a category does not.)"""
        old = share(
            case,
            gemeente_g,
            D(2026, 6, 1),
            D(2026, 12, 20),
            categories=[Category.WERKSITUATIE, Category.MOGELIJKHEDEN],
        )
        c = client_for(behandelaar_a)
        wider = [*categories, Category.AFSPRAKEN]
        assert renew(c, case, old, wider, "2026-11-20").status_code == 200
        assert renew(c, case, old, categories, "2026-11-20").status_code == 302
        new = replacement_of(old)
        assert new.valid_from == D(2026, 11, 20)
        assert set(new.categories.values_list("code", flat=True)) == set(categories)

    @pytest.mark.parametrize("start", ["2026-06-01", "2026-12-01", "2026-12-03"])
    def test_one_of_an_expired_consent_covers_no_gap(
        self, case, behandelaar_a, gemeente_g, client_for, start
    ):
        """Nr. A ran until 1 December: dated back to its start, its last day or the days
        nothing held, the renewal would hide 2-4 December. It starts today."""
        old = share(case, gemeente_g, D(2026, 6, 1), D(2026, 12, 1))
        c = client_for(behandelaar_a)
        response = renew(c, case, old, [Category.WERKSITUATIE], start)
        assert response.status_code == 200
        assert response.context["form"].errors["valid_from"] == [
            f"Nr. {old.pk} is al verlopen: ze gold tot en met 01-12-2026. Een vervanging van "
            "een toestemming die al is afgelopen gaat vandaag in: de cliënt gaf vandaag "
            "opnieuw toestemming, en na 01-12-2026 gold er geen. Kies vandaag als begindatum."
        ]
        assert Consent.objects.get(pk=old.pk).state() == ConsentState.VERLOPEN
        assert renew(c, case, old, [Category.WERKSITUATIE], "2026-12-05").status_code == 302
        assert replacement_of(old).valid_from == D(2026, 12, 5)
        assert Consent.objects.get(pk=old.pk).state() == ConsentState.VERVANGEN

    def test_one_of_a_consent_that_has_not_begun_starts_no_earlier_than_today(
        self, case, behandelaar_a, gemeente_g, client_for
    ):
        """Nr. A starts on 10 December: it never held, so a replacement cannot say the
        client agreed in November."""
        old = share(case, gemeente_g, D(2026, 12, 10), D(2027, 3, 1))
        c = client_for(behandelaar_a)
        response = renew(c, case, old, [Category.WERKSITUATIE], "2026-11-01")
        assert response.status_code == 200
        assert response.context["form"].errors["valid_from"] == [
            f"Nr. {old.pk} gaat pas in op 10-12-2026. Een vervanging ervan gaat vandaag of "
            "later in, niet eerder: de cliënt gaf de nieuwe toestemming vandaag."
        ]
        assert replacement_of(old) is None
        assert renew(c, case, old, [Category.WERKSITUATIE], "2026-12-05").status_code == 302


# --- 2. The withdrawal page of an expired consent with a follow-on ----------------------------


class TestWithdrawingAnExpiredConsentWithAFollowOn:
    """Nr. A ended on 20 December; its follow-on B shares again from February. On
    21 December the client wants to stop sharing: A's page points to B."""

    @pytest.fixture
    def consents(self, case, gemeente_g):
        with time_machine.travel(at(2026, 12, 5), tick=False):
            a = share(case, gemeente_g, D(2026, 6, 1), D(2026, 12, 20))
            b = share(case, gemeente_g, D(2027, 2, 1), D(2027, 6, 1))
        return a, b

    @pytest.mark.time_machine(at(2026, 12, 21), tick=False)
    def test_the_page_names_the_follow_on_and_links_to_its_withdrawal(
        self, consents, behandelaar_a, client_for
    ):
        a, b = consents
        c = client_for(behandelaar_a)
        response = c.get(reverse("consent:withdraw", args=[a.pk]))
        page = response.content.decode()
        assert response.context["refused"] == (
            f"Deze toestemming is al verlopen. Vervolgtoestemming nr. {b.pk} gaat in op "
            "1 februari 2027: trek die in als de cliënt ook die niet meer wil."
        )
        assert "niet meer nodig" not in page
        assert "Die trekt u hiermee ook in" not in page
        assert '<button type="submit">Toestemming intrekken</button>' not in page
        assert f'href="{reverse("consent:withdraw", args=[b.pk])}"' in page
        # The link leads to B's own withdrawal, which ends the sharing.
        response = c.post(
            reverse("consent:withdraw", args=[b.pk]),
            {"withdrawn_on": "2026-12-21", "method": "mondeling"},
        )
        assert response.status_code == 302
        assert Consent.objects.get(pk=b.pk).state() == ConsentState.INGETROKKEN
        # Now nothing is left to withdraw.
        response = c.get(reverse("consent:withdraw", args=[a.pk]))
        assert response.context["refused"] == (
            "Deze toestemming is al verlopen; intrekken is niet meer nodig."
        )
        assert response.context["instead"] is None

    @pytest.mark.time_machine(at(2026, 12, 21), tick=False)
    def test_a_posted_withdrawal_is_refused_with_the_same_pointer(
        self, consents, behandelaar_a, client_for
    ):
        a, b = consents
        response = client_for(behandelaar_a).post(
            reverse("consent:withdraw", args=[a.pk]),
            {"withdrawn_on": "2026-12-21", "method": "mondeling"},
        )
        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == [
            f"Deze toestemming is al verlopen. Vervolgtoestemming nr. {b.pk} gaat in op "
            "1 februari 2027: trek die in als de cliënt ook die niet meer wil."
        ]
        assert "Die trekt u hiermee ook in" not in response.content.decode()
        assert not ConsentWithdrawal.objects.exists()
        assert Consent.objects.get(pk=b.pk).state() == ConsentState.TOEKOMSTIG

    def test_a_follow_on_that_has_begun(self, case, gemeente_g, behandelaar_a, client_for):
        with time_machine.travel(at(2026, 12, 5), tick=False):
            a = share(case, gemeente_g, D(2026, 6, 1), D(2026, 12, 20))
            b = share(case, gemeente_g, D(2026, 12, 21), D(2027, 6, 1))
        with time_machine.travel(at(2027, 1, 4), tick=False):
            response = client_for(behandelaar_a).get(reverse("consent:withdraw", args=[a.pk]))
        assert response.context["refused"] == (
            f"Deze toestemming is al verlopen. Vervolgtoestemming nr. {b.pk} geldt sinds "
            "21 december 2026: trek die in als de cliënt ook die niet meer wil."
        )
        assert response.context["instead"] == b
        assert "Die trekt u hiermee ook in" not in response.content.decode()


@pytest.mark.time_machine(at(2026, 12, 5), tick=False)
def test_the_page_of_a_replaced_consent_links_to_the_replacement(
    case, gemeente_g, behandelaar_a, client_for
):
    """Its refusal says 'trek die in' of the replacement, which also starts after it: the
    page does not say that one is withdrawn along with it."""
    old = share(case, gemeente_g, D(2026, 6, 1), D(2026, 12, 20))
    new = share(case, gemeente_g, D(2026, 12, 5), D(2027, 6, 1), supersedes=old)
    response = client_for(behandelaar_a).get(reverse("consent:withdraw", args=[old.pk]))
    page = response.content.decode()
    assert f"vervangen door toestemming nr. {new.pk}; trek die in" in page
    assert f'href="{reverse("consent:withdraw", args=[new.pk])}"' in page
    assert "Die trekt u hiermee ook in" not in page


# --- 3. Only a follow-on that carries on straight away quiets the warnings ---------------------


@pytest.mark.time_machine(at(2026, 12, 5), tick=False)
class TestAFollowOnWithAGap:
    """Nr. A ends on 20 December. A follow-on from 1 February leaves Gemeente G without
    anything from 21 December: that end is still worth a warning."""

    def test_the_daily_notice_warns_and_notes_the_expiry(self, case, gemeente_g):
        a = share(case, gemeente_g, D(2026, 6, 1), D(2026, 12, 20))
        share(case, gemeente_g, D(2027, 2, 1), D(2027, 6, 1))
        assert notify_expiries() == {"gewaarschuwd": 1, "verlopen": 0}
        with time_machine.travel(at(2026, 12, 21, 0, 30), tick=False):
            assert notify_expiries() == {"gewaarschuwd": 0, "verlopen": 1}
        titles = TimelineEntry.objects.filter(
            case=case, kind=TimelineKind.TOESTEMMING, body__startswith=f"Toestemming nr. {a.pk}:"
        ).values_list("title", flat=True)
        assert sorted(titles) == ["Toestemming verloopt op 20-12-2026", "Toestemming verlopen"]

    def test_a_day_between_is_a_gap_the_next_day_is_not(self, case, gemeente_g, uwv_u):
        """The follow-on to UWV starts the day after the last day: no warning. The one to
        the gemeente starts a day later: a warning for nr. B."""
        share(case, uwv_u, D(2026, 6, 1), D(2026, 12, 20))
        share(case, uwv_u, D(2026, 12, 21), D(2027, 6, 1))
        b = share(case, gemeente_g, D(2026, 6, 1), D(2026, 12, 20))
        share(case, gemeente_g, D(2026, 12, 22), D(2027, 6, 1))
        assert notify_expiries()["gewaarschuwd"] == 1
        warned = TimelineEntry.objects.filter(kind=TimelineKind.TOESTEMMING).get()
        assert warned.body.startswith(f"Toestemming nr. {b.pk}:")

    def test_the_werkvoorraad_flags_it(
        self, case, gemeente_g, behandelaar_a, klantmanager_g, client_for
    ):
        share(case, gemeente_g, D(2026, 6, 1), D(2026, 12, 20))
        share(case, gemeente_g, D(2027, 2, 1), D(2027, 6, 1))
        assert _expiring_consent_case_ids(behandelaar_a, [case]) == {case.pk}
        assert _expiring_consent_case_ids(klantmanager_g, [case]) == {case.pk}
        assert FLAG in client_for(behandelaar_a).get(reverse("portal:home")).content.decode()


# --- 4. The beheerder's 'verloopt' tab and start page agree --------------------------------------


@pytest.mark.time_machine(at(2026, 12, 5), tick=False)
class TestTheBeheerderCountsAsTheWarningsDo:
    def tabs(self, c, **params):
        response = c.get(reverse("consent:overview"), params)
        return {key: n for key, _label, n in response.context["tabs"]}, response

    def test_a_consent_carried_on_is_not_expiring_a_gap_is(
        self, case, gemeente_g, uwv_u, behandelaar_a, beheerder_a, client_for
    ):
        share(case, gemeente_g, D(2026, 6, 1), D(2026, 12, 20))
        share(case, gemeente_g, D(2026, 12, 21), D(2027, 6, 1))
        gap = share(case, uwv_u, D(2026, 6, 1), D(2026, 12, 20))
        share(case, uwv_u, D(2027, 2, 1), D(2027, 6, 1))
        c = client_for(beheerder_a)
        tabs, _response = self.tabs(c)
        assert (tabs["actief"], tabs["verloopt"], tabs["toekomstig"]) == (2, 1, 2)
        _tabs, response = self.tabs(c, status="verloopt")
        assert [row.pk for row in response.context["rows"]] == [gap.pk]
        home = c.get(reverse("portal:home")).content.decode()
        assert "1 toestemming verloopt binnen 30 dagen" in home
        # The same one the daily notice warns of.
        assert notify_expiries()["gewaarschuwd"] == 1
        warned = TimelineEntry.objects.filter(kind=TimelineKind.TOESTEMMING).get()
        assert warned.body.startswith(f"Toestemming nr. {gap.pk}:")

    def test_the_cached_counts_follow_a_new_follow_on_and_its_withdrawal(
        self, case, gemeente_g, behandelaar_a, beheerder_a, client_for
    ):
        share(case, gemeente_g, D(2026, 6, 1), D(2026, 12, 20))
        c = client_for(beheerder_a)
        assert self.tabs(c)[0]["verloopt"] == 1
        follow_on = share(case, gemeente_g, D(2026, 12, 21), D(2027, 6, 1))
        assert self.tabs(c)[0]["verloopt"] == 0
        assert "Geen toestemming verloopt binnen 30 dagen." in (
            c.get(reverse("portal:home")).content.decode()
        )
        withdraw(follow_on, behandelaar_a)
        assert self.tabs(c)[0]["verloopt"] == 1
        assert services.own_state_counts(beheerder_a.organisation_id)["verloopt"] == 1
