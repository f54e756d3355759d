"""Motiverende gesprekken: logging, editing and correcting a conversation, what the case
shows of them (funding counter, progress over time, latest change talk) and the MITI 4.2.1
self-assessment summary.

Access decisions come from consent.services; views check them before calling in here.
A MITI self-assessment is only ever read here for its own professional, or as an
anonymous aggregate of their organisation."""

import datetime
import math
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Exists, OuterRef, Sum
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consent.constants import Category
from portal.words import in_words as _in_words

from . import services
from .constants import ChangeTalkKind, MitiLevel, StageOfChange, TimelineKind
from .models import Agreement, Case, ChangeRecord, ChangeTalk, Conversation, MitiSelfAssessment

# The Zvw pays about the first eight motivational conversations before IPS (BRIEF §6).
USUAL_ZVW_CONVERSATIONS = 8
# A log may be changed by its author this long after it was recorded; later, a correction.
EDIT_WINDOW = datetime.timedelta(days=7)
# The anonymous aggregate of an organisation needs this many professionals, so that no
# single colleague's scores can be read from it.
MIN_PROFESSIONALS_FOR_AGGREGATE = 3
AGGREGATE_PERIOD = datetime.timedelta(days=365)
PANEL_POINTS = 12

EDIT_CLOSED_MESSAGE = gettext_lazy(
    "Dit gesprek is meer dan 7 dagen geleden vastgelegd en verandert niet meer, zodat het "
    "verslag betrouwbaar blijft. Leg een correctie vast: die komt naast het oorspronkelijke "
    "verslag te staan."
)
# A corrected log no longer changes, however recent: the correction counts instead of it.
CORRECTED_MESSAGE = gettext_lazy(
    "Dit gesprek is gecorrigeerd en verandert daarom niet meer: de correctie telt in plaats "
    "van dit verslag. Wijzig of corrigeer zo nodig de correctie."
)
NOT_THE_AUTHOR_MESSAGE = gettext_lazy("Alleen wie het gesprek vastlegde, kan het wijzigen.")

# --- MITI 4.2.1 summary scores --------------------------------------------------------------

# Published MITI 4.2.1 thresholds (Moyers et al. 2016; BRIEF §7): (fair, good).
THRESHOLDS = {
    "relational": (3.5, 4.0),
    "technical": (3.0, 4.0),
    "pct_complex": (40.0, 50.0),
    "rq_ratio": (1.0, 2.0),
}


def level(value, key):
    """Where ``value`` stands against the fair/good thresholds of ``key``; None when the
    score cannot be computed."""
    if value is None:
        return None
    fair, good = THRESHOLDS[key]
    if value >= good:
        return MitiLevel.GOED
    if value >= fair:
        return MitiLevel.REDELIJK
    return MitiLevel.ONDER


@dataclass(frozen=True)
class Score:
    key: str
    label: str
    value: float | None
    text: str
    level: str | None
    fair: str
    good: str

    @property
    def level_label(self):
        return MitiLevel(self.level).label if self.level else _("niet te berekenen")


@dataclass(frozen=True)
class MitiSummary:
    rq_ratio: float | None
    pct_complex: float | None
    relational: float
    technical: float

    @property
    def scores(self):
        return [
            Score(
                "relational",
                _("Relationeel (samenwerking, empathie)"),
                self.relational,
                _decimal(self.relational),
                level(self.relational, "relational"),
                _decimal(THRESHOLDS["relational"][0]),
                _decimal(THRESHOLDS["relational"][1]),
            ),
            Score(
                "technical",
                _("Technisch (verandertaal uitlokken, behoudtaal afzwakken)"),
                self.technical,
                _decimal(self.technical),
                level(self.technical, "technical"),
                _decimal(THRESHOLDS["technical"][0]),
                _decimal(THRESHOLDS["technical"][1]),
            ),
            Score(
                "pct_complex",
                _("Complexe reflecties"),
                self.pct_complex,
                _("niet te berekenen (geen reflecties)")
                if self.pct_complex is None
                else f"{_shown(self.pct_complex, 0)} %",
                level(self.pct_complex, "pct_complex"),
                "40 %",
                "50 %",
            ),
            Score(
                "rq_ratio",
                _("Verhouding reflecties : vragen"),
                self.rq_ratio,
                _("niet te berekenen (geen vragen)")
                if self.rq_ratio is None
                else f"{_decimal(self.rq_ratio)} : 1",
                level(self.rq_ratio, "rq_ratio"),
                "1 : 1",
                "2 : 1",
            ),
        ]


def _shown(value, decimals):
    """Rounded down to what is shown, so a score never looks as if it reaches a threshold
    it misses (49.9 % shows as 49 %, not 50 %)."""
    factor = 10**decimals
    return number_format(math.floor(value * factor + 1e-9) / factor, decimals)


def _decimal(value):
    return _shown(value, 1)


def miti_summary(
    questions,
    simple_reflections,
    complex_reflections,
    cultivating_change_talk,
    softening_sustain_talk,
    partnership,
    empathy,
):
    """The MITI 4.2.1 summary scores. Reflection-to-question ratio is undefined without
    questions, % complex reflections without reflections (None, not zero: no score is
    better than a misleading one)."""
    reflections = simple_reflections + complex_reflections
    return MitiSummary(
        rq_ratio=reflections / questions if questions else None,
        pct_complex=100 * complex_reflections / reflections if reflections else None,
        relational=(partnership + empathy) / 2,
        technical=(cultivating_change_talk + softening_sustain_talk) / 2,
    )


def summary_of(assessment):
    return miti_summary(
        **{name: getattr(assessment, name) for name in MitiSelfAssessment.COUNTS},
        **{name: getattr(assessment, name) for name in MitiSelfAssessment.GLOBALS},
    )


def own_assessments(user):
    """The user's own self-assessments, oldest first (only ever their own)."""
    return MitiSelfAssessment.objects.filter(professional=user).select_related("conversation__case")


def organisation_aggregate(user, today=None):
    """Pooled summary of the self-assessments in the user's organisation over the last
    year, without names; None when fewer than MIN_PROFESSIONALS_FOR_AGGREGATE colleagues
    contributed (a small group would give individual scores away). One query."""
    today = today or timezone.localdate()
    row = MitiSelfAssessment.objects.filter(
        organisation_id=user.organisation_id, held_on__gte=today - AGGREGATE_PERIOD
    ).aggregate(
        professionals=Count("professional", distinct=True),
        assessments=Count("pk"),
        questions=Sum("questions"),
        simple=Sum("simple_reflections"),
        complex=Sum("complex_reflections"),
        cultivating=Avg("cultivating_change_talk"),
        softening=Avg("softening_sustain_talk"),
        partnership=Avg("partnership"),
        empathy=Avg("empathy"),
    )
    if row["professionals"] < MIN_PROFESSIONALS_FOR_AGGREGATE:
        return None
    summary = miti_summary(
        row["questions"],
        row["simple"],
        row["complex"],
        float(row["cultivating"]),
        float(row["softening"]),
        float(row["partnership"]),
        float(row["empathy"]),
    )
    return {"summary": summary, "assessments": row["assessments"]}


# --- Reading conversations ---------------------------------------------------------------------


def conversations_for(access, case):
    """The logs on ``case`` the user may read, newest first, each with ``is_corrected`` and
    its change talk (``Conversation.heard_change_talk``): a fixed number of queries whatever
    the number of logs (none on a case that never had one). Never the MITI self-assessment."""
    if not case.has_conversations:
        return Conversation.objects.none()
    return (
        Conversation.objects.filter(case=case)
        .filter(access.readable_filter(Category.GESPREKSVERSLAGEN))
        .annotate(is_corrected=Exists(Conversation.objects.filter(corrects=OuterRef("pk"))))
        .select_related("author", "organisation")
        .prefetch_related("change_talk")
    )


def conversation_for(access, case, pk):
    return conversations_for(access, case).select_related("corrects").filter(pk=pk).first()


def correction_of(access, conversation):
    """The readable log that corrects ``conversation``, if any."""
    return (
        Conversation.objects.filter(corrects=conversation)
        .filter(access.readable_filter(Category.GESPREKSVERSLAGEN))
        .first()
    )


def next_step_for(access, conversation):
    """The agreed next step, when the user may read afspraken of its holder."""
    if conversation.next_step_id is None:
        return None
    return (
        Agreement.objects.filter(pk=conversation.next_step_id)
        .filter(access.readable_filter(Category.AFSPRAKEN))
        .first()
    )


def own_assessment(user, conversation):
    """The MITI self-assessment of ``conversation`` if ``user`` entered it, else None."""
    return MitiSelfAssessment.objects.filter(conversation=conversation, professional=user).first()


def current(conversations):
    """Logs that count: those without a correction (the correction counts instead)."""
    return [c for c in conversations if not c.is_corrected]


def funded_count(conversations):
    return sum(1 for c in current(conversations) if c.zvw_funded)


def funding(conversations):
    used = funded_count(conversations)
    return {
        "used": used,
        "usual": USUAL_ZVW_CONVERSATIONS,
        "over": used > USUAL_ZVW_CONVERSATIONS,
        "text": _("%(used)s van de gebruikelijke %(usual)s gebruikt")
        % {"used": used, "usual": USUAL_ZVW_CONVERSATIONS},
    }


def chronological(conversations):
    return sorted(current(conversations), key=lambda c: (c.held_on, c.created_at, c.pk))


def latest_change_talk(conversations):
    """The most recent conversation in which change talk was heard, and that change talk in
    DARN-CAT order."""
    for conversation in reversed(chronological(conversations)):
        heard = conversation.heard_change_talk
        if heard:
            return {"conversation": conversation, "talk": heard}
    return None


def edit_refusal(user, conversation, now=None):
    """Why ``user`` may not edit ``conversation`` (a message), or None when they may: only
    the author, only the current version (not one that has been corrected), and only in the
    first seven days."""
    now = now or timezone.now()
    if conversation.author_id != user.pk:
        return NOT_THE_AUTHOR_MESSAGE
    if getattr(conversation, "is_corrected", False):
        return CORRECTED_MESSAGE
    if now - conversation.created_at > EDIT_WINDOW:
        return EDIT_CLOSED_MESSAGE
    return None


def may_edit(user, conversation, now=None):
    return edit_refusal(user, conversation, now) is None


def may_correct(access, conversation):
    """Whether the user may correct ``conversation``: the holder organisation's writer, on
    a log not yet corrected, while the case is open (a correction is a new log)."""
    return (
        services.write_allowed(access, Category.GESPREKSVERSLAGEN)
        and access.case.is_open
        and conversation.organisation_id == access.organisation_id
        and not getattr(conversation, "is_corrected", False)
    )


# --- Writing -----------------------------------------------------------------------------------

FIELDS = (
    "held_on",
    "duration_minutes",
    "participants",
    "form",
    "target_behaviour",
    "target_other",
    "stage",
    "importance",
    "confidence",
    "sustain_talk",
    "discord",
    "summary",
    "zvw_funded",
)


def _check(data, today=None):
    """The rules the database cannot hold (the rest are constraints)."""
    today = today or timezone.localdate()
    if data["held_on"] > today:
        raise ValidationError(_("De datum van het gesprek ligt in de toekomst."))
    if data["stage"] not in StageOfChange.values:
        raise ValidationError(_("Kies een fase van verandering uit de lijst."))


def _timeline_title(conversation):
    rulers = []
    if conversation.importance is not None:
        rulers.append(_("belang %(n)s") % {"n": conversation.importance})
    if conversation.confidence is not None:
        rulers.append(_("vertrouwen %(n)s") % {"n": conversation.confidence})
    title = _("Motiverend gesprek (%(form)s, %(minutes)s min.): %(stage)s") % {
        "form": conversation.get_form_display().lower(),
        "minutes": conversation.duration_minutes,
        "stage": conversation.get_stage_display().lower(),
    }
    return title + (f", {', '.join(rulers)}" if rulers else "")


def _save_change_talk(conversation, change_talk):
    ChangeTalk.objects.bulk_create(
        ChangeTalk(conversation=conversation, kind=kind, quote=quote)
        for kind, quote in change_talk.items()
    )


def _save_assessment(conversation, user, miti):
    if miti is None:
        MitiSelfAssessment.objects.filter(conversation=conversation).delete()
        return None
    assessment, _created = MitiSelfAssessment.objects.update_or_create(
        conversation=conversation,
        defaults={
            **miti,
            "professional": user,
            "organisation_id": conversation.organisation_id,
            "held_on": conversation.held_on,
        },
    )
    return assessment


@transaction.atomic
def log_conversation(access, data, change_talk, miti=None, next_step=None):
    """Record a conversation. ``data``: the FIELDS; ``change_talk``: {kind: quote};
    ``miti``: the seven self-assessment values or None; ``next_step``: (what, owner, due)
    or None, which becomes an afspraak on the case."""
    user, case = access.user, access.case
    # A closed case takes no new log (the view says so first), as the status is now.
    services.ensure_open(Case.objects.only("status").get(pk=case.pk))
    _check(data)
    agreement = None
    if next_step is not None:
        if not services.write_allowed(access, Category.AFSPRAKEN):
            raise ValidationError(_("U kunt geen afspraken vastleggen in deze casus."))
        what, owner, due = next_step
        agreement = Agreement.objects.create(
            case=case,
            organisation=user.organisation,
            created_by=user,
            what=what,
            owner=owner,
            due_date=due,
        )
    conversation = Conversation(
        case=case,
        organisation=user.organisation,
        author=user,
        next_step=agreement,
        **{name: data[name] for name in FIELDS},
    )
    conversation.full_clean()
    conversation.save()
    _save_change_talk(conversation, change_talk)
    _save_assessment(conversation, user, miti)
    # A behandelaar's motivational conversation about work is work discussed as a treatment
    # topic, as a leidraad session is: the prompt to discuss work does not ask again. Whether
    # it changed the case: for the access log (conversation.work_discussed).
    treatment = services.records_work_discussed(access)
    conversation.work_discussed = treatment and services.mark_work_discussed(
        case, user.organisation_id, conversation.held_on
    )
    services.add_timeline(
        case,
        user,
        TimelineKind.GESPREK,
        Category.GESPREKSVERSLAGEN,
        _timeline_title(conversation),
        body=conversation.summary,
    )
    if agreement is not None:
        services.add_timeline(
            case,
            user,
            TimelineKind.AFSPRAAK,
            Category.AFSPRAKEN,
            _("Afspraak: %(what)s (%(who)s, uiterlijk %(date)s)")
            % {
                "what": agreement.what,
                "who": agreement.owner,
                "date": f"{agreement.due_date:%d-%m-%Y}",
            },
        )
    return conversation


def talk_text(items):
    return "; ".join(
        f"{ChangeTalkKind(kind).label}" + (f": “{quote}”" if quote else "")
        for kind, quote in sorted(items, key=lambda kq: ChangeTalkKind.values.index(kq[0]))
    )


def in_words(conversation, name):
    """A field of a log as people read it (a choice by its label, yes/no, a Dutch date);
    '' when empty."""
    return _in_words(conversation, Conversation._meta.get_field(name)) or ""


def _miti_of(assessment):
    if assessment is None:
        return None
    return {name: getattr(assessment, name) for name in MitiSelfAssessment.COUNTS} | {
        name: getattr(assessment, name) for name in MitiSelfAssessment.GLOBALS
    }


def _differences(stored, stored_talk, stored_miti, data, change_talk, miti):
    """Where the stored log differs from what the author sends: (label, stored value in
    words) per field, the change talk as one, the self-assessment as one (last)."""
    differences = [
        (Conversation._meta.get_field(name).verbose_name, in_words(stored, name))
        for name in FIELDS
        if getattr(stored, name) != data[name]
    ]
    if stored_talk != change_talk:
        differences.append((_("verandertaal"), talk_text(stored_talk.items())))
    if stored_miti != miti:
        differences.append((_("zelfbeoordeling"), ""))
    return differences


def edit_conversation(access, conversation, form, data, change_talk, miti=None):
    """The author changes their own log within seven days. Returns (conversation, whether
    the client's data changed), or (None, False) when nothing differs from what is stored:
    then nothing is saved (no version, no history, no timeline entry). The self-assessment
    is the professional's own, not the client's: a change to it alone is saved (a new
    version, so another window's older form is refused) without history or timeline entry.
    Raises ConflictError when someone saved it after the version ``form`` started from (its
    ``changes`` are empty when the stored log already holds what the author sends),
    ValidationError when the log may no longer be edited."""
    user, case = access.user, access.case
    _check(data)
    with transaction.atomic():
        locked = (
            Conversation.objects.select_for_update()
            .annotate(is_corrected=Exists(Conversation.objects.filter(corrects=OuterRef("pk"))))
            .get(pk=conversation.pk)
        )
        if refusal := edit_refusal(user, locked):
            raise ValidationError(refusal)
        services.ensure_open(case)  # a closed case takes no changes (the view says so first)
        stored_talk = dict(
            ChangeTalk.objects.filter(conversation=locked).values_list("kind", "quote")
        )
        stored_miti = _miti_of(own_assessment(user, locked))
        differences = _differences(locked, stored_talk, stored_miti, data, change_talk, miti)
        if locked.version != int(form.cleaned_data["version"]):
            raise services.ConflictError(differences)
        if not differences:
            return None, False
        # The self-assessment is at most one of the differences (the last).
        client_data_changed = len(differences) > (stored_miti != miti)
        for name in FIELDS:
            setattr(conversation, name, data[name])
        conversation.full_clean()
        services.save_versioned(conversation, form, user, case)
        before, after = talk_text(stored_talk.items()), talk_text(change_talk.items())
        if stored_talk != change_talk:
            ChangeTalk.objects.filter(conversation=conversation).delete()
            _save_change_talk(conversation, change_talk)
        if before != after:
            ChangeRecord.objects.create(
                case=case,
                object_type=Conversation._meta.model_name,
                object_id=conversation.pk,
                field="change_talk",
                old_value=before,
                new_value=after,
                changed_by=user,
            )
        _save_assessment(conversation, user, miti)
        if client_data_changed:
            services.add_timeline(
                case,
                user,
                TimelineKind.GESPREK,
                Category.GESPREKSVERSLAGEN,
                _("Motiverend gesprek van %(date)s aangepast")
                % {"date": date_format(conversation.held_on, "j F Y")},
                body=conversation.summary,
            )
    return conversation, client_data_changed


def correct_conversation(access, original, data, change_talk, reason):
    """A correction: a new log linked to ``original``, which stays as it was but no longer
    counts. Made by the holder organisation, on an open case; one correction per log
    (correct the newest)."""
    user, case = access.user, access.case
    if original.organisation_id != access.organisation_id:
        raise ValidationError(_("Alleen de organisatie die het gesprek vastlegde, corrigeert het."))
    # A closed case takes no new logs (the view says so first); read now, as the case may
    # have been closed since ``access`` was built.
    services.ensure_open(Case.objects.only("status").get(pk=case.pk))
    if not reason.strip():
        raise ValidationError(_("Geef aan wat de correctie verbetert."))
    _check(data)
    try:
        with transaction.atomic():
            conversation = Conversation(
                case=case,
                organisation=user.organisation,
                author=user,
                corrects=original,
                correction_reason=reason.strip(),
                next_step_id=original.next_step_id,
                **{name: data[name] for name in FIELDS},
            )
            conversation.full_clean(validate_unique=False)
            conversation.save()
            _save_change_talk(conversation, change_talk)
            services.add_timeline(
                case,
                user,
                TimelineKind.GESPREK,
                Category.GESPREKSVERSLAGEN,
                _("Correctie op het motiverend gesprek van %(date)s")
                % {"date": date_format(original.held_on, "j F Y")},
                body=conversation.correction_reason,
            )
    except IntegrityError as exc:  # someone corrected it first
        raise ValidationError(
            _("Dit gesprek is intussen al gecorrigeerd. Corrigeer zo nodig de nieuwste versie.")
        ) from exc
    return conversation


# --- Server-rendered SVG line charts -------------------------------------------------------

# Stages from bottom to top: relapse below the ordered stages.
STAGE_LEVELS = {
    StageOfChange.TERUGVAL: 0,
    StageOfChange.PRECONTEMPLATIE: 1,
    StageOfChange.CONTEMPLATIE: 2,
    StageOfChange.VOORBEREIDING: 3,
    StageOfChange.ACTIE: 4,
    StageOfChange.CONSOLIDATIE: 5,
}
# Presentation attributes, not CSS: the chart looks the same in the PDF (no stylesheet).
SERIES_STYLES = [
    {"colour": "#1f5f8b", "dash": "", "marker": "circle"},
    {"colour": "#8a4b00", "dash": "6 4", "marker": "square"},
]
MAX_X_LABELS = 8


def line_chart(dates, series, *, y_min, y_max, y_ticks, width=640, plot_height=150):
    """Geometry for an SVG line chart with one x position per date (evenly spaced, in
    order) and one or more series. ``series``: [(label, [value or None, ...])]; a missing
    value breaks the line. ``y_ticks``: [(value, label)]. Returns None without points."""
    count = len(dates)
    if count == 0:
        return None
    left, right, top = 120, 44, 12
    legend_height = 22 * len(series) if len(series) > 1 else 0
    axis_height = 34
    height = top + plot_height + axis_height + legend_height
    plot_width = width - left - right

    def x_at(index):
        if count == 1:
            return round(left + plot_width / 2, 1)
        return round(left + index * plot_width / (count - 1), 1)

    def y_at(value):
        return round(top + plot_height * (y_max - value) / (y_max - y_min), 1)

    step = max(1, math.ceil(count / MAX_X_LABELS))
    x_labels = [
        {"x": x_at(i), "text": date_format(day, "j b y")}
        for i, day in enumerate(dates)
        if i % step == 0 or i == count - 1
    ]
    if len(x_labels) > 1 and x_labels[-1]["x"] - x_labels[-2]["x"] < plot_width / MAX_X_LABELS:
        del x_labels[-2]  # keep the newest date readable
    lines = []
    for index, (label, values) in enumerate(series):
        style = SERIES_STYLES[index % len(SERIES_STYLES)]
        segments, current_segment, markers = [], [], []
        for i, value in enumerate(values):
            if value is None:
                if current_segment:
                    segments.append(current_segment)
                current_segment = []
                continue
            point = (x_at(i), y_at(value))
            current_segment.append(point)
            markers.append({"x": point[0], "y": point[1], "x0": point[0] - 4, "y0": point[1] - 4})
        if current_segment:
            segments.append(current_segment)
        lines.append(
            {
                "label": label,
                **style,
                "segments": [
                    " ".join(f"{x},{y}" for x, y in segment)
                    for segment in segments
                    if len(segment) > 1
                ],
                "markers": markers,
                "legend_y": top + plot_height + axis_height + 22 * index + 8,
            }
        )
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "bottom": top + plot_height,
        "x_label_y": top + plot_height + 20,
        "legend_x": left,
        "y_ticks": [{"y": y_at(value), "text": text} for value, text in y_ticks],
        "x_labels": x_labels,
        "series": lines,
        "show_legend": len(series) > 1,
        "points": count,
    }


def progress(conversations, limit=None):
    """The case's progress: the current logs oldest first (the last ``limit``), a chart of
    the stage of change, a chart of the two rulers, and the rows of their text
    alternative."""
    rows = chronological(conversations)
    if limit:
        rows = rows[-limit:]
    if not rows:
        return None
    dates = [c.held_on for c in rows]
    stage_chart = line_chart(
        dates,
        [(_("Fase van verandering"), [STAGE_LEVELS[c.stage] for c in rows])],
        y_min=0,
        y_max=5,
        y_ticks=[
            (STAGE_LEVELS[stage], StageOfChange(stage).label.lower())
            for stage in StageOfChange.values
        ],
        plot_height=130,
    )
    ruler_chart = line_chart(
        dates,
        [
            (_("Belang"), [c.importance for c in rows]),
            (_("Vertrouwen"), [c.confidence for c in rows]),
        ],
        y_min=0,
        y_max=10,
        y_ticks=[(n, str(n)) for n in (0, 2, 4, 6, 8, 10)],
    )
    return {"rows": rows, "stage_chart": stage_chart, "ruler_chart": ruler_chart}


def miti_trend(assessments):
    """The professional's own trend: per assessment the summary, and a chart of the
    relational and technical averages (1–5) with the 'good' threshold (4)."""
    rows = [{"assessment": a, "summary": summary_of(a)} for a in assessments]
    if not rows:
        return {"rows": [], "chart": None}
    chart = line_chart(
        [row["assessment"].held_on for row in rows],
        [
            (_("Relationeel"), [row["summary"].relational for row in rows]),
            (_("Technisch"), [row["summary"].technical for row in rows]),
        ],
        y_min=1,
        y_max=5,
        y_ticks=[(n, str(n)) for n in (1, 2, 3, 4, 5)],
    )
    return {"rows": rows, "chart": chart}
