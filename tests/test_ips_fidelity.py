"""IPS-25 fidelity reviews (modelgetrouwheid), and the IPS demo data (issue 7)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ips import fidelity
from ips.constants import (
    FIDELITY_ITEM_CODES,
    FIDELITY_ITEMS,
    FidelityBand,
    FidelitySection,
    Phase,
    ReviewStatus,
    fidelity_band,
)
from ips.models import FidelityReview, FidelityScore
from portal.constants import Role
from portal.templatetags.werkpad import change
from tests.factories import UserFactory


def test_the_scale_has_25_items_in_three_sections():
    sections = [section for _code, section, *_rest in FIDELITY_ITEMS]
    assert len(FIDELITY_ITEMS) == 25
    assert sections.count(FidelitySection.PERSONEEL) == 3
    assert sections.count(FidelitySection.ORGANISATIE) == 8
    assert sections.count(FidelitySection.DIENSTVERLENING) == 14
    assert len(set(FIDELITY_ITEM_CODES)) == 25
    originals = {original for _c, _s, _n, original, _h in FIDELITY_ITEMS}
    assert {"Caseload size", "Zero exclusion criteria", "Disclosure"} <= originals


@pytest.mark.parametrize(
    "total,band",
    [
        (125, FidelityBand.VOORBEELDIG),
        (115, FidelityBand.VOORBEELDIG),
        (114, FidelityBand.GOED),
        (100, FidelityBand.GOED),
        (99, FidelityBand.REDELIJK),
        (74, FidelityBand.REDELIJK),
        (73, FidelityBand.GEEN_IPS),
        (25, FidelityBand.GEEN_IPS),
    ],
)
def test_bands(total, band):
    assert fidelity_band(total) == band


def test_summary_per_section():
    scores = dict.fromkeys(FIDELITY_ITEM_CODES, 5)
    result = fidelity.summary(scores)
    assert [s["score"] for s in result["sections"]] == [15, 40, 70]
    assert (result["total"], result["band"]) == (125, FidelityBand.VOORBEELDIG)
    scores["p1"] = None
    partial = fidelity.summary(scores)
    assert partial["missing"] == ["p1"]
    assert partial["band"] is None
    assert partial["sections"][0]["scored"] == 2


def all_scores(score):
    return {f"score_{code}": score for code in FIDELITY_ITEM_CODES}


@pytest.fixture
def review(jobcoach_a):
    return fidelity.create_review(
        jobcoach_a,
        jobcoach_a.ips_team_member.team,
        kind="zelf",
        review_date=timezone.localdate(),
        reviewers="Team A",
    )


class TestReviewPages:
    def test_create_review(self, client_for, jobcoach_a):
        response = client_for(jobcoach_a).post(
            reverse("ips:fidelity_list"),
            {"kind": "extern", "review_date": timezone.localdate().isoformat(), "reviewers": "X"},
        )
        review = FidelityReview.objects.get()
        assert response["Location"] == reverse("ips:fidelity_detail", args=[review.pk])
        assert review.organisation == jobcoach_a.organisation
        assert review.scores.count() == 25

    def test_the_kind_offers_only_the_real_choices_none_chosen(self, client_for, jobcoach_a):
        c = client_for(jobcoach_a)
        html = c.get(reverse("ips:fidelity_list")).content.decode()
        kinds = html.split('name="kind"')
        assert len(kinds) == 3  # two radio buttons: zelf and extern
        assert "---------" not in html
        assert not any(" checked" in kind.split(">", 1)[0] for kind in kinds[1:])
        response = c.post(
            reverse("ips:fidelity_list"),
            {"review_date": timezone.localdate().isoformat(), "reviewers": "X"},
        )
        assert response.context["form"].errors["kind"] == ["Dit veld is verplicht."]
        assert not FidelityReview.objects.exists()

    def test_score_outside_1_to_5_is_refused_and_nothing_saved(
        self, client_for, jobcoach_a, review
    ):
        url = reverse("ips:fidelity_detail", args=[review.pk])
        data = {"version": review.version, **all_scores(4), "score_d3": 7}
        response = client_for(jobcoach_a).post(url, data)
        assert "tussen 1 en 5" in response.content.decode()
        assert not review.scores.filter(score__isnull=False).exists()
        with pytest.raises(ValidationError, match="tussen 1 en 5"):
            fidelity.save_scores(review, {"p1": (0, "")}, review.version)
        assert not review.scores.filter(score__isnull=False).exists()

    def test_a_note_at_the_limit_with_line_breaks_is_saved(self, client_for, jobcoach_a, review):
        """The browser lets 2 000 characters through, counting a line break as one, and
        sends each as CR LF: stored as typed, with LF."""
        url = reverse("ips:fidelity_detail", args=[review.pk])
        typed = ("regel\n" * 333) + "ab"  # 2 000 characters, 333 line breaks
        assert len(typed) == 2000
        data = {"version": review.version, **all_scores(4), "note_p1": typed.replace("\n", "\r\n")}
        response = client_for(jobcoach_a).post(url, data, follow=True)
        assert "Scores opgeslagen" in response.content.decode()
        assert review.scores.get(item="p1").note == typed

    def test_a_note_too_long_says_so_by_the_field_and_above(self, client_for, jobcoach_a, review):
        url = reverse("ips:fidelity_detail", args=[review.pk])
        data = {"version": review.version, **all_scores(4), "note_p1": "x" * 2001}
        html = client_for(jobcoach_a).post(url, data).content.decode()
        assert "Niet opgeslagen. Verbeter wat hieronder staat:" in html
        # By the field, under the id its aria-describedby names.
        assert '<ul class="errorlist" id="id_note_p1_error"><li>Zorg dat deze waarde' in html
        assert 'aria-describedby="id_note_p1_error"' in html
        assert html.count("niet meer dan 2000 tekens bevat (het zijn er nu 2001)") == 2
        assert not review.scores.filter(score__isnull=False).exists()

    def test_database_refuses_a_score_of_6(self, review):
        with pytest.raises(IntegrityError), transaction.atomic():
            FidelityScore.objects.filter(review=review, item="p1").update(score=6)

    def test_finishing_with_unscored_items_is_refused(self, client_for, jobcoach_a, review):
        c = client_for(jobcoach_a)
        data = {"version": review.version, **all_scores(4), "score_o6": ""}
        c.post(reverse("ips:fidelity_detail", args=[review.pk]), data)
        review.refresh_from_db()
        response = c.post(
            reverse("ips:fidelity_finish", args=[review.pk]),
            {"version": review.version},
            follow=True,
        )
        html = response.content.decode()
        assert "Nog niet alle items hebben een score" in html
        assert "Geen uitsluitingscriteria" in html
        review.refresh_from_db()
        assert review.status == ReviewStatus.CONCEPT
        assert review.finished_at is None

    def test_finishing_without_the_page_version_asks_to_reload(
        self, client_for, jobcoach_a, review
    ):
        """A missing or garbled version is no change by someone else: no 'gewijzigd'."""
        c = client_for(jobcoach_a)
        c.post(reverse("ips:fidelity_detail", args=[review.pk]), {"version": review.version,
               **all_scores(4)}, follow=True)  # fmt: skip
        for sent in ({}, {"version": "x"}):
            response = c.post(reverse("ips:fidelity_finish", args=[review.pk]), sent, follow=True)
            messages = [str(m) for m in response.context["messages"]]
            assert messages == ["Niet afgerond: vernieuw de pagina en probeer het opnieuw."]
            review.refresh_from_db()
            assert review.status == ReviewStatus.CONCEPT

    def test_finishing_saves_the_scores_typed_on_the_page_first(
        self, client_for, jobcoach_a, review
    ):
        """'Meting afronden' is a button of the scores form: no 'Scores opslaan' first."""
        url = reverse("ips:fidelity_detail", args=[review.pk])
        c = client_for(jobcoach_a)
        assert 'name="action" value="afronden"' in c.get(url).content.decode()
        data = {"version": review.version, **all_scores(4), "note_p1": "Tien per begeleider"}
        response = c.post(url, {**data, "action": "afronden"}, follow=True)
        assert "Meting afgerond" in response.content.decode()
        review.refresh_from_db()
        assert review.status == ReviewStatus.AFGEROND
        assert set(review.scores.values_list("score", flat=True)) == {4}
        assert review.scores.get(item="p1").note == "Tien per begeleider"

    def test_finishing_too_early_keeps_what_was_typed(self, client_for, jobcoach_a, review):
        url = reverse("ips:fidelity_detail", args=[review.pk])
        c = client_for(jobcoach_a)
        data = {"version": review.version, **all_scores(3), "score_o6": "", "note_p2": "Notitie"}
        html = c.post(url, {**data, "action": "afronden"}, follow=True).content.decode()
        assert "Scores opgeslagen, maar niet afgerond" in html
        assert "Geen uitsluitingscriteria" in html
        review.refresh_from_db()
        assert review.status == ReviewStatus.CONCEPT
        assert review.scores.filter(score=3).count() == 24
        assert review.scores.get(item="p2").note == "Notitie"
        # The page shows the stored version: the next save is not refused as stale.
        c.post(url, {"version": review.version, **all_scores(3), "action": "afronden"})
        review.refresh_from_db()
        assert review.status == ReviewStatus.AFGEROND

    def test_finished_review_is_read_only(self, client_for, jobcoach_a, review):
        c = client_for(jobcoach_a)
        url = reverse("ips:fidelity_detail", args=[review.pk])
        c.post(url, {"version": review.version, **all_scores(4)})
        review.refresh_from_db()
        c.post(reverse("ips:fidelity_finish", args=[review.pk]), {"version": review.version})
        review.refresh_from_db()
        assert review.status == ReviewStatus.AFGEROND
        assert review.finished_by == jobcoach_a
        html = c.get(url).content.decode()
        assert "Scores opslaan" not in html
        assert "100 / 125" in html
        assert "Goed (100–114)" in html
        response = c.post(url, {"version": review.version, **all_scores(1)}, follow=True)
        assert "afgerond" in response.content.decode()
        assert set(review.scores.values_list("score", flat=True)) == {4}
        with pytest.raises(ValidationError):
            fidelity.save_scores(review, {"p1": (1, "")}, review.version)

    def test_stale_save_is_refused(self, client_for, jobcoach_a, review):
        c = client_for(jobcoach_a)
        url = reverse("ips:fidelity_detail", args=[review.pk])
        stale = review.version
        c.post(url, {"version": stale, **all_scores(3)})
        response = c.post(url, {"version": stale, **all_scores(5)})
        # The same user, in another window: not "iemand anders" (a tester had).
        [message] = response.context["form"].non_field_errors()
        assert message.startswith(
            "Niet opgeslagen: deze meting is intussen gewijzigd, in een ander venster of door "
            "een collega. "
        )
        assert set(review.scores.values_list("score", flat=True)) == {3}

    def test_stale_finish_says_what_is_known(self, client_for, jobcoach_a, review):
        c = client_for(jobcoach_a)
        stale = review.version
        c.post(
            reverse("ips:fidelity_detail", args=[review.pk]), {"version": stale, **all_scores(4)}
        )
        response = c.post(
            reverse("ips:fidelity_finish", args=[review.pk]), {"version": stale}, follow=True
        )
        html = response.content.decode()
        assert "iemand anders" not in html
        assert (
            "Niet afgerond: de meting is intussen gewijzigd, in een ander venster of door een "
            "collega."
        ) in html
        review.refresh_from_db()
        assert review.status == ReviewStatus.CONCEPT

    def test_change_against_previous_review(self, jobcoach_a, client_for):
        today = timezone.localdate()
        earlier = fidelity.create_review(
            jobcoach_a,
            jobcoach_a.ips_team_member.team,
            kind="extern",
            review_date=today - datetime.timedelta(days=700),
            reviewers="Audit",
        )
        fidelity.save_scores(earlier, dict.fromkeys(FIDELITY_ITEM_CODES, (3, "")), earlier.version)
        fidelity.finish_review(earlier, jobcoach_a, earlier.version)
        later = fidelity.create_review(
            jobcoach_a,
            jobcoach_a.ips_team_member.team,
            kind="zelf",
            review_date=today,
            reviewers="Wij",
        )
        fidelity.save_scores(later, dict.fromkeys(FIDELITY_ITEM_CODES, (4, "")), later.version)
        assert fidelity.previous_review(later) == earlier
        assert fidelity.previous_review(earlier) is None
        html = (
            client_for(jobcoach_a)
            .get(reverse("ips:fidelity_detail", args=[later.pk]))
            .content.decode()
        )
        assert "+25" in html  # 100 against 75
        assert "+3" in html and "+8" in html and "+14" in html  # per section
        assert "Redelijk (74–99)" in html  # the previous band

    @pytest.mark.parametrize("number, shown", [(0, "0"), (3, "+3"), (-2, "−2")])
    def test_a_change_reads_with_its_sign_and_no_change_as_0(self, number, shown):
        assert change(number) == shown

    def test_a_draft_is_not_compared_until_every_item_is_scored(self, jobcoach_a, client_for):
        earlier = fidelity.create_review(
            jobcoach_a,
            jobcoach_a.ips_team_member.team,
            kind="extern",
            review_date=timezone.localdate() - datetime.timedelta(days=700),
            reviewers="Audit",
        )
        fidelity.save_scores(earlier, dict.fromkeys(FIDELITY_ITEM_CODES, (5, "")), earlier.version)
        fidelity.finish_review(earlier, jobcoach_a, earlier.version)
        draft = fidelity.create_review(
            jobcoach_a,
            jobcoach_a.ips_team_member.team,
            kind="zelf",
            review_date=timezone.localdate(),
            reviewers="Wij",
        )
        fidelity.save_scores(draft, {"p1": (4, ""), "p2": (5, "")}, draft.version)
        response = client_for(jobcoach_a).get(reverse("ips:fidelity_detail", args=[draft.pk]))
        html = response.content.decode()
        assert response.context["change"] is None
        assert "Verschil met vorige meting" not in html
        assert "-116" not in html  # 9 against 125
        assert "Het verschil volgt als alle items een score hebben." in html

    def test_other_teams_review_is_not_reachable(self, client_for, review, ggz_b, behandelaar_a):
        other = UserFactory(organisation=ggz_b, role=Role.TRAJECTBEGELEIDER)
        for user in [other, behandelaar_a]:
            c = client_for(user)
            assert c.get(reverse("ips:fidelity_detail", args=[review.pk])).status_code == 404
            response = c.post(reverse("ips:fidelity_finish", args=[review.pk]), {"version": 1})
            assert response.status_code == 404
        assert not fidelity.previous_review(review)


# --- Demo data --------------------------------------------------------------------------------


def test_demo_is_idempotent_and_tells_the_stories(db, settings):
    from cases.models import Case
    from ips import demo as ips_demo
    from ips.models import EmployerContact, Placement, Trajectory
    from portal import demo

    settings.DEMO_MODE = True
    world = demo.build_world()
    ips_demo.load(world)
    counts = (
        Trajectory.objects.count(),
        EmployerContact.objects.count(),
        Placement.objects.count(),
        FidelityReview.objects.count(),
    )
    ips_demo.load(world)
    assert counts == (
        Trajectory.objects.count(),
        EmployerContact.objects.count(),
        Placement.objects.count(),
        FidelityReview.objects.count(),
    )
    phases = {
        t.case.client.first_name: t.phase for t in Trajectory.objects.select_related("case__client")
    }
    assert phases["Priya"] == phases["Tom"] == Phase.ZOEKEN
    assert phases["Noor"] == Phase.NAZORG
    assert phases["Ruben"] == Phase.GEPLAATST
    assert phases["Fatima"] == phases["Kees"] == Phase.AANGEMELD  # referred, not yet accepted
    ruben = Trajectory.objects.get(case__client__first_name="Ruben")
    assert [p.is_competitive for p in ruben.placements.order_by("start_date")] == [False, True]
    assert [r.status for r in FidelityReview.objects.all()] == [ReviewStatus.AFGEROND] * 2
    assert Case.objects.count() == 12
