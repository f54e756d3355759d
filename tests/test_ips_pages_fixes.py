"""IPS pages: fixes after the exploratory test of the IPS flow (/tmp/findings_ips.md 1, 3, 4
and 7) and of the reports (findings_reports.md F3).

1. Names on the IPS pages only for who knows of the person's organisation (knows_of).
3. The form pages that show IPS data log that read.
4. A save that lost the race on the job end and the fidelity review: the form again, on
   the stored version, with what was typed.
7. A missing or garbled hidden version: the product's own "vernieuw de pagina".
F3. Each chart flags the side of its own norm: above a maximum, below a minimum.
"""

import datetime

import pytest
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from cases import services as cases
from cases.constants import CaseRole
from consent import services as consent
from consent.constants import Category, Purpose
from consent.models import AccessLogEntry
from ips import fidelity, figures, services
from ips import reports as ips_reports
from ips import views as ips_views
from ips.constants import FIDELITY_ITEMS, ContactType, Phase
from ips.models import (
    Beroepsprofiel,
    EmployerContact,
    FidelityScore,
    FollowAlongContact,
    Placement,
    Trajectory,
)
from portal.constants import Role
from portal.forms import NOT_SAVED_RELOAD
from tests.builders import make_case, make_consent
from tests.factories import OrganisationFactory, UserFactory, join_ips_team
from tests.test_ips import (
    count_queries,
    days_ago,
    end_job,
    new_case,
    placement_data,
    post_phase,
    start_trajectory,
    to_search,
)

pytestmark = pytest.mark.time_machine(timezone.localtime, tick=False)

TODAY = timezone.localdate


def text_of(response):
    return response.content.decode()


# --- 1. Names in the IPS pages only for who knows of their organisation -----------------


@pytest.fixture
def referred_from_b(outsider, ggz_a, jobcoach_a):
    """A client of GGZ B, referred by its behandelaar (outsider) to GGZ A's IPS team and
    taken on by jobcoach_a: the phase history's first line is recorded by GGZ B's
    behandelaar."""
    case = make_case(outsider, first_name="Eva", last_name="Jansen")
    referral = cases.refer(
        consent.case_access(outsider, case), ggz_a, CaseRole.TRAJECTBEGELEIDER, "Wil werken"
    )
    cases.respond(referral, jobcoach_a, accept=True)
    return Trajectory.objects.get(referral=referral)


def ips_card(html):
    """The IPS card of the case page."""
    return html.split('id="ips-traject"', 1)[1].split("</section>", 1)[0]


def verloop(html):
    return html.split(">Verloop<", 1)[1].split("</ol>", 1)[0]


class TestNamesInTheIpsPages:
    def test_the_referring_behandelaar_only_for_who_knows_of_their_ggz(
        self, client_for, outsider, klantmanager_g, ggz_a, ggz_b, gemeente_g, referred_from_b
    ):
        case = referred_from_b.case
        consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
        make_consent(case.client, ggz_a, gemeente_g, Purpose.REINTEGRATIE, [Category.IPS])
        name = outsider.get_full_name()
        url = reverse("ips:trajectory", args=[case.pk])

        # The klantmanager reads GGZ A's IPS data, but may not know that GGZ B treats.
        assert not consent.case_access(klantmanager_g, case).knows_of(ggz_b.pk)
        html = text_of(client_for(klantmanager_g).get(url))
        assert "Aangemeld" in verloop(html)
        assert name not in html

        # The client lets GGZ B share something with the gemeente: now it may know of GGZ B.
        make_consent(case.client, ggz_b, gemeente_g, Purpose.REINTEGRATIE, [Category.WERKSITUATIE])
        assert consent.case_access(klantmanager_g, case).knows_of(ggz_b.pk)
        html = text_of(client_for(klantmanager_g).get(url))
        assert f"({name})" in verloop(html)

        # GGZ B's behandelaar runs the case: knows of everyone, themself included.
        make_consent(case.client, ggz_a, ggz_b, Purpose.AFSTEMMING, [Category.IPS])
        assert f"({name})" in verloop(text_of(client_for(outsider).get(url)))

    def test_the_phase_conflict_names_the_recorder_only_to_who_knows_of_them(
        self, client_for, outsider, jobcoach_a, ggz_a, ggz_b, referred_from_b
    ):
        """The last phase line is the referral (GGZ B's behandelaar); the trajectory changed
        meanwhile without a new phase (as a hand-over does)."""
        trajectory = referred_from_b
        stale = trajectory.version
        Trajectory.objects.filter(pk=trajectory.pk).update(version=F("version") + 1)
        name = outsider.get_full_name()

        assert not consent.case_access(jobcoach_a, trajectory.case).knows_of(ggz_b.pk)
        response = post_phase(client_for(jobcoach_a), trajectory, "intake", version=stale)
        [message] = response.context["phase_form"].non_field_errors()
        assert "De fase is nu ‘Aangemeld’, vastgelegd op " in message
        assert name not in text_of(response)

        make_consent(
            trajectory.case.client, ggz_b, ggz_a, Purpose.IPS_TRAJECT, [Category.WERKSITUATIE]
        )
        assert consent.case_access(jobcoach_a, trajectory.case).knows_of(ggz_b.pk)
        response = post_phase(client_for(jobcoach_a), trajectory, "intake", version=stale)
        [message] = response.context["phase_form"].non_field_errors()
        assert f"vastgelegd door {name} op " in message

    def test_coach_contacts_and_follow_along_follow_the_same_rule(
        self, client_for, behandelaar_a, jobcoach_a, klantmanager_g, ggz_a, gemeente_g
    ):
        """A trajectbegeleider who moved to another organisation stays on what they
        recorded; a klantmanager who may not know of that organisation does not see who
        they are, one who may does."""
        case = make_case(behandelaar_a)
        referral = cases.refer(
            consent.case_access(behandelaar_a, case), ggz_a, CaseRole.TRAJECTBEGELEIDER, "Werk"
        )
        cases.respond(referral, jobcoach_a, accept=True)
        trajectory = to_search(Trajectory.objects.get(referral=referral), jobcoach_a)
        EmployerContact.objects.create(
            organisation=ggz_a,
            coach=jobcoach_a,
            trajectory=trajectory,
            contacted_on=TODAY(),
            employer="Werkgever X",
            type=ContactType.EERSTE_CONTACT,
        )
        FollowAlongContact.objects.create(
            trajectory=trajectory,
            organisation=ggz_a,
            recorded_by=jobcoach_a,
            contacted_on=TODAY(),
            with_whom="client",
            note="Gaat goed",
        )
        consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
        make_consent(case.client, ggz_a, gemeente_g, Purpose.REINTEGRATIE, [Category.IPS])
        elsewhere = OrganisationFactory(name="GGZ C")
        jobcoach_a.organisation = elsewhere
        jobcoach_a.save(update_fields=["organisation"])
        name = jobcoach_a.get_full_name()
        pages = [reverse("ips:trajectory", args=[case.pk]), reverse("cases:detail", args=[case.pk])]

        c = client_for(klantmanager_g)
        html = text_of(c.get(pages[0]))
        assert "Werkgever X" in html and "Gaat goed" in html
        assert name not in html
        assert name not in ips_card(text_of(c.get(pages[1])))

        make_consent(case.client, elsewhere, gemeente_g, Purpose.REINTEGRATIE, [Category.IPS])
        c = client_for(klantmanager_g)
        html = text_of(c.get(pages[0]))
        trajectbegeleider = html.split("Trajectbegeleider</dt><dd>", 1)[1].split("</dd>", 1)[0]
        assert trajectbegeleider == name
        assert f"<td>{name}</td>" in html  # the contact's "Door"
        assert f"({name})" in html.split('id="nazorg"', 1)[1]
        assert name in ips_card(text_of(c.get(pages[1])))


# --- 3. The form pages log the IPS data they show ---------------------------------------------


@pytest.fixture
def trajectory(behandelaar_a, jobcoach_a):
    """GGZ A's own client, referred ten days ago, searching for work since five days ago."""
    case = new_case(behandelaar_a)
    return to_search(start_trajectory(behandelaar_a, jobcoach_a, case, 10), jobcoach_a, days_ago(5))


@pytest.fixture
def with_job(client_for, jobcoach_a, trajectory):
    """The trajectory with a profile and a job that started three days ago."""
    c = client_for(jobcoach_a)
    c.post(
        reverse("ips:profile_edit", args=[trajectory.case_id, trajectory.pk]),
        {"disclosure": "vertellen", "preferred_sectors": "Zorg"},
    )
    c.post(
        reverse("ips:placement_create", args=[trajectory.case_id, trajectory.pk]),
        placement_data(start_date=days_ago(3).isoformat()),
    )
    return c, Placement.objects.get()


def ips_reads(user):
    return list(
        AccessLogEntry.objects.filter(user=user, category=Category.IPS, action="read").order_by(
            "pk"
        )
    )


class TestFormPagesLogTheirReads:
    def test_each_form_page_logs_the_ips_data_it_shows(self, jobcoach_a, trajectory, with_job):
        c, placement = with_job
        profile = Beroepsprofiel.objects.get()
        args = [trajectory.case_id, trajectory.pk]
        pages = [
            (reverse("ips:contact_create", args=args), "beroepsprofiel", trajectory.case_id),
            (reverse("ips:placement_create", args=args), "beroepsprofiel", trajectory.case_id),
            (
                reverse("ips:placement_end", args=[*args, placement.pk]),
                "plaatsing",
                placement.pk,
            ),
            (reverse("ips:follow_along_create", args=args), "plaatsing", trajectory.case_id),
        ]
        for url, object_type, object_id in pages:
            before = len(ips_reads(jobcoach_a))
            response = c.get(url)
            assert response.status_code == 200
            [entry] = ips_reads(jobcoach_a)[before:]
            assert (entry.object_type, entry.object_id) == (object_type, str(object_id))
            assert (entry.basis, entry.outcome) == ("eigen_organisatie", "toegestaan")
            assert entry.case_id == trajectory.case_id
            assert entry.client_id == trajectory.client_id
        assert profile.get_disclosure_display() in text_of(c.get(pages[0][0]))
        assert placement.job_title in text_of(c.get(pages[3][0]))

    def test_a_refused_form_is_shown_again_and_logged(self, jobcoach_a, trajectory, with_job):
        c, _placement = with_job
        url = reverse("ips:follow_along_create", args=[trajectory.case_id, trajectory.pk])
        before = len(ips_reads(jobcoach_a))
        response = c.post(url, {"contacted_on": "", "with_whom": "client", "note": ""})
        assert response.status_code == 200
        assert [e.object_type for e in ips_reads(jobcoach_a)[before:]] == ["plaatsing"]

    def test_nothing_shown_nothing_logged(self, client_for, jobcoach_a, trajectory):
        """No profile yet, no job: the pages show no IPS data to log."""
        c = client_for(jobcoach_a)
        args = [trajectory.case_id, trajectory.pk]
        for name in ("ips:contact_create", "ips:placement_create", "ips:follow_along_create"):
            assert c.get(reverse(name, args=args)).status_code == 200
        assert ips_reads(jobcoach_a) == []

    def test_the_job_choice_is_read_once_and_still_checked(self, jobcoach_a, trajectory, with_job):
        c, placement = with_job
        url = reverse("ips:follow_along_create", args=[trajectory.case_id, trajectory.pk])
        html = text_of(c.get(url))
        assert f'<option value="{placement.pk}">{placement}</option>' in html
        response = c.post(
            url,
            {
                "contacted_on": TODAY().isoformat(),
                "with_whom": "client",
                "note": "Over een andere baan",
                "placement": placement.pk + 1000,
            },
        )
        assert "placement" in response.context["form"].errors
        c.post(
            url,
            {
                "contacted_on": TODAY().isoformat(),
                "with_whom": "client",
                "note": "Gaat goed",
                "placement": placement.pk,
            },
        )
        assert FollowAlongContact.objects.get().placement == placement

    def test_constant_queries(self, trajectory, with_job, django_assert_num_queries):
        c, placement = with_job
        args = [trajectory.case_id, trajectory.pk]
        urls = [
            reverse("ips:contact_create", args=args),
            reverse("ips:placement_create", args=args),
            reverse("ips:placement_end", args=[*args, placement.pk]),
            reverse("ips:follow_along_create", args=args),
        ]
        expected = [count_queries(c, url) for url in urls]
        for i in range(20):
            c.post(urls[1], placement_data(employer=f"Werkgever {i}"))
        assert Placement.objects.count() == 21
        for url, n in zip(urls, expected, strict=True):
            with django_assert_num_queries(n):
                assert c.get(url).status_code == 200


# --- 4. A save that lost the race keeps what was typed ---------------------------------------


class TestJobEndConflict:
    def test_the_form_comes_back_on_the_stored_version_and_may_be_saved_again(
        self, trajectory, with_job
    ):
        c, placement = with_job
        stale = Placement.objects.get(pk=placement.pk)
        later = TODAY() + datetime.timedelta(days=30)
        end_job(c, placement, later, "anders")  # another window
        response = end_job(c, stale, TODAY(), "zelf_gestopt")
        form = response.context["form"]
        [message] = form.non_field_errors()
        assert "Wat er nu staat: einddatum: " in message and "reden van einde: Anders" in message
        assert "Sla opnieuw op om dat te bewaren" in message
        stored = Placement.objects.get(pk=placement.pk)
        assert form["version"].value() == str(stored.version)
        assert form["end_reason"].value() == "zelf_gestopt"  # what was typed
        assert form["end_date"].value() == TODAY().isoformat()
        url = reverse("ips:placement_end", args=[trajectory.case_id, trajectory.pk, placement.pk])
        response = c.post(
            url,
            {
                "version": form["version"].value(),
                "end_date": TODAY().isoformat(),
                "end_reason": "zelf_gestopt",
            },
        )
        assert response.status_code == 302
        stored.refresh_from_db()
        assert (stored.end_date, stored.end_reason) == (TODAY(), "zelf_gestopt")

    def test_ended_meanwhile_goes_back_with_what_is_stored(self, monkeypatch, trajectory, with_job):
        """Ended by a colleague between the page's check and the save: an ended job is not
        changed, so no form to come back to; the message says what is stored."""
        c, placement = with_job

        class EndedMeanwhile(ips_views.PlacementEndForm):
            def is_valid(self):
                Placement.objects.filter(pk=placement.pk).update(
                    end_date=days_ago(1), end_reason="anders", version=F("version") + 1
                )
                return super().is_valid()

        monkeypatch.setattr(ips_views, "PlacementEndForm", EndedMeanwhile)
        response = end_job(c, placement, TODAY(), "zelf_gestopt")
        assert response.status_code == 302
        html = text_of(c.get(response["Location"]))
        assert "deze baan is intussen gewijzigd" in html
        assert "reden van einde: Anders" in html
        assert "Deze baan is al beëindigd." in html
        placement.refresh_from_db()
        assert placement.end_reason == "anders"

    def test_the_same_end_twice_is_no_conflict_to_solve(self, trajectory, with_job):
        c, placement = with_job
        stale = Placement.objects.get(pk=placement.pk)
        end_job(c, placement, TODAY(), "zelf_gestopt")
        response = end_job(c, stale, TODAY(), "zelf_gestopt")
        assert response.status_code == 302
        html = text_of(c.get(response["Location"]))
        assert "Deze baan stond intussen al zo opgeslagen" in html


def all_scores(score):
    return {f"score_{code}": score for code, *_rest in FIDELITY_ITEMS}


@pytest.fixture
def review(jobcoach_a):
    return fidelity.create_review(
        jobcoach_a,
        jobcoach_a.ips_team_member.team,
        kind="zelf",
        review_date=TODAY(),
        reviewers="Team A",
    )


class TestFidelityConflict:
    def test_the_form_comes_back_on_the_stored_version_and_may_be_saved_again(
        self, client_for, jobcoach_a, review
    ):
        c = client_for(jobcoach_a)
        url = reverse("ips:fidelity_detail", args=[review.pk])
        stale = review.version
        c.post(url, {"version": stale, **all_scores(3)})  # another window
        mine = {**all_scores(3), "score_p1": 5, "note_p1": "Twaalf per begeleider"}
        response = c.post(url, {"version": stale, **mine})
        form = response.context["form"]
        [message] = form.non_field_errors()
        assert "Nu anders dan wat u invulde: Caseloadgrootte." in message
        assert "Sla opnieuw op om dat te bewaren" in message
        review.refresh_from_db()
        assert form["version"].value() == str(review.version)
        assert form["score_p1"].value() == "5"
        assert form["note_p1"].value() == "Twaalf per begeleider"
        html = text_of(response)
        assert "Twaalf per begeleider" in html
        assert "75 / 125" in html  # the result above: as stored
        response = c.post(url, {**mine, "version": form["version"].value()})
        assert response.status_code == 302
        assert FidelityScore.objects.get(review=review, item="p1").score == 5

    def test_many_items_are_counted_not_named(self, client_for, jobcoach_a, review):
        c = client_for(jobcoach_a)
        url = reverse("ips:fidelity_detail", args=[review.pk])
        stale = review.version
        c.post(url, {"version": stale, **all_scores(3)})
        response = c.post(url, {"version": stale, **all_scores(5)})
        [message] = response.context["form"].non_field_errors()
        assert "Bij 25 items staat nu iets anders dan wat u invulde." in message


# --- 7. A missing or garbled hidden version ----------------------------------------------------


def assert_reload_message(html):
    assert str(NOT_SAVED_RELOAD) in html
    assert "Verborgen veld" not in html
    assert "version" not in html.split("<main", 1)[1].replace('name="version"', "").replace(
        'id="id_version"', ""
    )


class TestMissingVersion:
    @pytest.mark.parametrize("version", [None, "abc"])
    def test_phase_form(self, client_for, jobcoach_a, trajectory, version):
        data = {"to_phase": Phase.AFGESLOTEN, "close_reason": "verhuisd"}
        if version is not None:
            data["version"] = version
        url = reverse("ips:phase_change", args=[trajectory.case_id, trajectory.pk])
        response = client_for(jobcoach_a).post(url, {"changed_on": TODAY().isoformat(), **data})
        assert response.status_code == 200
        assert response.context["phase_form"].non_field_errors() == [NOT_SAVED_RELOAD]
        assert_reload_message(text_of(response))
        trajectory.refresh_from_db()
        assert trajectory.phase == Phase.ZOEKEN

    @pytest.mark.parametrize("version", [None, "abc"])
    def test_job_end(self, trajectory, with_job, version):
        c, placement = with_job
        data = {"end_date": TODAY().isoformat(), "end_reason": "zelf_gestopt"}
        if version is not None:
            data["version"] = version
        url = reverse("ips:placement_end", args=[trajectory.case_id, trajectory.pk, placement.pk])
        response = c.post(url, data)
        assert response.context["form"].non_field_errors() == [NOT_SAVED_RELOAD]
        assert_reload_message(text_of(response))
        placement.refresh_from_db()
        assert placement.end_date is None

    @pytest.mark.parametrize("version", [None, "abc"])
    def test_fidelity_scores(self, client_for, jobcoach_a, review, version):
        data = all_scores(4)
        if version is not None:
            data["version"] = version
        response = client_for(jobcoach_a).post(
            reverse("ips:fidelity_detail", args=[review.pk]), data
        )
        assert response.context["form"].non_field_errors() == [NOT_SAVED_RELOAD]
        html = text_of(response)
        summary = html.split('class="form-errors"', 1)[1].split("</div>", 1)[0]
        assert str(NOT_SAVED_RELOAD) in summary  # not an empty list under the heading
        assert "Verborgen veld" not in html
        assert set(review.scores.values_list("score", flat=True)) == {None}


# --- F3. Each chart flags the wrong side of its own norm ---------------------------------------


def pdf_chart(chart):
    with translation.override("nl"):
        return render_to_string("reports/_ips_chart.html", {"chart": chart, "chart_title": "T"})


def screen_chart(chart):
    with translation.override("nl"):
        return render_to_string("ips/_chart.html", {"chart": chart, "chart_id": "c"})


def flags(svg):
    return ["chart-bar-flagged" in rect.split(">", 1)[0] for rect in svg.split("<rect")[1:]]


class TestChartNorms:
    def test_a_minimum_flags_who_falls_short(self):
        chart = figures.bar_chart(
            [("Goede coach", 9), ("Trage coach", 2), ("Nieuw", None)], norm=6, at_least=True
        )
        assert [bar["flagged"] for bar in chart["bars"]] == [False, True, False]
        pdf = pdf_chart(chart)
        assert ">9</text>" in pdf
        assert ">2 (onder de norm)</text>" in pdf
        assert "boven de norm" not in pdf
        assert "De stippellijn is de norm: minstens 6." in pdf
        svg = screen_chart(chart)
        assert flags(svg) == [False, True, False]
        assert "norm: minstens 6" in svg

    def test_a_maximum_flags_who_goes_over(self):
        chart = figures.bar_chart([("Vol", 25), ("Ruimte", 12)], norm=20)
        assert [bar["flagged"] for bar in chart["bars"]] == [True, False]
        pdf = pdf_chart(chart)
        assert ">25 (boven de norm)</text>" in pdf
        assert "De stippellijn is de norm: hoogstens 20." in pdf
        assert "norm: hoogstens 20" in screen_chart(chart)

    def test_a_running_figure_is_not_short_yet(self):
        chart = figures.bar_chart([("Vorige", 1), ("Deze", 0)], norm=6, at_least=True, running=1)
        assert [bar["flagged"] for bar in chart["bars"]] == [True, False]

    def test_the_results_charts_flag_as_the_table_does(self, behandelaar_a, jobcoach_a, ggz_a):
        slow = UserFactory(
            organisation=ggz_a, role=Role.TRAJECTBEGELEIDER, first_name="Traag", last_name="T"
        )
        join_ips_team(slow)
        today = TODAY()
        quarter = figures.Quarter.containing(today)
        start = max(quarter.start, today - datetime.timedelta(days=13))
        day = start
        while day <= today:  # jobcoach_a: 9 a day, far above 6 a week
            for _ in range(9):
                EmployerContact.objects.create(
                    organisation=ggz_a,
                    coach=jobcoach_a,
                    contacted_on=day,
                    employer="W",
                    type=ContactType.VERVOLG,
                    face_to_face=True,
                )
            day += datetime.timedelta(days=1)
        context = ips_reports.results_context(services.team_of(jobcoach_a), quarter, today)
        rows = {row["coach"].pk: row for row in context["coaches"]}
        assert rows[slow.pk]["contacts_below_norm"]
        assert not rows[jobcoach_a.pk]["contacts_below_norm"]
        bars = {bar["label"]: bar["flagged"] for bar in context["contacts_chart"]["bars"]}
        assert bars[slow.get_full_name()] is True
        assert bars[jobcoach_a.get_full_name()] is False
        assert context["contacts_chart"]["at_least"]
        assert not context["caseload_chart"]["at_least"]

    def test_my_contacts_flags_short_weeks_but_not_this_one(self, client_for, jobcoach_a):
        monday, _sunday = figures.week_bounds(TODAY())
        full_week = monday - datetime.timedelta(weeks=1)
        for _ in range(6):
            EmployerContact.objects.create(
                organisation=jobcoach_a.organisation,
                coach=jobcoach_a,
                contacted_on=full_week,
                employer="W",
                type=ContactType.VERVOLG,
                face_to_face=True,
            )
        response = client_for(jobcoach_a).get(reverse("ips:contacts"))
        chart = response.context["chart"]
        # Oldest first: six empty weeks, last week with six, this week (running, empty).
        assert [bar["flagged"] for bar in chart["bars"]] == [True] * 6 + [False, False]
        assert flags(text_of(response).split('id="per-week"', 1)[1]) == [True] * 6 + [
            False,
            False,
        ]
