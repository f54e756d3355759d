"""The permission matrix (issue 4, "Tests"): every team role x every data category x every
consent state x every action, asserted against an independent statement of the rules
(tests/builders.py: EXPECTED_ACTIONS, EXPECTED_PURPOSES, expected_decision), first on the
policy (consent.services.case_access) and then on the real pages.

The world is built once per class (one client with a case per team member and consent
state, all data held by GGZ A) inside an outer transaction that is rolled back afterwards;
tests that only read use it as it is (the fixture keeps the database open for them), tests
that write (pages write the access log) run in their own savepoint on top of it.
"""

import datetime
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.constants import CaseRole
from cases.models import Case, TimelineEntry
from consent import services as consent
from consent.constants import Action, Category, Purpose
from consent.models import AccessLogEntry

from .builders import (
    ACTIONS,
    ALLOWED_CONSENT,
    ALLOWED_OWN,
    CATEGORIES,
    EXPECTED_ACTIONS,
    EXPECTED_PURPOSES,
    PURPOSES,
    READ,
    STATES,
    TEAM,
    WORK_AND_INCOME,
    build_state_case,
    client_name,
    expected_decision,
    make_case,
    make_consent,
    named_world,
    note_marker,
    withdraw,
)


def as_tuple(decision):
    return (decision.allowed, str(decision.basis), decision.consent_id)


@pytest.fixture(scope="class")
def matrix_world(django_db_setup, django_db_blocker):
    """One case per (team member, consent state), with one note per category held by
    GGZ A, plus a case on whose team nobody but its regiebehandelaar is while every other
    organisation holds an active consent for everything. The clock stands still while the
    class runs: a consent on its last day, expired yesterday or starting tomorrow stays so,
    also when the run crosses midnight."""
    with django_db_blocker.unblock(), time_machine.travel(timezone.localtime(), tick=False):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = named_world()
            cases = {
                (key, state): build_state_case(world, key, state, with_notes=True)
                for key in TEAM
                for state in STATES
            }
            # The case page also shows whether work is a treatment goal (afspraken & doelen).
            Case.objects.filter(pk__in=[c.case.pk for c in cases.values()]).update(
                work_discussed_on=timezone.localdate(), work_is_goal=True
            )
            lonely = make_case(world.behandelaar_a, first_name="Alleen", last_name="Regie")
            for recipient, purpose in (
                (world.gemeente_g, Purpose.REINTEGRATIE),
                (world.uwv_u, Purpose.REINTEGRATIE),
                (world.ggz_b, Purpose.AFSTEMMING),
            ):
                make_consent(
                    lonely.client,
                    world.ggz_a,
                    recipient,
                    purpose,
                    CATEGORIES,
                    recorded_by=world.behandelaar_a,
                )
            for category in CATEGORIES:
                services.add_timeline(lonely, world.behandelaar_a, "notitie", category, "Notitie")
            # Fire the deferred foreign-key checks now, once: otherwise every test's
            # teardown (SET CONSTRAINTS ALL IMMEDIATE in a savepoint) re-checks them all.
            connection.check_constraints()
            yield SimpleNamespace(world=world, cases=cases, lonely=lonely)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# --- The rule tables themselves --------------------------------------------------------------


def test_rule_tables_speak_the_products_vocabulary():
    """If a category, case role or purpose is added, this file must be updated too."""
    assert set(CATEGORIES) == {c.value for c in Category}
    assert set(EXPECTED_PURPOSES) == {r.value for r in CaseRole}
    assert set(PURPOSES) == {p.value for p in Purpose}
    assert set(ACTIONS) <= {a.value for a in Action}


def test_rule_tables_state_the_issue():
    # Werk & Inkomen never sees (or writes) medical or treatment information.
    assert EXPECTED_ACTIONS["klantmanager"]["medisch"] == frozenset()
    # Writing or exporting something one may not read makes no sense.
    for role, row in EXPECTED_ACTIONS.items():
        for category, actions in row.items():
            assert not actions or READ in actions, (role, category)
    # No purpose lets a klantmanager in for treatment-only purposes.
    assert not EXPECTED_PURPOSES["klantmanager"] & {"afstemming", "casusbespreking"}
    assert {"gemeente", "uwv"} == WORK_AND_INCOME


# --- The policy ------------------------------------------------------------------------------

MATRIX = [
    pytest.param(key, state, category, action, id=f"{key}-{state}-{category}-{action}")
    for key in TEAM
    for state in STATES
    for category in CATEGORIES
    for action in ACTIONS
]


@pytest.mark.django_db  # also orders it before the transactional tests, which flush
class TestPolicyMatrix:
    @pytest.mark.parametrize("key,state,category,action", MATRIX)
    def test_data_held_by_ggz_a(self, matrix_world, key, state, category, action):
        built = matrix_world.cases[key, state]
        holder = matrix_world.world.ggz_a.pk
        access = consent.case_access(built.member.user, built.case)
        assert access.is_member
        want = expected_decision(built.member, category, action, holder, built.consents)
        assert as_tuple(access.decide(category, holder, action)) == want
        if action == READ:
            assert access.can_read(category, holder) is want[0]
            assert (holder in access.readable_holders(category)) is want[0]

    @pytest.mark.parametrize(
        "key,category,action",
        [
            pytest.param(key, category, action, id=f"{key}-{category}-{action}")
            for key in TEAM
            for category in CATEGORIES
            for action in ACTIONS
        ],
    )
    def test_data_held_by_own_organisation(self, matrix_world, key, category, action):
        """Own data: the role table alone decides, with the treatment relation or own
        registration as basis; writing always lands in the own organisation's data."""
        built = matrix_world.cases[key, "none"]
        own = built.member.organisation_id
        access = consent.case_access(built.member.user, built.case)
        want = expected_decision(built.member, category, action, own, built.consents)
        assert want[1] in (ALLOWED_OWN, "geen")
        assert as_tuple(access.decide(category, own, action)) == want
        if action == Action.CREATE:
            assert access.can_write(category) is want[0]

    @pytest.mark.parametrize(
        "user_name",
        [
            "behandelaar_a2",
            "jobcoach_a",
            "beheerder_a",
            "klantmanager_g",
            "beheerder_g",
            "adviseur_u",
            "outsider",
        ],
    )
    def test_not_on_the_team_is_always_denied(self, matrix_world, user_name):
        """Even with an active consent for everything towards the user's organisation, and
        even for data the user's own organisation holds."""
        user = getattr(matrix_world.world, user_name)
        case = matrix_world.lonely
        access = consent.case_access(user, case)
        assert not access.is_member
        wrong = [
            (holder, category, action)
            for holder in (matrix_world.world.ggz_a.pk, user.organisation_id)
            for category in CATEGORIES
            for action in ACTIONS
            if as_tuple(access.decide(category, holder, action)) != (False, "geen", None)
        ]
        assert wrong == []
        assert not any(access.can_write(c) for c in CATEGORIES)
        assert not TimelineEntry.objects.filter(case=case).filter(access.readable_filter()).exists()
        assert not consent.name_search(user, consent.cases_for(user), "Regie").exists()

    @pytest.mark.parametrize(
        "key,state", [pytest.param(k, s, id=f"{k}-{s}") for k in TEAM for s in STATES]
    )
    def test_readable_filter_agrees_with_the_rules(self, matrix_world, key, state):
        built = matrix_world.cases[key, state]
        holder = matrix_world.world.ggz_a.pk
        access = consent.case_access(built.member.user, built.case)
        readable = set(
            TimelineEntry.objects.filter(case=built.case)
            .filter(access.readable_filter())
            .values_list("category", flat=True)
        )
        want = {
            c
            for c in CATEGORIES
            if expected_decision(built.member, c, READ, holder, built.consents)[0]
        }
        assert readable == want

    @pytest.mark.parametrize(
        "key,state", [pytest.param(k, s, id=f"{k}-{s}") for k in TEAM for s in STATES]
    )
    def test_worklist_activity_agrees_with_the_rules(self, matrix_world, key, state):
        """The werkvoorraad's "laatste activiteit" (consent.with_last_seen_activity, the rule
        in SQL for a whole list) is the newest entry the rules let the member read."""
        built = matrix_world.cases[key, state]
        user = built.member.user
        entries = TimelineEntry.objects.filter(case=built.case)
        readable = [
            e.occurred_at
            for e in entries
            if expected_decision(built.member, e.category, READ, e.organisation_id, built.consents)[
                0
            ]
        ]
        seen = (
            consent.with_last_seen_activity(user, consent.cases_for(user))
            .get(pk=built.case.pk)
            .last_seen_at
        )
        # With nothing to read, the opening of the case is shown only to its own
        # organisation: to others it would tell when treatment began.
        own_case = user.organisation_id == built.case.organisation_id
        assert seen == max(readable, default=built.case.opened_at if own_case else None)

    # --- The same on the real pages ----------------------------------------------------------

    @pytest.mark.parametrize(
        "key,state", [pytest.param(k, s, id=f"{k}-{s}") for k in TEAM for s in STATES]
    )
    def test_pages_show_exactly_what_the_rules_allow(
        self, matrix_world, db, client_for, key, state
    ):
        built = matrix_world.cases[key, state]
        case, member = built.case, built.member
        holder = matrix_world.world.ggz_a.pk
        want = {c: expected_decision(member, c, READ, holder, built.consents) for c in CATEGORIES}
        c = client_for(member.user)
        timeline = c.get(reverse("cases:timeline", args=[case.pk]))
        detail = c.get(reverse("cases:detail", args=[case.pk]))
        assert timeline.status_code == detail.status_code == 200
        for html in (timeline.content.decode(), detail.content.decode()):
            shown = {cat for cat in CATEGORIES if note_marker(cat, case) in html}
            assert shown == {cat for cat, d in want.items() if d[0]}
        assert (client_name(key, state) in detail.content.decode()) is want["identificatie"][0]
        # The access log records what the timeline showed, each with its basis.
        logged = set(
            AccessLogEntry.objects.filter(
                request_id=timeline["X-Request-ID"], outcome="toegestaan"
            ).values_list("category", "basis", "consent_id")
        )
        assert logged == {(cat, d[1], d[2]) for cat, d in want.items() if d[0]}
        assert all(d[1] in (ALLOWED_OWN, ALLOWED_CONSENT) for d in want.values() if d[0])

    @pytest.mark.parametrize(
        "state", ["none", "expired", "withdrawn", "other_purpose", "active", "last_day"]
    )
    def test_work_as_treatment_goal_follows_the_policy(self, matrix_world, db, client_for, state):
        built = matrix_world.cases["behandelaar@ggz_b", state]
        holder = built.case.organisation_id
        allowed = expected_decision(built.member, "afspraken", READ, holder, built.consents)[0]
        assert allowed == (state in ("active", "last_day"))
        html = client_for(built.member.user).get(reverse("cases:detail", args=[built.case.pk]))
        assert ("werk is een behandeldoel" in html.content.decode()) == allowed

    def test_worklist_work_flag_follows_the_policy(self, matrix_world, db, client_for):
        built = matrix_world.cases["behandelaar@ggz_b", "none"]
        holder = built.case.organisation_id
        assert not expected_decision(built.member, "afspraken", READ, holder, built.consents)[0]
        Case.objects.filter(pk=built.case.pk).update(work_discussed_on=None)
        html = client_for(built.member.user).get("/").content.decode()
        assert "Werk nog niet besproken" not in html


# --- Leaving the team -----------------------------------------------------------------------


@pytest.fixture
def shared(behandelaar_a, klantmanager_g):
    case = make_case(behandelaar_a, first_name="Eva", last_name="Teamlid")
    consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
    record = make_consent(
        case.client,
        behandelaar_a.organisation,
        klantmanager_g.organisation,
        Purpose.REINTEGRATIE,
        [Category.WERKSITUATIE, Category.IDENTIFICATIE],
        recorded_by=behandelaar_a,
    )
    return SimpleNamespace(case=case, consent=record)


def test_removed_from_the_team_is_denied_at_once(shared, behandelaar_a, klantmanager_g):
    holder = behandelaar_a.organisation_id
    before = consent.case_access(klantmanager_g, shared.case)
    assert as_tuple(before.decide(Category.WERKSITUATIE, holder)) == (
        True,
        "toestemming",
        shared.consent.pk,
    )
    lead = consent.case_access(behandelaar_a, shared.case)
    services.leave(lead, klantmanager_g)
    after = consent.case_access(klantmanager_g, shared.case)
    assert not after.is_member
    assert not any(
        after.decide(c, h, a).allowed
        for c in CATEGORIES
        for a in ACTIONS
        for h in (holder, klantmanager_g.organisation_id)
    )


def test_leaving_through_the_page_closes_the_door_on_the_next_request(
    shared, klantmanager_g, client_for
):
    c = client_for(klantmanager_g)
    detail = reverse("cases:detail", args=[shared.case.pk])
    assert c.get(detail).status_code == 200
    c.post(reverse("cases:leave", args=[shared.case.pk]))
    assert c.get(detail).status_code == 404
    assert AccessLogEntry.objects.filter(
        user=klantmanager_g, case=shared.case, outcome="geweigerd"
    ).exists()


def noon(day):
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=timezone.get_current_timezone())


def test_withdrawal_and_expiry_take_effect_on_the_next_check(
    shared, behandelaar_a, klantmanager_g, time_machine
):
    holder = behandelaar_a.organisation_id
    access = consent.case_access(klantmanager_g, shared.case)
    assert access.can_read(Category.WERKSITUATIE, holder)
    # Expiry: the day after valid_until, without any job having run.
    time_machine.move_to(noon(shared.consent.valid_until + datetime.timedelta(days=1)))
    assert not consent.case_access(klantmanager_g, shared.case).can_read(
        Category.WERKSITUATIE, holder
    )
    time_machine.move_to(noon(shared.consent.valid_until))
    assert consent.case_access(klantmanager_g, shared.case).can_read(Category.WERKSITUATIE, holder)
    withdraw(shared.consent, behandelaar_a)
    assert not consent.case_access(klantmanager_g, shared.case).can_read(
        Category.WERKSITUATIE, holder
    )


# --- Query count ----------------------------------------------------------------------------


def _check(user, case):
    access = consent.case_access(user, case)
    return {
        (c, a, h): as_tuple(access.decide(c, h, a))
        for c in CATEGORIES
        for a in ACTIONS
        for h in (case.client.organisation_id, user.organisation_id)
    }


def _queries(user, case):
    with CaptureQueriesContext(connection) as captured:
        _check(user, case)
    return len(captured)


def _more_consents(case, behandelaar_a, klantmanager_g, count):
    """A mix: fitting and not, active, expired, withdrawn, for several categories."""
    today = timezone.localdate()
    for i in range(count):
        record = make_consent(
            case.client,
            behandelaar_a.organisation,
            klantmanager_g.organisation,
            PURPOSES[i % len(PURPOSES)],
            [CATEGORIES[i % len(CATEGORIES)], Category.WERKSITUATIE],
            valid_from=today - datetime.timedelta(days=100),
            valid_until=today + datetime.timedelta(days=(i % 3) * 30 - 30),
            recorded_by=behandelaar_a,
        )
        if i % 5 == 0:
            withdraw(record, behandelaar_a)


def test_policy_query_count_does_not_grow_with_consents(
    shared, behandelaar_a, klantmanager_g, django_assert_num_queries
):
    case = Case.objects.select_related("client").get(pk=shared.case.pk)
    _more_consents(case, behandelaar_a, klantmanager_g, 1)  # two consents in all
    expected = _queries(klantmanager_g, case)
    assert expected <= 2
    _more_consents(case, behandelaar_a, klantmanager_g, 48)
    assert case.client.consents.count() == 50
    with django_assert_num_queries(expected):
        decisions = _check(klantmanager_g, case)
    assert decisions[Category.MEDISCH, Action.READ, behandelaar_a.organisation_id][0] is False


def test_policy_query_count_does_not_grow_with_log_entries(
    shared, behandelaar_a, klantmanager_g, django_assert_num_queries
):
    case = Case.objects.select_related("client").get(pk=shared.case.pk)

    def log_reads(n):
        access = consent.case_access(klantmanager_g, case)
        consent.write_log(
            consent.entry(
                None,
                klantmanager_g,
                decision=access.decide(Category.WERKSITUATIE, behandelaar_a.organisation_id),
                action=Action.READ,
                object_type="casus",
                object_id=case.pk,
                category=Category.WERKSITUATIE,
                client=case.client_id,
                case=case,
            )
            for _ in range(n)
        )

    log_reads(2)
    assert AccessLogEntry.objects.filter(case=case).count() == 2
    expected = _queries(klantmanager_g, case)
    log_reads(498)
    assert AccessLogEntry.objects.filter(case=case).count() == 500
    with django_assert_num_queries(expected):
        _check(klantmanager_g, case)


def test_worklist_accesses_query_count_does_not_grow_with_consents(
    behandelaar_a, klantmanager_g, django_assert_num_queries
):
    """accesses_for (the werkvoorraad) is the policy for a page of cases at once."""
    cases = [make_case(behandelaar_a, last_name=f"Rij{i}") for i in range(2)]
    for case in cases:
        consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
        _more_consents(case, behandelaar_a, klantmanager_g, 1)

    def run():
        accesses = consent.accesses_for(klantmanager_g, cases)
        return [
            a.decide(c, behandelaar_a.organisation_id)
            for a in accesses.values()
            for c in CATEGORIES
        ]

    with CaptureQueriesContext(connection) as captured:
        run()
    expected = len(captured)
    for case in cases:
        _more_consents(case, behandelaar_a, klantmanager_g, 49)
    with django_assert_num_queries(expected):
        run()


def test_worklist_activity_follows_the_holder_of_each_entry(
    behandelaar_a, outsider, klantmanager_g, ggz_a, ggz_b, gemeente_g
):
    """Entries held by several organisations on one case: for a behandelaar of GGZ B with
    a consent for GGZ A's afspraken only, each new entry moves "laatste activiteit" exactly
    when the rules let them read it: by its holder and category, not the case's."""
    case = make_case(behandelaar_a)
    consent.add_member(case, outsider, CaseRole.BEHANDELAAR)
    consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
    make_consent(case.client, ggz_a, ggz_b, Purpose.AFSTEMMING, ["afspraken"])
    start = timezone.now() - datetime.timedelta(days=30)
    TimelineEntry.objects.filter(case=case).update(occurred_at=start)
    Case.objects.filter(pk=case.pk).update(opened_at=start)

    def seen():
        return (
            consent.with_last_seen_activity(outsider, consent.cases_for(outsider))
            .get(pk=case.pk)
            .last_seen_at
        )

    expected = start
    steps = [
        (behandelaar_a, "afspraken", True),  # GGZ A, consented
        (behandelaar_a, "medisch", False),  # GGZ A, not consented
        (klantmanager_g, "afspraken", False),  # the gemeente's: no consent from it
        (outsider, "medisch", True),  # their own
        (klantmanager_g, "werksituatie", False),
        (behandelaar_a, "werksituatie", False),
    ]
    for day, (author, category, readable) in enumerate(steps, start=1):
        entry = services.add_timeline(case, author, "notitie", category, "Notitie")
        when = start + datetime.timedelta(days=day)
        TimelineEntry.objects.filter(pk=entry.pk).update(occurred_at=when)
        if readable:
            expected = when
        assert seen() == expected, (author, category)
