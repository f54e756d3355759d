"""Case.has_conversations, has_leidraad_sessions, has_ips_trajectories and has_meetings
(issue 10): set by the first record of the kind, in its transaction, so the case page reads
no part that has nothing to show; kept by the migrations that added them for records made
before."""

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import leidraad_services as leidraad
from cases.models import Case, Conversation, LeidraadSession
from ips.models import Trajectory

from .test_cases import plan_data
from .test_conversations import log_via_page
from .test_ips import new_case, start_trajectory
from .test_leidraad import start as start_session

FLAGS = ("has_conversations", "has_leidraad_sessions", "has_ips_trajectories", "has_meetings")
TABLES = (
    '"cases_conversation"',
    '"cases_leidraadsession"',
    '"ips_trajectory"',
    '"cases_driegesprek"',
)


def flags(case):
    return dict(zip(FLAGS, Case.objects.values_list(*FLAGS).get(pk=case.pk), strict=True))


def tables_read(c, case):
    """Which of the four kinds' tables the case page reads."""
    with CaptureQueriesContext(connection) as captured:
        assert c.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    reads = [q["sql"] for q in captured if q["sql"].startswith("SELECT")]
    return {table for table in TABLES if any(f"FROM {table}" in sql for sql in reads)}


@pytest.fixture
def case(behandelaar_a):
    return new_case(behandelaar_a)


def test_a_new_case_has_none_and_its_page_reads_no_panel(client_for, behandelaar_a, case):
    assert flags(case) == dict.fromkeys(FLAGS, False)
    assert tables_read(client_for(behandelaar_a), case) == set()


def test_a_panel_without_records_does_not_even_build_its_query(
    client_for, behandelaar_a, case, monkeypatch
):
    """An empty queryset (.none()) still has its whole SELECT compiled when it is listed
    (≈ 0.8 ms): the panels do not ask for the records of a kind the case never had."""
    from cases import conversation_services

    asked = []

    def recording(module, name):
        original = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a: asked.append(name) or original(*a))

    recording(conversation_services, "conversations_for")
    recording(leidraad, "sessions_for")
    c = client_for(behandelaar_a)
    page = c.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert asked == []
    # The panels are there all the same, offering to start.
    assert reverse("cases:conversation_create", args=[case.pk]) in page
    assert "Nog geen motiverend gesprek vastgelegd." in page
    log_via_page(c, case)
    start_session(c, case)
    asked.clear()
    c.get(reverse("cases:detail", args=[case.pk]))
    assert sorted(asked) == ["conversations_for", "sessions_for"]


def test_the_first_conversation_sets_its_flag_and_the_page_reads_it(
    client_for, behandelaar_a, case
):
    c = client_for(behandelaar_a)
    conversation = log_via_page(c, case)
    assert flags(case) == {**dict.fromkeys(FLAGS, False), "has_conversations": True}
    assert tables_read(c, case) == {'"cases_conversation"'}
    page = c.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert reverse("cases:conversation_detail", args=[case.pk, conversation.pk]) in page


def test_the_first_leidraad_session_sets_its_flag(client_for, behandelaar_a, case):
    c = client_for(behandelaar_a)
    start_session(c, case)
    assert flags(case)["has_leidraad_sessions"] is True
    assert tables_read(c, case) == {'"cases_leidraadsession"'}


def test_the_first_driegesprek_sets_its_flag_and_the_page_shows_it(client_for, behandelaar_a, case):
    c = client_for(behandelaar_a)
    assert "Nog geen driegesprek dat u mag zien." in c.get(
        reverse("cases:detail", args=[case.pk])
    ).content.decode("utf-8")
    when = timezone.localtime() + datetime.timedelta(days=14)
    c.post(reverse("cases:driegesprek_plan", args=[case.pk]), plan_data(when))
    assert case.meetings.exists()
    assert flags(case) == {**dict.fromkeys(FLAGS, False), "has_meetings": True}
    assert tables_read(c, case) == {'"cases_driegesprek"'}
    page = c.get(reverse("cases:detail", args=[case.pk])).content.decode("utf-8")
    assert "Stadskantoor" in page
    assert "Nog geen driegesprek dat u mag zien." not in page


def test_a_referral_to_ips_sets_its_flag(client_for, behandelaar_a, jobcoach_a, case):
    trajectory = start_trajectory(behandelaar_a, jobcoach_a, case)
    assert flags(case)["has_ips_trajectories"] is True
    assert trajectory.case.has_ips_trajectories  # the instance the record points to, too
    assert '"ips_trajectory"' in tables_read(client_for(jobcoach_a), case)


def test_a_flag_goes_with_a_record_rolled_back(behandelaar_a, case):
    with pytest.raises(RuntimeError), transaction.atomic():
        LeidraadSession.objects.create(
            case=case,
            organisation=behandelaar_a.organisation,
            guide=leidraad.current_version(),
            started_by=behandelaar_a,
        )
        assert flags(case)["has_leidraad_sessions"] is True
        raise RuntimeError
    assert flags(case)["has_leidraad_sessions"] is False


@pytest.mark.django_db(transaction=True)
def test_the_migration_sets_the_flags_of_records_made_before(client_for, behandelaar_a, jobcoach_a):
    """cases 0013 and 0018: the flags of existing cases follow what they hold; a case with
    nothing keeps none."""
    from django.db.migrations.executor import MigrationExecutor

    with_both = new_case(behandelaar_a, index=0)
    c = client_for(behandelaar_a)
    log_via_page(c, with_both)
    when = timezone.localtime() + datetime.timedelta(days=14)
    c.post(reverse("cases:driegesprek_plan", args=[with_both.pk]), plan_data(when))
    start_trajectory(behandelaar_a, jobcoach_a, with_both)
    empty = new_case(behandelaar_a, index=1, last="Bos")
    executor = MigrationExecutor(connection)
    executor.migrate([("cases", "0012_client_bsn_idx")])
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert flags(with_both) == {
        "has_conversations": True,
        "has_leidraad_sessions": False,
        "has_ips_trajectories": True,
        "has_meetings": True,
    }
    assert flags(empty) == dict.fromkeys(FLAGS, False)
    assert Conversation.objects.filter(case=with_both).exists()
    assert Trajectory.objects.filter(case=with_both).exists()
