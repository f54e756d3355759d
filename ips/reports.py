"""IPS reports of a team: a finished IPS-25 fidelity review (modelgetrouwheid) and the results
of a quarter. Team data, not client data: only aggregated figures, never a client's name.
Like the team pages, for the trajectbegeleiders of the report's IPS team (params["team"]),
checked when the PDF is made and at every download."""

from django.utils import timezone

from portal.constants import Role
from portal.models import ReportType
from portal.reports import Built

from . import fidelity, figures
from .constants import CASELOAD_MAX, EMPLOYER_CONTACTS_PER_WEEK_NORM, ReviewStatus
from .models import FidelityReview
from .services import in_team


def on_team(user, organisation_id):
    """The team pages' rule: a trajectbegeleider of the team's own organisation."""
    return (
        user.is_active
        and user.role == Role.TRAJECTBEGELEIDER
        and user.organisation_id is not None
        and user.organisation_id == organisation_id
    )


def finished_review(team_id, pk):
    return (
        FidelityReview.objects.filter(pk=pk, team_id=team_id, status=ReviewStatus.AFGEROND)
        .select_related("organisation", "team", "finished_by")
        .prefetch_related("scores")
        .first()
    )


def report_team(user, report):
    """The report's IPS team, if ``user`` is a trajectbegeleider in it; else None."""
    if not on_team(user, report.organisation_id):
        return None
    return in_team(user, report.params.get("team"))


def build(report):
    team = report_team(report.requested_by, report)
    if team is None:
        raise PermissionError("De aanvrager hoort niet (meer) bij dit IPS-team.")
    if report.type == ReportType.IPS_MODELGETROUWHEID:
        return _build_fidelity(report, team)
    return _build_results(report, team)


def _build_fidelity(report, team):
    review = finished_review(team.pk, report.params.get("review"))
    if review is None:
        raise ValueError("Deze meting bestaat niet of is niet afgerond.")
    scores = fidelity.scores_of(review)
    notes = {s.item: s.note for s in review.scores.all()}
    current = fidelity.summary(scores)
    previous = fidelity.previous_review(review)
    previous_scores = fidelity.scores_of(previous) if previous else {}
    previous_summary = fidelity.summary(previous_scores) if previous else None
    items = [
        {
            "section": section,
            "name": name,
            "original": original,
            "score": scores.get(code),
            "previous": previous_scores.get(code),
            "note": notes.get(code, ""),
        }
        for code, section, name, original, _help in fidelity.FIDELITY_ITEMS
    ]
    return Built(
        template="reports/ips_modelgetrouwheid.html",
        context={
            "review": review,
            "summary": current,
            "previous": previous,
            "previous_summary": previous_summary,
            "change": fidelity.comparison(current, previous_summary),
            "items": items,
        },
        confidential=False,
    )


def results_context(team, quarter, today):
    """The IPS team's figures of ``quarter`` with their charts: for the page and the PDF."""
    data = figures.team_results(team, quarter, today)
    coaches = data["coaches"]

    def name(coach):
        return coach.get_full_name() or coach.email

    return {
        **data,
        "ips_team": team,
        "organisation": team.organisation,
        "waiting": figures.waiting_referrals(team.organisation_id),
        "caseload_max": CASELOAD_MAX,
        "norm": EMPLOYER_CONTACTS_PER_WEEK_NORM,
        "work_chart": figures.bar_chart(
            [(str(row["quarter"]), row["with_work_pct"]) for row in data["trend"]],
            maximum=100,
        ),
        # The caseload norm is a maximum, the employer contacts' a minimum: each chart
        # flags the coaches on the wrong side of its own norm, as the table does.
        "caseload_chart": figures.bar_chart(
            [(name(c["coach"]), c["caseload"]) for c in coaches], norm=CASELOAD_MAX
        ),
        "contacts_chart": figures.bar_chart(
            [(name(c["coach"]), c["contacts_per_week"]) for c in coaches],
            norm=EMPLOYER_CONTACTS_PER_WEEK_NORM,
            at_least=True,
        ),
    }


def _build_results(report, team):
    today = timezone.localdate()
    current = figures.Quarter.containing(today)
    quarter = min(figures.Quarter.parse(report.params.get("quarter"), current), current)
    return Built(
        template="reports/ips_resultaten.html",
        context=results_context(team, quarter, today),
        # Per-coach figures are about employees: confidential, though without client data.
        confidential=True,
    )


def download_decisions(user, report):
    """Team figures hold no client data: nothing to decide per category."""
    team = report_team(user, report)
    if team is None:
        return None
    if (
        report.type == ReportType.IPS_MODELGETROUWHEID
        and finished_review(team.pk, report.params.get("review")) is None
    ):
        return None
    return []
