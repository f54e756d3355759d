"""IPS trajectories (issue 7): referral hooks, the phase machine, profile, employer contacts,
placements and follow-along, bad input, and who may see what."""

import datetime
import re
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from cases import services as cases
from cases.constants import CaseRole
from cases.demo import demo_bsn
from cases.models import Case, ChangeRecord, Invitation, TimelineEntry
from consent import services as consent
from consent.constants import Category, ConsentMethod, Purpose
from consent.models import AccessLogEntry, Consent, DataCategory
from ips import services
from ips.constants import (
    ContactType,
    ContractType,
    Disclosure,
    Phase,
)
from ips.models import (
    Beroepsprofiel,
    EmployerContact,
    FollowAlongContact,
    PhaseChange,
    Placement,
    Trajectory,
)
from portal.constants import Role
from tests.builders import noon
from tests.factories import UserFactory

# The clock stands still from before the fixtures run (timezone.localtime is called then,
# not when the tests are collected): the dates a fixture stores, the dates a test computes
# and those the server computes fall on one day, also when a run crosses midnight.
pytestmark = pytest.mark.time_machine(timezone.localtime, tick=False)

TODAY = timezone.localdate


def days_ago(n):
    return TODAY() - datetime.timedelta(days=n)


def new_case(owner, index=0, first="Eva", last="Jansen"):
    client = cases.register_client(
        owner,
        first_name=first,
        last_name=last,
        date_of_birth=datetime.date(1990, 5, 17),
        bsn=demo_bsn(500 + index),
    )
    return cases.open_case(owner, client)


def refer_to_ips(behandelaar, case, organisation):
    """A referral to the IPS team; cases.services.refer starts the trajectory."""
    access = consent.case_access(behandelaar, case)
    return cases.refer(access, organisation, CaseRole.TRAJECTBEGELEIDER, "Wil werken")


def accept(referral, coach):
    cases.respond(referral, coach, accept=True)
    return Trajectory.objects.get(referral=referral)


def start_trajectory(behandelaar, coach, case, referred_days_ago=0):
    referral = refer_to_ips(behandelaar, case, coach.organisation)
    trajectory = accept(referral, coach)
    if referred_days_ago:
        referred_on = days_ago(referred_days_ago)
        Trajectory.objects.filter(pk=trajectory.pk).update(referred_at=noon(referred_on))
        PhaseChange.objects.filter(trajectory=trajectory).update(changed_on=referred_on)
        trajectory.refresh_from_db()
    return trajectory


def to_search(trajectory, coach, day=None):
    services.change_phase(trajectory, coach, Phase.INTAKE, day)
    services.change_phase(trajectory, coach, Phase.ZOEKEN, day, wants_paid_work=True)
    return trajectory


def give_ips_consent(case, provider, recipient, recorded_by):
    record = Consent.objects.create(
        client=case.client,
        provider=provider,
        recipient=recipient,
        purpose=Purpose.REINTEGRATIE,
        valid_from=TODAY(),
        valid_until=TODAY() + datetime.timedelta(days=90),
        method=ConsentMethod.SCHRIFTELIJK,
        purpose_explained=True,
        recorded_by=recorded_by,
    )
    record.categories.set([Category.IPS])
    return record


@pytest.fixture
def case_a(behandelaar_a):
    return new_case(behandelaar_a)


@pytest.fixture
def trajectory(behandelaar_a, jobcoach_a, case_a):
    return start_trajectory(behandelaar_a, jobcoach_a, case_a, referred_days_ago=10)


def post_phase(c, trajectory, to_phase, *, follow=False, **fields):
    """Post the phase form of ``trajectory`` (today, at its current version unless given)."""
    data = {"version": trajectory.version, "to_phase": to_phase, "changed_on": TODAY().isoformat()}
    return c.post(
        reverse("ips:phase_change", args=[trajectory.case_id, trajectory.pk]),
        {**data, **fields},
        follow=follow,
    )


def end_job(c, placement, end_date, reason):
    """Post the end of ``placement`` (at its current version); ``end_date`` None: left
    empty."""
    trajectory = placement.trajectory
    url = reverse("ips:placement_end", args=[trajectory.case_id, trajectory.pk, placement.pk])
    data = {
        "version": placement.version,
        "end_date": end_date.isoformat() if end_date else "",
        "end_reason": reason,
    }
    return c.post(url, data)


def follow_along_lines(html):
    """The follow-along lines of the trajectory page, as text."""
    section = html.split('id="nazorg"', 1)[1].split("</ul>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", section, re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", item).split()) for item in items]


def periods(html):
    """The 'Periode' cells of the jobs table of the trajectory page, as text."""
    section = html.split('id="banen"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>\s*<td>.*?</td>\s*<td>(.*?)</td>", section, re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", row).split()) for row in rows]


def placement_data(**overrides):
    data = {
        "employer": "Bakkerij De Korenschoof",
        "job_title": "Bakkersassistent",
        "start_date": TODAY().isoformat(),
        "hours_per_week": "20",
        "hourly_wage": "15.00",
        "contract_type": ContractType.BEPAALD,
        "competitive_override": "unknown",
        "override_reason": "",
    }
    data.update(overrides)
    return data


# --- Referral hooks --------------------------------------------------------------------------


class TestReferralHooks:
    def test_referral_starts_a_trajectory_without_coach(self, behandelaar_a, ggz_a, case_a):
        referral = refer_to_ips(behandelaar_a, case_a, ggz_a)
        trajectory = Trajectory.objects.get(referral=referral)
        assert trajectory.phase == Phase.AANGEMELD
        assert trajectory.coach is None
        assert trajectory.organisation == ggz_a
        assert trajectory.client == case_a.client
        assert (timezone.now() - trajectory.referred_at).total_seconds() < 60
        assert list(trajectory.phases.values_list("to_phase", flat=True)) == [Phase.AANGEMELD]

    def test_accepting_assigns_the_coach(self, behandelaar_a, jobcoach_a, ggz_a, case_a):
        referral = refer_to_ips(behandelaar_a, case_a, ggz_a)
        trajectory = accept(referral, jobcoach_a)
        assert trajectory.coach == jobcoach_a
        assert trajectory.phase == Phase.AANGEMELD

    def test_second_open_trajectory_is_refused_and_referral_not_created(
        self, behandelaar_a, ggz_a, case_a, trajectory
    ):
        before = Invitation.objects.count()
        with pytest.raises(ValidationError) as refused:
            cases.refer(
                consent.case_access(behandelaar_a, case_a),
                ggz_a,
                CaseRole.TRAJECTBEGELEIDER,
                "Nog eens",
            )
        assert "al een lopend IPS-traject" in " ".join(refused.value.messages)
        assert Invitation.objects.count() == before
        assert Trajectory.objects.count() == 1

    def test_after_closing_a_new_referral_starts_a_new_trajectory(
        self, behandelaar_a, jobcoach_a, ggz_a, case_a, trajectory
    ):
        services.change_phase(
            trajectory, jobcoach_a, Phase.AFGESLOTEN, close_reason="eigen_verzoek"
        )
        refer_to_ips(behandelaar_a, case_a, ggz_a)
        assert Trajectory.objects.open().count() == 1
        assert Trajectory.objects.count() == 2

    def test_the_database_holds_one_open_trajectory_per_client(self, case_a, ggz_a, trajectory):
        from django.db import IntegrityError

        with pytest.raises(IntegrityError), transaction.atomic():
            Trajectory.objects.create(case=case_a, client=case_a.client, organisation=ggz_a)

    def test_declined_referral_closes_the_trajectory(
        self, behandelaar_a, jobcoach_a, ggz_a, case_a
    ):
        referral = refer_to_ips(behandelaar_a, case_a, ggz_a)
        cases.respond(referral, jobcoach_a, accept=False, reason="Geen plek")
        trajectory = Trajectory.objects.get(referral=referral)
        assert trajectory.phase == Phase.AFGESLOTEN
        assert trajectory.close_reason == "anders"


# --- Phase machine ---------------------------------------------------------------------------


class TestPhaseMachine:
    def test_the_whole_road(self, jobcoach_a, trajectory):
        services.change_phase(trajectory, jobcoach_a, Phase.INTAKE)
        services.change_phase(trajectory, jobcoach_a, Phase.BEROEPSPROFIEL, wants_paid_work=True)
        services.change_phase(trajectory, jobcoach_a, Phase.ZOEKEN)
        services.record_placement(
            trajectory,
            Placement(
                employer="Hotel",
                job_title="Receptie",
                start_date=TODAY(),
                hours_per_week=Decimal("16"),
                hourly_wage=Decimal("15"),
                contract_type=ContractType.BEPAALD,
            ),
            jobcoach_a,
        )
        trajectory.refresh_from_db()
        assert trajectory.phase == Phase.GEPLAATST
        services.change_phase(trajectory, jobcoach_a, Phase.NAZORG)
        services.change_phase(
            trajectory, jobcoach_a, Phase.AFGESLOTEN, close_reason="duurzaam_werk"
        )
        trajectory.refresh_from_db()
        assert trajectory.phase == Phase.AFGESLOTEN
        assert trajectory.closed_on == TODAY()
        assert list(trajectory.phases.values_list("to_phase", flat=True)) == [
            Phase.AANGEMELD,
            Phase.INTAKE,
            Phase.BEROEPSPROFIEL,
            Phase.ZOEKEN,
            Phase.GEPLAATST,
            Phase.NAZORG,
            Phase.AFGESLOTEN,
        ]
        titles = list(
            TimelineEntry.objects.filter(case=trajectory.case, category=Category.IPS)
            .order_by("pk")
            .values_list("title", flat=True)
        )
        assert any("IPS-fase: Intake" in t for t in titles)
        assert any("Aan het werk: Receptie bij Hotel" in t for t in titles)
        assert any("Duurzaam aan het werk" in t for t in titles)

    def test_intake_may_go_straight_to_job_search(self, jobcoach_a, trajectory):
        to_search(trajectory, jobcoach_a)
        assert trajectory.phase == Phase.ZOEKEN

    def test_job_lost_goes_back_to_search(self, jobcoach_a, trajectory):
        to_search(trajectory, jobcoach_a)
        services.record_placement(
            trajectory,
            Placement(
                employer="X",
                job_title="Y",
                start_date=TODAY(),
                hours_per_week=8,
                hourly_wage=15,
                contract_type=ContractType.OPROEP,
            ),
            jobcoach_a,
        )
        services.change_phase(trajectory, jobcoach_a, Phase.ZOEKEN)
        assert trajectory.phase == Phase.ZOEKEN

    @pytest.mark.parametrize(
        "steps,target,kwargs,message",
        [
            ([], Phase.ZOEKEN, {}, "eerst naar de intake"),
            ([], Phase.BEROEPSPROFIEL, {}, "eerst naar de intake"),
            ([], Phase.NAZORG, {}, "eerst naar de intake"),
            ([Phase.INTAKE], Phase.ZOEKEN, {}, "intakevraag"),
            (
                [Phase.INTAKE],
                Phase.ZOEKEN,
                {"wants_paid_work": False},
                "De cliënt wil nu geen betaald werk: dan gaat het traject niet verder naar "
                "‘Zoeken naar werk’.",
            ),
            ([Phase.INTAKE], Phase.NAZORG, {"wants_paid_work": True}, "kan het traject niet"),
            ([Phase.INTAKE], Phase.AFGESLOTEN, {}, "reden"),
            ([Phase.INTAKE], Phase.INTAKE, {}, "al in deze fase"),
        ],
    )
    def test_refused_moves(self, jobcoach_a, trajectory, steps, target, kwargs, message):
        for step in steps:
            services.change_phase(trajectory, jobcoach_a, step)
        before = PhaseChange.objects.count()
        with pytest.raises(ValidationError) as refused:
            services.change_phase(trajectory, jobcoach_a, target, **kwargs)
        assert message in " ".join(refused.value.messages)
        assert PhaseChange.objects.count() == before
        trajectory.refresh_from_db()
        assert trajectory.phase == (steps[-1] if steps else Phase.AANGEMELD)

    def test_not_wanting_paid_work_can_only_close(self, jobcoach_a, trajectory):
        services.change_phase(trajectory, jobcoach_a, Phase.INTAKE)
        with pytest.raises(ValidationError):
            services.change_phase(
                trajectory, jobcoach_a, Phase.BEROEPSPROFIEL, wants_paid_work=False
            )
        services.change_phase(
            trajectory, jobcoach_a, Phase.AFGESLOTEN, close_reason="eigen_verzoek"
        )
        assert trajectory.phase == Phase.AFGESLOTEN

    def test_at_work_needs_a_job(self, jobcoach_a, trajectory):
        to_search(trajectory, jobcoach_a)
        with pytest.raises(ValidationError) as refused:
            services.change_phase(trajectory, jobcoach_a, Phase.GEPLAATST)
        assert "Leg eerst de baan vast" in refused.value.messages[0]

    def test_closed_stays_closed(self, jobcoach_a, trajectory):
        services.change_phase(trajectory, jobcoach_a, Phase.AFGESLOTEN, close_reason="verhuisd")
        with pytest.raises(ValidationError) as refused:
            services.change_phase(trajectory, jobcoach_a, Phase.INTAKE)
        assert "afgesloten" in refused.value.messages[0]

    def test_dates_not_in_future_nor_before_previous(self, jobcoach_a, trajectory):
        tomorrow = TODAY() + datetime.timedelta(days=1)
        with pytest.raises(ValidationError, match="toekomst"):
            services.change_phase(trajectory, jobcoach_a, Phase.INTAKE, tomorrow)
        with pytest.raises(ValidationError, match="vóór de vorige"):
            services.change_phase(trajectory, jobcoach_a, Phase.INTAKE, days_ago(30))
        services.change_phase(trajectory, jobcoach_a, Phase.INTAKE, days_ago(5))
        with pytest.raises(ValidationError, match="vóór de vorige"):
            services.change_phase(
                trajectory, jobcoach_a, Phase.ZOEKEN, days_ago(6), wants_paid_work=True
            )

    def test_stale_phase_form_is_refused(self, client_for, jobcoach_a, trajectory):
        url = reverse("ips:phase_change", args=[trajectory.case_id, trajectory.pk])
        stale = trajectory.version
        c = client_for(jobcoach_a)
        c.post(url, {"version": stale, "to_phase": "intake", "changed_on": TODAY().isoformat()})
        response = c.post(
            url,
            {
                "version": stale,
                "to_phase": "afgesloten",
                "changed_on": TODAY().isoformat(),
                "close_reason": "verhuisd",
            },
            follow=True,
        )
        html = response.content.decode()
        # The same user, in another tab: not "someone else" (a tester had).
        assert "iemand anders" not in html
        assert "het traject is intussen gewijzigd, in een ander venster of door een collega" in (
            html
        )
        assert "De fase is nu ‘Intake’; die heeft u zelf vastgelegd op " in html
        trajectory.refresh_from_db()
        assert trajectory.phase == Phase.INTAKE

    def test_a_colleagues_phase_change_is_told_with_their_name(
        self, client_for, ggz_a, jobcoach_a, trajectory
    ):
        colleague = UserFactory(organisation=ggz_a, role=Role.TRAJECTBEGELEIDER)
        stale = trajectory.version
        services.change_phase(Trajectory.objects.get(pk=trajectory.pk), colleague, Phase.INTAKE)
        recorded_at = PhaseChange.objects.get(to_phase=Phase.INTAKE).recorded_at
        when = date_format(timezone.localtime(recorded_at), "j F Y \\o\\m H:i")
        response = post_phase(client_for(jobcoach_a), trajectory, "intake", version=stale)
        errors = " ".join(response.context["phase_form"].non_field_errors())
        assert errors == (
            "Niet opgeslagen: het traject is intussen gewijzigd, in een ander venster of door "
            f"een collega. De fase is nu ‘Intake’, vastgelegd door {colleague.get_full_name()} "
            f"op {when}. Kijk opnieuw en sla zo nodig nogmaals op."
        )

    def test_view_refuses_skipping_intake_in_dutch(self, client_for, jobcoach_a, trajectory):
        response = post_phase(client_for(jobcoach_a), trajectory, "zoeken", follow=True)
        assert "eerst naar de intake" in response.content.decode()
        trajectory.refresh_from_db()
        assert trajectory.phase == Phase.AANGEMELD
        assert trajectory.phases.count() == 1
        assert not TimelineEntry.objects.filter(title__startswith="IPS-fase").exists()

    @pytest.mark.parametrize(
        "data,field,message",
        [
            ({"changed_on": ""}, "changed_on", "Dit veld is verplicht."),
            (
                # Dates are computed when the test runs, not when it is collected: a run
                # that crosses midnight must not compare yesterday's date with today's.
                {"changed_on": lambda: days_ago(20).isoformat()},
                "changed_on",
                lambda: f"De datum ligt vóór de vorige faseovergang ({days_ago(10):%d-%m-%Y}).",
            ),
            ({"to_phase": "zoeken"}, "to_phase", "Een aangemeld traject gaat eerst naar de"),
        ],
    )
    def test_refused_phase_change_keeps_the_input_and_shows_the_error_at_the_field(
        self, client_for, jobcoach_a, trajectory, data, field, message
    ):
        data = {"to_phase": "intake", "note": "Kennismaking bij de cliënt thuis", **data}
        data = {name: value() if callable(value) else value for name, value in data.items()}
        message = message() if callable(message) else message
        response = post_phase(client_for(jobcoach_a), trajectory, **data)
        assert response.status_code == 200
        form = response.context["phase_form"]
        assert form.errors[field][0].startswith(message)
        html = response.content.decode()
        assert "Kennismaking bij de cliënt thuis</textarea>" in html
        assert "<details open>" in html
        trajectory.refresh_from_db()
        assert trajectory.phase == Phase.AANGEMELD

    def test_closing_without_reason_is_refused_at_the_reason(
        self, client_for, jobcoach_a, trajectory
    ):
        services.change_phase(trajectory, jobcoach_a, Phase.INTAKE)
        response = post_phase(
            client_for(jobcoach_a), trajectory, "afgesloten", close_note="Verhuist naar Groningen"
        )
        form = response.context["phase_form"]
        assert form.errors["close_reason"] == ["Kies een reden om het traject af te sluiten."]
        assert form["to_phase"].value() == "afgesloten"
        assert "Verhuist naar Groningen</textarea>" in response.content.decode()

    @pytest.mark.parametrize("note", ["", "   \r\n  "])
    def test_closing_for_another_reason_needs_a_note(
        self, client_for, jobcoach_a, trajectory, note
    ):
        services.change_phase(trajectory, jobcoach_a, Phase.INTAKE)
        c = client_for(jobcoach_a)
        response = post_phase(c, trajectory, "afgesloten", close_reason="anders", close_note=note)
        assert response.context["phase_form"].errors["close_note"] == [
            "Licht bij ‘Anders’ toe waarom het traject wordt afgesloten."
        ]
        trajectory.refresh_from_db()
        assert trajectory.phase == Phase.INTAKE
        post_phase(c, trajectory, "afgesloten", close_reason="anders", close_note="Gaat studeren")
        trajectory.refresh_from_db()
        assert trajectory.phase == Phase.AFGESLOTEN
        # The note is shown with the reason (it was stored and never shown).
        page = c.get(reverse("ips:trajectory", args=[trajectory.case_id])).content.decode()
        assert "Anders: Gaat studeren" in page

    @pytest.mark.django_db(transaction=True)
    def test_a_lost_race_with_a_close_is_still_told(
        self, client_for, jobcoach_a, trajectory, monkeypatch
    ):
        """The other change closed the trajectory: no phase form to show the error in, so the
        page says it at the top."""
        real_change = services.change_phase
        real_change(trajectory, jobcoach_a, Phase.INTAKE)

        def colleague_closes():
            try:
                other = Trajectory.objects.get(pk=trajectory.pk)
                real_change(other, jobcoach_a, Phase.AFGESLOTEN, close_reason="verhuisd")
            finally:
                connection.close()

        def closed_meanwhile(current, *args, **kwargs):
            # A colleague closes the trajectory between the page's checks and this save, in a
            # transaction (and on a connection) of their own.
            colleague = threading.Thread(target=colleague_closes)
            colleague.start()
            colleague.join(30)
            return real_change(current, *args, **kwargs)

        monkeypatch.setattr(services, "change_phase", closed_meanwhile)
        response = post_phase(client_for(jobcoach_a), trajectory, "zoeken")
        assert "het traject is intussen gewijzigd" in response.content.decode()
        assert "De fase is nu ‘Afgesloten’" in response.content.decode()

    def test_after_a_conflict_the_kept_input_can_be_saved_deliberately(
        self, client_for, jobcoach_a, trajectory
    ):
        url = reverse("ips:phase_change", args=[trajectory.case_id, trajectory.pk])
        stale = trajectory.version
        c = client_for(jobcoach_a)
        services.change_phase(trajectory, jobcoach_a, Phase.INTAKE)
        data = {
            "version": stale,
            "to_phase": "afgesloten",
            "changed_on": TODAY().isoformat(),
            "close_reason": "verhuisd",
            "note": "Verhuisd",
        }
        response = c.post(url, data)
        form = response.context["phase_form"]
        assert "het traject is intussen gewijzigd" in " ".join(form.non_field_errors())
        assert form["note"].value() == "Verhuisd"
        assert form["version"].value() == str(trajectory.version)
        c.post(url, {**data, "version": form["version"].value()})
        trajectory.refresh_from_db()
        assert trajectory.phase == Phase.AFGESLOTEN

    def test_view_moves_phase_and_logs(self, client_for, jobcoach_a, trajectory):
        post_phase(client_for(jobcoach_a), trajectory, "intake")
        trajectory.refresh_from_db()
        assert trajectory.phase == Phase.INTAKE
        assert AccessLogEntry.objects.filter(
            user=jobcoach_a, object_type="ips-fase", action="create", outcome="toegestaan"
        ).exists()


# --- Profile, contacts, placements, follow-along -----------------------------------------------


class TestRecording:
    def test_profile_with_disclosure_shown_prominently(self, client_for, jobcoach_a, trajectory):
        c = client_for(jobcoach_a)
        url = reverse("ips:profile_edit", args=[trajectory.case_id, trajectory.pk])
        c.post(
            url,
            {
                "disclosure": Disclosure.VERZWIJGEN,
                "disclosure_note": "Niets over de diagnose vertellen",
                "preferred_sectors": "Groen",
                "preferred_hours": 20,
            },
        )
        profile = Beroepsprofiel.objects.get()
        assert profile.organisation == jobcoach_a.organisation
        for page in [
            reverse("ips:trajectory", args=[trajectory.case_id]),
            reverse("ips:contact_create", args=[trajectory.case_id, trajectory.pk]),
            reverse("cases:detail", args=[trajectory.case_id]),
        ]:
            html = c.get(page).content.decode()
            assert "Openheid naar de werkgever" in html
            assert "Verzwijgen" in html
            assert "Niets over de diagnose vertellen" in html

    def test_profile_edit_lost_race_is_refused(self, client_for, jobcoach_a, trajectory):
        c = client_for(jobcoach_a)
        url = reverse("ips:profile_edit", args=[trajectory.case_id, trajectory.pk])
        c.post(url, {"disclosure": Disclosure.NOG_NIET, "preferred_sectors": "Zorg"})
        stale = Beroepsprofiel.objects.get().version
        c.post(
            url,
            {"version": stale, "disclosure": Disclosure.VERTELLEN, "preferred_sectors": "Groen"},
        )
        response = c.post(
            url,
            {"version": stale, "disclosure": Disclosure.VERZWIJGEN, "preferred_sectors": "Bouw"},
        )
        # The same user, in another tab: said so, not "iemand anders".
        assert "u heeft het beroepsprofiel intussen zelf gewijzigd" in response.content.decode()
        profile = Beroepsprofiel.objects.get()
        assert (profile.preferred_sectors, profile.disclosure) == ("Groen", Disclosure.VERTELLEN)

    def test_a_profile_made_meanwhile_in_another_tab_is_not_overwritten(
        self, client_for, jobcoach_a, trajectory
    ):
        """Both tabs opened the empty form (no version); the second save is a conflict."""
        c = client_for(jobcoach_a)
        url = reverse("ips:profile_edit", args=[trajectory.case_id, trajectory.pk])
        c.post(url, {"disclosure": Disclosure.NOG_NIET, "preferred_sectors": "Zorg"})
        response = c.post(url, {"disclosure": Disclosure.VERTELLEN, "preferred_sectors": "Bouw"})
        assert response.status_code == 200
        assert "u heeft het beroepsprofiel intussen zelf gewijzigd" in response.content.decode()
        profile = Beroepsprofiel.objects.get()
        assert (profile.preferred_sectors, profile.version) == ("Zorg", 1)

    def test_two_profiles_made_at_the_same_moment_give_a_conflict_not_an_error(
        self, jobcoach_a, trajectory
    ):
        from ips.forms import ProfileForm

        data = {"disclosure": Disclosure.NOG_NIET, "preferred_sectors": "Zorg"}
        first, second = ProfileForm(data), ProfileForm(data)
        assert first.is_valid() and second.is_valid()
        services.save_profile(trajectory, first.instance, first, jobcoach_a)
        with pytest.raises(services.ConflictError):
            services.save_profile(trajectory, second.instance, second, jobcoach_a)
        assert Beroepsprofiel.objects.count() == 1

    def test_profile_conflict_says_who_when_in_local_time_and_may_be_saved_again(
        self, client_for, jobcoach_a, ggz_a, trajectory
    ):
        from django.utils.formats import date_format

        url = reverse("ips:profile_edit", args=[trajectory.case_id, trajectory.pk])
        c = client_for(jobcoach_a)
        c.post(url, {"disclosure": Disclosure.NOG_NIET, "preferred_sectors": "Zorg"})
        stale = Beroepsprofiel.objects.get().version
        colleague = UserFactory(
            organisation=ggz_a, role=Role.TRAJECTBEGELEIDER, first_name="Ank", last_name="Smit"
        )
        consent.add_member(trajectory.case, colleague, CaseRole.TRAJECTBEGELEIDER)
        client_for(colleague).post(
            url,
            {"version": stale, "disclosure": Disclosure.NOG_NIET, "preferred_sectors": "Groen"},
        )
        saved = Beroepsprofiel.objects.get()
        assert (saved.preferred_sectors, saved.updated_by) == ("Groen", colleague)
        mine = {"version": stale, "disclosure": Disclosure.NOG_NIET, "preferred_sectors": "Bouw"}
        c = client_for(jobcoach_a)  # client_for signs the one test client in as someone else
        response = c.post(url, mine)
        [message] = response.context["form"].non_field_errors()
        when = date_format(timezone.localtime(saved.updated_at), "j F Y \\o\\m H:i")
        assert "iemand anders (Ank Smit)" in message
        assert f"op {when}." in message
        assert "Nu anders dan wat u invulde: Gewenste sector en functie." in message
        assert "UTC" not in message and "+00:00" not in message
        assert "bijgewerkt" not in message.lower()
        assert "Bouw" in response.content.decode()
        again = response.context["form"]["version"].value()
        assert again == str(saved.version)
        c.post(url, {**mine, "version": again})
        assert Beroepsprofiel.objects.get().preferred_sectors == "Bouw"

    def test_profile_hours_over_60(self, client_for, jobcoach_a, trajectory):
        response = client_for(jobcoach_a).post(
            reverse("ips:profile_edit", args=[trajectory.case_id, trajectory.pk]),
            {"disclosure": Disclosure.NOG_NIET, "preferred_hours": 61},
        )
        assert "hoogstens 60 uur" in response.content.decode()
        assert not Beroepsprofiel.objects.exists()

    # One hours field (ips.forms.HoursField) for the job's hours and the profile's wish: the
    # same input accepted, the same messages, each with its own minimum. A tester found the
    # profile refusing 16,50 and taking 1e1 as 10, and the job in other words.
    HOURS_MINIMUM = {
        "job": "Vul minstens 0,5 uur per week in.",
        "profile": "Vul meer dan 0 uur per week in, of laat het veld leeg.",
    }

    def post_hours(self, c, trajectory, form, typed):
        """Post ``typed`` as the hours of a new job or of the profile; returns (response,
        the model, the field)."""
        args = [trajectory.case_id, trajectory.pk]
        if form == "job":
            url, data = reverse("ips:placement_create", args=args), placement_data()
            model, field = Placement, "hours_per_week"
        else:
            url, data = reverse("ips:profile_edit", args=args), {"disclosure": "nog_niet"}
            model, field = Beroepsprofiel, "preferred_hours"
        return c.post(url, {**data, field: typed}), model, field

    @pytest.mark.parametrize("form", ["job", "profile"])
    @pytest.mark.parametrize(
        "typed,message",
        [
            ("0", None),  # the form's own minimum
            ("-2", None),
            ("-0", None),
            ("61", "Vul hoogstens 60 uur per week in."),
            ("60,5", "Vul hoogstens 60 uur per week in."),
            ("16,25", "Vul de uren in op hoogstens één decimaal, bijvoorbeeld 16,5."),
            ("zestien", "Vul het aantal uren per week in als getal, bijvoorbeeld 16 of 16,5."),
            # An exponent is a typing error, not 10 hours.
            ("1e1", "Vul het aantal uren per week in als getal, bijvoorbeeld 16 of 16,5."),
            ("2E1", "Vul het aantal uren per week in als getal, bijvoorbeeld 16 of 16,5."),
            ("NaN", "Vul het aantal uren per week in als getal, bijvoorbeeld 16 of 16,5."),
            ("١٦", "Vul het aantal uren per week in als getal, bijvoorbeeld 16 of 16,5."),
            ("16 uur", "Vul het aantal uren per week in als getal, bijvoorbeeld 16 of 16,5."),
        ],
    )
    def test_hours_refused_in_the_same_words(
        self, client_for, jobcoach_a, trajectory, form, typed, message
    ):
        to_search(trajectory, jobcoach_a)
        response, model, field = self.post_hours(client_for(jobcoach_a), trajectory, form, typed)
        assert response.context["form"].errors[field] == [message or self.HOURS_MINIMUM[form]]
        assert not model.objects.exists()

    @pytest.mark.parametrize("form", ["job", "profile"])
    @pytest.mark.parametrize(
        "typed,stored,shown",
        [
            ("16,5", "16.5", "16,5"),
            ("16,50", "16.5", "16,5"),  # the same value as 16,5
            ("16.50", "16.5", "16,5"),
            ("16,0", "16", "16"),
            (" 20 ", "20", "20"),
            ("60,00", "60", "60"),
            ("0,5", "0.5", "0,5"),
        ],
    )
    def test_hours_with_trailing_zeros_are_the_same_hours(
        self, client_for, jobcoach_a, trajectory, form, typed, stored, shown
    ):
        to_search(trajectory, jobcoach_a)
        c = client_for(jobcoach_a)
        response, model, field = self.post_hours(c, trajectory, form, typed)
        assert response.status_code == 302, response.context["form"].errors
        assert getattr(model.objects.get(), field) == Decimal(stored)
        html = c.get(reverse("ips:trajectory", args=[trajectory.case_id])).content.decode()
        cell = f"<td>{shown}</td>" if form == "job" else f"<dd>{shown}</dd>"
        assert cell in html

    def test_a_wish_below_half_an_hour_is_still_more_than_nothing(
        self, client_for, jobcoach_a, trajectory
    ):
        """Each form its own minimum: a job of 0,3 hours is refused, a wish of 0,3 is not."""
        to_search(trajectory, jobcoach_a)
        c = client_for(jobcoach_a)
        job, _model, _field = self.post_hours(c, trajectory, "job", "0,3")
        assert job.context["form"].errors["hours_per_week"] == [self.HOURS_MINIMUM["job"]]
        profile, _model, _field = self.post_hours(c, trajectory, "profile", "0,3")
        assert profile.status_code == 302
        assert Beroepsprofiel.objects.get().preferred_hours == Decimal("0.3")

    def test_profile_hours_with_a_decimal_comma(self, client_for, jobcoach_a, trajectory):
        """Hours as agreed in practice: 16,5 as well as 16, typed with a comma."""
        c = client_for(jobcoach_a)
        url = reverse("ips:profile_edit", args=[trajectory.case_id, trajectory.pk])
        c.post(url, {"disclosure": Disclosure.NOG_NIET, "preferred_hours": "16,5"})
        assert Beroepsprofiel.objects.get().preferred_hours == Decimal("16.5")
        page = reverse("ips:trajectory", args=[trajectory.case_id])
        assert "<dd>16,5</dd>" in c.get(page).content.decode()
        profile = Beroepsprofiel.objects.get()
        c.post(
            url,
            {
                "disclosure": Disclosure.NOG_NIET,
                "preferred_hours": "16",
                "version": profile.version,
            },
        )
        assert Beroepsprofiel.objects.get().preferred_hours == Decimal("16")
        assert "<dd>16</dd>" in c.get(page).content.decode()
        # Edited again: the form shows what was typed, 16, not 16,0.
        assert 'value="16"' in c.get(url).content.decode()
        version = Beroepsprofiel.objects.get().version
        c.post(
            url, {"disclosure": Disclosure.NOG_NIET, "preferred_hours": "20,5", "version": version}
        )
        # The history of changes, too, the Dutch way (it had 16.5), as the page shows them.
        history = ChangeRecord.objects.filter(field="preferred_hours").order_by("pk")
        assert list(history.values_list("old_value", "new_value")) == [
            ("16,5", "16"),
            ("16", "20,5"),
        ]

    @pytest.mark.django_db(transaction=True)
    def test_stored_profile_hours_convert(self, behandelaar_a, jobcoach_a):
        """Migrations 0006-0007: a whole number stays what it was; a 0 (accepted until then, and
        shown as nothing) becomes empty, as it was shown."""
        from django.db.migrations.executor import MigrationExecutor

        profiles = []
        for index, last in enumerate(["Jansen", "Bakker"]):
            case = new_case(behandelaar_a, index=index, last=last)
            profiles.append(
                Beroepsprofiel.objects.create(
                    trajectory=start_trajectory(behandelaar_a, jobcoach_a, case),
                    organisation=jobcoach_a.organisation,
                    updated_by=jobcoach_a,
                    preferred_hours=20,
                )
            )
        executor = MigrationExecutor(connection)
        executor.migrate([("ips", "0005_trajectory_waiting_index")])
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE ips_beroepsprofiel SET preferred_hours = 0 WHERE id = %s",
                    [profiles[1].pk],
                )
        finally:
            executor = MigrationExecutor(connection)
            executor.migrate(executor.loader.graph.leaf_nodes())
        hours = [Beroepsprofiel.objects.get(pk=p.pk).preferred_hours for p in profiles]
        assert hours == [Decimal("20.0"), None]

    def test_database_refuses_no_hours(self, jobcoach_a, trajectory):
        from django.db import IntegrityError

        with pytest.raises(IntegrityError), transaction.atomic():
            Beroepsprofiel.objects.create(
                trajectory=trajectory,
                organisation=jobcoach_a.organisation,
                updated_by=jobcoach_a,
                preferred_hours=0,
            )

    def test_employer_contact_for_client(self, client_for, jobcoach_a, trajectory):
        client_for(jobcoach_a).post(
            reverse("ips:contact_create", args=[trajectory.case_id, trajectory.pk]),
            {
                "contacted_on": TODAY().isoformat(),
                "employer": "Tuincentrum Groen",
                "type": ContactType.EERSTE_CONTACT,
                "face_to_face": "on",
                "outcome": "Kennismaking",
            },
        )
        contact = EmployerContact.objects.get()
        assert (contact.trajectory, contact.coach, contact.organisation) == (
            trajectory,
            jobcoach_a,
            jobcoach_a.organisation,
        )

    def test_employer_contact_outcome_has_a_limit(self, client_for, jobcoach_a, trajectory):
        """A tester saved 200 000 characters, shown in full on two pages."""
        response = client_for(jobcoach_a).post(
            reverse("ips:contact_create", args=[trajectory.case_id, trajectory.pk]),
            {
                "contacted_on": TODAY().isoformat(),
                "employer": "Tuincentrum Groen",
                "type": ContactType.EERSTE_CONTACT,
                "outcome": "x" * 2001,
            },
        )
        assert response.status_code == 200
        assert response.context["form"].errors["outcome"] == [
            "Zorg dat deze waarde niet meer dan 2000 tekens bevat (het zijn er nu 2001)."
        ]
        assert not EmployerContact.objects.exists()

    def test_employer_contact_in_future_is_refused(self, client_for, jobcoach_a, trajectory):
        response = client_for(jobcoach_a).post(
            reverse("ips:contact_create", args=[trajectory.case_id, trajectory.pk]),
            {
                "contacted_on": (TODAY() + datetime.timedelta(days=2)).isoformat(),
                "employer": "X",
                "type": ContactType.VERVOLG,
            },
        )
        assert "toekomst" in response.content.decode()
        assert not EmployerContact.objects.exists()

    def test_employer_contact_before_the_referral_is_refused_next_to_the_date(
        self, client_for, jobcoach_a, trajectory
    ):
        response = client_for(jobcoach_a).post(
            reverse("ips:contact_create", args=[trajectory.case_id, trajectory.pk]),
            {"contacted_on": days_ago(11).isoformat(), "employer": "X", "type": "vervolg"},
        )
        referred = days_ago(10).strftime("%d-%m-%Y")
        assert response.context["form"].errors["contacted_on"] == [
            f"Het contact ligt vóór de aanmelding voor IPS ({referred})."
        ]
        assert not EmployerContact.objects.exists()

    def test_employer_contact_on_the_referral_day_is_fine(self, client_for, jobcoach_a, trajectory):
        client_for(jobcoach_a).post(
            reverse("ips:contact_create", args=[trajectory.case_id, trajectory.pk]),
            {"contacted_on": days_ago(10).isoformat(), "employer": "X", "type": "vervolg"},
        )
        assert EmployerContact.objects.get().contacted_on == days_ago(10)

    def test_general_contact_may_be_older_than_any_referral(self, client_for, jobcoach_a):
        client_for(jobcoach_a).post(
            reverse("ips:contacts"),
            {"contacted_on": days_ago(60).isoformat(), "employer": "X", "type": "vervolg"},
        )
        assert EmployerContact.objects.get().trajectory is None

    def test_contact_dated_before_the_referral_never_gives_negative_days(
        self, client_for, behandelaar_a, jobcoach_a, trajectory
    ):
        """Rows from before the forms refused it: counted as on the referral day."""
        EmployerContact.objects.create(
            organisation=jobcoach_a.organisation,
            coach=jobcoach_a,
            trajectory=trajectory,
            contacted_on=days_ago(14),
            employer="Vroeg",
            type=ContactType.EERSTE_CONTACT,
        )
        c = client_for(jobcoach_a)
        for url in [
            reverse("ips:trajectory", args=[trajectory.case_id]),
            reverse("ips:caseload"),
            reverse("cases:detail", args=[trajectory.case_id]),
        ]:
            html = c.get(url).content.decode()
            assert "0 dagen van aanmelding tot eerste persoonlijke werkgeverscontact" in html

    def test_general_contact_is_not_client_data(self, client_for, jobcoach_a):
        c = client_for(jobcoach_a)
        c.post(
            reverse("ips:contacts"),
            {
                "contacted_on": TODAY().isoformat(),
                "employer": "Drukkerij Rivier",
                "type": ContactType.EERSTE_CONTACT,
                "face_to_face": "on",
            },
        )
        contact = EmployerContact.objects.get()
        assert contact.trajectory is None
        assert contact.organisation == jobcoach_a.organisation
        html = c.get(reverse("ips:contacts")).content.decode()
        assert "Drukkerij Rivier" in html
        assert "Deze week: 1 persoonlijke werkgeverscontacten" in html

    def test_placement_moves_to_work(self, client_for, jobcoach_a, trajectory):
        to_search(trajectory, jobcoach_a)
        c = client_for(jobcoach_a)
        c.post(
            reverse("ips:placement_create", args=[trajectory.case_id, trajectory.pk]),
            placement_data(),
        )
        placement = Placement.objects.get()
        assert placement.is_competitive
        trajectory.refresh_from_db()
        assert trajectory.phase == Phase.GEPLAATST

    def test_a_job_that_starts_later_leaves_the_phase_until_its_start(
        self, client_for, jobcoach_a, trajectory
    ):
        """The dashboard counts a job from its start date, and a phase change is never
        dated ahead: the phase waits, and is offered by hand from the start date."""
        to_search(trajectory, jobcoach_a, days_ago(5))
        c = client_for(jobcoach_a)
        starts = TODAY() + datetime.timedelta(days=14)
        response = c.post(
            reverse("ips:placement_create", args=[trajectory.case_id, trajectory.pk]),
            placement_data(start_date=starts.isoformat()),
            follow=True,
        )
        assert f"Hij begint op {starts:%d-%m-%Y}" in response.content.decode()
        trajectory.refresh_from_db()
        assert trajectory.phase == Phase.ZOEKEN
        assert not trajectory.phases.filter(to_phase=Phase.GEPLAATST).exists()
        assert TimelineEntry.objects.filter(title__startswith="Baan gevonden").exists()
        assert not TimelineEntry.objects.filter(title__startswith="Aan het werk").exists()
        panel = c.get(reverse("cases:detail", args=[trajectory.case_id])).content.decode()
        assert "Gaat werken bij" in panel and "Werkt bij" not in panel
        page = reverse("ips:trajectory", args=[trajectory.case_id])
        assert 'value="geplaatst"' not in c.get(page).content.decode()
        url = reverse("ips:phase_change", args=[trajectory.case_id, trajectory.pk])
        data = {"version": trajectory.version, "to_phase": "geplaatst"}
        refused = c.post(url, {**data, "changed_on": TODAY().isoformat()})
        assert refused.context["phase_form"].errors["to_phase"] == [
            f"De baan begint pas op {starts:%d-%m-%Y}; vanaf dan staat de cliënt aan het werk."
        ]
        # The start date has come.
        Placement.objects.update(start_date=TODAY())
        assert 'value="geplaatst"' in c.get(page).content.decode()
        c.post(url, {**data, "changed_on": TODAY().isoformat()})
        trajectory.refresh_from_db()
        assert trajectory.phase == Phase.GEPLAATST
        assert trajectory.phases.get(to_phase=Phase.GEPLAATST).changed_on == TODAY()

    def test_a_job_that_started_earlier_is_dated_on_its_start(
        self, client_for, jobcoach_a, trajectory
    ):
        to_search(trajectory, jobcoach_a, days_ago(5))
        client_for(jobcoach_a).post(
            reverse("ips:placement_create", args=[trajectory.case_id, trajectory.pk]),
            placement_data(start_date=days_ago(2).isoformat()),
        )
        trajectory.refresh_from_db()
        assert trajectory.phase == Phase.GEPLAATST
        assert trajectory.phases.get(to_phase=Phase.GEPLAATST).changed_on == days_ago(2)

    def test_placement_before_search_is_refused(self, client_for, jobcoach_a, trajectory):
        response = client_for(jobcoach_a).post(
            reverse("ips:placement_create", args=[trajectory.case_id, trajectory.pk]),
            placement_data(),
        )
        assert "Zoeken naar werk" in response.content.decode()
        assert not Placement.objects.exists()

    def test_hours_and_wage_typed_the_dutch_way(self, client_for, jobcoach_a, trajectory):
        to_search(trajectory, jobcoach_a)
        c = client_for(jobcoach_a)
        response = c.post(
            reverse("ips:placement_create", args=[trajectory.case_id, trajectory.pk]),
            placement_data(hours_per_week="24,5", hourly_wage="14,50"),
        )
        assert response.status_code == 302
        placement = Placement.objects.get()
        assert (placement.hours_per_week, placement.hourly_wage) == (
            Decimal("24.5"),
            Decimal("14.50"),
        )
        html = c.get(reverse("ips:trajectory", args=[trajectory.case_id])).content.decode()
        assert "<td>24,5</td>" in html and "€ 14,50" in html

    @pytest.mark.parametrize(
        "overrides,message",
        [
            ({"hours_per_week": "61"}, "Vul hoogstens 60 uur per week in."),
            ({"hours_per_week": "0"}, "Vul minstens 0,5 uur per week in."),
            # Positive, but under the minimum: not "Vul een positief aantal uren in".
            ({"hours_per_week": "0,3"}, "Vul minstens 0,5 uur per week in."),
            ({"hourly_wage": "-1"}, "niet negatief"),
            ({"competitive_override": "true"}, "reden voor de correctie"),
            ({"start_date": days_ago(400).isoformat()}, "vóór de aanmelding"),
        ],
    )
    def test_placement_bad_input(self, client_for, jobcoach_a, trajectory, overrides, message):
        to_search(trajectory, jobcoach_a)
        response = client_for(jobcoach_a).post(
            reverse("ips:placement_create", args=[trajectory.case_id, trajectory.pk]),
            placement_data(**overrides),
        )
        assert message in response.content.decode()
        assert not Placement.objects.exists()
        trajectory.refresh_from_db()
        assert trajectory.phase == Phase.ZOEKEN

    @pytest.fixture
    def started_job(self, client_for, jobcoach_a, trajectory):
        """A job recorded through the page, started three days ago: (client, placement)."""
        to_search(trajectory, jobcoach_a, days_ago(5))
        c = client_for(jobcoach_a)
        c.post(
            reverse("ips:placement_create", args=[trajectory.case_id, trajectory.pk]),
            placement_data(start_date=days_ago(3).isoformat()),
        )
        return c, Placement.objects.get()

    def test_placement_end_before_start_is_refused(self, started_job):
        c, placement = started_job
        response = end_job(c, placement, days_ago(4), "anders")
        assert "vóór de begindatum" in response.content.decode()
        placement.refresh_from_db()
        assert placement.end_date is None
        end_job(c, placement, TODAY(), "zelf_gestopt")
        placement.refresh_from_db()
        assert placement.end_date == TODAY()
        assert placement.end_reason == "zelf_gestopt"

    def test_a_stale_end_says_what_is_known(self, started_job):
        """Ended meanwhile in another window (or by a colleague): which, is not known."""
        c, placement = started_job
        stale = Placement.objects.get(pk=placement.pk)
        end_job(c, placement, TODAY() + datetime.timedelta(days=30), "anders")
        response = end_job(c, stale, TODAY(), "zelf_gestopt")
        [message] = response.context["form"].non_field_errors()
        assert message.startswith(
            "Niet opgeslagen: deze baan is intussen gewijzigd, in een ander venster of door een "
            "collega. Wat er nu staat: "
        )
        placement.refresh_from_db()
        assert placement.end_reason == "anders"

    def test_ending_a_job_not_on_this_trajectory_is_logged_as_denied(self, trajectory, started_job):
        c, placement = started_job
        other = placement.pk + 1000
        url = reverse("ips:placement_end", args=[trajectory.case_id, trajectory.pk, other])
        assert c.post(url, {"end_date": TODAY().isoformat()}).status_code == 404
        denied = AccessLogEntry.objects.get(object_type="plaatsing", outcome="geweigerd")
        assert (denied.object_id, denied.action, denied.case_id) == (
            str(other),
            "update",
            trajectory.case_id,
        )

    def test_a_job_with_its_end_ahead_is_current_until_then(self, trajectory, started_job):
        """As on the dashboard: the job counts to its end date, and that end may still be
        changed (the contract is extended, or ends sooner); once past, it may not."""
        c, placement = started_job
        url = reverse("ips:placement_end", args=[trajectory.case_id, trajectory.pk, placement.pk])
        ahead = TODAY() + datetime.timedelta(days=30)
        end_job(c, placement, ahead, "anders")
        placement.refresh_from_db()
        assert placement.end_date == ahead
        panel = c.get(reverse("cases:detail", args=[trajectory.case_id])).content.decode()
        assert "Werkt bij" in panel and "Bakkersassistent" in panel
        page = c.get(reverse("ips:trajectory", args=[trajectory.case_id])).content.decode()
        assert "Einde wijzigen" in page
        assert c.get(url).status_code == 200
        end_job(c, placement, TODAY(), "zelf_gestopt")
        placement.refresh_from_db()
        assert (placement.end_date, placement.end_reason) == (TODAY(), "zelf_gestopt")
        Placement.objects.filter(pk=placement.pk).update(end_date=days_ago(1))
        panel = c.get(reverse("cases:detail", args=[trajectory.case_id])).content.decode()
        assert "Werkt bij" not in panel
        page = c.get(reverse("ips:trajectory", args=[trajectory.case_id])).content.decode()
        assert "Einde wijzigen" not in page and "Einde vastleggen" not in page
        assert "al beëindigd" in c.get(url, follow=True).content.decode()

    def test_database_refuses_end_before_start(self, jobcoach_a, trajectory):
        from django.db import IntegrityError

        with pytest.raises(IntegrityError), transaction.atomic():
            Placement.objects.create(
                trajectory=trajectory,
                organisation=jobcoach_a.organisation,
                recorded_by=jobcoach_a,
                employer="X",
                job_title="Y",
                start_date=TODAY(),
                end_date=days_ago(1),
                end_reason="anders",
                hours_per_week=10,
                hourly_wage=15,
                contract_type=ContractType.BEPAALD,
            )

    def test_follow_along(self, client_for, jobcoach_a, trajectory):
        to_search(trajectory, jobcoach_a)
        c = client_for(jobcoach_a)
        c.post(
            reverse("ips:placement_create", args=[trajectory.case_id, trajectory.pk]),
            placement_data(),
        )
        placement = Placement.objects.get()
        c.post(
            reverse("ips:follow_along_create", args=[trajectory.case_id, trajectory.pk]),
            {
                "contacted_on": TODAY().isoformat(),
                "with_whom": "werkgever",
                "placement": placement.pk,
                "note": "Gaat goed",
            },
        )
        assert FollowAlongContact.objects.get().placement == placement
        html = c.get(reverse("ips:trajectory", args=[trajectory.case_id])).content.decode()
        # Who logged it, as the phase history says, and no comma after the date (a tester had).
        assert follow_along_lines(html) == [
            f"{date_format(TODAY(), 'j b Y')}: Werkgever, over de baan Bakkersassistent "
            f"({jobcoach_a.get_full_name()}) — Gaat goed"
        ]

    def test_follow_along_before_the_referral_or_the_job_is_refused(
        self, client_for, jobcoach_a, trajectory
    ):
        to_search(trajectory, jobcoach_a, days_ago(8))
        c = client_for(jobcoach_a)
        c.post(
            reverse("ips:placement_create", args=[trajectory.case_id, trajectory.pk]),
            placement_data(start_date=days_ago(3).isoformat()),
        )
        placement = Placement.objects.get()
        url = reverse("ips:follow_along_create", args=[trajectory.case_id, trajectory.pk])
        data = {"with_whom": "client", "placement": placement.pk, "note": "Eerste week"}
        before_job = c.post(url, {**data, "contacted_on": days_ago(5).isoformat()})
        assert before_job.context["form"].errors["contacted_on"] == [
            f"Het contact ligt vóór het begin van de baan ({days_ago(3):%d-%m-%Y})."
        ]
        before_referral = c.post(
            url, {**data, "placement": "", "contacted_on": days_ago(11).isoformat()}
        )
        assert before_referral.context["form"].errors["contacted_on"] == [
            f"Het contact ligt vóór de aanmelding voor IPS ({days_ago(10):%d-%m-%Y})."
        ]
        assert not FollowAlongContact.objects.exists()
        c.post(url, {**data, "contacted_on": days_ago(3).isoformat()})
        assert FollowAlongContact.objects.get().contacted_on == days_ago(3)

    def test_follow_along_note_says_who_reads_it_and_has_a_limit(
        self, client_for, jobcoach_a, trajectory
    ):
        """A klantmanager with the client's IPS consent reads these notes: the form says
        so, the IPS category on the consent form names them, and a note has a limit."""
        to_search(trajectory, jobcoach_a, days_ago(8))
        c = client_for(jobcoach_a)
        url = reverse("ips:follow_along_create", args=[trajectory.case_id, trajectory.pk])
        html = c.get(url).content.decode()
        assert "Gedeeld als ‘IPS-traject en voortgang’" in html
        assert 'maxlength="2000"' in html
        data = {"contacted_on": TODAY().isoformat(), "with_whom": "client"}
        response = c.post(url, {**data, "note": "x" * 2001})
        assert response.context["form"].errors["note"] == [
            "Zorg dat deze waarde niet meer dan 2000 tekens bevat (het zijn er nu 2001)."
        ]
        assert not FollowAlongContact.objects.exists()
        profile = c.get(reverse("ips:profile_edit", args=[trajectory.case_id, trajectory.pk]))
        assert "Gedeeld als ‘IPS-traject en voortgang’" in profile.content.decode()
        assert DataCategory.objects.get(code="ips").description.endswith(
            "en de begeleiding op het werk met wat daarin besproken is."
        )

    def test_closed_trajectory_is_read_only(self, client_for, jobcoach_a, trajectory):
        """Every write on a closed trajectory is refused with the same message, also ending
        a job that was still running (its link is hidden, its address was not closed)."""
        to_search(trajectory, jobcoach_a, days_ago(8))
        c = client_for(jobcoach_a)
        args = [trajectory.case_id, trajectory.pk]
        c.post(
            reverse("ips:placement_create", args=args),
            placement_data(start_date=days_ago(5).isoformat()),
        )
        placement = Placement.objects.get()
        services.change_phase(trajectory, jobcoach_a, Phase.AFGESLOTEN, close_reason="verhuisd")
        writes = [
            ("ips:profile_edit", args, {"disclosure": Disclosure.VERTELLEN}),
            (
                "ips:contact_create",
                args,
                {"contacted_on": TODAY().isoformat(), "employer": "X", "type": "vervolg"},
            ),
            ("ips:placement_create", args, placement_data()),
            (
                "ips:placement_end",
                [*args, placement.pk],
                {"version": placement.version, "end_date": TODAY().isoformat()},
            ),
            (
                "ips:follow_along_create",
                args,
                {"contacted_on": TODAY().isoformat(), "with_whom": "client", "note": "x"},
            ),
        ]
        for name, url_args, data in writes:
            for method in (c.get, c.post):
                response = method(reverse(name, args=url_args), data, follow=True)
                assert "Dit traject is afgesloten en wijzigt niet meer." in (
                    response.content.decode()
                ), (name, method)
        assert not EmployerContact.objects.exists()
        assert not FollowAlongContact.objects.exists()
        assert not Beroepsprofiel.objects.exists()
        placement.refresh_from_db()
        assert Placement.objects.count() == 1
        assert placement.end_date is None

    def test_a_job_that_has_not_started_says_when_it_begins(
        self, client_for, jobcoach_a, trajectory
    ):
        """Not '12 jan 2027 – loopt' for a job that starts then (a tester had)."""
        to_search(trajectory, jobcoach_a, days_ago(5))
        c = client_for(jobcoach_a)
        starts = TODAY() + datetime.timedelta(days=14)
        c.post(
            reverse("ips:placement_create", args=[trajectory.case_id, trajectory.pk]),
            placement_data(start_date=starts.isoformat()),
        )
        page = reverse("ips:trajectory", args=[trajectory.case_id])
        assert periods(c.get(page).content.decode()) == [
            f"begint op {date_format(starts, 'j b Y')}"
        ]
        placement = Placement.objects.get()
        end_job(c, placement, starts + datetime.timedelta(days=30), "contract_afgelopen")
        ends = starts + datetime.timedelta(days=30)
        assert periods(c.get(page).content.decode()) == [
            f"begint op {date_format(starts, 'j b Y')}, eindigt op {date_format(ends, 'j b Y')} "
            "(Contract afgelopen)"
        ]
        # The start date has come: the period as for any running job.
        Placement.objects.update(start_date=TODAY(), end_date=None, end_reason="")
        assert periods(c.get(page).content.decode()) == [f"{date_format(TODAY(), 'j b Y')} – loopt"]

    def test_closing_waits_for_the_end_of_a_job_that_starts_after_it(
        self, client_for, jobcoach_a, trajectory
    ):
        """A closed trajectory is read-only: a job that runs at the close keeps running in
        the record, and cannot be ended afterwards. A job that starts only after the close
        date never ran within the trajectory and would read 'loopt' for good (a tester had):
        the close is refused, with what to do, until that job's end is recorded."""
        to_search(trajectory, jobcoach_a, days_ago(8))
        c = client_for(jobcoach_a)
        starts = TODAY() + datetime.timedelta(days=7)
        c.post(
            reverse("ips:placement_create", args=[trajectory.case_id, trajectory.pk]),
            placement_data(start_date=starts.isoformat()),
        )
        placement = Placement.objects.get()
        trajectory.refresh_from_db()
        response = post_phase(c, trajectory, "afgesloten", close_reason="eigen_verzoek")
        # Only what can be done now: not 'close per its start date or later', which the
        # form refuses as a date in the future (a tester had).
        assert response.context["phase_form"].errors["to_phase"] == [
            f"De baan Bakkersassistent bij Bakkerij De Korenschoof begint op "
            f"{starts:%d-%m-%Y}, na de datum van afsluiten; na het afsluiten kan die baan niet "
            "meer worden beëindigd. Gaat de baan niet door? Leg dat dan eerst vast bij de baan "
            "(‘Einde vastleggen’, reden ‘Niet doorgegaan’). Gaat hij wel door, dan kan het "
            f"traject vanaf {starts:%d-%m-%Y} worden afgesloten."
        ]
        trajectory.refresh_from_db()
        assert trajectory.phase == Phase.ZOEKEN
        # The job does not go ahead: that is recorded, and then the trajectory closes.
        end_job(c, placement, None, "niet_doorgegaan")
        post_phase(c, trajectory, "afgesloten", close_reason="eigen_verzoek")
        trajectory.refresh_from_db()
        assert trajectory.phase == Phase.AFGESLOTEN

    def test_a_close_dated_before_a_jobs_start_is_refused(self, client_for, jobcoach_a, trajectory):
        """The same for a job recorded ahead of its start that has started since, with the
        phase not yet moved: a close dated back to before its start is refused. Per its start
        date or later the job runs at the close, and is kept as it is."""
        to_search(trajectory, jobcoach_a, days_ago(8))
        c = client_for(jobcoach_a)
        c.post(
            reverse("ips:placement_create", args=[trajectory.case_id, trajectory.pk]),
            placement_data(start_date=(TODAY() + datetime.timedelta(days=1)).isoformat()),
        )
        Placement.objects.update(start_date=days_ago(3))  # the start date has passed
        trajectory.refresh_from_db()
        with pytest.raises(ValidationError) as refused:
            services.change_phase(
                trajectory, jobcoach_a, Phase.AFGESLOTEN, days_ago(5), close_reason="verhuisd"
            )
        # A date that can be chosen: its start has passed. 'Niet doorgegaan' is not offered
        # for a job that has started.
        assert refused.value.messages == [
            f"De baan Bakkersassistent bij Bakkerij De Korenschoof begint op "
            f"{days_ago(3):%d-%m-%Y}, na de datum van afsluiten; na het afsluiten kan die baan "
            "niet meer worden beëindigd. Leg eerst het einde van die baan vast, of sluit het "
            f"traject af per {days_ago(3):%d-%m-%Y} of later."
        ]
        services.change_phase(
            trajectory, jobcoach_a, Phase.AFGESLOTEN, days_ago(3), close_reason="verhuisd"
        )
        assert trajectory.phase == Phase.AFGESLOTEN
        assert Placement.objects.get().end_date is None

    # --- A job that does not go ahead ---------------------------------------------------

    @pytest.fixture
    def job_to_come(self, client_for, jobcoach_a, trajectory):
        """A job recorded through the page that starts in two weeks: (client, placement)."""
        to_search(trajectory, jobcoach_a, days_ago(8))
        c = client_for(jobcoach_a)
        c.post(
            reverse("ips:placement_create", args=[trajectory.case_id, trajectory.pk]),
            placement_data(start_date=(TODAY() + datetime.timedelta(days=14)).isoformat()),
        )
        return c, Placement.objects.get()

    def test_a_job_that_does_not_go_ahead(self, job_to_come, trajectory):
        """Recorded as such: not as a one-day job on its start date, the only way through
        a tester found. It ends on the day that is recorded, reads 'niet doorgegaan', and
        can no longer be ended; the trajectory can then be closed."""
        c, placement = job_to_come
        starts = placement.start_date
        args = [trajectory.case_id, trajectory.pk]
        url = reverse("ips:placement_end", args=[*args, placement.pk])
        form = c.get(url).content.decode()
        assert '<option value="niet_doorgegaan">Niet doorgegaan</option>' in form
        assert "Gaat de baan niet door? Kies dan de reden ‘Niet doorgegaan’" in form
        response = end_job(c, placement, None, "niet_doorgegaan")
        assert response.status_code == 302
        placement.refresh_from_db()
        assert (placement.end_date, placement.end_reason) == (TODAY(), "niet_doorgegaan")
        assert not placement.went_ahead
        assert TimelineEntry.objects.filter(
            title="Baan gaat niet door: Bakkersassistent bij Bakkerij De Korenschoof (zou "
            f"beginnen op {starts:%d-%m-%Y})"
        ).exists()
        page = reverse("ips:trajectory", args=[trajectory.case_id])
        html = c.get(page).content.decode()
        called_off = f"niet doorgegaan (zou beginnen op {date_format(starts, 'j b Y')})"
        assert periods(html) == [called_off]
        assert "Einde wijzigen" not in html and "Einde vastleggen" not in html
        assert "Deze baan is niet doorgegaan." in c.get(url, follow=True).content.decode()
        # No job to come on the case page, nothing to follow along on.
        panel = c.get(reverse("cases:detail", args=[trajectory.case_id])).content.decode()
        assert "Gaat werken bij" not in panel
        follow = c.get(reverse("ips:follow_along_create", args=args)).content.decode()
        assert f'<option value="{placement.pk}"' not in follow
        # Nor is it the job that puts the client at work.
        trajectory.refresh_from_db()
        with pytest.raises(ValidationError, match="Leg eerst de baan vast"):
            services.check_transition(trajectory, Phase.GEPLAATST, TODAY())
        # Closing no longer waits for it; closed, it still reads as it was.
        post_phase(c, trajectory, "afgesloten", close_reason="eigen_verzoek")
        trajectory.refresh_from_db()
        assert trajectory.phase == Phase.AFGESLOTEN
        assert periods(c.get(page).content.decode()) == [called_off]

    def test_a_job_to_come_ends_with_a_date_or_does_not_go_ahead(self, job_to_come):
        """The date is asked for every reason but 'Niet doorgegaan', where it is the day
        that is recorded: a date typed with it is refused, not silently replaced."""
        c, placement = job_to_come
        response = end_job(c, placement, None, "contract_afgelopen")
        assert response.context["form"].errors == {"end_date": ["Vul de einddatum in."]}
        later = placement.start_date + datetime.timedelta(days=5)
        response = end_job(c, placement, later, "niet_doorgegaan")
        assert response.context["form"].errors == {
            "end_date": [
                "Laat de einddatum leeg bij ‘Niet doorgegaan’: de baan begint niet, dus er is "
                "geen laatste werkdag."
            ]
        }
        placement.refresh_from_db()
        assert (placement.end_date, placement.end_reason) == (None, "")
        # A job whose end was recorded ahead may still not go ahead: the stored end date,
        # shown in the form, need not be emptied first.
        end_job(c, placement, later, "contract_afgelopen")
        placement.refresh_from_db()
        end_job(c, placement, later, "niet_doorgegaan")
        placement.refresh_from_db()
        assert (placement.end_date, placement.end_reason) == (TODAY(), "niet_doorgegaan")

    def test_a_job_that_has_started_cannot_not_go_ahead(self, started_job, trajectory):
        """It is not offered once the job has started; a form opened before its start that
        still sends it is told why, and nothing is stored."""
        c, placement = started_job
        url = reverse("ips:placement_end", args=[trajectory.case_id, trajectory.pk, placement.pk])
        form = c.get(url).content.decode()
        assert 'value="niet_doorgegaan"' not in form
        assert "Gaat de baan niet door?" not in form
        for end_date in (None, TODAY()):
            response = end_job(c, placement, end_date, "niet_doorgegaan")
            assert response.context["form"].errors == {
                "end_reason": [
                    "‘Niet doorgegaan’ is er alleen voor een baan die nog niet begonnen is; "
                    f"deze baan is op {days_ago(3):%d-%m-%Y} begonnen. Leg het einde vast met "
                    "de einddatum en de reden die passen."
                ]
            }
        placement.refresh_from_db()
        assert (placement.end_date, placement.end_reason) == (None, "")
        response = end_job(c, placement, None, "zelf_gestopt")
        assert response.context["form"].errors == {"end_date": ["Vul de einddatum in."]}

    def test_a_job_that_did_not_go_ahead_is_no_job_for_the_card_nor_the_rapid_search(
        self, ggz_a, job_to_come, trajectory
    ):
        """Its start was never an employer contact, and it is no job to come (ips.summary:
        the case card and the voortgangsrapportage)."""
        from ips import summary

        _c, placement = job_to_come
        before = summary.summary(trajectory.case, {ggz_a.pk})
        assert before.current_job == placement
        # Referred 10 days ago, the job starts in 14: no contact yet (until it starts).
        assert (before.rapid.days, before.rapid.waiting) == (None, 10)
        Placement.objects.filter(pk=placement.pk).update(
            end_date=TODAY(), end_reason="niet_doorgegaan"
        )
        after = summary.summary(trajectory.case, {ggz_a.pk})
        assert (after.current_job, after.job_started) == (None, False)
        assert after.trajectory.first_contact_on is None
        assert str(after.rapid) == "Nog geen werkgeverscontact, 10 dagen na aanmelding"

    def test_the_current_job_is_the_latest_started_before_one_still_to_start(
        self, ggz_a, jobcoach_a, trajectory
    ):
        """Of the jobs that have not ended (ips.summary: the case card and the
        voortgangsrapportage) the one that started last, before any still to start; with
        only a job still to start, that one; an ended job or one not gone ahead never."""
        from ips import summary

        def job(title, start, **fields):
            return Placement.objects.create(
                trajectory=trajectory,
                organisation=jobcoach_a.organisation,
                recorded_by=jobcoach_a,
                employer="Werkgever",
                job_title=title,
                start_date=start,
                hours_per_week=10,
                hourly_wage=15,
                contract_type=ContractType.BEPAALD,
                **fields,
            )

        job("Ingepland", TODAY() + datetime.timedelta(days=5))
        job("Geëindigd", days_ago(2), end_date=days_ago(1), end_reason="anders")
        job("Afgeblazen", TODAY() + datetime.timedelta(days=1), end_date=TODAY(),
            end_reason="niet_doorgegaan")  # fmt: skip
        ahead = summary.summary(trajectory.case, {ggz_a.pk})
        assert (ahead.current_job.job_title, ahead.job_started) == ("Ingepland", False)
        job("Eerste baan", days_ago(40))
        job("Tweede baan", days_ago(10), end_date=TODAY() + datetime.timedelta(days=60),
            end_reason="anders")  # fmt: skip
        job("Begint vandaag", TODAY())
        working = summary.summary(trajectory.case, {ggz_a.pk})
        assert (working.current_job.job_title, working.job_started) == ("Begint vandaag", True)
        Placement.objects.filter(job_title="Begint vandaag").delete()
        working = summary.summary(trajectory.case, {ggz_a.pk})
        assert working.current_job.job_title == "Tweede baan"

    def test_database_takes_an_end_before_the_start_only_for_a_job_not_gone_ahead(
        self, jobcoach_a, trajectory
    ):
        from django.db import IntegrityError

        fields = {
            "trajectory": trajectory,
            "organisation": jobcoach_a.organisation,
            "recorded_by": jobcoach_a,
            "employer": "X",
            "job_title": "Y",
            "start_date": TODAY() + datetime.timedelta(days=7),
            "end_date": TODAY(),
            "hours_per_week": 10,
            "hourly_wage": 15,
            "contract_type": ContractType.BEPAALD,
        }
        Placement.objects.create(**fields, end_reason="niet_doorgegaan")
        with pytest.raises(IntegrityError), transaction.atomic():
            Placement.objects.create(**fields, end_reason="anders")
        # 'Niet doorgegaan' after the start: it went ahead, so the database refuses it too.
        after = {**fields, "end_date": fields["start_date"] + datetime.timedelta(days=1)}
        with pytest.raises(IntegrityError), transaction.atomic():
            Placement.objects.create(**after, end_reason="niet_doorgegaan")
        # Fewer hours than the form's minimum.
        with pytest.raises(IntegrityError), transaction.atomic():
            Placement.objects.create(**{**fields, "end_date": None, "hours_per_week": "0.3"})


# --- Who may see what ------------------------------------------------------------------------


@pytest.fixture
def busy_trajectory(client_for, jobcoach_a, trajectory):
    """A trajectory with a profile, an employer contact and a job."""
    to_search(trajectory, jobcoach_a)
    c = client_for(jobcoach_a)
    c.post(
        reverse("ips:profile_edit", args=[trajectory.case_id, trajectory.pk]),
        {"disclosure": Disclosure.VERTELLEN, "preferred_sectors": "Zorg"},
    )
    c.post(
        reverse("ips:contact_create", args=[trajectory.case_id, trajectory.pk]),
        {
            "contacted_on": TODAY().isoformat(),
            "employer": "Zorgcentrum De Linde",
            "type": "eerste_contact",
            "face_to_face": "on",
        },
    )
    c.post(
        reverse("ips:placement_create", args=[trajectory.case_id, trajectory.pk]),
        placement_data(employer="Zorgcentrum De Linde", job_title="Gastvrouw"),
    )
    return trajectory


class TestWhoMaySeeWhat:
    def page(self, trajectory):
        return reverse("ips:trajectory", args=[trajectory.case_id])

    def test_anonymous_goes_to_sign_in(self, client_for, busy_trajectory):
        c = client_for(None)
        urls = [
            self.page(busy_trajectory),
            reverse("ips:contact_create", args=[busy_trajectory.case_id, busy_trajectory.pk]),
        ]
        for url in urls:
            response = c.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/")

    @pytest.mark.parametrize(
        "fixture", ["outsider", "behandelaar_a2", "klantmanager_g", "beheerder_a"]
    )
    def test_non_members_get_404_and_a_denied_entry(
        self, client_for, request, busy_trajectory, fixture
    ):
        user = request.getfixturevalue(fixture)
        c = client_for(user)
        urls = [
            self.page(busy_trajectory),
            reverse("ips:profile_edit", args=[busy_trajectory.case_id, busy_trajectory.pk]),
            reverse("ips:contact_create", args=[busy_trajectory.case_id, busy_trajectory.pk]),
        ]
        for url in urls:
            assert c.get(url).status_code == 404
        assert AccessLogEntry.objects.filter(
            user=user, outcome="geweigerd", case=busy_trajectory.case
        ).count() == len(urls)

    def test_jobcoach_not_on_the_team_gets_404(self, client_for, ggz_a, busy_trajectory):
        other_coach = UserFactory(organisation=ggz_a, role=Role.TRAJECTBEGELEIDER)
        assert client_for(other_coach).get(self.page(busy_trajectory)).status_code == 404

    def test_behandelaar_reads_but_cannot_write(self, client_for, behandelaar_a, busy_trajectory):
        c = client_for(behandelaar_a)
        html = c.get(self.page(busy_trajectory)).content.decode()
        assert "Zorgcentrum De Linde" in html
        assert "Gastvrouw" in html
        assert "Fase wijzigen" not in html
        assert "Baan vastleggen" not in html
        assert AccessLogEntry.objects.filter(
            user=behandelaar_a, object_type="ips-traject", category="ips", outcome="toegestaan"
        ).exists()
        response = post_phase(c, busy_trajectory, "afgesloten", close_reason="anders")
        assert response.status_code == 404
        assert AccessLogEntry.objects.filter(
            user=behandelaar_a, outcome="geweigerd", action="update", category="ips"
        ).exists()
        for name in ["ips:contact_create", "ips:profile_edit", "ips:placement_create"]:
            url = reverse(name, args=[busy_trajectory.case_id, busy_trajectory.pk])
            assert c.get(url).status_code == 404

    def test_klantmanager_without_consent_sees_nothing_of_ips(
        self, client_for, klantmanager_g, busy_trajectory
    ):
        consent.add_member(busy_trajectory.case, klantmanager_g, CaseRole.KLANTMANAGER)
        c = client_for(klantmanager_g)
        html = c.get(self.page(busy_trajectory)).content.decode()
        assert "geen IPS-traject dat u mag zien" in html
        assert "Zorgcentrum De Linde" not in html
        detail = c.get(reverse("cases:detail", args=[busy_trajectory.case_id])).content.decode()
        assert "Naar het IPS-traject" not in detail
        assert "Zorgcentrum De Linde" not in detail
        # Nor through a write URL of the trajectory.
        url = reverse("ips:contact_create", args=[busy_trajectory.case_id, busy_trajectory.pk])
        assert c.get(url).status_code == 404

    def test_klantmanager_with_consent_sees_progress_read_only(
        self, client_for, klantmanager_g, behandelaar_a, ggz_a, gemeente_g, busy_trajectory
    ):
        consent.add_member(busy_trajectory.case, klantmanager_g, CaseRole.KLANTMANAGER)
        give_ips_consent(busy_trajectory.case, ggz_a, gemeente_g, behandelaar_a)
        c = client_for(klantmanager_g)
        html = c.get(self.page(busy_trajectory)).content.decode()
        assert "Aan het werk (plaatsing)" in html
        assert "Gastvrouw" in html
        assert "Fase wijzigen" not in html
        entry = AccessLogEntry.objects.filter(
            user=klantmanager_g, object_type="ips-traject", outcome="toegestaan"
        ).first()
        assert entry.basis == "toestemming"
        assert entry.consent_id is not None
        detail = c.get(reverse("cases:detail", args=[busy_trajectory.case_id])).content.decode()
        assert "Naar het IPS-traject" in detail
        url = reverse("ips:phase_change", args=[busy_trajectory.case_id, busy_trajectory.pk])
        assert c.post(url, {"version": 1, "to_phase": "nazorg"}).status_code == 404

    def test_case_page_logs_its_panels_in_one_write(
        self, client_for, behandelaar_a, busy_trajectory
    ):
        """The case page and its panels (here IPS) log what they show in one append to the
        chain: one advisory lock, one request id, entries for the case and the trajectory."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        url = reverse("cases:detail", args=[busy_trajectory.case_id])
        with CaptureQueriesContext(connection) as captured:
            assert client_for(behandelaar_a).get(url).status_code == 200
        locks = [q for q in captured.captured_queries if "pg_advisory_xact_lock" in q["sql"]]
        assert len(locks) == 1
        entries = AccessLogEntry.objects.filter(user=behandelaar_a, case=busy_trajectory.case)
        assert {e.object_type for e in entries} >= {"casus", "ips-traject"}
        assert len({e.request_id for e in entries}) == 1

    def test_trajectory_of_another_case_is_not_reachable(
        self, client_for, behandelaar_a, jobcoach_a, busy_trajectory
    ):
        other_case = new_case(behandelaar_a, index=1, first="Kees", last="Bos")
        consent.add_member(other_case, jobcoach_a, CaseRole.TRAJECTBEGELEIDER)
        url = reverse("ips:contact_create", args=[other_case.pk, busy_trajectory.pk])
        assert client_for(jobcoach_a).get(url).status_code == 404

    @pytest.mark.parametrize(
        "name", ["ips:caseload", "ips:contacts", "ips:results", "ips:fidelity_list"]
    )
    @pytest.mark.parametrize("fixture", ["behandelaar_a", "klantmanager_g", "beheerder_a"])
    def test_team_pages_are_for_trajectbegeleiders(self, client_for, request, name, fixture):
        c = client_for(request.getfixturevalue(fixture))
        assert c.get(reverse(name)).status_code == 404

    @pytest.mark.parametrize(
        "name", ["ips:caseload", "ips:contacts", "ips:results", "ips:fidelity_list"]
    )
    def test_team_pages_need_sign_in(self, client, db, name):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")

    def test_navigation_for_trajectbegeleider(self, client_for, jobcoach_a):
        html = client_for(jobcoach_a).get("/").content.decode()
        for label in ["IPS-caseload", "Werkgeverscontacten", "Resultaten", "Modelgetrouwheid"]:
            assert label in html

    def test_caseload_page(self, client_for, jobcoach_a, busy_trajectory):
        html = client_for(jobcoach_a).get(reverse("ips:caseload")).content.decode()
        assert "Eva Jansen" in html
        assert "1 lopend traject" in html
        assert "Vertellen" in html


# --- Query counts ------------------------------------------------------------------------------


def count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def add_rows(trajectory, coach, n):
    for i in range(n):
        EmployerContact.objects.create(
            organisation=coach.organisation,
            coach=coach,
            trajectory=trajectory,
            contacted_on=days_ago(i % 9),
            employer=f"Werkgever {i}",
            type=ContactType.VERVOLG,
        )
        Placement.objects.create(
            trajectory=trajectory,
            organisation=coach.organisation,
            recorded_by=coach,
            employer=f"Werkgever {i}",
            job_title="Functie",
            start_date=days_ago(9),
            end_date=days_ago(1),
            end_reason="anders",
            hours_per_week=10,
            hourly_wage=15,
            contract_type=ContractType.BEPAALD,
        )
        FollowAlongContact.objects.create(
            trajectory=trajectory,
            organisation=coach.organisation,
            recorded_by=coach,
            contacted_on=days_ago(1),
            with_whom="client",
            note=f"Nazorg {i}",
        )
        PhaseChange.objects.create(
            trajectory=trajectory,
            organisation=coach.organisation,
            from_phase="zoeken",
            to_phase="zoeken",
            changed_on=days_ago(1),
            recorded_by=coach,
        )


class TestQueryCounts:
    def test_trajectory_page_and_case_panel(
        self, client_for, jobcoach_a, behandelaar_a, busy_trajectory, django_assert_num_queries
    ):
        pages = [
            reverse("ips:trajectory", args=[busy_trajectory.case_id]),
            reverse("cases:detail", args=[busy_trajectory.case_id]),
        ]
        for user in [jobcoach_a, behandelaar_a]:
            c = client_for(user)
            expected = [count_queries(c, url) for url in pages]
            add_rows(busy_trajectory, jobcoach_a, 2)
            expected = [count_queries(c, url) for url in pages]
            add_rows(busy_trajectory, jobcoach_a, 30)
            for url, n in zip(pages, expected, strict=True):
                with django_assert_num_queries(n):
                    c.get(url)

    def test_caseload_and_contacts(
        self, client_for, behandelaar_a, jobcoach_a, django_assert_num_queries
    ):
        for i in range(2):
            start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a, index=i))
        c = client_for(jobcoach_a)
        EmployerContact.objects.create(
            organisation=jobcoach_a.organisation,
            coach=jobcoach_a,
            contacted_on=TODAY(),
            employer="Algemeen",
            type=ContactType.VERVOLG,
        )
        for t in Trajectory.objects.all():
            add_rows(t, jobcoach_a, 1)
        urls = [reverse("ips:caseload"), reverse("ips:contacts")]
        expected = [count_queries(c, url) for url in urls]
        for i in range(2, 25):
            t = start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a, index=i))
            add_rows(t, jobcoach_a, 1)
        for url, n in zip(urls, expected, strict=True):
            with django_assert_num_queries(n):
                c.get(url)
        html = c.get(reverse("ips:caseload")).content.decode()
        assert "25 lopende trajecten" in html
        assert "boven de IPS-norm" in html


# --- The IPS card's selection, shared with the voortgangsrapportage ---------------------------


class TestSummary:
    """ips.summary picks what the IPS card on the case page shows and the progress report
    takes along; the caller's holders (readable for a page, exportable for a report) decide
    every row: the trajectory, its profile and its job."""

    def test_no_read_without_a_trajectory_two_with_one(
        self, behandelaar_a, busy_trajectory, django_assert_num_queries
    ):
        from ips import summary

        other = new_case(behandelaar_a, index=1, first="Kees", last="Bos")
        holders = consent.case_access(behandelaar_a, other).readable_holders(Category.IPS)
        with django_assert_num_queries(0):  # the case says it never had one
            assert summary.summary(other, holders) is None
        case = Case.objects.get(pk=busy_trajectory.case_id)
        holders = consent.case_access(behandelaar_a, case).readable_holders(Category.IPS)
        with django_assert_num_queries(2):  # what the card shows comes along
            ips = summary.summary(case, holders)
            seen = (
                ips.trajectory.coach,
                ips.trajectory.organisation.name,
                ips.profile.disclosure,
                ips.current_job.job_title,
                ips.job_started,
            )
        assert seen == (busy_trajectory.coach, "GGZ A", Disclosure.VERTELLEN, "Gastvrouw", True)
        assert ips.trajectory.first_contact_on == TODAY()

    def test_the_holders_decide_every_row(self, ggz_a, ggz_b, busy_trajectory):
        from ips import summary

        Beroepsprofiel.objects.filter(trajectory=busy_trajectory).update(organisation=ggz_b)
        Placement.objects.filter(trajectory=busy_trajectory).update(organisation=ggz_b)
        case = busy_trajectory.case
        only_a = summary.summary(case, {ggz_a.pk})
        assert only_a.trajectory == busy_trajectory
        assert (only_a.profile, only_a.current_job) == (None, None)
        assert only_a.shown == {(ggz_a.pk, Category.IPS)}
        both = summary.summary(case, {ggz_a.pk, ggz_b.pk})
        assert both.profile.organisation_id == ggz_b.pk
        assert both.current_job.job_title == "Gastvrouw"
        assert both.shown == {(ggz_a.pk, Category.IPS), (ggz_b.pk, Category.IPS)}
        assert summary.summary(case, {ggz_b.pk}) is None
