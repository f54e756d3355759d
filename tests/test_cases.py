"""Cliënten en casussen: registration, the case team, referrals, work situation, goals and
agreements, the worklist, and query counts (issue 3)."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.html import escape

from cases import services
from cases.constants import CaseRole, CaseStatus, InvitationStatus, WorkSituationKind
from cases.demo import demo_bsn
from cases.models import Agreement, Case, ChangeRecord, Client, Invitation, TimelineEntry
from cases.validators import validate_bsn
from consent import services as consent
from consent.constants import Category, Purpose
from consent.models import AccessLogEntry

from .builders import make_case

VALID_BSN = "111222333"
LAST_YEAR = (datetime.date.today() - datetime.timedelta(days=365)).isoformat()

# The clock stands still from before the fixtures run (timezone.localtime is called then,
# not when the test is collected): the dates a test computes and those the server computes
# fall on one day, also when a run crosses midnight.
SAME_DAY = pytest.mark.time_machine(timezone.localtime, tick=False)


def client_data(**overrides):
    data = {
        "first_name": "Eva",
        "last_name": "Jansen",
        "date_of_birth": "1990-05-17",
        "bsn": VALID_BSN,
        "email": "",
        "phone": "",
        "address": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "names, message",
    [
        ({"first_name": "\u200b"}, "Deze naam bevat een onzichtbaar teken"),
        ({"last_name": "evil\u202e Zoë"}, "Deze naam bevat een onzichtbaar teken"),
        ({"first_name": "---"}, "Een naam bevat ten minste één letter."),
        ({"first_name": "J4n"}, "geen cijfers of andere tekens"),
        ({"last_name": "<b>x</b>"}, "geen cijfers of andere tekens"),
    ],
)
def test_a_client_name_has_letters_and_nothing_invisible(client_for, behandelaar_a, names, message):
    """The exploratory tester's #10: a client named only a zero-width space showed as
    ' Test'; a reading-direction override turned the name around in the PDFs."""
    response = client_for(behandelaar_a).post(reverse("cases:client_create"), client_data(**names))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Client.objects.exists()
    ok = client_for(behandelaar_a).post(
        reverse("cases:client_create"),
        client_data(first_name="Zoë Jan-Willem", last_name="d’Ancona-v.d. Berg"),
    )
    assert ok.status_code == 302


def test_the_bsn_field_says_how_it_may_be_typed(client_for, behandelaar_a):
    """The help text was set for the model field, which the form replaces: never shown."""
    html = client_for(behandelaar_a).get(reverse("cases:client_create")).content.decode()
    assert "Negen cijfers; spaties en punten ertussen mogen (1234.56.782)." in html


@pytest.mark.parametrize("typed", ["d´Hondt", "d`Hondt", "dʼHondt"])
def test_an_apostrophe_from_any_keyboard_is_stored_as_one(client_for, behandelaar_a, typed):
    """A Dutch or Belgian keyboard may give an acute accent: NFKC alone stored 'd ́Hondt'."""
    client_for(behandelaar_a).post(reverse("cases:client_create"), client_data(last_name=typed))
    assert Client.objects.get().last_name == "d’Hondt"


def test_a_full_width_name_is_stored_as_the_letters_it_shows(client_for, behandelaar_a):
    """A pasted 'Ａnna' (full-width A) would not be found by a search for 'Anna'."""
    client_for(behandelaar_a).post(reverse("cases:client_create"), client_data(first_name="Ａnna"))
    assert Client.objects.get().first_name == "Anna"


@pytest.fixture
def case_a(behandelaar_a):
    client = services.register_client(
        behandelaar_a,
        first_name="Eva",
        last_name="Jansen",
        date_of_birth=datetime.date(1990, 5, 17),
        bsn=VALID_BSN,
    )
    return services.open_case(behandelaar_a, client)


def make_cases(owner, count, start=100):
    cases = []
    for i in range(count):
        client = services.register_client(
            owner,
            first_name=f"Cliënt{i}",
            last_name=f"Achternaam{i}",
            date_of_birth=datetime.date(1980, 1, 1),
            bsn=demo_bsn(start + i),
        )
        cases.append(services.open_case(owner, client))
    return cases


def test_bsn_11_proef():
    validate_bsn("111222333")
    for bad in ["111222334", "12345678", "abcdefghi", "000000000", "1234567890"]:
        with pytest.raises(Exception):  # noqa: B017 - Django's ValidationError
            validate_bsn(bad)


class TestRegisterClient:
    url = reverse("cases:client_create")

    def test_anonymous_goes_to_sign_in(self, client, db):
        response = client.get(self.url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")

    @pytest.mark.parametrize("fixture", ["jobcoach_a", "beheerder_a", "beheerder_g"])
    def test_other_roles_cannot_register(self, client_for, request, fixture):
        assert client_for(request.getfixturevalue(fixture)).get(self.url).status_code == 404

    def test_behandelaar_registers_and_opens_case(self, client_for, behandelaar_a):
        response = client_for(behandelaar_a).post(self.url, client_data(bsn="111 222 333"))
        client = Client.objects.get()
        case = Case.objects.get()
        assert response["Location"] == reverse("cases:detail", args=[case.pk])
        assert client.bsn == VALID_BSN
        assert client.organisation == behandelaar_a.organisation
        assert consent.case_roles_of(behandelaar_a, case) == {CaseRole.REGIEBEHANDELAAR}
        assert AccessLogEntry.objects.filter(action="create", client=client).exists()

    def test_klantmanager_registers_own_client(self, client_for, klantmanager_g):
        client_for(klantmanager_g).post(self.url, client_data())
        case = Case.objects.get()
        assert case.client.organisation == klantmanager_g.organisation
        assert consent.case_roles_of(klantmanager_g, case) == {CaseRole.KLANTMANAGER}

    @pytest.mark.parametrize(
        "overrides,message",
        [
            ({"bsn": "111222334"}, "elfproef"),
            ({"bsn": "12345"}, "negen cijfers"),
            ({"date_of_birth": "2999-01-01"}, "toekomst"),
            ({"date_of_birth": "1850-01-01"}, "120 jaar"),
            ({"date_of_birth": LAST_YEAR}, "jonger dan 18 jaar"),
            ({"first_name": ""}, "verplicht"),
            ({"phone": "abc"}, "Vul een telefoonnummer in"),
            ({"phone": "06 1234"}, "Vul een telefoonnummer in"),
            ({"phone": "06-1234+5678"}, "Vul een telefoonnummer in"),
            ({"phone": "0612345678 (werk: 020)"}, "Vul een telefoonnummer in"),
        ],
    )
    def test_bad_input_is_refused_in_dutch(self, client_for, behandelaar_a, overrides, message):
        response = client_for(behandelaar_a).post(self.url, client_data(**overrides))
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not Client.objects.exists()

    @pytest.mark.parametrize("phone", ["06-12345678", "+31 (0)20 123 4567", " 0612345678 "])
    def test_phone_numbers_as_people_type_them(self, client_for, behandelaar_a, phone):
        response = client_for(behandelaar_a).post(self.url, client_data(phone=phone))
        assert response.status_code == 302
        assert Client.objects.get().phone == phone.strip()

    @SAME_DAY
    def test_the_youngest_client_is_eighteen_today(self, client_for, behandelaar_a):
        from cases.forms import MIN_CLIENT_AGE
        from portal.forms import add_months

        eighteen_today = add_months(timezone.localdate(), -12 * MIN_CLIENT_AGE)
        c = client_for(behandelaar_a)
        too_young = eighteen_today + datetime.timedelta(days=1)
        response = c.post(self.url, client_data(date_of_birth=too_young.isoformat()))
        assert "jonger dan 18 jaar" in response.content.decode()
        assert f'value="{too_young.isoformat()}"' in response.content.decode()
        response = c.post(self.url, client_data(date_of_birth=eighteen_today.isoformat()))
        assert response.status_code == 302

    def test_duplicate_bsn_offers_the_existing_client(self, client_for, behandelaar_a, case_a):
        response = client_for(behandelaar_a).post(self.url, client_data(first_name="Andere"))
        html = response.content.decode()
        assert "al geregistreerd" in html
        assert reverse("cases:detail", args=[case_a.pk]) in html
        assert Client.objects.count() == 1

    def test_naming_the_existing_client_is_a_logged_read(self, client_for, behandelaar_a, case_a):
        response = client_for(behandelaar_a).post(self.url, client_data(first_name="Andere"))
        assert "Deze cliënt is al geregistreerd: Eva Jansen" in response.content.decode()
        read = AccessLogEntry.objects.get(action="read", client=case_a.client)
        assert (read.user, read.category, read.object_type, read.outcome, read.basis) == (
            behandelaar_a,
            "identificatie",
            "cliënt",
            "toegestaan",
            "eigen_organisatie",
        )
        assert read.request_id == response["X-Request-ID"]

    def test_same_bsn_at_another_organisation_is_a_separate_client(
        self, client_for, klantmanager_g, case_a
    ):
        response = client_for(klantmanager_g).post(self.url, client_data())
        html = response.content.decode() if response.status_code == 200 else ""
        # Nothing about GGZ A's client may leak to the gemeente.
        assert "al geregistreerd" not in html
        assert Client.objects.count() == 2


class TestExistingClient:
    """A BSN the organisation already has: what the registration form tells a colleague
    who is not on the client's team, and who may open a new case."""

    url = reverse_lazy("cases:client_create")

    def test_an_open_case_of_others_gives_neither_name_nor_way_in(
        self, client_for, behandelaar_a2, case_a
    ):
        response = client_for(behandelaar_a2).post(self.url, client_data(first_name="Piet"))
        html = response.content.decode()
        assert "Jansen" not in html.replace('value="Jansen"', "")
        assert "waarin u niet in het team zit" in html
        assert reverse("cases:case_open", args=[case_a.client_id]) not in html
        assert reverse("cases:detail", args=[case_a.pk]) not in html
        read = AccessLogEntry.objects.get(action="read", client=case_a.client)
        assert (read.user, read.category, read.case) == (behandelaar_a2, "identificatie", None)

    def close(self, client_for, behandelaar_a, case_a):
        client_for(behandelaar_a).post(reverse("cases:close", args=[case_a.pk]))

    def test_without_an_open_case_the_name_only_to_who_typed_it(
        self, client_for, behandelaar_a, behandelaar_a2, case_a
    ):
        self.close(client_for, behandelaar_a, case_a)
        c = client_for(behandelaar_a2)
        html = c.post(self.url, client_data(first_name="Evi")).content.decode()
        assert "met een andere naam of geboortedatum dan u invulde" in html
        assert "Eva" not in html
        assert reverse("cases:case_open", args=[case_a.client_id]) not in html
        # The right name with another birth date: not the same person as far as anyone can
        # tell, so no name and no way in either.
        for other in ("1975-01-01", ""):  # another birth date, or none typed
            html = c.post(self.url, client_data(date_of_birth=other)).content.decode()
            assert "met een andere naam of geboortedatum dan u invulde" in html
            assert reverse("cases:case_open", args=[case_a.client_id]) not in html
        html = c.post(self.url, client_data(first_name=" eva ")).content.decode()
        assert "Deze cliënt is al geregistreerd: Eva Jansen. Er is geen open casus." in html
        assert f'name="bsn" value="{VALID_BSN}"' in html
        response = c.post(reverse("cases:case_open", args=[case_a.client_id]), {"bsn": VALID_BSN})
        new = Case.objects.get(client=case_a.client, status=CaseStatus.OPEN)
        assert response.url == reverse("cases:detail", args=[new.pk])
        assert consent.case_roles_of(behandelaar_a2, new) == {CaseRole.REGIEBEHANDELAAR}

    @pytest.mark.parametrize("bsn", [None, "", "123456782"])
    def test_an_id_alone_opens_no_case(
        self, client_for, behandelaar_a, behandelaar_a2, case_a, bsn
    ):
        """Opening makes the user regiebehandelaar, who reads the client's name: the BSN
        typed at registration has to come along, or any id would do."""
        self.close(client_for, behandelaar_a, case_a)
        response = client_for(behandelaar_a2).post(
            reverse("cases:case_open", args=[case_a.client_id]),
            {} if bsn is None else {"bsn": bsn},
            follow=True,
        )
        html = response.content.decode()
        assert "Open een nieuwe casus via ‘Cliënt registreren’" in html
        assert "Eva" not in html
        assert not Case.objects.filter(status=CaseStatus.OPEN).exists()


def test_second_open_case_is_refused(behandelaar_a, case_a, client_for):
    response = client_for(behandelaar_a).post(
        reverse("cases:case_open", args=[case_a.client_id]), {"bsn": VALID_BSN}, follow=True
    )
    assert "al een open casus" in response.content.decode()
    assert Case.objects.count() == 1


def test_closed_case_stays_readable_and_a_new_one_can_open(behandelaar_a, case_a, client_for):
    c = client_for(behandelaar_a)
    c.post(reverse("cases:close", args=[case_a.pk]))
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.GESLOTEN
    assert c.get(reverse("cases:detail", args=[case_a.pk])).status_code == 200
    c.post(reverse("cases:case_open", args=[case_a.client_id]), {"bsn": VALID_BSN})
    assert Case.objects.filter(client=case_a.client, status=CaseStatus.OPEN).count() == 1


class TestClose:
    def test_closing_asks_first_and_works_without_javascript(
        self, client_for, behandelaar_a, case_a
    ):
        c = client_for(behandelaar_a)
        url = reverse("cases:close", args=[case_a.pk])
        detail = c.get(reverse("cases:detail", args=[case_a.pk])).content.decode()
        assert f'<a href="{url}"' in detail
        assert f'action="{url}"' not in detail  # no button that closes at once
        confirm = c.get(url)
        html = confirm.content.decode()
        assert confirm.status_code == 200
        assert "Weet u het zeker?" in html
        assert '<form method="post">' in html
        assert "Ja, casus sluiten" in html
        case_a.refresh_from_db()
        assert case_a.status == CaseStatus.OPEN
        # The page names the client: a logged read.
        read = AccessLogEntry.objects.get(request_id=confirm["X-Request-ID"])
        assert (read.action, read.category, read.outcome) == ("read", "identificatie", "toegestaan")
        response = c.post(url, follow=True)
        assert "De casus is gesloten. Hij blijft leesbaar voor het team." in (
            response.content.decode()
        )
        case_a.refresh_from_db()
        assert case_a.status == CaseStatus.GESLOTEN
        # Once closed, there is nothing to confirm or to close again.
        again = c.post(url, follow=True)
        assert "De casus is gesloten. Hij blijft leesbaar, maar" in again.content.decode()
        assert c.get(url)["Location"] == reverse("cases:detail", args=[case_a.pk])
        assert TimelineEntry.objects.filter(case=case_a, title="Casus gesloten").count() == 1

    def test_only_the_lead_closes(self, client_for, klantmanager_g, case_a):
        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        c = client_for(klantmanager_g)
        url = reverse("cases:close", args=[case_a.pk])
        assert c.get(url).status_code == 404
        assert c.post(url).status_code == 404
        case_a.refresh_from_db()
        assert case_a.status == CaseStatus.OPEN


class TestTeam:
    def test_invite_accept_gives_access_leave_ends_it(
        self, client_for, behandelaar_a, behandelaar_a2, case_a
    ):
        detail = reverse("cases:detail", args=[case_a.pk])
        assert client_for(behandelaar_a2).get(detail).status_code == 404
        client_for(behandelaar_a).post(
            reverse("cases:invite", args=[case_a.pk]),
            {"email": behandelaar_a2.email, "case_role": CaseRole.BEHANDELAAR},
        )
        invitation = Invitation.objects.get()
        c = client_for(behandelaar_a2)
        assert "Uitnodiging" in c.get("/").content.decode()
        assert c.get(detail).status_code == 404  # not yet accepted
        c.post(reverse("cases:respond", args=[invitation.pk]), {"accept": "1"})
        assert c.get(detail).status_code == 200
        c.post(reverse("cases:leave", args=[case_a.pk]))
        assert c.get(detail).status_code == 404

    def test_timeline_shows_dates_with_a_lowercase_month(self, client_for, behandelaar_a, case_a):
        entry = services.add_timeline(
            case_a, behandelaar_a, "notitie", Category.IDENTIFICATIE, "Kennismaking"
        )
        when = datetime.datetime(2025, 12, 4, 10, 30, tzinfo=AMSTERDAM)
        TimelineEntry.objects.filter(pk=entry.pk).update(occurred_at=when)
        html = client_for(behandelaar_a).get(reverse("cases:timeline", args=[case_a.pk]))
        assert "4 dec 2025 10:30" in html.content.decode()

    def test_accepted_invitation_names_the_role_in_lowercase(
        self, client_for, behandelaar_a, klantmanager_g, case_a
    ):
        access = consent.case_access(behandelaar_a, case_a)
        invitation = services.invite(access, klantmanager_g, CaseRole.KLANTMANAGER)
        client_for(klantmanager_g).post(
            reverse("cases:respond", args=[invitation.pk]), {"accept": "1"}
        )
        title = TimelineEntry.objects.filter(case=case_a, kind="team").latest("pk").title
        assert title.endswith("doet mee als klantmanager")
        # An abbreviation keeps its capitals inside a sentence.
        assert CaseRole.TRAJECTBEGELEIDER.in_sentence == "IPS-trajectbegeleider"

    def test_answering_twice_says_it_was_answered(
        self, client_for, behandelaar_a, behandelaar_a2, case_a
    ):
        client_for(behandelaar_a).post(
            reverse("cases:invite", args=[case_a.pk]),
            {"email": behandelaar_a2.email, "case_role": CaseRole.BEHANDELAAR},
        )
        invitation = Invitation.objects.get()
        c = client_for(behandelaar_a2)
        url = reverse("cases:respond", args=[invitation.pk])
        c.post(url, {"accept": "1"})
        again = c.post(url, {"accept": "1"}, follow=True)
        assert "Deze uitnodiging is al beantwoord." in again.content.decode()
        assert not AccessLogEntry.objects.filter(user=behandelaar_a2, outcome="geweigerd").exists()

    def test_removed_member_loses_access_at_once(
        self, client_for, behandelaar_a, klantmanager_g, case_a
    ):
        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        detail = reverse("cases:detail", args=[case_a.pk])
        assert client_for(klantmanager_g).get(detail).status_code == 200
        client_for(behandelaar_a).post(
            reverse("cases:leave", args=[case_a.pk]), {"gebruiker": klantmanager_g.pk}
        )
        assert client_for(klantmanager_g).get(detail).status_code == 404

    def test_taking_someone_off_answers_a_non_lead_alike_for_members_and_others(
        self, client_for, behandelaar_a, jobcoach_a, klantmanager_g, outsider, case_a
    ):
        """A klantmanager without consent does not see GGZ's people on the team; a different
        answer for a member than for anyone else would tell who is on it."""
        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        consent.add_member(case_a, jobcoach_a, CaseRole.TRAJECTBEGELEIDER)
        url = reverse("cases:leave", args=[case_a.pk])
        c = client_for(klantmanager_g)
        for someone in (behandelaar_a, jobcoach_a, outsider):
            for response in (
                c.get(url, {"gebruiker": someone.pk}),
                c.post(url, {"gebruiker": someone.pk}),
            ):
                assert response.status_code == 404, someone
        assert consent.case_roles_of(behandelaar_a, case_a) == {CaseRole.REGIEBEHANDELAAR}
        assert consent.case_roles_of(jobcoach_a, case_a) == {CaseRole.TRAJECTBEGELEIDER}
        # Their own id is leaving, as without one.
        page = c.get(url, {"gebruiker": klantmanager_g.pk}).content.decode()
        assert "Alleen wie de regie over de casus voert, kan u opnieuw uitnodigen." in page

    def test_leaving_and_taking_off_the_team_ask_first(
        self, client_for, behandelaar_a, klantmanager_g, case_a
    ):
        """Both end access at once: like closing, a page says so before anything happens;
        the case page has links there, no button that does it."""
        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        url = reverse("cases:leave", args=[case_a.pk])
        detail = client_for(behandelaar_a).get(reverse("cases:detail", args=[case_a.pk]))
        assert f'action="{url}"' not in detail.content.decode()
        page = client_for(behandelaar_a).get(url, {"gebruiker": klantmanager_g.pk})
        page = page.content.decode()
        assert f"{klantmanager_g.get_full_name()} uit het team halen" in page
        assert f'name="gebruiker" value="{klantmanager_g.pk}"' in page
        page = client_for(klantmanager_g).get(url).content.decode()
        assert "Daarna ziet u niets meer van deze casus" in page
        assert "Ja, team verlaten" in page
        assert consent.case_roles_of(klantmanager_g, case_a) == {CaseRole.KLANTMANAGER}
        # Only the lead takes someone else off the team.
        other = client_for(klantmanager_g).get(url, {"gebruiker": behandelaar_a.pk})
        assert other.status_code == 404
        client_for(behandelaar_a).post(url, {"gebruiker": klantmanager_g.pk})
        assert not consent.case_roles_of(klantmanager_g, case_a)

    @pytest.mark.parametrize(
        "invitee_fixture,case_role,message",
        [
            ("klantmanager_g", CaseRole.BEHANDELAAR, "kan als"),
            ("jobcoach_a", CaseRole.KLANTMANAGER, "kan als"),
            ("beheerder_a", CaseRole.BEHANDELAAR, "kan als"),
        ],
    )
    def test_invitation_must_fit_the_role(
        self, client_for, request, behandelaar_a, case_a, invitee_fixture, case_role, message
    ):
        invitee = request.getfixturevalue(invitee_fixture)
        response = client_for(behandelaar_a).post(
            reverse("cases:invite", args=[case_a.pk]),
            {"email": invitee.email, "case_role": case_role},
        )
        assert message in response.content.decode()
        assert not Invitation.objects.exists()

    def test_inactive_user_cannot_be_invited(
        self, client_for, behandelaar_a, behandelaar_a2, case_a
    ):
        behandelaar_a2.is_active = False
        behandelaar_a2.save()
        response = client_for(behandelaar_a).post(
            reverse("cases:invite", args=[case_a.pk]),
            {"email": behandelaar_a2.email, "case_role": CaseRole.BEHANDELAAR},
        )
        assert "niet actief" in response.content.decode()
        assert not Invitation.objects.exists()

    def test_the_lead_cannot_invite_themselves(self, client_for, behandelaar_a, case_a):
        """An invitation to oneself could never be accepted: it would sit in one's own
        werkvoorraad for good."""
        response = client_for(behandelaar_a).post(
            reverse("cases:invite", args=[case_a.pk]),
            {"email": behandelaar_a.email.upper(), "case_role": CaseRole.BEHANDELAAR},
        )
        assert "u kunt uzelf niet uitnodigen" in response.content.decode()
        assert not Invitation.objects.exists()

    def test_only_the_lead_invites(self, client_for, klantmanager_g, case_a):
        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        response = client_for(klantmanager_g).get(reverse("cases:invite", args=[case_a.pk]))
        assert response.status_code == 404

    def test_decline_needs_a_reason(self, client_for, behandelaar_a, behandelaar_a2, case_a):
        access = consent.case_access(behandelaar_a, case_a)
        invitation = services.invite(access, behandelaar_a2, CaseRole.BEHANDELAAR)
        c = client_for(behandelaar_a2)
        c.post(reverse("cases:respond", args=[invitation.pk]), {"accept": "0", "reason": ""})
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.OPEN
        c.post(reverse("cases:respond", args=[invitation.pk]), {"accept": "0", "reason": "Vol"})
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.AFGEWEZEN
        assert not consent.case_roles_of(behandelaar_a2, case_a)

    def test_someone_else_cannot_answer_an_invitation(
        self, client_for, behandelaar_a, behandelaar_a2, outsider, case_a
    ):
        access = consent.case_access(behandelaar_a, case_a)
        invitation = services.invite(access, behandelaar_a2, CaseRole.BEHANDELAAR)
        response = client_for(outsider).post(
            reverse("cases:respond", args=[invitation.pk]), {"accept": "1"}
        )
        assert response.status_code == 404
        assert not consent.case_roles_of(outsider, case_a)


class TestReferral:
    def test_referral_to_ips_accepted_by_a_jobcoach(
        self, client_for, behandelaar_a, jobcoach_a, ggz_a, case_a
    ):
        client_for(behandelaar_a).post(
            reverse("cases:refer", args=[case_a.pk]),
            {"target": "ips", "organisation": ggz_a.pk, "reason": "Wil werken"},
        )
        referral = Invitation.objects.get(is_referral=True)
        c = client_for(jobcoach_a)
        assert "Verwijzing" in c.get("/").content.decode()
        c.post(reverse("cases:respond", args=[referral.pk]), {"accept": "1"})
        assert consent.case_roles_of(jobcoach_a, case_a) == {CaseRole.TRAJECTBEGELEIDER}
        assert TimelineEntry.objects.filter(case=case_a, kind="verwijzing").exists()

    def test_referral_needs_reason_and_fitting_organisation(
        self, client_for, behandelaar_a, gemeente_g, case_a
    ):
        c = client_for(behandelaar_a)
        response = c.post(
            reverse("cases:refer", args=[case_a.pk]),
            {"target": "ips", "organisation": gemeente_g.pk, "reason": "x"},
        )
        assert "past niet" in response.content.decode()
        response = c.post(
            reverse("cases:refer", args=[case_a.pk]),
            {"target": "klantmanager", "organisation": gemeente_g.pk, "reason": ""},
        )
        assert "verplicht" in response.content.decode()
        assert not Invitation.objects.exists()

    def test_the_invitation_says_who_reads_its_reason(self, client_for, behandelaar_a, case_a):
        """The invitee reads the reason before any consent (an exploratory tester's medical
        words in it reached the gemeente), as with a referral: the form says so."""
        html = client_for(behandelaar_a).get(reverse("cases:invite", args=[case_a.pk]))
        html = html.content.decode()
        help_text = escape(
            "Wie u uitnodigt, leest de toelichting bij de uitnodiging, ook als de cliënt nog "
            "geen toestemming heeft gegeven"
        )
        assert help_text in html
        assert 'aria-describedby="id_reason_helptext"' in html

    def test_the_reason_stays_with_the_referrer_and_the_one_referred_to(
        self, client_for, behandelaar_a, gemeente_g, adviseur_u, case_a
    ):
        """An exploratory tester's UWV adviseur, reading GGZ's werksituatie by consent, read
        on the timeline the reason written for the gemeente (it held a diagnosis)."""
        from .builders import make_consent

        consent.add_member(case_a, adviseur_u, CaseRole.KLANTMANAGER)
        make_consent(
            case_a.client,
            case_a.client.organisation,
            adviseur_u.organisation,
            Purpose.REINTEGRATIE,
            [Category.IDENTIFICATIE, Category.WERKSITUATIE],
        )
        reason = "Alleen voor de gemeente bedoeld"
        client_for(behandelaar_a).post(
            reverse("cases:refer", args=[case_a.pk]),
            {"target": "klantmanager", "organisation": gemeente_g.pk, "reason": reason},
        )
        timeline = reverse("cases:timeline", args=[case_a.pk])
        assert reason in client_for(behandelaar_a).get(timeline).content.decode()
        uwv = client_for(adviseur_u).get(timeline).content.decode()
        assert "Eva Jansen" in uwv  # the consent lets UWV read GGZ's data
        assert reason not in uwv and "Verwezen naar Gemeente G" not in uwv

    def test_no_second_referral_to_an_organisation_already_on_the_team(
        self, client_for, behandelaar_a, klantmanager_g, gemeente_g, uwv_u, case_a
    ):
        """An exploratory tester referred to the gemeente while its klantmanager was on the
        team: a second invitation reached the same klantmanager."""
        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        c = client_for(behandelaar_a)
        url = reverse("cases:refer", args=[case_a.pk])
        response = c.post(
            url, {"target": "klantmanager", "organisation": gemeente_g.pk, "reason": "Werk"}
        )
        assert response.status_code == 200
        assert "Er zit al een klantmanager van Gemeente G in het team." in (
            response.content.decode()
        )
        assert not Invitation.objects.exists()
        # Another organisation, or the same one once its klantmanager left, is referred to.
        c.post(url, {"target": "klantmanager", "organisation": uwv_u.pk, "reason": "Werk"})
        assert Invitation.objects.filter(organisation=uwv_u, is_referral=True).exists()
        consent.remove_member(case_a, klantmanager_g)
        c.post(url, {"target": "klantmanager", "organisation": gemeente_g.pk, "reason": "Werk"})
        assert Invitation.objects.filter(organisation=gemeente_g, is_referral=True).exists()

    def test_only_who_may_refer_is_offered_the_form(
        self, client_for, behandelaar_a, jobcoach_a, klantmanager_g, case_a
    ):
        """A klantmanager on a GGZ case, or the jobcoach, saw 'Verwijzen' and a whole form,
        to be told on sending that they cannot refer from this case."""
        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        consent.add_member(case_a, jobcoach_a, CaseRole.TRAJECTBEGELEIDER)
        url = reverse("cases:refer", args=[case_a.pk])
        detail = reverse("cases:detail", args=[case_a.pk])
        assert f'href="{url}"' in client_for(behandelaar_a).get(detail).content.decode()
        for user in (klantmanager_g, jobcoach_a):
            c = client_for(user)
            assert f'href="{url}"' not in c.get(detail).content.decode()
            page = c.get(url)
            assert page.status_code == 403
            assert "Verwijzen kan alleen een behandelaar, of wie de regie voert." in (
                page.content.decode()
            )
            sent = c.post(url, {"target": "ips", "organisation": case_a.organisation_id})
            assert sent.status_code == 403
        assert not Invitation.objects.exists()

    def test_the_form_says_who_reads_the_reason(self, client_for, behandelaar_a, case_a):
        """The reason is read by the other organisation before any consent: the form says
        so where it is typed."""
        html = client_for(behandelaar_a).get(reverse("cases:refer", args=[case_a.pk]))
        assert "leest de reden bij de verwijzing, ook als de cliënt nog geen" in (
            html.content.decode()
        )

    @pytest.mark.parametrize("referrer", ["behandelaar_a", "outsider"])
    def test_the_referrer_reads_a_refusal_and_its_reason_without_a_consent(
        self, client_for, request, behandelaar_a, klantmanager_g, gemeente_g, case_a, referrer
    ):
        """The answer is for whoever asked: held by their organisation (also a behandelaar
        of another GGZ on the team), not by the gemeente, whose data they could read only
        with a consent that the gemeente cannot record for a GGZ client."""
        referrer = request.getfixturevalue(referrer)
        if referrer != behandelaar_a:
            consent.add_member(case_a, referrer, CaseRole.BEHANDELAAR)
        access = consent.case_access(referrer, case_a)
        referral = services.refer(access, gemeente_g, CaseRole.KLANTMANAGER, "Re-integratie")
        km = client_for(klantmanager_g)
        worklist = km.get(reverse("portal:home")).content.decode()
        assert f"Reden van afwijzing (verplicht; {referrer.organisation} leest deze)" in worklist
        km.post(
            reverse("cases:respond", args=[referral.pk]),
            {"accept": "0", "reason": "Geen uitkering"},
        )
        entry = TimelineEntry.objects.get(case=case_a, body="Geen uitkering")
        assert (entry.organisation, entry.author) == (referrer.organisation, klantmanager_g)
        html = client_for(referrer).get(reverse("cases:timeline", args=[case_a.pk]))
        html = html.content.decode()
        assert f"{klantmanager_g} heeft de uitnodiging afgewezen" in html
        assert "Geen uitkering" in html

    def test_a_klantmanager_of_another_gemeente_cannot_accept(
        self, client_for, behandelaar_a, gemeente_g, adviseur_u, case_a
    ):
        access = consent.case_access(behandelaar_a, case_a)
        referral = services.refer(access, gemeente_g, CaseRole.KLANTMANAGER, "Re-integratie")
        response = client_for(adviseur_u).post(
            reverse("cases:respond", args=[referral.pk]), {"accept": "1"}
        )
        assert response.status_code == 404


class TestWorkAndAgreements:
    def test_work_situation_keeps_history(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        url = reverse("cases:work_situation", args=[case_a.pk])
        base = {"benefit": "bijstand", "wish_to_work": "ja"}
        c.post(url, {**base, "kind": WorkSituationKind.GEEN})
        c.post(url, {**base, "kind": WorkSituationKind.VRIJWILLIGER, "hours_per_week": 8})
        html = c.get(url).content.decode()
        assert "Geen werk of dagbesteding" in html
        assert "Vrijwilligerswerk" in html
        assert case_a.work_situations.count() == 2

    def test_half_hours_typed_the_dutch_way(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        url = reverse("cases:work_situation", args=[case_a.pk])
        base = {"benefit": "bijstand", "wish_to_work": "ja", "kind": WorkSituationKind.BETAALD}
        assert c.post(url, {**base, "hours_per_week": "12,5"}).status_code == 302
        assert case_a.work_situations.get().hours_per_week == Decimal("12.5")
        assert (
            ", 12,5 uur per week"
            in c.get(reverse("cases:detail", args=[case_a.pk])).content.decode()
        )
        c.post(url, {**base, "hours_per_week": "16"})
        assert "<td>16</td>" in c.get(url).content.decode()  # no ",0" on whole hours

    def test_work_situation_radio_groups_offer_only_real_answers(
        self, client_for, behandelaar_a, case_a
    ):
        c = client_for(behandelaar_a)
        url = reverse("cases:work_situation", args=[case_a.pk])
        html = c.get(url).content.decode()
        for name in ("kind", "wish_to_work"):
            assert f'name="{name}" value=""' not in html
            assert f'name="{name}" value="' in html
        assert "checked" not in html
        assert "---------" not in html.split('name="benefit"')[0]
        refused = c.post(url, {"benefit": "ww", "kind": "betaald"}).content.decode()
        assert "Dit veld is verplicht" in refused
        assert 'name="kind" value="betaald" required id="id_kind_0" checked' in refused
        assert not case_a.work_situations.exists()

    @pytest.mark.parametrize(
        "data,message",
        [
            ({"kind": "betaald", "hours_per_week": 90}, "80"),
            ({"kind": "betaald", "hours_per_week": "-2"}, "minstens 0 uur"),
            ({"kind": "betaald", "hours_per_week": "12,25"}, "hoogstens één decimaal"),
            ({"kind": "betaald", "hours_per_week": "twaalf"}, "bijvoorbeeld 16 of 16,5"),
            ({"kind": "geen", "hours_per_week": 10}, "geen uren"),
            ({"kind": "betaald", "job_search_exempt": "on"}, "vrijstelling"),
            (
                {"kind": "geen", "benefit": "geen", "job_search_duty": "on"},
                "Een sollicitatieplicht hoort bij een uitkering",
            ),
        ],
    )
    def test_work_situation_bad_input(self, client_for, behandelaar_a, case_a, data, message):
        response = client_for(behandelaar_a).post(
            reverse("cases:work_situation", args=[case_a.pk]),
            {"benefit": "ww", "wish_to_work": "ja", **data},
        )
        assert message in response.content.decode()
        assert not case_a.work_situations.exists()

    # The werksituatie's hours: the one hours field of the portal (portal.fields.HoursField),
    # as in IPS, within the model's range (0 to 80, one decimal). A tester typed 1e1 and got
    # 10 hours; 16,50 was refused as two decimals.
    WORK_BASE = {"benefit": "bijstand", "wish_to_work": "ja", "kind": WorkSituationKind.BETAALD}

    @pytest.mark.parametrize(
        "typed,message",
        [
            # An exponent is a typing error, not 10 hours.
            ("1e1", "Vul het aantal uren per week in als getal, bijvoorbeeld 16 of 16,5."),
            ("2E1", "Vul het aantal uren per week in als getal, bijvoorbeeld 16 of 16,5."),
            ("NaN", "Vul het aantal uren per week in als getal, bijvoorbeeld 16 of 16,5."),
            ("١٦", "Vul het aantal uren per week in als getal, bijvoorbeeld 16 of 16,5."),
            ("16 uur", "Vul het aantal uren per week in als getal, bijvoorbeeld 16 of 16,5."),
            ("16,55", "Vul de uren in op hoogstens één decimaal, bijvoorbeeld 16,5."),
            # A thousands separator in Dutch: not 1 hour (an exploratory tester's find).
            ("1.000", "Vul de uren in op hoogstens één decimaal, bijvoorbeeld 16,5."),
            ("16,500", "Vul de uren in op hoogstens één decimaal, bijvoorbeeld 16,5."),
            ("-1", "Vul minstens 0 uur per week in, of laat het veld leeg."),
            ("-0,5", "Vul minstens 0 uur per week in, of laat het veld leeg."),
            ("81", "Vul hoogstens 80 uur per week in."),
            ("80,5", "Vul hoogstens 80 uur per week in."),
        ],
    )
    def test_work_situation_hours_refused_in_dutch(
        self, client_for, behandelaar_a, case_a, typed, message
    ):
        response = client_for(behandelaar_a).post(
            reverse("cases:work_situation", args=[case_a.pk]),
            {**self.WORK_BASE, "hours_per_week": typed},
        )
        assert response.status_code == 200
        assert response.context["form"].errors == {"hours_per_week": [message]}
        html = response.content.decode()
        assert escape(message) in html
        assert f'value="{escape(typed)}"' in html  # shown again as typed
        assert not case_a.work_situations.exists()

    @pytest.mark.parametrize(
        "typed,stored,shown",
        [
            ("16,5", "16.5", "16,5"),
            ("16,50", "16.5", "16,5"),  # the same hours as 16,5
            ("16.5", "16.5", "16,5"),
            ("16,0", "16", "16"),
            (" 20 ", "20", "20"),
            ("80", "80", "80"),
            ("80,00", "80", "80"),
            ("12,3", "12.3", "12,3"),  # one decimal, as the model stores it
            ("0", "0", "0"),
            ("-0", "0", "0"),
        ],
    )
    def test_work_situation_hours_stored_as_typed_the_dutch_way(
        self, client_for, behandelaar_a, case_a, typed, stored, shown
    ):
        c = client_for(behandelaar_a)
        url = reverse("cases:work_situation", args=[case_a.pk])
        response = c.post(url, {**self.WORK_BASE, "hours_per_week": typed})
        assert response.status_code == 302, response.context["form"].errors
        situation = case_a.work_situations.get()
        assert situation.hours_per_week == Decimal(stored)
        html = c.get(url).content.decode()
        assert f"<td>{shown}</td>" in html
        # The next werksituatie starts from this one: the stored hours the Dutch way.
        assert f'name="hours_per_week" value="{shown}"' in html

    def test_work_situation_without_hours(self, client_for, behandelaar_a, case_a):
        response = client_for(behandelaar_a).post(
            reverse("cases:work_situation", args=[case_a.pk]),
            {**self.WORK_BASE, "hours_per_week": "  "},
        )
        assert response.status_code == 302
        assert case_a.work_situations.get().hours_per_week is None

    def test_work_prompt_until_discussed_and_again_after_twelve_weeks(
        self, client_for, behandelaar_a, case_a
    ):
        c = client_for(behandelaar_a)
        detail = reverse("cases:detail", args=[case_a.pk])
        assert "Werk is nog niet besproken" in c.get(detail).content.decode()
        assert "Werk nog niet besproken" in c.get("/").content.decode()
        c.post(
            reverse("cases:work_discussed", args=[case_a.pk]),
            {
                "version": case_a.version,
                "discussed_on": timezone.localdate().isoformat(),
                "work_is_goal": "on",
            },
        )
        assert "nog niet besproken" not in c.get(detail).content.decode()
        assert "nog niet besproken" not in c.get("/").content.decode()
        later = timezone.now() + datetime.timedelta(weeks=13)
        with time_machine.travel(later, tick=False):
            c.force_login(behandelaar_a, backend="portal.backends.UserBackend")
            assert "al even niet besproken" in c.get(detail).content.decode()
            assert "Werk lang niet besproken" in c.get("/").content.decode()

    def test_a_backdated_work_discussed_does_not_move_the_date_back(
        self, client_for, behandelaar_a, case_a
    ):
        c = client_for(behandelaar_a)
        url = reverse("cases:work_discussed", args=[case_a.pk])
        today = timezone.localdate()
        earlier = today - datetime.timedelta(days=30)
        c.post(url, {"version": case_a.version, "discussed_on": today.isoformat()})
        case_a.refresh_from_db()
        response = c.post(
            url,
            {"version": case_a.version, "discussed_on": earlier.isoformat(), "work_is_goal": "on"},
        )
        assert response.status_code == 302
        case_a.refresh_from_db()
        assert case_a.work_discussed_on == today
        assert case_a.work_is_goal is True  # the current choice still counts
        # The late record is on the timeline, with the day it was about.
        titles = list(
            TimelineEntry.objects.filter(case=case_a, kind="werk_besproken").values_list(
                "title", flat=True
            )
        )
        assert len(titles) == 2
        assert any(f"op {earlier.day} " in t for t in titles)
        html = c.get(reverse("cases:detail", args=[case_a.pk])).content.decode()
        assert "de recentere datum" in html
        # A later date does move it forward.
        Case.objects.filter(pk=case_a.pk).update(work_discussed_on=earlier)
        c.post(url, {"version": case_a.version, "discussed_on": today.isoformat()})
        case_a.refresh_from_db()
        assert case_a.work_discussed_on == today

    def test_another_organisations_behandelaar_neither_reads_nor_changes_work_discussed(
        self, client_for, behandelaar_a, outsider, case_a
    ):
        """The case's "werk besproken" and "werk is een behandeldoel" are the opening
        organisation's afspraken & doelen: a behandelaar of GGZ B on the team, even with a
        consent for afspraken, gets no prompt, no pre-filled form and no write."""
        from .builders import make_consent

        long_ago = timezone.localdate() - datetime.timedelta(days=200)  # prompts its own
        Case.objects.filter(pk=case_a.pk).update(work_is_goal=True, work_discussed_on=long_ago)
        consent.add_member(case_a, outsider, CaseRole.BEHANDELAAR)
        make_consent(
            case_a.client, behandelaar_a.organisation, outsider.organisation, "afstemming",
            [Category.AFSPRAKEN],
        )  # fmt: skip
        c = client_for(outsider)
        detail = c.get(reverse("cases:detail", args=[case_a.pk])).content.decode()
        assert "werk is een behandeldoel" in detail  # readable with the consent
        assert reverse("cases:work_discussed", args=[case_a.pk]) not in detail
        url = reverse("cases:work_discussed", args=[case_a.pk])
        assert c.get(url).status_code == 404
        response = c.post(url, {"discussed_on": timezone.localdate().isoformat()})
        assert response.status_code == 404
        case_a.refresh_from_db()
        assert (case_a.work_discussed_on, case_a.work_is_goal) == (long_ago, True)
        own = client_for(behandelaar_a).get(reverse("cases:detail", args=[case_a.pk]))
        assert url in own.content.decode()
        assert (
            AccessLogEntry.objects.filter(
                user=outsider, outcome="geweigerd", action="update", category=Category.AFSPRAKEN
            ).count()
            == 2
        )

    def test_work_discussed_says_who_reads_the_note(self, client_for, behandelaar_a, case_a):
        response = client_for(behandelaar_a).get(reverse("cases:work_discussed", args=[case_a.pk]))
        html = response.content.decode()
        assert "Gedeeld als ‘Afspraken en doelen’" in html
        assert "met toestemming van de cliënt" in html
        assert 'aria-describedby="id_note_helptext"' in html
        assert 'id="id_note_helptext"' in html

    def test_agreement_in_the_past_is_refused_and_the_typed_text_kept(
        self, client_for, behandelaar_a, case_a
    ):
        """A refused agreement comes back on its own page with what was typed and the error
        at its field; nothing is stored."""
        yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
        response = client_for(behandelaar_a).post(
            reverse("cases:agreement_create", args=[case_a.pk]),
            {"what": "Bellen met de werkgever", "owner": "Cliënt", "due_date": yesterday},
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "verleden" in html
        assert 'value="Bellen met de werkgever"' in html
        assert f'value="{yesterday}"' in html
        assert not Agreement.objects.exists()

    def test_goal_is_added_on_its_own_page(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        url = reverse("cases:goal_create", args=[case_a.pk])
        detail = reverse("cases:detail", args=[case_a.pk])
        assert f'href="{url}"' in c.get(detail).content.decode()
        refused = c.post(url, {"domain": "maatschappelijk", "description": ""})
        assert refused.status_code == 200
        assert "Dit veld is verplicht" in refused.content.decode()
        assert 'value="maatschappelijk" selected' in refused.content.decode()
        assert not case_a.goals.exists()
        saved = c.post(
            url, {"domain": "maatschappelijk", "description": "Twee dagen vrijwilligerswerk"}
        )
        assert saved["Location"] == detail + "#doelen"
        assert list(case_a.goals.values_list("domain", "description")) == [
            ("maatschappelijk", "Twee dagen vrijwilligerswerk")
        ]
        assert "Twee dagen vrijwilligerswerk" in c.get(detail).content.decode()

    @pytest.mark.parametrize("fixture", ["behandelaar_a", "klantmanager_g"])
    def test_a_goal_is_never_clinical_and_says_who_reads_it(
        self, client_for, request, case_a, fixture
    ):
        """Goals are read by W&I with consent (‘Afspraken en doelen’): clinical recovery
        is medical information and is not offered, to anyone (a klantmanager could pick it)."""
        user = request.getfixturevalue(fixture)
        if user.role == "klantmanager":
            consent.add_member(case_a, user, CaseRole.KLANTMANAGER)
        c = client_for(user)
        url = reverse("cases:goal_create", args=[case_a.pk])
        form = c.get(url).content.decode()
        assert 'value="klinisch"' not in form and 'value="functioneel"' in form
        assert "Gedeeld als ‘Afspraken en doelen’" in form
        refused = c.post(url, {"domain": "klinisch", "description": "Minder klachten"})
        assert refused.status_code == 200
        assert "klinisch is geen beschikbare keuze" in refused.content.decode()
        assert not case_a.goals.exists()

    def test_the_note_form_names_clinical_notes_only_to_who_writes_them(
        self, client_for, behandelaar_a, klantmanager_g, case_a
    ):
        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        url = reverse("cases:note_create", args=[case_a.pk])
        clinical = "Klinische notities zijn"
        assert clinical not in client_for(klantmanager_g).get(url).content.decode()
        # Who reads them, from the one policy: the exploratory tester's behandelaar did not
        # know that the IPS trajectbegeleider reads them too.
        assert (
            escape(
                "Klinische notities zijn ‘Medische en behandelinformatie’: die lezen alleen "
                "teamleden in de rol Behandelaar of IPS-trajectbegeleider, nooit gemeente of UWV."
            )
            in client_for(behandelaar_a).get(url).content.decode()
        )

    def test_add_links_only_for_who_may_write_on_an_open_case(
        self, client_for, behandelaar_a, case_a
    ):
        c = client_for(behandelaar_a)
        detail = reverse("cases:detail", args=[case_a.pk])
        links = [
            reverse("cases:goal_create", args=[case_a.pk]),
            reverse("cases:agreement_create", args=[case_a.pk]),
        ]
        html = c.get(detail).content.decode()
        assert all(f'href="{link}"' in html for link in links)
        c.post(reverse("cases:close", args=[case_a.pk]))
        assert Case.objects.get(pk=case_a.pk).status == CaseStatus.GESLOTEN
        html = c.get(detail).content.decode()
        assert not any(f'href="{link}"' in html for link in links)

    @SAME_DAY
    def test_agreement_shows_as_next_action_in_worklist(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        today = timezone.localdate()
        due = datetime.date(today.year, 12, 4)
        if due < today:
            due = due.replace(year=today.year + 1)
        c.post(
            reverse("cases:agreement_create", args=[case_a.pk]),
            {"what": "CV opstellen", "owner": "Cliënt", "due_date": due.isoformat()},
        )
        # Dutch writes month abbreviations in lower case.
        assert "CV opstellen (4 dec)" in c.get("/").content.decode()
        # A closed case takes no more work: its row has no next afspraak.
        c.post(reverse("cases:close", args=[case_a.pk]))
        html = c.get("/", {"status": CaseStatus.GESLOTEN}).content.decode()
        assert "Eva Jansen" in html
        assert "CV opstellen" not in html

    @pytest.fixture
    def shared_agreement(self, behandelaar_a, behandelaar_a2, case_a):
        """An agreement two behandelaren of the team may mark as done: (agreement, url)."""
        consent.add_member(case_a, behandelaar_a2, CaseRole.BEHANDELAAR)
        agreement = Agreement.objects.create(
            case=case_a,
            organisation=behandelaar_a.organisation,
            created_by=behandelaar_a,
            what="Bellen",
            owner="Cliënt",
            due_date=timezone.localdate(),
        )
        return agreement, reverse("cases:agreement_done", args=[case_a.pk, agreement.pk])

    def test_concurrent_edit_is_refused_and_history_kept(
        self, client_for, behandelaar_a, behandelaar_a2, shared_agreement
    ):
        agreement, url = shared_agreement
        stale_version = agreement.version
        client_for(behandelaar_a).post(url, {"version": stale_version, "done": "on"})
        response = client_for(behandelaar_a2).post(
            url, {"version": stale_version, "done": ""}, follow=True
        )
        agreement.refresh_from_db()
        assert agreement.done is True  # the second, stale save did not overwrite
        assert agreement.version == stale_version + 1
        assert (
            "deze afspraak is intussen gewijzigd, in een ander venster of door een collega. "
            "Wat er nu staat: gedaan: ja." in response.content.decode()
        )
        change = ChangeRecord.objects.get()
        assert (change.field, change.changed_by) == ("done", behandelaar_a)
        # In words, as the AVG-inzage shows it to the client (it read 'False', 'True').
        assert (change.old_value, change.new_value) == ("nee", "ja")

    @pytest.mark.parametrize(
        "second,expected",
        [
            # Both marked it done (or one person clicked twice): nothing is lost.
            ("on", "Deze afspraak stond intussen al zo opgeslagen; er is niets anders gewijzigd."),
            ("", "Niet opgeslagen: deze afspraak is intussen gewijzigd, in een ander venster of"),
        ],
    )
    def test_a_stale_mark_as_done_says_what_happened(
        self, client_for, behandelaar_a, behandelaar_a2, shared_agreement, second, expected
    ):
        agreement, url = shared_agreement
        client_for(behandelaar_a).post(url, {"version": 1, "done": "on"})
        response = client_for(behandelaar_a2).post(url, {"version": 1, "done": second}, follow=True)
        html = response.content.decode()
        assert expected in html
        assert "()" not in html
        agreement.refresh_from_db()
        assert (agreement.done, agreement.version) == (True, 2)


class TestWorklist:
    def test_the_role_filter_offers_only_case_roles_of_the_users_role(
        self, client_for, behandelaar_a, klantmanager_g
    ):
        html = client_for(behandelaar_a).get("/").content.decode()
        assert 'name="role"' in html
        assert 'value="regiebehandelaar"' in html and 'value="behandelaar"' in html
        assert 'value="klantmanager"' not in html and 'value="trajectbegeleider"' not in html
        # One case role only: no filter to offer.
        assert 'name="role"' not in client_for(klantmanager_g).get("/").content.decode()

    def test_filters_and_search(self, client_for, behandelaar_a, case_a):
        other = make_cases(behandelaar_a, 1)[0]
        c = client_for(behandelaar_a)
        html = c.get("/", {"q": "jans"}).content.decode()
        assert "Eva Jansen" in html
        assert escape(other.client.full_name) not in html
        c.post(reverse("cases:close", args=[other.pk]))
        html = c.get("/", {"status": "gesloten"}).content.decode()
        assert escape(other.client.full_name) in html
        assert "Eva Jansen" not in html

    def test_search_ignores_accents_apostrophes_and_case(self, client_for, behandelaar_a):
        """An exploratory tester's 'zoe' and 'ONEILL' did not find Zoë O'Neill-de Wit."""
        case = make_case(behandelaar_a, first_name="Zoë", last_name="O’Neill-de Wit")
        other = make_case(behandelaar_a, first_name="Ali", last_name="Çelik")
        c = client_for(behandelaar_a)
        for query in ("zoe", "ONEILL", "o'neill", "Zoë o’neill", "de wit", "neill-de"):
            html = c.get("/", {"q": query}).content.decode()
            assert escape(case.client.full_name) in html, query
            assert escape(other.client.full_name) not in html, query
        for query in ("celik", "ÇELİK"):
            html = c.get("/", {"q": query}).content.decode()
            assert escape(other.client.full_name) in html, query
        assert escape(case.client.full_name) not in c.get("/", {"q": "zoa"}).content.decode()

    def test_the_search_name_follows_the_name(self, behandelaar_a):
        from portal.words import searchable

        case = make_case(behandelaar_a, first_name="Eva", last_name="Jansen")
        client = case.client
        client.last_name = "Bakker-Öztürk"
        client.save(update_fields=["last_name"])
        client.refresh_from_db()
        assert client.search_name == searchable("Eva Bakker-Öztürk") == "eva bakker-ozturk"

    def test_clients_registered_before_get_a_search_name(self, behandelaar_a):
        """The migration fills the search name of every client already there."""
        import importlib

        from django.apps import apps

        fill = importlib.import_module("cases.migrations.0009_client_search_name").fill
        case = make_case(behandelaar_a, first_name="Zoë", last_name="de Wit")
        Client.objects.filter(pk=case.client_id).update(search_name="")
        fill(apps, None)
        assert Client.objects.get(pk=case.client_id).search_name == "zoe de wit"

    def test_klantmanager_without_consent_sees_no_name(self, client_for, klantmanager_g, case_a):
        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        html = client_for(klantmanager_g).get("/").content.decode()
        assert "naam niet gedeeld" in html
        assert "Jansen" not in html

    def test_paginated(self, client_for, behandelaar_a):
        make_cases(behandelaar_a, 30)
        c = client_for(behandelaar_a)
        assert c.get("/").content.decode().count('href="/casussen/') == 25
        assert c.get("/", {"pagina": 2}).content.decode().count('href="/casussen/') == 5

    def test_klantmanager_never_learns_when_treatment_took_place(
        self, client_for, behandelaar_a, klantmanager_g
    ):
        """The werkvoorraad shows and sorts by the newest activity the user may read. A
        medical note on one case moves neither its "laatste activiteit" nor its place for
        the klantmanager; for the behandelaar it does."""
        from .builders import make_consent, withdraw

        quiet, busy = make_cases(behandelaar_a, 2)
        for case in (quiet, busy):
            consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
        shared = make_consent(
            quiet.client, behandelaar_a.organisation, klantmanager_g.organisation,
            "reintegratie", [Category.AFSPRAKEN],
        )  # fmt: skip
        day = datetime.timedelta(days=1)
        start = timezone.now() - 10 * day

        def note(case, category, when):
            entry = services.add_timeline(case, behandelaar_a, "notitie", category, "Notitie")
            TimelineEntry.objects.filter(pk=entry.pk).update(occurred_at=when)

        TimelineEntry.objects.filter(case__in=[quiet, busy]).update(occurred_at=start)
        Case.objects.filter(pk__in=[quiet.pk, busy.pk]).update(opened_at=start)
        note(quiet, Category.AFSPRAKEN, start + 2 * day)
        note(busy, Category.MEDISCH, start + 5 * day)

        def rows(user):
            html = client_for(user).get("/").content.decode()
            order = [c.pk for c in (quiet, busy)]
            return sorted(order, key=lambda pk: html.index(f'href="/casussen/{pk}/"')), html

        def shown(when):  # as the worklist shows it
            from django.utils.dateformat import format as date_format

            return date_format(timezone.localtime(when), "j b Y H:i")

        order, html = rows(klantmanager_g)
        assert order == [quiet.pk, busy.pk]
        assert html.count(shown(start + 2 * day)) == 1
        # The busy case has nothing the klantmanager may read: not even when GGZ opened it.
        assert shown(start) not in html
        assert shown(start + 5 * day) not in html

        order, html = rows(behandelaar_a)
        assert order == [busy.pk, quiet.pk]
        assert shown(start + 5 * day) in html

        # Withdrawn, the consent no longer shows when the afspraken were written either.
        withdraw(shared, behandelaar_a)
        order, html = rows(klantmanager_g)
        assert order == [busy.pk, quiet.pk]  # nothing to read on either: the newest id first
        assert shown(start + 2 * day) not in html
        assert shown(start) not in html
        # The behandelaar's own case: with nothing newer, when it was opened.
        TimelineEntry.objects.filter(case=quiet).delete()
        assert shown(start) in rows(behandelaar_a)[1]

    def test_every_kind_of_data_a_row_shows_is_logged(
        self, client_for, behandelaar_a, klantmanager_g
    ):
        """NEN 7513: the werkvoorraad logs, per case, each (holder, category) its row shows:
        the name, the next afspraak, the 'werk niet besproken' flag and the entry whose time
        is the 'laatste activiteit' - each on its own basis, and nothing a row hides."""
        from consent.constants import Action, Basis

        from .builders import make_consent, withdraw

        (case,) = make_cases(behandelaar_a, 1)
        consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
        shared = make_consent(
            case.client, behandelaar_a.organisation, klantmanager_g.organisation,
            "reintegratie", [Category.IDENTIFICATIE, Category.AFSPRAKEN],
        )  # fmt: skip
        Agreement.objects.create(
            case=case,
            organisation=behandelaar_a.organisation,
            what="Gesprek met werkgever",
            owner="Cliënt",
            due_date=timezone.localdate() + datetime.timedelta(days=7),
            created_by=behandelaar_a,
        )
        services.add_timeline(case, behandelaar_a, "notitie", Category.MEDISCH, "Slaapt slecht")
        ggz, gemeente = behandelaar_a.organisation_id, klantmanager_g.organisation_id

        def logged(user):
            response = client_for(user).get("/")
            rows = AccessLogEntry.objects.filter(request_id=response["X-Request-ID"])
            assert set(rows.values_list("object_type", "object_id", "action")) <= {
                ("werkvoorraad", str(case.pk), Action.READ)
            }
            return set(rows.values_list("organisation_id", "category", "basis"))

        assert logged(behandelaar_a) == {
            (ggz, Category.IDENTIFICATIE, Basis.EIGEN_ORGANISATIE),
            (ggz, Category.AFSPRAKEN, Basis.EIGEN_ORGANISATIE),  # next afspraak, work flag
            (ggz, Category.MEDISCH, Basis.EIGEN_ORGANISATIE),  # the newest entry's time
        }
        # The klantmanager's row, on the consent: the name and the afspraak; the medical note
        # moves nothing (the newest entry they may read is the opening, identificatie).
        assert logged(klantmanager_g) == {
            (gemeente, Category.IDENTIFICATIE, Basis.TOESTEMMING),
            (gemeente, Category.AFSPRAKEN, Basis.TOESTEMMING),
        }
        withdraw(shared, behandelaar_a)
        assert logged(klantmanager_g) == set()


def count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


class TestQueryCounts:
    """List and detail pages keep the same number of queries for few and many rows."""

    def test_worklist(self, client_for, behandelaar_a, klantmanager_g, django_assert_num_queries):
        few = make_cases(behandelaar_a, 2)
        for case in few:
            consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
        c = client_for(klantmanager_g)
        expected = count_queries(c, "/")
        for case in make_cases(behandelaar_a, 48, start=300):
            consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
        with django_assert_num_queries(expected):
            c.get("/")

    def test_case_page_and_timeline(
        self, client_for, behandelaar_a, case_a, django_assert_num_queries
    ):
        c = client_for(behandelaar_a)
        for i in range(2):
            services.add_timeline(
                case_a, behandelaar_a, "notitie", Category.MEDISCH, f"Notitie {i}"
            )
        detail = reverse("cases:detail", args=[case_a.pk])
        timeline = reverse("cases:timeline", args=[case_a.pk])
        expected_detail = count_queries(c, detail)
        expected_timeline = count_queries(c, timeline)
        for i in range(48):
            services.add_timeline(
                case_a, behandelaar_a, "notitie", Category.AFSPRAKEN, f"Extra {i}"
            )
            Agreement.objects.create(
                case=case_a,
                organisation=behandelaar_a.organisation,
                created_by=behandelaar_a,
                what=f"Afspraak {i}",
                owner="Cliënt",
                due_date=timezone.localdate(),
            )
        with django_assert_num_queries(expected_detail):
            c.get(detail)
        with django_assert_num_queries(expected_timeline):
            c.get(timeline)


AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")


def plan_data(when):
    return {
        "planned_at": when.strftime("%Y-%m-%dT%H:%M"),
        "location": "Stadskantoor",
        "participants": "cliënt, behandelaar, klantmanager",
    }


class TestDriegesprek:
    def test_klantmanager_plans_and_records_with_agreements(
        self, client_for, behandelaar_a, klantmanager_g, case_a
    ):
        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        c = client_for(klantmanager_g)
        in_two_months = timezone.localdate() + datetime.timedelta(days=60)
        c.post(
            reverse("cases:driegesprek_plan", args=[case_a.pk]),
            plan_data(datetime.datetime.combine(in_two_months, datetime.time(10, 0))),
        )
        meeting = case_a.meetings.get()
        url = reverse("cases:driegesprek_record", args=[case_a.pk, meeting.pk])
        with time_machine.travel(meeting.planned_at + datetime.timedelta(hours=1), tick=False):
            c.force_login(klantmanager_g, backend="portal.backends.UserBackend")
            due = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
            past = (timezone.localdate() - datetime.timedelta(days=7)).isoformat()
            response = c.post(
                url,
                {
                    "version": meeting.version,
                    "summary": "Goed gesprek",
                    "what_1": "Proefplaatsing",
                    "owner_1": "Klantmanager",
                    "due_1": past,
                },
            )
            assert "verleden" in response.content.decode()
            assert not Agreement.objects.exists()
            c.post(
                url,
                {
                    "version": meeting.version,
                    "summary": "Goed gesprek",
                    "what_1": "Proefplaatsing",
                    "owner_1": "Klantmanager",
                    "due_1": due,
                    "what_2": "CV sturen",
                    "owner_2": "Cliënt",
                    "due_2": due,
                },
            )
            meeting.refresh_from_db()
            assert meeting.status == "gehouden"
            agreements = set(case_a.agreements.values_list("what", "organisation"))
            assert agreements == {
                ("Proefplaatsing", klantmanager_g.organisation_id),
                ("CV sturen", klantmanager_g.organisation_id),
            }
            # Each afspraak from the verslag is logged as created, next to the verslag.
            logged = AccessLogEntry.objects.filter(
                user=klantmanager_g, action__in=["create", "update"]
            )
            assert set(logged.values_list("action", "object_type", "object_id")) >= {
                ("update", "driegesprek", str(meeting.pk)),
                *(
                    ("create", "afspraak", str(pk))
                    for pk in case_a.agreements.values_list("pk", flat=True)
                ),
            }
            # Recording again is refused; the report stays as it was.
            c.post(url, {"version": meeting.version, "summary": "Anders"})
            meeting.refresh_from_db()
            assert meeting.summary == "Goed gesprek"
            # The behandelaar sees the klantmanager's agreements only with consent; own org's
            # agreements are always visible to the klantmanager.
            detail = c.get(reverse("cases:detail", args=[case_a.pk]))
            assert "Proefplaatsing" in detail.content.decode()

    def test_the_behandelaar_sees_the_gemeentes_meeting_only_with_consent_and_is_told_so(
        self, client_for, behandelaar_a, klantmanager_g, case_a, gemeente_g, ggz_a
    ):
        """A meeting the klantmanager plans is the gemeente's afspraken. The plan form says
        who will see it; the case page says the same to the behandelaar, who sees it once
        the client lets the gemeente share its afspraken with GGZ A."""
        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        c = client_for(klantmanager_g)
        url = reverse("cases:driegesprek_plan", args=[case_a.pk])
        assert "De andere deelnemers zien het in Werkpad alleen als" in c.get(url).content.decode()
        when = timezone.localdate() + datetime.timedelta(days=9)
        c.post(url, plan_data(datetime.datetime.combine(when, datetime.time(10, 0))))
        assert case_a.meetings.get().organisation == gemeente_g
        detail = reverse("cases:detail", args=[case_a.pk])
        page = client_for(behandelaar_a).get(detail).content.decode()
        assert "Nog geen driegesprek dat u mag zien." in page
        assert "De andere deelnemers zien het in Werkpad alleen als" in page
        assert "Stadskantoor" not in page
        from .builders import make_consent

        make_consent(case_a.client, gemeente_g, ggz_a, Purpose.DRIEGESPREK, [Category.AFSPRAKEN])
        page = client_for(behandelaar_a).get(detail).content.decode()
        assert "Stadskantoor" in page

    def test_planning_refuses_a_time_that_has_passed(self, client_for, behandelaar_a, case_a):
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        now = datetime.datetime.combine(tomorrow, datetime.time(14, 0), tzinfo=AMSTERDAM)
        earlier_today, yesterday = now.replace(hour=9), now - datetime.timedelta(hours=23)
        with time_machine.travel(now, tick=False):
            c = client_for(behandelaar_a)
            url = reverse("cases:driegesprek_plan", args=[case_a.pk])
            for when in (earlier_today, yesterday):
                response = c.post(url, plan_data(when))
                assert response.status_code == 200
                html = response.content.decode()
                assert "Dit tijdstip ligt in het verleden" in html
                assert f'value="{when:%Y-%m-%dT%H:%M}"' in html
            assert not case_a.meetings.exists()
            # Later today, and the current minute itself, are fine.
            for when in (now.replace(hour=16), now):
                assert c.post(url, plan_data(when)).status_code == 302
        assert case_a.meetings.count() == 2

    def test_no_report_before_the_meeting_has_started(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        starts = timezone.now() + datetime.timedelta(days=3)
        c.post(
            reverse("cases:driegesprek_plan", args=[case_a.pk]),
            plan_data(timezone.localtime(starts)),
        )
        meeting = case_a.meetings.get()
        url = reverse("cases:driegesprek_record", args=[case_a.pk, meeting.pk])
        response = c.post(url, {"version": meeting.version, "summary": "Goed gesprek"})
        assert response.status_code == 200
        html = response.content.decode()
        assert html.count("Dit driegesprek begint pas op") == 1  # said once, as the error
        assert "Goed gesprek" in html  # what was typed is kept
        meeting.refresh_from_db()
        assert (meeting.status, meeting.summary) == ("gepland", "")
        assert not TimelineEntry.objects.filter(case=case_a, title="Driegesprek gehouden").exists()
        shown = c.get(url)
        assert "begint pas op" in shown.content.decode()
        # The page shows where and with whom: a logged read of the meeting.
        read = AccessLogEntry.objects.get(
            request_id=shown["X-Request-ID"], object_type="driegesprek"
        )
        assert (read.action, read.object_type, read.object_id, read.category, read.outcome) == (
            "read",
            "driegesprek",
            str(meeting.pk),
            "afspraken",
            "toegestaan",
        )
        detail = c.get(reverse("cases:detail", args=[case_a.pk])).content.decode()
        assert f'href="{url}"' not in detail
        with time_machine.travel(meeting.planned_at, tick=False):
            c.force_login(behandelaar_a, backend="portal.backends.UserBackend")
            detail = c.get(reverse("cases:detail", args=[case_a.pk])).content.decode()
            assert f'href="{url}"' in detail
            c.post(url, {"version": meeting.version, "summary": "Goed gesprek"})
        meeting.refresh_from_db()
        assert meeting.status == "gehouden"


def test_search_never_reveals_a_name_consented_for_another_purpose(
    client_for, behandelaar_a, klantmanager_g, case_a
):
    """A consent for identification with a purpose that does not fit the klantmanager's
    case role does not show the name, so searching for it must not find the row either."""
    from consent.constants import ConsentMethod, Purpose
    from consent.models import Consent

    consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
    record = Consent.objects.create(
        client=case_a.client,
        provider=behandelaar_a.organisation,
        recipient=klantmanager_g.organisation,
        purpose=Purpose.CASUSBESPREKING,
        valid_from=timezone.localdate(),
        valid_until=timezone.localdate() + datetime.timedelta(days=30),
        method=ConsentMethod.DIGITAAL,
        purpose_explained=True,
        recorded_by=behandelaar_a,
    )
    record.categories.set([Category.IDENTIFICATIE])
    c = client_for(klantmanager_g)
    assert "Geen casussen gevonden" in c.get("/", {"q": "Jansen"}).content.decode()
    fitting = Consent.objects.create(
        client=case_a.client,
        provider=behandelaar_a.organisation,
        recipient=klantmanager_g.organisation,
        purpose=Purpose.REINTEGRATIE,
        valid_from=timezone.localdate(),
        valid_until=timezone.localdate() + datetime.timedelta(days=30),
        method=ConsentMethod.DIGITAAL,
        purpose_explained=True,
        recorded_by=behandelaar_a,
    )
    fitting.categories.set([Category.IDENTIFICATIE])
    assert "Eva Jansen" in c.get("/", {"q": "Jansen"}).content.decode()


def test_goal_status_change_is_versioned_and_kept_as_history(
    client_for, behandelaar_a, behandelaar_a2, case_a
):
    from cases.models import Goal

    consent.add_member(case_a, behandelaar_a2, CaseRole.BEHANDELAAR)
    goal = Goal.objects.create(
        case=case_a,
        organisation=behandelaar_a.organisation,
        created_by=behandelaar_a,
        domain="maatschappelijk",
        description="Betaald werk",
    )
    url = reverse("cases:goal_status", args=[case_a.pk, goal.pk])
    client_for(behandelaar_a).post(url, {"version": 1, "status": "bereikt"})
    response = client_for(behandelaar_a2).post(
        url, {"version": 1, "status": "gestopt"}, follow=True
    )
    goal.refresh_from_db()
    assert (goal.status, goal.version) == ("bereikt", 2)
    assert "in een ander venster of door een collega" in response.content.decode()
    change = ChangeRecord.objects.get(object_type="goal")
    assert (change.field, change.old_value, change.new_value) == ("status", "Loopt", "Bereikt")


def test_a_changed_hidden_field_is_refused_with_a_message_not_silently(
    client_for, behandelaar_a, case_a
):
    from cases.models import Goal

    goal = Goal.objects.create(
        case=case_a,
        organisation=behandelaar_a.organisation,
        created_by=behandelaar_a,
        domain="maatschappelijk",
        description="Betaald werk",
    )
    agreement = Agreement.objects.create(
        case=case_a,
        organisation=behandelaar_a.organisation,
        created_by=behandelaar_a,
        what="Bellen",
        owner="Cliënt",
        due_date=timezone.localdate(),
    )
    c = client_for(behandelaar_a)
    for url, data in [
        (reverse("cases:goal_status", args=[case_a.pk, goal.pk]), {"status": "onzin"}),
        (reverse("cases:agreement_done", args=[case_a.pk, agreement.pk]), {"done": "on"}),
    ]:
        html = c.post(url, data, follow=True).content.decode()
        assert "Niet opgeslagen: vernieuw de pagina" in html
    goal.refresh_from_db()
    agreement.refresh_from_db()
    assert (goal.status, goal.version, agreement.done, agreement.version) == (
        "open",
        1,
        False,
        1,
    )


class TestSharedRecordsAreReadOnly:
    """A consent lets another organisation read goals, afspraken and driegesprekken, never
    change them: the status, 'gedaan' and the report stay with the organisation that holds
    the record. (A klantmanager could stop GGZ's goal and write GGZ's meeting report, logged
    as if on their own organisation's data.)"""

    @pytest.fixture
    def shared(self, behandelaar_a, klantmanager_g, ggz_a, gemeente_g, case_a):
        from cases.models import Driegesprek, Goal

        from .builders import make_consent

        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        make_consent(
            case_a.client,
            ggz_a,
            gemeente_g,
            Purpose.REINTEGRATIE,
            [Category.IDENTIFICATIE, Category.AFSPRAKEN],
        )
        held = {"case": case_a, "organisation": ggz_a, "created_by": behandelaar_a}
        goal = Goal.objects.create(**held, domain="maatschappelijk", description="Betaald werk")
        agreement = Agreement.objects.create(
            **held, what="Vacatures bekijken", owner="Cliënt", due_date=timezone.localdate()
        )
        meeting = Driegesprek.objects.create(
            **held,
            planned_at=timezone.now() - datetime.timedelta(hours=2),
            location="Polikliniek",
            participants="cliënt, behandelaar, klantmanager",
        )
        return goal, agreement, meeting

    def urls(self, case, goal, agreement, meeting):
        return [
            ("doel", reverse("cases:goal_status", args=[case.pk, goal.pk]), {"status": "gestopt"}),
            (
                "afspraak",
                reverse("cases:agreement_done", args=[case.pk, agreement.pk]),
                {"done": "on"},
            ),
            (
                "driegesprek",
                reverse("cases:driegesprek_record", args=[case.pk, meeting.pk]),
                {"summary": "Verslag van de gemeente"},
            ),
        ]

    def test_the_reader_sees_them_without_a_form(self, client_for, klantmanager_g, case_a, shared):
        goal, agreement, meeting = shared
        html = client_for(klantmanager_g).get(reverse("cases:detail", args=[case_a.pk]))
        html = html.content.decode()
        assert "Betaald werk" in html and "Vacatures bekijken" in html and "Polikliniek" in html
        for _, url, _ in self.urls(case_a, goal, agreement, meeting):
            assert url not in html
        assert "(Loopt)" in html  # the goal's status, as text

    def test_changing_them_is_refused_and_logged_as_denied(
        self, client_for, klantmanager_g, case_a, shared
    ):
        goal, agreement, meeting = shared
        c = client_for(klantmanager_g)
        for object_type, url, data in self.urls(case_a, goal, agreement, meeting):
            assert c.post(url, {"version": 1, **data}).status_code == 404
            denied = AccessLogEntry.objects.get(object_type=object_type, outcome="geweigerd")
            assert (denied.user, denied.action, denied.category) == (
                klantmanager_g,
                "update",
                "afspraken",
            )
        for record in shared:
            record.refresh_from_db()
        assert (goal.status, goal.version) == ("open", 1)
        assert (agreement.done, agreement.version) == (False, 1)
        assert (meeting.status, meeting.summary, meeting.version) == ("gepland", "", 1)
        assert not AccessLogEntry.objects.filter(action="update").exclude(outcome="geweigerd")

    def test_the_holder_still_changes_them(self, client_for, behandelaar_a, case_a, shared):
        goal, agreement, meeting = shared
        c = client_for(behandelaar_a)
        html = c.get(reverse("cases:detail", args=[case_a.pk])).content.decode()
        for _, url, _ in self.urls(case_a, goal, agreement, meeting):
            assert url in html
        for _, url, data in self.urls(case_a, goal, agreement, meeting):
            assert c.post(url, {"version": 1, **data}).status_code == 302
        for record in shared:
            record.refresh_from_db()
        assert (goal.status, agreement.done, meeting.status) == ("gestopt", True, "gehouden")

    def test_the_klantmanager_changes_the_gemeentes_own_goal(
        self, client_for, klantmanager_g, gemeente_g, case_a, shared
    ):
        from cases.models import Goal

        own = Goal.objects.create(
            case=case_a,
            organisation=gemeente_g,
            created_by=klantmanager_g,
            domain="maatschappelijk",
            description="Sollicitatietraining",
        )
        c = client_for(klantmanager_g)
        url = reverse("cases:goal_status", args=[case_a.pk, own.pk])
        assert url in c.get(reverse("cases:detail", args=[case_a.pk])).content.decode()
        assert c.post(url, {"version": 1, "status": "bereikt"}).status_code == 302
        own.refresh_from_db()
        assert own.status == "bereikt"
