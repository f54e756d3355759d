"""Who and what the benchmark looks at, picked from the seeded data so that every size gets
a comparable subject: the behandelaar with the median caseload, their open case with the
fullest timeline, a beheerder and the median trajectbegeleider of the same GGZ provider; and
a case with every panel of the case page filled (conversation logs, as many as the data
has on a case, and an IPS trajectory; a driegesprek where such a case has one), seen by its
regiebehandelaar: most cases have none of these, and the page reads nothing for a kind a
case never had. The volume data has no gespreksleidraad sessions: that panel is shown
without any."""

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
    full_case: Case
    full_case_behandelaar: User


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
    full_case = (
        Case.objects.filter(
            status=CaseStatus.OPEN,
            has_conversations=True,
            has_ips_trajectories=True,
            members__user__role=Role.BEHANDELAAR,
            members__permission__codename=CaseRole.REGIEBEHANDELAAR,
        )
        .annotate(
            conversation_logs=Count("conversations", distinct=True),
            entries=Count("timeline", distinct=True),
        )
        .order_by("-has_meetings", "-conversation_logs", "-entries", "pk")
        .select_related("client")
        .first()
    )
    subjects = Subjects(
        behandelaar=behandelaar,
        caseload=caseload,
        case=case,
        timeline_entries=case.entries,
        beheerder=beheerder,
        jobcoach=User.objects.get(pk=jobcoach_id),
        trajectories=trajectories,
        full_case=full_case,
        full_case_behandelaar=User.objects.get(
            role=Role.BEHANDELAAR,
            casemember__content_object=full_case,
            casemember__permission__codename=CaseRole.REGIEBEHANDELAAR,
        ),
    )
    with_second_factor(
        subjects.behandelaar,
        subjects.beheerder,
        subjects.jobcoach,
        subjects.full_case_behandelaar,
    )
    return subjects


def with_second_factor(*users):
    """Production requires a TOTP factor of every professional (RequireMFAMiddleware checks
    it on every request): give the benchmark's users one, so they take that path too."""
    for user in users:
        Authenticator.objects.get_or_create(
            user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": "bench"}}
        )
