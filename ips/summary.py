"""A client's IPS trajectory in short: what the IPS card on the case page shows and what the
voortgangsrapportage takes along. One selection for both; the caller passes the holders
whose IPS data fit its use: ``access.readable_holders(Category.IPS)`` for a page,
``portal.reports.exportable_holders(access, Category.IPS)`` for a report, which leaves the
portal. The same holders decide every row shown: the trajectory, its profile, its job."""

from dataclasses import dataclass

from django.db.models import F, Q
from django.utils import timezone

from consent.constants import Category

from . import figures
from .models import Beroepsprofiel, Placement, Trajectory


def trajectories(case, rows):
    """The case's trajectories that ``rows`` lets through, the open one first, with what a
    page shows of each (coach, profile, holder). No query on a case that never had one."""
    if not case.has_ips_trajectories:
        return Trajectory.objects.none()
    return (
        Trajectory.objects.filter(case=case)
        .filter(rows)
        .select_related("coach", "profile", "organisation")
        # The open one (no closed_on) first: PostgreSQL puts NULL last in ascending order.
        .order_by(F("closed_on").asc(nulls_first=True), "-referred_at", "-pk")
    )


@dataclass(frozen=True)
class Summary:
    trajectory: Trajectory
    profile: Beroepsprofiel | None  # None: not recorded, or not let through
    rapid: figures.RapidSearch
    current_job: Placement | None
    job_started: bool  # False: the job is still to start

    @property
    def shown(self):
        """{(holder, category)} of the rows shown: for the access log of a page and the
        contents of a report."""
        rows = [self.trajectory, self.profile, self.current_job]
        return {(row.organisation_id, Category.IPS) for row in rows if row is not None}


def summary(case, holders, today=None):
    """The case's current trajectory (the open one, else the last one closed) as far as the
    IPS data of ``holders`` (organisation ids) goes, or None. No read on a case that never
    had a trajectory (most have none), two reads on one, whatever the data size."""
    if not case.has_ips_trajectories:  # not even build the first-contact subqueries
        return None
    rows = Q(organisation_id__in=sorted(holders))
    today = today or timezone.localdate()
    trajectory = trajectories(case, rows).with_first_contact(today).first()
    if trajectory is None:
        return None
    profile = getattr(trajectory, "profile", None)  # came along (select_related)
    # A job counts from its start date to its end date, as on the dashboard: an end
    # recorded ahead of time leaves it current until then. A job that has started comes
    # before one that is still to start; one that did not go ahead is no job.
    # Chosen here, not by ORDER BY ... LIMIT 1: the client's jobs that have not ended are
    # one or two, and sorting them in SQL cost more to build than to read them all.
    jobs = (
        Placement.objects.filter(trajectory=trajectory)
        .filter(rows)
        .went_ahead()
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .order_by()
    )
    current_job = min(
        jobs, key=lambda job: (job.start_date > today, -job.start_date.toordinal()), default=None
    )
    return Summary(
        trajectory=trajectory,
        profile=profile if profile is not None and profile.organisation_id in holders else None,
        rapid=figures.rapid_search(trajectory, trajectory.first_contact_on, today),
        current_job=current_job,
        job_started=current_job is not None and current_job.start_date <= today,
    )
