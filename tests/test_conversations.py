"""Motiverende gesprekken (issue 6): MITI 4.2.1 summary scores and thresholds, the progress
charts, logging with its Dutch validation messages, the Zvw counter, editing within seven
days and corrections, who may see what (MITI self-scores only for their professional), the
voortgangsrapportage, and query counts."""

import datetime
import re
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from cases import conversation_services as conversations
from cases.constants import (
    CaseRole,
    ChangeTalkKind,
    ConversationForm,
    MitiLevel,
    StageOfChange,
    TargetBehaviour,
    TimelineKind,
)
from cases.models import (
    Agreement,
    Case,
    ChangeRecord,
    ChangeTalk,
    Conversation,
    MitiSelfAssessment,
    TimelineEntry,
)
from consent import services as consent
from consent.constants import Category, Purpose
from consent.models import AccessLogEntry
from portal import reports
from portal.models import ReportType

from .builders import make_case, make_consent, withdraw

# Markers that must never leave their place.
MITI_HEADING = "Uw zelfbeoordeling (MITI 4.2.1)"
MITI_COUNTS = "17 vragen, 13 enkelvoudige en 11 complexe reflecties"
SUMMARY = "Samenvatting-mrk-8c1d"
QUOTE = "Ik wil weer ergens bij horen"
NEXT_STEP = "Vacaturebank samen bekijken"

# The clock stands still from before the fixtures run (timezone.localtime is called then,
# not when the test is collected): the dates a test computes and those the server computes
# fall on one day, also when a run crosses midnight.
SAME_DAY = pytest.mark.time_machine(timezone.localtime, tick=False)


@pytest.fixture
def case_a(behandelaar_a):
    return make_case(behandelaar_a, first_name="Eva", last_name="Jansen")


def days_ago(n):
    return timezone.localdate() - datetime.timedelta(days=n)


def form_data(**overrides):
    """A complete, valid POST of the logging form (with change talk, MITI, next step)."""
    data = {
        "held_on": timezone.localdate().isoformat(),
        "duration_minutes": "45",
        "participants": "Cliënt en behandelaar",
        "form": ConversationForm.PERSOONLIJK,
        "target_behaviour": TargetBehaviour.WERK_ZOEKEN,
        "stage": StageOfChange.CONTEMPLATIE,
        "importance": "6",
        "confidence": "4",
        "talk_desire": "on",
        "quote_desire": QUOTE,
        "talk_reasons": "on",
        "sustain_talk": "Bang om de uitkering kwijt te raken.",
        "summary": SUMMARY,
        "zvw_funded": "on",
        "next_what": NEXT_STEP,
        "next_owner": "Cliënt",
        "next_due": (timezone.localdate() + datetime.timedelta(days=7)).isoformat(),
        "questions": "17",
        "simple_reflections": "13",
        "complex_reflections": "11",
        "cultivating_change_talk": "4",
        "softening_sustain_talk": "3",
        "partnership": "4",
        "empathy": "5",
    }
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def create_url(case):
    return reverse("cases:conversation_create", args=[case.pk])


def list_url(case):
    return reverse("cases:conversation_list", args=[case.pk])


def detail_url(case, conversation):
    return reverse("cases:conversation_detail", args=[case.pk, conversation.pk])


def log_via_page(c, case, **overrides):
    response = c.post(create_url(case), form_data(**overrides))
    assert response.status_code == 302, response.content.decode()
    return Conversation.objects.filter(case=case).latest("pk")


def log_direct(case, user, held_on=None, stage=StageOfChange.CONTEMPLATIE, **fields):
    """A log straight through the service (for lists, charts and query counts)."""
    talk = fields.pop("talk", {ChangeTalkKind.DESIRE: ""})
    miti = fields.pop("miti", None)
    data = conversation_data(held_on, stage, **fields)
    return conversations.log_conversation(consent.case_access(user, case), data, talk, miti=miti)


def conversation_data(held_on=None, stage=StageOfChange.CONTEMPLATIE, **fields):
    return {
        "held_on": held_on or timezone.localdate(),
        "duration_minutes": 30,
        "participants": "Cliënt",
        "form": ConversationForm.PERSOONLIJK,
        "target_behaviour": TargetBehaviour.WERK_ZOEKEN,
        "target_other": "",
        "stage": stage,
        "importance": 5,
        "confidence": 5,
        "sustain_talk": "",
        "discord": "",
        "summary": "",
        "zvw_funded": True,
        **fields,
    }


MITI = {
    "questions": 17,
    "simple_reflections": 13,
    "complex_reflections": 11,
    "cultivating_change_talk": 4,
    "softening_sustain_talk": 3,
    "partnership": 4,
    "empathy": 5,
}


def denied(**filters):
    return AccessLogEntry.objects.filter(outcome="geweigerd", **filters)


# --- MITI 4.2.1 summary scores ---------------------------------------------------------------


class TestMitiMetrics:
    def test_the_four_summary_scores(self):
        s = conversations.miti_summary(10, 8, 12, 4, 3, 4, 5)
        assert s.rq_ratio == 2.0
        assert s.pct_complex == 60.0
        assert s.relational == 4.5
        assert s.technical == 3.5
        levels = {score.key: score.level for score in s.scores}
        assert levels == {
            "relational": MitiLevel.GOED,
            "technical": MitiLevel.REDELIJK,
            "pct_complex": MitiLevel.GOED,
            "rq_ratio": MitiLevel.GOED,
        }

    @pytest.mark.parametrize(
        "key,value,expected",
        [
            ("relational", 4.0, MitiLevel.GOED),
            ("relational", 3.5, MitiLevel.REDELIJK),
            ("relational", 3.0, MitiLevel.ONDER),
            ("technical", 4.0, MitiLevel.GOED),
            ("technical", 3.0, MitiLevel.REDELIJK),
            ("technical", 2.5, MitiLevel.ONDER),
            ("pct_complex", 50.0, MitiLevel.GOED),
            ("pct_complex", 40.0, MitiLevel.REDELIJK),
            ("pct_complex", 39.9, MitiLevel.ONDER),
            ("rq_ratio", 2.0, MitiLevel.GOED),
            ("rq_ratio", 1.0, MitiLevel.REDELIJK),
            ("rq_ratio", 0.99, MitiLevel.ONDER),
            ("rq_ratio", None, None),
        ],
    )
    def test_published_thresholds_inclusive(self, key, value, expected):
        assert conversations.level(value, key) == expected

    def test_thresholds_are_the_published_ones(self):
        # MITI 4.2.1 (BRIEF §7): relational 3.5/4, technical 3/4, %CR 40/50, R:Q 1/2.
        assert conversations.THRESHOLDS == {
            "relational": (3.5, 4.0),
            "technical": (3.0, 4.0),
            "pct_complex": (40.0, 50.0),
            "rq_ratio": (1.0, 2.0),
        }

    def test_zero_questions_leaves_the_ratio_undefined(self):
        s = conversations.miti_summary(0, 5, 5, 3, 3, 3, 3)
        assert s.rq_ratio is None and s.pct_complex == 50.0
        ratio = next(score for score in s.scores if score.key == "rq_ratio")
        assert ratio.level is None
        assert ratio.text == "niet te berekenen (geen vragen)"
        assert ratio.level_label == "niet te berekenen"

    def test_zero_reflections(self):
        s = conversations.miti_summary(12, 0, 0, 1, 1, 1, 1)
        assert s.pct_complex is None
        assert s.rq_ratio == 0.0
        assert conversations.level(s.rq_ratio, "rq_ratio") == MitiLevel.ONDER
        assert s.relational == 1.0 and s.technical == 1.0

    def test_nothing_counted(self):
        s = conversations.miti_summary(0, 0, 0, 5, 5, 5, 5)
        assert (s.rq_ratio, s.pct_complex) == (None, None)
        assert [score.level for score in s.scores] == [MitiLevel.GOED, MitiLevel.GOED, None, None]

    def test_shown_rounded_down_so_no_threshold_is_reached_by_rounding(self):
        s = conversations.miti_summary(10, 100, 99, 4, 4, 4, 4)
        pct = next(score for score in s.scores if score.key == "pct_complex")
        assert pct.text == "49 %" and pct.level == MitiLevel.REDELIJK  # 49.75 %
        ratio = conversations.miti_summary(3, 5, 0, 3, 3, 3, 3).scores[3]
        assert ratio.text == "1,6 : 1" and ratio.level == MitiLevel.REDELIJK  # 1.67

    def test_dutch_number_format(self):
        s = conversations.miti_summary(4, 3, 3, 3, 2, 4, 3)
        texts = {score.key: score.text for score in s.scores}
        assert texts == {
            "relational": "3,5",
            "technical": "2,5",
            "pct_complex": "50 %",
            "rq_ratio": "1,5 : 1",
        }


# --- Charts --------------------------------------------------------------------------------


class FakeLog:
    """What the chart needs of a log; no database."""

    def __init__(self, day, stage, importance, confidence, pk):
        self.held_on = day
        self.stage = stage
        self.importance = importance
        self.confidence = confidence
        self.created_at = timezone.now()
        self.pk = pk
        self.is_corrected = False

    def get_stage_display(self):
        return StageOfChange(self.stage).label


class TestCharts:
    def test_no_points_no_chart(self):
        assert conversations.line_chart([], [("x", [])], y_min=0, y_max=10, y_ticks=[]) is None
        assert conversations.progress([]) is None

    def test_one_point_sits_in_the_middle_without_a_line(self):
        chart = conversations.line_chart(
            [datetime.date(2025, 3, 1)],
            [("Belang", [6]), ("Vertrouwen", [None])],
            y_min=0,
            y_max=10,
            y_ticks=[(0, "0"), (10, "10")],
        )
        importance, confidence = chart["series"]
        assert importance["segments"] == []
        assert len(importance["markers"]) == 1
        middle = (chart["left"] + chart["right"]) / 2
        assert importance["markers"][0]["x"] == pytest.approx(middle, abs=0.1)
        assert confidence["markers"] == [] and confidence["segments"] == []
        assert [label["text"] for label in chart["x_labels"]] == ["1 mrt 25"]

    def test_many_points_spread_over_the_width_with_few_labels(self):
        start = datetime.date(2024, 1, 1)
        dates = [start + datetime.timedelta(days=7 * i) for i in range(50)]
        chart = conversations.line_chart(
            dates,
            [("Belang", [i % 11 for i in range(50)])],
            y_min=0,
            y_max=10,
            y_ticks=[(0, "0"), (10, "10")],
        )
        xs = [m["x"] for m in chart["series"][0]["markers"]]
        assert xs[0] == chart["left"] and xs[-1] == chart["right"]
        assert xs == sorted(xs) and len(set(xs)) == 50
        ys = {m["y"] for m in chart["series"][0]["markers"]}
        assert min(ys) == chart["top"] and max(ys) == chart["bottom"]  # 10 on top, 0 below
        assert len(chart["x_labels"]) <= conversations.MAX_X_LABELS
        assert chart["x_labels"][-1]["x"] == chart["right"]  # the newest date is labelled
        assert len(chart["series"][0]["segments"]) == 1

    def test_a_missing_value_breaks_the_line(self):
        chart = conversations.line_chart(
            [datetime.date(2025, 1, d) for d in (1, 2, 3, 4)],
            [("Belang", [5, None, 6, 7])],
            y_min=0,
            y_max=10,
            y_ticks=[],
        )
        line = chart["series"][0]
        assert len(line["markers"]) == 3
        assert len(line["segments"]) == 1 and line["segments"][0].count(",") == 2

    def test_the_svg_has_decimal_points_escaped_labels_and_one_mark_per_value(self):
        from portal.templatetags.werkpad import line_chart as svg_of

        chart = conversations.line_chart(
            [datetime.date(2025, 1, d) for d in (1, 2, 3)],
            [("Belang <b>", [5, None, 7]), ("Vertrouwen", [3, 4, 6])],
            y_min=0,
            y_max=7,  # thirds: coordinates with decimals
            y_ticks=[(0, "0"), (7, "<i>7</i>")],
        )
        with translation.override("nl"):
            svg = str(svg_of(chart, "c-1", "Titel & meer"))
        numbers = re.findall(r' (?:x|y|cx|cy|x1|x2|y1|y2)="([^"]*)"', svg)
        assert numbers and all(re.fullmatch(r"-?\d+(\.\d+)?", n) for n in numbers), numbers
        assert any("." in n for n in numbers)  # a decimal point, never a comma
        assert "<b>" not in svg and "&lt;b&gt;" in svg and "&lt;i&gt;7&lt;/i&gt;" in svg
        assert '<title id="c-1-title">Titel &amp; meer</title>' in svg
        assert svg.count("<circle") == 2 + 1  # first series' two values and its legend
        assert svg.count("<rect") == 3 + 1  # second series: three squares and its legend
        assert svg.count("<polyline") == 1  # the first series is broken into lone points
        assert svg.endswith("</svg>") and conversations.SERIES_STYLES[1]["dash"] in svg
        assert svg_of(None, "c-2", "Leeg") == ""

    def test_stage_chart_places_relapse_below_the_ordered_stages(self):
        logs = [
            FakeLog(datetime.date(2025, 1, i + 1), stage, 5, 5, i)
            for i, stage in enumerate(
                [StageOfChange.PRECONTEMPLATIE, StageOfChange.CONSOLIDATIE, StageOfChange.TERUGVAL]
            )
        ]
        progress = conversations.progress(logs)
        ys = [m["y"] for m in progress["stage_chart"]["series"][0]["markers"]]
        assert ys[1] < ys[0] < ys[2]  # consolidatie highest, terugval lowest
        ticks = [t["text"] for t in progress["stage_chart"]["y_ticks"]]
        assert ticks[0] == "precontemplatie" and "terugval" in ticks

    def test_panel_keeps_the_last_points(self):
        logs = [FakeLog(days_ago(100 - i), "actie", i % 11, 3, i) for i in range(30)]
        progress = conversations.progress(logs, limit=12)
        assert len(progress["rows"]) == 12
        assert progress["rows"][-1].held_on == days_ago(71)


# --- Logging ----------------------------------------------------------------------------------


def test_the_form_says_who_reads_what_is_typed(client_for, behandelaar_a, case_a):
    """Samenvatting, uitspraken, behoudtaal: a klantmanager reads them with consent."""
    html = client_for(behandelaar_a).get(create_url(case_a)).content.decode()
    assert "Gedeeld als ‘Gespreksverslagen’" in html
    assert "ook gemeente en UWV. Schrijf hier geen medische informatie." in html


class TestLogging:
    @SAME_DAY
    def test_form_defaults_for_the_usual_case(self, client_for, behandelaar_a, case_a):
        html = client_for(behandelaar_a).get(create_url(case_a)).content.decode()
        assert f'value="{timezone.localdate().isoformat()}"' in html
        assert escape(behandelaar_a.get_full_name()) in html
        assert re.search(r'value="persoonlijk"[^>]*checked', html)
        assert "Persoonlijk (fysiek)" in html and "face to face" not in html
        assert re.search(r'name="zvw_funded"[^>]*checked', html)
        assert "0 van de gebruikelijke 8 gebruikt" in html
        assert "alleen voor uzelf" in html
        assert "<label" in html and 'aria-describedby="id_importance_helptext"' in html

    def test_one_post_records_everything(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        conversation = log_via_page(c, case_a)
        assert (conversation.organisation, conversation.author) == (
            behandelaar_a.organisation,
            behandelaar_a,
        )
        assert (conversation.stage, conversation.importance, conversation.confidence) == (
            "contemplatie",
            6,
            4,
        )
        assert dict(conversation.change_talk.values_list("kind", "quote")) == {
            "desire": QUOTE,
            "reasons": "",
        }
        agreement = conversation.next_step
        assert (agreement.what, agreement.case, agreement.organisation) == (
            NEXT_STEP,
            case_a,
            behandelaar_a.organisation,
        )
        assessment = MitiSelfAssessment.objects.get(conversation=conversation)
        assert assessment.professional == behandelaar_a and assessment.questions == 17
        entries = TimelineEntry.objects.filter(case=case_a, kind__in=["gesprek", "afspraak"])
        assert {(e.kind, e.category) for e in entries} == {
            (TimelineKind.GESPREK, Category.GESPREKSVERSLAGEN),
            (TimelineKind.AFSPRAAK, Category.AFSPRAKEN),
        }
        assert not any("reflecti" in e.title + e.body for e in entries)  # no MITI there
        created = AccessLogEntry.objects.filter(
            user=behandelaar_a, action="create", outcome="toegestaan"
        ).values_list("object_type", "object_id", "category")
        assert set(created) == {
            ("motiverend-gesprek", str(conversation.pk), Category.GESPREKSVERSLAGEN),
            ("afspraak", str(agreement.pk), Category.AFSPRAKEN),
        }

    def test_minimal_log_without_next_step_or_miti(self, client_for, behandelaar_a, case_a):
        empty = dict.fromkeys(
            ["next_what", "importance", "confidence", "talk_desire", "quote_desire"] + list(MITI),
            "",
        )
        conversation = log_via_page(client_for(behandelaar_a), case_a, **empty)
        assert conversation.next_step is None
        assert conversation.importance is None
        assert not MitiSelfAssessment.objects.filter(conversation=conversation).exists()
        assert Agreement.objects.filter(case=case_a).count() == 0

    @pytest.mark.parametrize(
        "overrides,message",
        [
            ({"importance": "11"}, "Vul een getal van 0 tot en met 10 in."),
            ({"confidence": "-1"}, "Vul een getal van 0 tot en met 10 in."),
            ({"importance": "zes"}, "Vul een heel getal van 0 tot en met 10 in."),
            ({"duration_minutes": "0"}, "De duur is minstens 1 minuut."),
            ({"duration_minutes": "-5"}, "De duur is minstens 1 minuut."),
            ({"duration_minutes": "481"}, "Een gesprek duurt hoogstens 8 uur (480 minuten)."),
            ({"duration_minutes": ""}, "Vul in hoe lang het gesprek duurde, in minuten."),
            ({"held_on": "2999-01-01"}, "De datum van het gesprek ligt in de toekomst."),
            ({"held_on": "31-02-2024"}, "Vul een geldige datum in."),
            ({"stage": "verlicht"}, "Kies een fase van verandering uit de lijst."),
            ({"stage": None}, "Kies de fase van verandering."),
            ({"form": "brief"}, "Kies een vorm uit de lijst."),
            ({"talk_desire": None}, "Vink ‘Wens (desire)’ aan als u hierbij een uitspraak"),
            ({"questions": "-1"}, "Een aantal kan niet negatief zijn."),
            ({"complex_reflections": "501"}, "Vul hoogstens 500 in."),
            ({"empathy": "6"}, "Kies een score van 1 tot en met 5."),
            ({"partnership": ""}, "Vul voor de zelfbeoordeling alle zeven onderdelen in"),
            ({"target_behaviour": "anders"}, "Beschrijf het doelgedrag bij ‘Anders’."),
            ({"next_due": "2000-01-01"}, "Deze datum ligt in het verleden."),
            ({"next_owner": ""}, "Vul in wie de volgende stap zet."),
            ({"participants": ""}, "Vul in wie aan het gesprek deelnamen."),
        ],
    )
    def test_bad_input_gets_a_clear_dutch_message_and_saves_nothing(
        self, client_for, behandelaar_a, case_a, overrides, message
    ):
        response = client_for(behandelaar_a).post(create_url(case_a), form_data(**overrides))
        assert response.status_code == 200
        html = response.content.decode()
        assert message in html
        assert 'aria-invalid="true"' in html
        assert not Conversation.objects.exists()
        assert not Agreement.objects.exists()

    def test_a_late_error_is_summed_up_at_the_top_with_a_link_to_its_field(
        self, client_for, behandelaar_a, case_a
    ):
        response = client_for(behandelaar_a).post(
            create_url(case_a), form_data(next_due="2000-01-01", stage=None)
        )
        html = response.content.decode()
        form = html.split("<main", 1)[1].split('<form method="post"', 1)[1]
        summary = form.split("</div>", 1)[0]
        assert "Niet opgeslagen. Verbeter wat hieronder staat:" in summary
        assert (
            '<a href="#id_next_due">Uiterlijk op</a>: Deze datum ligt in het verleden.' in summary
        )
        assert 'href="#id_stage_0"' in summary
        for target in ("id_next_due", "id_stage_0"):
            assert f'id="{target}"' in html
        # The summary comes before the fields.
        assert form.index("Niet opgeslagen") < form.index('id="id_held_on"')

    def test_the_database_holds_the_rules_too(self, behandelaar_a, case_a):
        good = {
            "case": case_a,
            "organisation": behandelaar_a.organisation,
            "author": behandelaar_a,
            "held_on": timezone.localdate(),
            "duration_minutes": 30,
            "participants": "x",
            "target_behaviour": TargetBehaviour.WERK_ZOEKEN,
            "stage": StageOfChange.ACTIE,
        }
        for bad in (
            {"duration_minutes": 0},
            {"duration_minutes": 481},
            {"importance": 11},
            {"confidence": 12},
            {"stage": "verlicht"},
        ):
            with pytest.raises(IntegrityError), transaction.atomic():
                Conversation.objects.create(**{**good, **bad})
        conversation = Conversation.objects.create(**good)
        with pytest.raises(IntegrityError), transaction.atomic():
            ChangeTalk.objects.bulk_create(
                [
                    ChangeTalk(conversation=conversation, kind="desire"),
                    ChangeTalk(conversation=conversation, kind="desire"),
                ]
            )
        with pytest.raises(IntegrityError), transaction.atomic():
            MitiSelfAssessment.objects.create(
                conversation=conversation,
                professional=behandelaar_a,
                organisation=behandelaar_a.organisation,
                held_on=conversation.held_on,
                **{**MITI, "empathy": 0},
            )

    def test_closed_case_takes_no_new_logs(self, client_for, behandelaar_a, case_a):
        case_a.status, case_a.closed_at = "gesloten", timezone.now()
        case_a.save()
        c = client_for(behandelaar_a)
        response = c.post(create_url(case_a), form_data())
        assert response.status_code == 302
        assert not Conversation.objects.exists()
        html = c.get(reverse("cases:detail", args=[case_a.pk])).content.decode()
        assert "Gesprek vastleggen" not in html

    def test_closed_since_the_page_was_read_takes_no_log(self, behandelaar_a, case_a):
        """The service refuses too, on the status as it is now: the case was closed after
        the user's access (and its case) was read."""
        access = consent.case_access(behandelaar_a, case_a)
        Case.objects.filter(pk=case_a.pk).update(status="gesloten", closed_at=timezone.now())
        with pytest.raises(ValidationError, match="gesloten"):
            conversations.log_conversation(access, conversation_data(), {ChangeTalkKind.DESIRE: ""})
        assert not Conversation.objects.exists()


# --- The Zvw counter ----------------------------------------------------------------------------


class TestFunding:
    def test_counter_on_the_case(self, client_for, behandelaar_a, case_a):
        for i in range(3):
            log_direct(case_a, behandelaar_a, held_on=days_ago(10 - i))
        log_direct(case_a, behandelaar_a, held_on=days_ago(2), zvw_funded=False)
        html = client_for(behandelaar_a).get(reverse("cases:detail", args=[case_a.pk]))
        assert "3 van de gebruikelijke 8 gebruikt" in html.content.decode()

    def test_more_than_usual_and_default_off(self, client_for, behandelaar_a, case_a):
        for i in range(9):
            log_direct(case_a, behandelaar_a, held_on=days_ago(20 - i))
        c = client_for(behandelaar_a)
        page = c.get(list_url(case_a)).content.decode()
        assert "9 van de gebruikelijke 8 gebruikt" in page and "meer dan gebruikelijk" in page
        response = c.get(create_url(case_a))
        assert not re.search(r'name="zvw_funded"[^>]*checked', response.content.decode())
        assert AccessLogEntry.objects.filter(
            request_id=response["X-Request-ID"],
            category=Category.GESPREKSVERSLAGEN,
            action="read",
            outcome="toegestaan",
        ).exists()

    def test_a_corrected_log_counts_once(self, behandelaar_a, case_a):
        original = log_direct(case_a, behandelaar_a, held_on=days_ago(3))
        access = consent.case_access(behandelaar_a, case_a)
        conversations.correct_conversation(
            access,
            original,
            {**{n: getattr(original, n) for n in conversations.FIELDS}, "importance": 8},
            {},
            "Belang was 8, niet 5.",
        )
        rows = list(conversations.conversations_for(access, case_a))
        assert len(rows) == 2
        assert conversations.funded_count(rows) == 1
        progress = conversations.progress(rows)
        assert [r.importance for r in progress["rows"]] == [8]


# --- Editing within seven days, corrections afterwards --------------------------------------


class TestEditAndCorrect:
    def edit_data(self, conversation, **overrides):
        data = form_data(next_what=None, next_owner=None, next_due=None, **overrides)
        data["version"] = str(conversation.version)
        return data

    @SAME_DAY
    def test_author_edits_within_seven_days(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        conversation = log_via_page(c, case_a)
        url = reverse("cases:conversation_edit", args=[case_a.pk, conversation.pk])
        page = c.get(url).content.decode()
        assert 'value="17"' in page  # the author's own self-assessment is in their form
        data = self.edit_data(conversation, importance="8", talk_need="on", quote_need="Moet")
        response = c.post(url, data)
        assert response.status_code == 302
        conversation.refresh_from_db()
        assert (conversation.importance, conversation.version) == (8, 2)
        fields = set(
            ChangeRecord.objects.filter(object_id=conversation.pk).values_list("field", flat=True)
        )
        assert fields == {"importance", "change_talk"}
        assert set(conversation.change_talk.values_list("kind", flat=True)) == {
            "desire",
            "reasons",
            "need",
        }
        assert not ChangeRecord.objects.filter(new_value__contains="17").exists()

    def test_stale_edit_is_refused(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        conversation = log_via_page(c, case_a)
        url = reverse("cases:conversation_edit", args=[case_a.pk, conversation.pk])
        c.post(url, self.edit_data(conversation, importance="7"))
        response = c.post(url, self.edit_data(conversation, importance="2"), follow=True)
        assert "dit gesprek is intussen gewijzigd" in response.content.decode()
        conversation.refresh_from_db()
        assert conversation.importance == 7

    def test_after_seven_days_edit_is_refused_and_correction_offered(
        self, client_for, behandelaar_a, case_a
    ):
        c = client_for(behandelaar_a)
        conversation = log_via_page(c, case_a)
        within = timezone.now() - datetime.timedelta(days=6, hours=23)
        Conversation.objects.filter(pk=conversation.pk).update(created_at=within)
        assert ">Wijzigen<" in c.get(detail_url(case_a, conversation)).content.decode()
        past = timezone.now() - datetime.timedelta(days=7, minutes=1)
        Conversation.objects.filter(pk=conversation.pk).update(created_at=past)
        conversation.refresh_from_db()
        url = reverse("cases:conversation_edit", args=[case_a.pk, conversation.pk])
        response = c.post(url, self.edit_data(conversation, importance="9"), follow=True)
        html = response.content.decode()
        assert "meer dan 7 dagen geleden vastgelegd" in html
        assert "Correctie vastleggen" in html and ">Wijzigen<" not in html
        conversation.refresh_from_db()
        assert conversation.importance == 6 and conversation.version == 1
        # The service refuses too, whatever the view does.
        access = consent.case_access(behandelaar_a, case_a)
        with pytest.raises(ValidationError):
            conversations.edit_conversation(
                access,
                conversation,
                None,
                {n: getattr(conversation, n) for n in conversations.FIELDS},
                {},
            )

    def test_correction_is_a_new_linked_log(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        original = log_via_page(c, case_a)
        url = reverse("cases:conversation_correct", args=[case_a.pk, original.pk])
        page = c.get(url).content.decode()
        assert QUOTE in page  # pre-filled with the original
        data = form_data(importance="9", correction_reason="Belang verkeerd overgenomen.")
        response = c.post(url, data)
        correction = Conversation.objects.get(corrects=original)
        assert response["Location"] == detail_url(case_a, correction)
        original.refresh_from_db()
        assert (original.importance, original.version) == (6, 1)
        assert correction.importance == 9 and correction.next_step_id == original.next_step_id
        assert not MitiSelfAssessment.objects.filter(conversation=correction).exists()
        # The correction keeps the original's afspraak: logged as created once, by the original.
        assert (
            AccessLogEntry.objects.filter(
                action="create", object_type="afspraak", object_id=str(original.next_step_id)
            ).count()
            == 1
        )
        html = c.get(detail_url(case_a, original)).content.decode()
        assert "is gecorrigeerd en telt niet meer mee" in html
        # One correction per log: correcting the original again is refused.
        again = c.post(url, data, follow=True).content.decode()
        assert "al gecorrigeerd" in again
        assert Conversation.objects.count() == 2

    def test_correction_needs_a_reason(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        original = log_via_page(c, case_a)
        url = reverse("cases:conversation_correct", args=[case_a.pk, original.pk])
        response = c.post(url, form_data(correction_reason=""))
        assert "Geef aan wat de correctie verbetert." in response.content.decode()
        assert Conversation.objects.count() == 1

    def test_colleague_may_correct_but_not_edit(
        self, client_for, behandelaar_a, behandelaar_a2, case_a
    ):
        original = log_via_page(client_for(behandelaar_a), case_a)
        consent.add_member(case_a, behandelaar_a2, CaseRole.BEHANDELAAR)
        c = client_for(behandelaar_a2)
        edit = reverse("cases:conversation_edit", args=[case_a.pk, original.pk])
        assert c.get(edit).status_code == 404
        assert denied(
            user=behandelaar_a2, action="update", object_type="motiverend-gesprek"
        ).exists()
        correct = reverse("cases:conversation_correct", args=[case_a.pk, original.pk])
        assert c.get(correct).status_code == 200


# --- Who may see what --------------------------------------------------------------------------


@pytest.fixture
def logged(client_for, behandelaar_a, case_a):
    """A log by behandelaar_a (GGZ A) with change talk, a next step and MITI self-scores."""
    return log_via_page(client_for(behandelaar_a), case_a)


def case_url(case):
    return reverse("cases:detail", args=[case.pk])


def assert_no_miti(html):
    assert MITI_HEADING not in html
    assert MITI_COUNTS not in html
    assert "Zelfbeoordeling (MITI" not in html and "alleen voor uzelf" not in html


class TestAccess:
    def test_anonymous_goes_to_sign_in(self, client_for, case_a, logged):
        c = client_for(None)
        for url in (
            list_url(case_a),
            detail_url(case_a, logged),
            create_url(case_a),
            reverse("cases:miti_trend"),
        ):
            response = c.get(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_outsider_gets_404_and_denials_are_logged(self, client_for, outsider, case_a, logged):
        c = client_for(outsider)
        for url in (list_url(case_a), detail_url(case_a, logged), create_url(case_a)):
            assert c.get(url).status_code == 404
        assert denied(user=outsider, case=case_a).count() == 3

    def test_klantmanager_on_the_team_without_consent(
        self, client_for, klantmanager_g, case_a, logged
    ):
        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        c = client_for(klantmanager_g)
        page = c.get(case_url(case_a)).content.decode()
        assert "Motiverende gesprekken" not in page and SUMMARY not in page
        listing = c.get(list_url(case_a)).content.decode()
        assert "Nog geen gesprekken die u mag zien." in listing and SUMMARY not in listing
        assert c.get(detail_url(case_a, logged)).status_code == 404
        assert denied(
            user=klantmanager_g,
            category=Category.GESPREKSVERSLAGEN,
            object_type="motiverend-gesprek",
        ).exists()
        assert c.get(create_url(case_a)).status_code == 404
        assert denied(user=klantmanager_g, action="create").exists()
        assert c.get(reverse("cases:miti_trend")).status_code == 404

    def test_klantmanager_with_full_consent_reads_but_never_sees_miti(
        self, client_for, behandelaar_a, klantmanager_g, case_a, logged
    ):
        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        record = make_consent(
            case_a.client,
            behandelaar_a.organisation,
            klantmanager_g.organisation,
            Purpose.REINTEGRATIE,
            list(Category),
        )
        c = client_for(klantmanager_g)
        page = c.get(case_url(case_a)).content.decode()
        assert "Motiverende gesprekken" in page and QUOTE in page
        assert "1 van de gebruikelijke 8 gebruikt" in page
        assert "Gesprek vastleggen" not in page
        detail = c.get(detail_url(case_a, logged)).content.decode()
        assert SUMMARY in detail and QUOTE in detail and NEXT_STEP in detail
        listing = c.get(list_url(case_a)).content.decode()
        for html in (page, detail, listing):
            assert_no_miti(html)
        entry = AccessLogEntry.objects.filter(
            user=klantmanager_g, object_type="motiverend-gesprek", outcome="toegestaan"
        ).latest("pk")
        assert (entry.basis, entry.consent_id) == ("toestemming", record.pk)
        # No MITI page, no navigation entry, no writing.
        assert c.get(reverse("cases:miti_trend")).status_code == 404
        assert "Mijn gespreksvoering" not in page
        assert c.post(create_url(case_a), form_data()).status_code == 404
        correct = reverse("cases:conversation_correct", args=[case_a.pk, logged.pk])
        assert c.get(correct).status_code == 404
        assert Conversation.objects.count() == 1

    def test_consent_for_logs_but_not_afspraken_hides_the_next_step(
        self, client_for, behandelaar_a, klantmanager_g, case_a, logged
    ):
        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        make_consent(
            case_a.client,
            behandelaar_a.organisation,
            klantmanager_g.organisation,
            Purpose.REINTEGRATIE,
            [Category.GESPREKSVERSLAGEN],
        )
        c = client_for(klantmanager_g)
        detail = c.get(detail_url(case_a, logged))
        html = detail.content.decode()
        assert SUMMARY in html and NEXT_STEP not in html
        logged_categories = set(
            AccessLogEntry.objects.filter(request_id=detail["X-Request-ID"]).values_list(
                "category", flat=True
            )
        )
        assert logged_categories == {Category.GESPREKSVERSLAGEN}

    def test_withdrawn_consent_ends_reading(
        self, client_for, behandelaar_a, klantmanager_g, case_a, logged
    ):
        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        record = make_consent(
            case_a.client,
            behandelaar_a.organisation,
            klantmanager_g.organisation,
            Purpose.REINTEGRATIE,
            [Category.GESPREKSVERSLAGEN],
        )
        c = client_for(klantmanager_g)
        assert c.get(detail_url(case_a, logged)).status_code == 200
        withdraw(record, behandelaar_a)
        assert c.get(detail_url(case_a, logged)).status_code == 404

    def test_other_care_organisation_reads_with_consent_never_writes_or_sees_miti(
        self, client_for, behandelaar_a, outsider, case_a, logged
    ):
        consent.add_member(case_a, outsider, CaseRole.BEHANDELAAR)
        c = client_for(outsider)
        assert c.get(detail_url(case_a, logged)).status_code == 404  # no consent yet
        make_consent(
            case_a.client,
            behandelaar_a.organisation,
            outsider.organisation,
            Purpose.AFSTEMMING,
            list(Category),
        )
        detail = c.get(detail_url(case_a, logged)).content.decode()
        assert SUMMARY in detail
        assert_no_miti(detail)
        correct = reverse("cases:conversation_correct", args=[case_a.pk, logged.pk])
        assert c.get(correct).status_code == 404
        assert denied(user=outsider, action="create", category=Category.GESPREKSVERSLAGEN).exists()
        # They may log their own conversation (held by GGZ B).
        own = log_via_page(c, case_a, next_what="")
        assert own.organisation == outsider.organisation

    def test_colleague_in_the_same_organisation_sees_the_log_not_the_miti(
        self, client_for, jobcoach_a, case_a, logged
    ):
        consent.add_member(case_a, jobcoach_a, CaseRole.TRAJECTBEGELEIDER)
        c = client_for(jobcoach_a)
        detail = c.get(detail_url(case_a, logged)).content.decode()
        assert SUMMARY in detail
        assert_no_miti(detail)
        assert ">Wijzigen<" not in detail
        trend = c.get(reverse("cases:miti_trend")).content.decode()
        assert "nog geen zelfbeoordeling" in trend

    def test_author_sees_their_own_miti(self, client_for, behandelaar_a, case_a, logged):
        detail = client_for(behandelaar_a).get(detail_url(case_a, logged)).content.decode()
        assert MITI_HEADING in detail and MITI_COUNTS in detail
        assert "1,4 : 1" in detail  # 24 reflections / 17 questions
        assert "45 %" in detail  # 11 of 24 reflections complex (45.8, shown rounded down)


# --- The professional's own MITI trend ----------------------------------------------------------


class TestMitiTrend:
    def url(self):
        return reverse("cases:miti_trend")

    def test_own_trend_with_chart_and_table(self, client_for, behandelaar_a, case_a):
        for i, partnership in enumerate((2, 3, 5)):
            log_direct(
                case_a,
                behandelaar_a,
                held_on=days_ago(30 - i),
                miti={**MITI, "partnership": partnership},
            )
        c = client_for(behandelaar_a)
        html = c.get(self.url()).content.decode()
        assert "Mijn gespreksvoering" in html  # navigation entry
        assert html.count("<svg") == 1 and 'role="img"' in html
        assert "style=" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
        table = html.split("Alle zelfbeoordelingen", 1)[1]
        assert table.count("<tr>") == 4  # header + three assessments
        assert "5,0" in html  # relational of the latest: (5 + 5) / 2

    def test_queries_do_not_grow_with_assessments_or_cases(
        self, client_for, django_assert_num_queries, behandelaar_a, case_a
    ):
        c = client_for(behandelaar_a)
        log_direct(case_a, behandelaar_a, held_on=days_ago(40), miti=MITI)
        c.get(self.url())
        with CaptureQueriesContext(connection) as few:
            c.get(self.url())
        for i in range(6):
            other = make_case(behandelaar_a, first_name="Andere", last_name=f"Cliënt{'x' * i}")
            log_direct(other, behandelaar_a, held_on=days_ago(20 - i), miti=MITI)
        with django_assert_num_queries(len(few.captured_queries)):
            html = c.get(self.url()).content.decode()
        assert html.split("Alle zelfbeoordelingen", 1)[1].count("<tr>") == 8

    def test_a_case_the_user_left_is_no_link(
        self, client_for, behandelaar_a, behandelaar_a2, case_a
    ):
        """Rows stay (they are the user's own scores); the link would lead to a 404."""
        consent.add_member(case_a, behandelaar_a2, CaseRole.BEHANDELAAR)
        conversation = log_direct(case_a, behandelaar_a2, held_on=days_ago(3), miti=MITI)
        c = client_for(behandelaar_a2)
        link = detail_url(case_a, conversation)
        assert f'href="{link}"' in c.get(self.url()).content.decode()
        consent.remove_member(case_a, behandelaar_a2)
        assert c.get(link).status_code == 404
        html = c.get(self.url()).content.decode()
        assert link not in html
        assert html.split("Alle zelfbeoordelingen", 1)[1].count("<tr>") == 2

    def test_a_score_that_cannot_be_computed_says_so_once(self, client_for, behandelaar_a, case_a):
        no_reflections = {**MITI, "simple_reflections": 0, "complex_reflections": 0}
        log_direct(case_a, behandelaar_a, held_on=days_ago(3), miti=no_reflections)
        html = client_for(behandelaar_a).get(self.url()).content.decode()
        table = html.split("Alle zelfbeoordelingen", 1)[1]
        assert "niet te berekenen (geen reflecties)" in table
        assert "(niet te berekenen)" not in table
        assert "(onder de drempel)" in table or "(redelijk)" in table or "(goed)" in table

    def test_aggregate_needs_three_professionals_and_stays_in_the_organisation(
        self, client_for, behandelaar_a, behandelaar_a2, jobcoach_a, outsider, case_a
    ):
        consent.add_member(case_a, behandelaar_a2, CaseRole.BEHANDELAAR)
        consent.add_member(case_a, jobcoach_a, CaseRole.TRAJECTBEGELEIDER)
        log_direct(case_a, behandelaar_a, miti={**MITI, "questions": 10})
        log_direct(case_a, behandelaar_a2, miti={**MITI, "questions": 10})
        c = client_for(behandelaar_a)
        assert "verschijnt zodra minstens 3 collega" in c.get(self.url()).content.decode()
        assert conversations.organisation_aggregate(behandelaar_a) is None
        log_direct(case_a, jobcoach_a, miti={**MITI, "questions": 10})
        aggregate = conversations.organisation_aggregate(behandelaar_a)
        # Pooled: 72 reflections over 30 questions; 33 of 72 complex.
        assert aggregate["assessments"] == 3
        assert aggregate["summary"].rq_ratio == pytest.approx(2.4)
        assert aggregate["summary"].pct_complex == pytest.approx(100 * 33 / 72)
        html = c.get(self.url()).content.decode()
        assert "Alle zelfbeoordelingen in uw organisatie" in html and "2,4 : 1" in html
        # GGZ B (even on the team, with consent for everything) sees nothing of GGZ A.
        consent.add_member(case_a, outsider, CaseRole.BEHANDELAAR)
        make_consent(
            case_a.client,
            behandelaar_a.organisation,
            outsider.organisation,
            Purpose.AFSTEMMING,
            list(Category),
        )
        theirs = client_for(outsider).get(self.url()).content.decode()
        assert "2,4 : 1" not in theirs and "verschijnt zodra minstens 3" in theirs
        assert conversations.organisation_aggregate(outsider) is None

    def test_others_never_see_someone_elses_rows(
        self, client_for, behandelaar_a, behandelaar_a2, case_a
    ):
        log_direct(case_a, behandelaar_a, miti=MITI)
        html = client_for(behandelaar_a2).get(self.url()).content.decode()
        assert "nog geen zelfbeoordeling" in html
        assert list(conversations.own_assessments(behandelaar_a2)) == []

    @pytest.mark.parametrize("fixture", ["klantmanager_g", "beheerder_a"])
    def test_not_for_other_roles(self, client_for, request, fixture):
        assert client_for(request.getfixturevalue(fixture)).get(self.url()).status_code == 404

    def test_query_count_is_constant(
        self, client_for, behandelaar_a, case_a, django_assert_num_queries
    ):
        from .test_cases import count_queries

        for i in range(2):
            log_direct(case_a, behandelaar_a, held_on=days_ago(60 - i), miti=MITI)
        c = client_for(behandelaar_a)
        expected = count_queries(c, self.url())
        for i in range(30):
            log_direct(case_a, behandelaar_a, held_on=days_ago(50 - i), miti=MITI)
        with django_assert_num_queries(expected):
            c.get(self.url())


# --- The case page, the list and query counts -----------------------------------------------------


class TestCasePages:
    def test_panel_shows_progress_chart_table_and_latest_change_talk(
        self, client_for, behandelaar_a, case_a
    ):
        log_direct(case_a, behandelaar_a, held_on=days_ago(20), stage="precontemplatie")
        log_direct(
            case_a,
            behandelaar_a,
            held_on=days_ago(10),
            stage="voorbereiding",
            importance=8,
            confidence=None,
            talk={ChangeTalkKind.COMMITMENT: "Ik ga het doen."},
        )
        log_direct(case_a, behandelaar_a, held_on=days_ago(5), stage="actie", talk={})
        html = client_for(behandelaar_a).get(case_url(case_a)).content.decode()
        panel = html.split('id="motiverende-gesprekken"', 1)[1].split("</section>", 1)[0]
        assert panel.count("<svg") == 2
        assert "Voortgang per gesprek (tekst bij de grafieken)" in panel
        assert panel.count("<tr>") == 4  # header and three conversations
        assert "Toezegging (commitment)</strong>: “Ik ga het doen.”" in panel
        assert "Laatst gehoorde verandertaal" in panel
        svg = panel.split("<svg", 1)[1].split("</svg>", 1)[0]
        assert "style=" not in svg and "<title" in svg

    def test_one_log_draws_points_not_lines(self, client_for, behandelaar_a, case_a):
        log_direct(case_a, behandelaar_a)
        html = client_for(behandelaar_a).get(list_url(case_a)).content.decode()
        assert html.count("<svg") == 2
        assert "<polyline" not in html and html.count("<circle") >= 2

    def test_empty_case_offers_logging(self, client_for, behandelaar_a, case_a):
        html = client_for(behandelaar_a).get(case_url(case_a)).content.decode()
        assert "Nog geen motiverend gesprek vastgelegd." in html
        assert create_url(case_a) in html
        assert "<svg" not in html.split('id="motiverende-gesprekken"', 1)[1].split("</section>")[0]

    def test_query_counts_of_list_and_case_page(
        self, client_for, behandelaar_a, case_a, django_assert_num_queries
    ):
        from .test_cases import count_queries

        talk = {ChangeTalkKind.DESIRE: "a", ChangeTalkKind.NEED: "b"}
        for i in range(2):
            log_direct(case_a, behandelaar_a, held_on=days_ago(90 - i), talk=talk, miti=MITI)
        c = client_for(behandelaar_a)
        expected_list = count_queries(c, list_url(case_a))
        expected_case = count_queries(c, case_url(case_a))
        for i in range(40):
            log_direct(case_a, behandelaar_a, held_on=days_ago(80 - i), talk=talk, miti=MITI)
        with django_assert_num_queries(expected_list):
            response = c.get(list_url(case_a))
        assert response.content.decode().count("/gesprekken/") >= 42
        with django_assert_num_queries(expected_case):
            c.get(case_url(case_a))

    def test_klantmanager_query_count_with_consent(
        self,
        client_for,
        behandelaar_a,
        klantmanager_g,
        case_a,
        django_assert_num_queries,
    ):
        from .test_cases import count_queries

        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        make_consent(
            case_a.client,
            behandelaar_a.organisation,
            klantmanager_g.organisation,
            Purpose.REINTEGRATIE,
            [Category.GESPREKSVERSLAGEN],
        )
        for i in range(2):
            log_direct(case_a, behandelaar_a, held_on=days_ago(90 - i))
        c = client_for(klantmanager_g)
        expected = count_queries(c, list_url(case_a))
        for i in range(30):
            log_direct(case_a, behandelaar_a, held_on=days_ago(80 - i))
        with django_assert_num_queries(expected):
            c.get(list_url(case_a))


# --- Voortgangsrapportage ------------------------------------------------------------------------


@pytest.fixture
def _private_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private"},
        },
    }


def pdf_text(report):
    report.refresh_from_db()
    with report.file.open("rb") as handle:
        data = handle.read()
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode()


@pytest.mark.usefixtures("_private_media")
class TestReport:
    def test_report_holds_the_logs_as_far_as_each_requester_may_read(
        self, behandelaar_a, klantmanager_g, adviseur_u, case_a, logged
    ):
        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        consent.add_member(case_a, adviseur_u, CaseRole.KLANTMANAGER)
        make_consent(
            case_a.client,
            behandelaar_a.organisation,
            klantmanager_g.organisation,
            Purpose.REINTEGRATIE,
            list(Category),
        )
        copies = {
            user: reports.request_report(user, ReportType.VOORTGANG, "Voortgang", case=case_a)
            for user in (behandelaar_a, klantmanager_g, adviseur_u)
        }
        for report in copies.values():
            reports.render(report.pk)
        own, gemeente, uwv = (pdf_text(copies[u]) for u in copies)
        for text in (own, gemeente):
            assert SUMMARY in text and "Motiverende gesprekken" in text
            assert "1 van de gebruikelijke 8 gebruikt" in text
            assert "zelfbeoordeling" not in text.lower() and "17 vragen" not in text
        assert SUMMARY not in uwv and "Motiverende gesprekken" not in uwv
        copies[klantmanager_g].refresh_from_db()
        assert [behandelaar_a.organisation_id, Category.GESPREKSVERSLAGEN] in copies[
            klantmanager_g
        ].contents
        assert [behandelaar_a.organisation_id, Category.GESPREKSVERSLAGEN] not in copies[
            adviseur_u
        ].contents


# --- Demo world ----------------------------------------------------------------------------------


def test_demo_world_has_conversations_loaded_once(db, settings):
    from django.core.management import call_command

    from portal.models import User

    settings.DEMO_MODE = True
    call_command("load_demo")
    counts = (Conversation.objects.count(), MitiSelfAssessment.objects.count())
    call_command("load_demo")
    assert (Conversation.objects.count(), MitiSelfAssessment.objects.count()) == counts
    assert counts[0] >= 8 and counts[1] >= 5
    assert Conversation.objects.filter(stage=StageOfChange.TERUGVAL).exists()
    # Daan Mulder is shared with the gemeente, whose consent leaves out gespreksverslagen.
    daan = Conversation.objects.filter(case__client__first_name="Daan").first().case
    klantmanager = User.objects.get(email="klantmanager@havenstad.demo")
    access = consent.case_access(klantmanager, daan)
    assert access.is_member
    assert list(conversations.conversations_for(access, daan)) == []
