"""A behandelaar's motivational conversation about work is work discussed as a treatment topic,
as a finished leidraad session is. The case page and the werkvoorraad kept asking
'Werk nog niet besproken' after such a log, inviting the same talk to be recorded twice
(review of the brief, 5 December)."""

import datetime

from django.urls import reverse
from django.utils import timezone

from cases.constants import CaseRole
from consent import services as consent
from consent.constants import Action, Category, Outcome
from consent.models import AccessLogEntry

from .test_conversations import SAME_DAY, case_a, days_ago, log_direct, log_via_page  # noqa: F401

PROMPT = "Vastleggen dat werk is besproken"


def changes_of_the_case(user, case):
    return AccessLogEntry.objects.filter(
        user=user,
        object_type="casus",
        object_id=str(case.pk),
        category=Category.AFSPRAKEN,
        action=Action.UPDATE,
        outcome=Outcome.TOEGESTAAN,
    )


@SAME_DAY
def test_the_behandelaars_log_counts_as_work_discussed(client_for, behandelaar_a, case_a):  # noqa: F811
    c = client_for(behandelaar_a)
    assert PROMPT in c.get(reverse("cases:detail", args=[case_a.pk])).content.decode()

    log_via_page(c, case_a, held_on=days_ago(2).isoformat())

    case_a.refresh_from_db()
    assert case_a.work_discussed_on == days_ago(2)
    assert PROMPT not in c.get(reverse("cases:detail", args=[case_a.pk])).content.decode()
    assert changes_of_the_case(behandelaar_a, case_a).count() == 1


@SAME_DAY
def test_a_log_held_earlier_does_not_move_the_date_back(behandelaar_a, case_a):  # noqa: F811
    log_direct(case_a, behandelaar_a, held_on=days_ago(1))
    version = type(case_a).objects.get(pk=case_a.pk).version
    late = log_direct(case_a, behandelaar_a, held_on=days_ago(20))
    case_a.refresh_from_db()
    assert case_a.work_discussed_on == days_ago(1)
    assert case_a.version == version  # untouched
    assert late.work_discussed is False


@SAME_DAY
def test_others_logs_leave_the_case_organisations_record(
    client_for,
    behandelaar_a,
    jobcoach_a,
    outsider,
    case_a,  # noqa: F811
):
    """The trajectbegeleider's conversation is no treatment talk; a behandelaar of another
    GGZ on the team does not change the case organisation's afspraken & doelen."""
    consent.add_member(case_a, jobcoach_a, CaseRole.TRAJECTBEGELEIDER)
    consent.add_member(case_a, outsider, CaseRole.BEHANDELAAR)
    for user in (jobcoach_a, outsider):
        log_via_page(client_for(user), case_a)
        case_a.refresh_from_db()
        assert case_a.work_discussed_on is None
        assert not changes_of_the_case(user, case_a).exists()


def test_a_later_talk_moves_it_on(behandelaar_a, case_a):  # noqa: F811
    type(case_a).objects.filter(pk=case_a.pk).update(
        work_discussed_on=timezone.localdate() - datetime.timedelta(days=100)
    )
    assert log_direct(case_a, behandelaar_a).work_discussed is True
    case_a.refresh_from_db()
    assert case_a.work_discussed_on == timezone.localdate()
