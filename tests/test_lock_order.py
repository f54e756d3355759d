"""A team change locks the case row and then writes the access log; meanwhile a colleague
opens the case page, whose log entry points at that case. The team change's lock must not
block that entry's foreign-key check, or each waits for the other (the entry's request holds
the log's chain lock) and every log write in the system stalls until PostgreSQL breaks the
deadlock."""

import threading
import time
from types import SimpleNamespace

import pytest
from django.db import connection, transaction

from cases import services as cases
from cases.constants import CaseRole
from consent import services as consent
from consent.constants import Action, Basis, Category
from consent.models import AccessLogEntry

from .builders import make_case

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'"),
]


def request_of(user, request_id):
    return SimpleNamespace(user=user, META={}, headers={}, request_id=request_id, path="/")


def read_entry(user, case, request_id):
    return consent.entry(
        request_of(user, request_id),
        user,
        decision=consent.Decision(True, Basis.EIGEN_ORGANISATIE),
        action=Action.READ,
        object_type="casus",
        object_id=case.pk,
        category=Category.IDENTIFICATIE,
        client=case.client_id,
        case=case,
    )


def run_together(change, read):
    """``change`` runs in a transaction: its service call (which locks the case row), then
    a pause in which ``read`` writes its log entry, then its own log entry. Errors of both."""
    locked, errors = threading.Event(), []

    def changer():
        try:
            with transaction.atomic():
                change()
                locked.set()
                time.sleep(0.5)  # the reader is now inside write_log, holding the chain lock
                change.log()
        except Exception as exc:  # noqa: BLE001  reported below
            errors.append(exc)
        finally:
            locked.set()
            connection.close()

    def reader():
        locked.wait(10)
        try:
            read()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=changer), threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


def test_leaving_the_team_while_a_colleague_reads_the_case(behandelaar_a, behandelaar_a2):
    case = make_case(behandelaar_a)
    consent.add_member(case, behandelaar_a2, CaseRole.BEHANDELAAR)

    def change():
        cases.leave(consent.case_access(behandelaar_a2, case))

    change.log = lambda: consent.log_changes(
        request_of(behandelaar_a2, "leave"),
        case,
        [("teamlid", behandelaar_a2.pk, Category.IDENTIFICATIE, Action.UPDATE)],
    )
    errors = run_together(
        change, lambda: consent.write_log([read_entry(behandelaar_a, case, "read")])
    )
    assert errors == []
    assert set(AccessLogEntry.objects.values_list("request_id", flat=True)) == {"leave", "read"}


def test_accepting_an_invitation_while_a_colleague_reads_the_case(behandelaar_a, behandelaar_a2):
    case = make_case(behandelaar_a)
    invitation = cases.invite(
        consent.case_access(behandelaar_a, case), behandelaar_a2, CaseRole.BEHANDELAAR
    )

    def change():
        cases.respond(invitation, behandelaar_a2, accept=True)

    change.log = lambda: consent.log_changes(
        request_of(behandelaar_a2, "respond"),
        case,
        [("uitnodiging", invitation.pk, Category.IDENTIFICATIE, Action.UPDATE)],
    )
    errors = run_together(
        change, lambda: consent.write_log([read_entry(behandelaar_a, case, "read")])
    )
    assert errors == []
    assert set(AccessLogEntry.objects.values_list("request_id", flat=True)) == {"respond", "read"}


def test_handing_over_trajectories_while_a_colleague_reads_the_case(
    behandelaar_a, jobcoach_a, beheerder_a, ggz_a
):
    """The hand-over locks the case rows, then the trajectories (which it finds through a
    join to the case: that join must not lock the case FOR UPDATE as well)."""
    from ips import services as ips
    from portal.constants import Role
    from portal.models import User

    from .factories import UserFactory
    from .test_ips import new_case, start_trajectory

    trajectory = start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a))
    case = trajectory.case
    successor = UserFactory(organisation=ggz_a, role=Role.TRAJECTBEGELEIDER)
    User.objects.filter(pk=jobcoach_a.pk).update(is_active=False)
    jobcoach_a.refresh_from_db()

    def change():
        ips.transfer_trajectories(beheerder_a, jobcoach_a, successor)

    change.log = lambda: consent.log_changes(
        request_of(beheerder_a, "transfer"),
        case,
        [("ips-traject", trajectory.pk, Category.IPS, Action.UPDATE)],
        basis=Basis.BEHEER,
    )
    errors = run_together(
        change, lambda: consent.write_log([read_entry(behandelaar_a, case, "read")])
    )
    assert errors == []
    assert set(AccessLogEntry.objects.values_list("request_id", flat=True)) >= {
        "transfer",
        "read",
    }


def test_closing_while_a_colleague_reads_the_case(behandelaar_a, ggz_a):
    """Closing updates the case row and locks its open invitations, then writes the log."""
    from .test_ips import refer_to_ips

    case = make_case(behandelaar_a)
    refer_to_ips(behandelaar_a, case, ggz_a)

    def change():
        cases.close_case(behandelaar_a, case)

    change.log = lambda: consent.log_changes(
        request_of(behandelaar_a, "close"),
        case,
        [("casus", case.pk, Category.IDENTIFICATIE, Action.UPDATE)],
    )
    errors = run_together(
        change, lambda: consent.write_log([read_entry(behandelaar_a, case, "read")])
    )
    assert errors == []
    assert set(AccessLogEntry.objects.values_list("request_id", flat=True)) >= {"close", "read"}
