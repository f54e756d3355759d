"""Who and what the benchmark looks at, picked from the seeded data so that every size gets
a comparable subject: the behandelaar with the median caseload, their open case with the
fullest timeline, a beheerder and the median trajectbegeleider of the same GGZ provider."""

from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from django.db.models import Count

from cases.constants import CaseRole, CaseStatus
from cases.models import Case, CaseMember
from ips.models import Trajectory
from portal.constants import Role
from portal.models import User


@dataclass
class Subjects:
    behandelaar: User
    caseload: int
    case: Case
    timeline_entries: int
    beheerder: User
    jobcoach: User
    trajectories: int


def median_by(rows):
    """The middle of [(user id, count)] ordered by count: a typical user, not an extreme."""
    rows = sorted(rows, key=lambda row: (row[1], row[0]))
    return rows[len(rows) // 2]


def pick():
    caseloads = (
        CaseMember.objects.filter(
            user__role=Role.BEHANDELAAR,
            permission__codename=CaseRole.REGIEBEHANDELAAR,
            content_object__status=CaseStatus.OPEN,
        )
        .values_list("user")
        .annotate(n=Count("id"))
    )
    behandelaar_id, caseload = median_by(caseloads)
    behandelaar = User.objects.get(pk=behandelaar_id)
    case = (
        Case.objects.filter(
            status=CaseStatus.OPEN,
            members__user=behandelaar,
            members__permission__codename=CaseRole.REGIEBEHANDELAAR,
        )
        .annotate(
            entries=Count("timeline", distinct=True),
            team=Count("members", distinct=True),
            trajectories=Count("ips_trajectories", distinct=True),
        )
        .order_by("-entries", "-trajectories", "-team", "pk")
        .select_related("client")
        .first()
    )
    organisation = behandelaar.organisation_id
    beheerder = User.objects.filter(organisation_id=organisation, role=Role.BEHEERDER).first()
    loads = (
        Trajectory.objects.open()
        .filter(coach__organisation_id=organisation)
        .values_list("coach")
        .annotate(n=Count("id"))
    )
    jobcoach_id, trajectories = median_by(loads)
    subjects = Subjects(
        behandelaar=behandelaar,
        caseload=caseload,
        case=case,
        timeline_entries=case.entries,
        beheerder=beheerder,
        jobcoach=User.objects.get(pk=jobcoach_id),
        trajectories=trajectories,
    )
    with_second_factor(subjects.behandelaar, subjects.beheerder, subjects.jobcoach)
    return subjects


def with_second_factor(*users):
    """Production requires a TOTP factor of every professional (RequireMFAMiddleware checks
    it on every request): give the benchmark's users one, so they take that path too."""
    for user in users:
        Authenticator.objects.get_or_create(
            user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": "bench"}}
        )
