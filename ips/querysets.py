from django.db import models
from django.db.models import F, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from .constants import Phase, PlacementEndReason

# "Regulier betaald werk" in SQL: the coach's correction wins, otherwise derived from the
# data (at least the minimum wage on its first day, and not set aside). Mirrors
# Placement.is_competitive.
COMPETITIVE = Q(competitive_override=True) | Q(
    competitive_override__isnull=True, hourly_wage__gte=F("minimum_wage"), set_aside=False
)

# A job that went ahead, or still may: every job but one recorded as 'niet doorgegaan' (it
# was called off before its start and never ran). The one rule for what counts as a job:
# the first contact (rapid search), the current job, the dashboard, the phase machine.
# Mirrors Placement.went_ahead.
WENT_AHEAD = ~Q(end_reason=PlacementEndReason.NIET_DOORGEGAAN)


class LeastKnown(Least):
    """The least of two values, the one there is when the other is missing: PostgreSQL's
    LEAST skips a NULL; SQLite's MIN is NULL when either is, so it compares
    COALESCE(a, b) with COALESCE(b, a) there."""

    def as_sqlite(self, compiler, connection, **extra_context):
        a, b = self.get_source_expressions()
        return Least(Coalesce(a, b), Coalesce(b, a)).as_sqlite(
            compiler, connection, **extra_context
        )


class TrajectoryQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(phase=Phase.AFGESLOTEN)

    def with_first_contact(self, today=None):
        """Annotate ``first_contact_on``: the day of the first face-to-face employer contact
        for this trajectory's client, the first one recorded or the start of a job if that
        came earlier (a job found without a recorded contact still began with one; a job that
        did not go ahead began nothing, nor one still to start after ``today``). Two
        subqueries, whatever the number of contacts and jobs."""
        from .models import EmployerContact, Placement

        def first(rows, field):
            return Subquery(
                rows.filter(trajectory=OuterRef("pk"))
                .values("trajectory")
                .annotate(first=Min(field))
                .values("first")
            )

        # Face to face, as IPS counts employer contacts (not by telephone or e-mail).
        contact = first(EmployerContact.objects.face_to_face(), "contacted_on")
        # A job still to start is no contact yet: its start lies ahead.
        today = today or timezone.localdate()
        started = Placement.objects.went_ahead().filter(start_date__lte=today)
        job = first(started, "start_date")
        return self.annotate(first_contact_on=LeastKnown(contact, job))


class PlacementQuerySet(models.QuerySet):
    def competitive(self):
        return self.filter(COMPETITIVE)

    def went_ahead(self):
        """All but the jobs that did not go ahead (see WENT_AHEAD)."""
        return self.filter(WENT_AHEAD)

    def active_between(self, start, end):
        """Placements that ran on at least one day of [start, end]."""
        return self.filter(start_date__lte=end).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=start)
        )


class EmployerContactQuerySet(models.QuerySet):
    def face_to_face(self):
        return self.filter(face_to_face=True)

    def between(self, start, end):
        return self.filter(contacted_on__gte=start, contacted_on__lte=end)
