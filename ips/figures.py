"""Derived IPS figures: rapid job search, caseload, employer contacts per week, and the
team dashboard per quarter. Aggregates only: nothing here returns a client's name.

The dashboard reads a fixed number of queries (one IPS team's coaches, their trajectories
and placements, contacts grouped by coach and quarter) and computes in Python, so
its query count does not depend on the number of trajectories.
"""

import datetime
import statistics
from dataclasses import dataclass

from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from django.db.models.functions import TruncDate, TruncQuarter
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.constants import Role

from .constants import (
    CASELOAD_MAX,
    EMPLOYER_CONTACTS_PER_WEEK_NORM,
    RAPID_SEARCH_DAYS,
    Phase,
)
from .querysets import COMPETITIVE

# --- One trajectory ---------------------------------------------------------------------------


def referred_on(trajectory):
    return timezone.localdate(trajectory.referred_at)


@dataclass(frozen=True)
class RapidSearch:
    days: int | None  # referral -> first employer contact, None if no contact yet
    waiting: int | None  # days since referral without any contact (open trajectories)
    flagged: bool

    def __str__(self):
        """The line pages show for it (``{{ rapid }}``), safe HTML. Built here rather than
        in an included template: the caseload shows one on every row."""
        if self.days is not None:
            text = ngettext(
                "%(days)s dag van aanmelding tot eerste persoonlijke werkgeverscontact",
                "%(days)s dagen van aanmelding tot eerste persoonlijke werkgeverscontact",
                self.days,
            ) % {"days": self.days}
            flag = _("later dan %(days)s dagen")
        elif self.waiting == 0:
            text = _("Nog geen werkgeverscontact, vandaag aangemeld")
        elif self.waiting is not None:
            text = ngettext(
                "Nog geen werkgeverscontact, %(days)s dag na aanmelding",
                "Nog geen werkgeverscontact, %(days)s dagen na aanmelding",
                self.waiting,
            ) % {"days": self.waiting}
            flag = _("meer dan %(days)s dagen")
        else:
            return escape(_("Geen werkgeverscontact vastgelegd"))
        if not self.flagged:
            return escape(text)
        return format_html(
            '{} <span class="flag">{}</span>', text, flag % {"days": RAPID_SEARCH_DAYS}
        )


def counted_contact_day(first_contact_on, referred):
    """The day the first employer contact counts on: a contact dated before the referral
    (the forms refuse that now; older rows may have it) counts as on the referral day, so
    'days to the first employer contact' is never negative."""
    if first_contact_on is None:
        return None
    return max(first_contact_on, referred)


def rapid_search(trajectory, first_contact_on, today=None):
    """Days from referral to the first employer contact for this client; flagged when that
    took (or is taking) more than 30 days."""
    today = today or timezone.localdate()
    start = referred_on(trajectory)
    if first_contact_on is not None:
        days = (counted_contact_day(first_contact_on, start) - start).days
        return RapidSearch(days, None, days > RAPID_SEARCH_DAYS)
    if trajectory.phase == Phase.AFGESLOTEN:
        return RapidSearch(None, None, False)
    waiting = (today - start).days
    return RapidSearch(None, waiting, waiting > RAPID_SEARCH_DAYS)


def caseload_flagged(count):
    return count > CASELOAD_MAX


def contacts_per_week(count, start, end):
    """Average per week over the days [start, end]."""
    days = (end - start).days + 1
    if days <= 0:
        return 0.0
    return round(count / (days / 7), 1)


def week_bounds(day):
    monday = day - datetime.timedelta(days=day.weekday())
    return monday, monday + datetime.timedelta(days=6)


# --- Quarters -----------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def containing(cls, day):
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text, default):
        """'2026-1' -> Quarter(2026, 1); anything else -> default."""
        try:
            year, number = (int(part) for part in str(text).split("-"))
        except (TypeError, ValueError):
            return default
        if not (2000 <= year <= 2100 and 1 <= number <= 4):
            return default
        return cls(year, number)

    @property
    def start(self):
        return datetime.date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self):
        return self.next().start - datetime.timedelta(days=1)

    def next(self):
        return Quarter(self.year + self.number // 4, self.number % 4 + 1)

    def previous(self):
        return Quarter(self.year - (self.number == 1), (self.number - 2) % 4 + 1)

    @property
    def slug(self):
        return f"{self.year}-{self.number}"

    @property
    def label(self):
        return _("K%(n)s %(year)s") % {"n": self.number, "year": self.year}

    def __str__(self):
        return self.label


def median(values):
    """The median, a whole number when it is one: the middle of an even count is a float,
    which showed as "11,0" next to "22"."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    middle = statistics.median(values)
    return int(middle) if middle == int(middle) else middle


def percentage(part, whole):
    return round(100 * part / whole) if whole else None


# --- The team dashboard ---------------------------------------------------------------------


def _load(team, span_start, span_end, today):
    """Four queries, whatever the number of trajectories: the team's trajectbegeleiders, and
    their trajectories, placements and employer contacts. Only what the span needs: a
    trajectory closed before it, or referred after it, counts in none of its figures. So the
    cost follows the team's current work; an IPS team has at most about ten
    trajectbegeleiders, whatever the size of the organisation."""
    from portal.models import User

    from .models import EmployerContact, Placement, Trajectory

    coaches = list(
        User.objects.filter(
            ips_team_member__team=team,
            organisation_id=team.organisation_id,
            role=Role.TRAJECTBEGELEIDER,
        ).order_by("sort_name", "first_name", "pk")
    )
    coach_ids = [coach.pk for coach in coaches]
    in_span = Q(closed_on__isnull=True) | Q(closed_on__gte=span_start)
    after_span = timezone.make_aware(
        datetime.datetime.combine(span_end + datetime.timedelta(days=1), datetime.time.min)
    )
    # The referral's local date comes from the database: timezone.localdate() per row took
    # 7 ms for the 450 trajectories of a team of 22.
    trajectories = list(
        Trajectory.objects.filter(organisation_id=team.organisation_id, coach_id__in=coach_ids)
        .filter(in_span, referred_at__lt=after_span)
        .with_first_contact(today)
        .annotate(referred_on=TruncDate("referred_at"))
        .values("pk", "coach_id", "phase", "referred_on", "closed_on", "first_contact_on")
        .order_by()
    )
    # The jobs of exactly those trajectories: a job of a trajectory closed before the span
    # would count for the team but for none of its coaches. A job that did not go ahead
    # never ran: it counts nowhere (no work, no tenure).
    placements = list(
        Placement.objects.went_ahead()
        .filter(
            trajectory__organisation_id=team.organisation_id,
            trajectory__coach_id__in=coach_ids,
            trajectory__referred_at__lt=after_span,
        )
        .filter(Q(trajectory__closed_on__isnull=True) | Q(trajectory__closed_on__gte=span_start))
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=span_start), start_date__lte=span_end)
        .annotate(competitive=ExpressionWrapper(COMPETITIVE, output_field=BooleanField()))
        .values("trajectory_id", "start_date", "end_date", "competitive")
        .order_by()
    )
    contacts = {
        (row["coach_id"], Quarter.containing(row["quarter"])): row["n"]
        for row in EmployerContact.objects.filter(
            organisation_id=team.organisation_id, coach_id__in=coach_ids
        )
        .face_to_face()
        .between(span_start, span_end)
        .annotate(quarter=TruncQuarter("contacted_on"))
        .values("coach_id", "quarter")
        .annotate(n=Count("pk"))
        .order_by()
    }
    return trajectories, placements, contacts, coaches


def waiting_referrals(organisation_id):
    """Open referrals of the organisation that no trajectbegeleider has taken yet: they count
    for no team until one does (a trajectory counts for the team of its trajectbegeleider),
    so the dashboard shows them apart. On ips_traj_waiting_idx: as many rows as are waiting."""
    from .models import Trajectory

    return (
        Trajectory.objects.filter(organisation_id=organisation_id, coach__isnull=True)
        .open()
        .count()
    )


def quarter_figures(quarter, trajectories, placements, contact_count, today):
    """The figures of one quarter for a set of trajectories (a team or one coach).

    - active: referred on or before the quarter's end and not closed before its start;
    - started / ended: referred / closed within the quarter;
    - with_work_pct: share of active trajectories with regular paid work (a competitive
      placement running on at least one day of the quarter);
    - median_days_first_contact: over trajectories whose first employer contact fell in the
      quarter, days from referral to that contact (one dated before the referral counts as
      on the referral day: see counted_contact_day);
    - caseload: open at the quarter's end (or today, for the running quarter);
    - contacts_per_week: face-to-face employer contacts in the quarter per week elapsed;
    - median_tenure_weeks: placements of active trajectories running in the quarter, from
      start to their end or to the quarter's end (or today), median in weeks.

    Placements count only for the active trajectories, so the team's figures and those of
    its coaches cover the same trajectories.
    """
    start, end = quarter.start, quarter.end
    until = min(end, today)
    active = [
        t
        for t in trajectories
        if t["referred_on"] <= end and (t["closed_on"] is None or t["closed_on"] >= start)
    ]
    active_ids = {t["pk"] for t in active}
    running = [
        p
        for p in placements
        if p["trajectory_id"] in active_ids
        and p["start_date"] <= until
        and (p["end_date"] is None or p["end_date"] >= start)
    ]
    working = {p["trajectory_id"] for p in running if p["competitive"]}
    contact_days = [
        (t["referred_on"], counted_contact_day(t["first_contact_on"], t["referred_on"]))
        for t in trajectories
        if t["first_contact_on"] is not None
    ]
    first_contacts = [
        (day - referred).days for referred, day in contact_days if start <= day <= end
    ]
    tenures = [
        ((min(p["end_date"] or until, until) - p["start_date"]).days + 1) / 7 for p in running
    ]
    caseload = sum(
        1
        for t in trajectories
        if t["referred_on"] <= until and (t["closed_on"] is None or t["closed_on"] > until)
    )
    tenure = median(tenures)
    return {
        "quarter": quarter,
        "active": len(active),
        "started": sum(1 for t in trajectories if start <= t["referred_on"] <= end),
        "ended": sum(1 for t in trajectories if t["closed_on"] and start <= t["closed_on"] <= end),
        "with_work": len(working),
        "with_work_pct": percentage(len(working), len(active)),
        "median_days_first_contact": median(first_contacts),
        "caseload": caseload,
        "caseload_flagged": caseload_flagged(caseload),
        "contacts": contact_count,
        "contacts_per_week": contacts_per_week(contact_count, start, until)
        if until >= start
        else None,
        "median_tenure_weeks": round(tenure, 1) if tenure is not None else None,
    }


def team_results(team, quarter, today=None, trend_quarters=4):
    """Figures for the IpsTeam ``team`` in ``quarter``: the team, each of its
    trajectbegeleiders, and the team's trend over the last ``trend_quarters`` quarters. A
    trajectory counts for the team of its trajectbegeleider."""
    today = today or timezone.localdate()
    trend = [quarter]
    while len(trend) < trend_quarters:
        trend.insert(0, trend[0].previous())
    trajectories, placements, contacts, coaches = _load(team, trend[0].start, quarter.end, today)

    coach_of = {t["pk"]: t["coach_id"] for t in trajectories}
    own = {coach.pk: ([], []) for coach in coaches}
    for t in trajectories:
        if t["coach_id"] in own:
            own[t["coach_id"]][0].append(t)
    for p in placements:
        if coach_of.get(p["trajectory_id"]) in own:
            own[coach_of[p["trajectory_id"]]][1].append(p)

    def team_contacts(q):
        return sum(n for (_coach, q_), n in contacts.items() if q_ == q)

    team = quarter_figures(quarter, trajectories, placements, team_contacts(quarter), today)
    per_coach = []
    for coach in coaches:
        own_t, own_p = own[coach.pk]
        figures = quarter_figures(
            quarter, own_t, own_p, contacts.get((coach.pk, quarter), 0), today
        )
        figures["coach"] = coach
        figures["contacts_below_norm"] = (
            figures["contacts_per_week"] is not None
            and figures["contacts_per_week"] < EMPLOYER_CONTACTS_PER_WEEK_NORM
        )
        per_coach.append(figures)
    # The team's contacts per week are per coach on average, comparable with the norm.
    if coaches and team["contacts_per_week"] is not None:
        team["contacts_per_week"] = contacts_per_week(
            team["contacts"] / len(coaches), quarter.start, min(quarter.end, today)
        )
    history = [quarter_figures(q, trajectories, placements, team_contacts(q), today) for q in trend]
    return {"quarter": quarter, "team": team, "coaches": per_coach, "trend": history}


# --- Server-rendered SVG bar charts ------------------------------------------------------------


def bar_chart(
    rows,
    *,
    maximum=None,
    norm=None,
    at_least=False,
    running=None,
    width=480,
    bar_height=28,
    label_width=150,
):
    """Geometry for a horizontal SVG bar chart. ``rows``: [(label, value or None)]. Values
    None are drawn as an empty bar with "—".

    ``norm`` is drawn as a line, and the bars on its wrong side are flagged: above it for a
    maximum (the caseload: at most 20), below it with ``at_least`` for a minimum (the
    employer contacts: at least 6 a week). ``running``: the index of a bar whose figure is
    still growing (this week), which is not flagged for falling short yet.

    Coordinates are ready-made attribute strings: in the template a number would go
    through localisation (a decimal comma is no SVG), which for a team of 22 was most of
    the dashboard's rendering. ``value`` (shown as text) stays a number, localised."""
    values = [v for _label, v in rows if v is not None]
    top = max([maximum or 0, norm or 0, *values, 1])
    plot = width - label_width - 60
    bars = []
    for index, (label, value) in enumerate(rows):
        length = 0 if value is None else round(plot * value / top, 1)
        bars.append(
            {
                "label": Truncator(label).chars(22),
                "value": "—" if value is None else value,
                "y": str(index * bar_height + 4),
                "text_y": str(index * bar_height + bar_height / 2 + 4),
                "width": str(length),
                "value_x": str(label_width + length + 6),
                "flagged": _off_norm(value, norm, at_least) and not (at_least and index == running),
            }
        )
    height = str(len(rows) * bar_height + 8)
    return {
        "bars": bars,
        "width": str(width),
        "height": height,
        "label_x": str(label_width - 6),
        "label_width": str(label_width),
        "bar_height": str(bar_height - 8),
        "norm_x": str(label_width + round(plot * norm / top, 1)) if norm is not None else None,
        "norm": norm,
        "at_least": at_least,
    }


def _off_norm(value, norm, at_least):
    if norm is None or value is None:
        return False
    return value < norm if at_least else value > norm
