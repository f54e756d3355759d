"""Fixes in cases.services found by an exploratory tester: the 'Verwijzen' refusals told a
behandelaar of another GGZ on the team what the case page keeps from them, and two
colleagues registering one BSN at the same moment gave the second a server error."""

import datetime
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse

from cases import services
from cases.constants import CaseRole
from cases.forms import ClientForm
from cases.models import Client, Invitation
from consent import services as consent
from ips.models import Trajectory

from .builders import make_case, next_bsn

NOT_NOW = str(services.REFERRAL_NOT_NOW_MESSAGE)


# --- Refusals of a referral name only what the user may know -----------------------------


@pytest.fixture
def case_a(behandelaar_a, outsider):
    """GGZ A's case, with a behandelaar of GGZ B on the team: they may refer, but the team
    panel shows them only the people of GGZ A (the case's own) and of GGZ B."""
    case = make_case(behandelaar_a, first_name="Eva", last_name="Jansen")
    consent.add_member(case, outsider, CaseRole.BEHANDELAAR)
    return case


def refer(client, case, target, organisation):
    """Send the 'Verwijzen' form; the refusals it shows above the form."""
    response = client.post(
        reverse("cases:refer", args=[case.pk]),
        {"target": target, "organisation": organisation.pk, "reason": "Wil werken"},
    )
    if response.status_code == 302:
        return None
    assert response.status_code == 200
    return list(response.context["form"].non_field_errors())


def test_a_klantmanager_on_the_team_is_named_only_to_who_knows_of_the_gemeente(
    client_for, behandelaar_a, outsider, klantmanager_g, gemeente_g, case_a
):
    """The team panel keeps Gemeente G from GGZ B's behandelaar (W&I contact tells of
    benefits), but referring to it answered 'Er zit al een klantmanager van Gemeente G in
    het team.': trying one gemeente after another showed the hidden team."""
    consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
    page = client_for(outsider).get(reverse("cases:detail", args=[case_a.pk]))
    assert klantmanager_g not in [member for member, _role in page.context["team"]]

    assert refer(client_for(outsider), case_a, "klantmanager", gemeente_g) == [NOT_NOW]
    # The lead, who sees the whole team, is told why.
    assert refer(client_for(behandelaar_a), case_a, "klantmanager", gemeente_g) == [
        "Er zit al een klantmanager van Gemeente G in het team."
    ]
    assert not Invitation.objects.exists()


def test_another_organisations_open_referral_is_named_only_to_who_may_learn_of_it(
    client_for, behandelaar_a, behandelaar_a2, outsider, gemeente_g, case_a
):
    """GGZ A referred the client to Gemeente G; GGZ B's behandelaar, referring there too,
    read 'Er staat al een verwijzing open naar Gemeente G.': a referral that only GGZ A
    and the gemeente may learn of (CaseAccess.reads_referral)."""
    consent.add_member(case_a, behandelaar_a2, CaseRole.BEHANDELAAR)
    assert refer(client_for(behandelaar_a), case_a, "klantmanager", gemeente_g) is None

    assert refer(client_for(outsider), case_a, "klantmanager", gemeente_g) == [NOT_NOW]
    # A colleague of the organisation that referred is told (and is not sent a second one).
    assert refer(client_for(behandelaar_a2), case_a, "klantmanager", gemeente_g) == [
        "Er staat al een verwijzing open naar Gemeente G."
    ]
    assert Invitation.objects.filter(is_referral=True).count() == 1


def test_a_running_ips_trajectory_is_named_only_to_who_may_read_its_ips_data(
    client_for, behandelaar_a, behandelaar_a2, outsider, ggz_a, ggz_b, case_a
):
    """GGZ A referred the client to its IPS team; GGZ B's behandelaar, referring to the
    IPS team of GGZ B (or of GGZ A), read 'Deze cliënt heeft al een lopend IPS-traject':
    GGZ A's IPS data, which the close page keeps from such a reader too."""
    consent.add_member(case_a, behandelaar_a2, CaseRole.BEHANDELAAR)
    assert refer(client_for(behandelaar_a), case_a, "ips", ggz_a) is None

    outsider_client = client_for(outsider)
    assert refer(outsider_client, case_a, "ips", ggz_b) == [NOT_NOW]
    assert refer(outsider_client, case_a, "ips", ggz_a) == [NOT_NOW]
    # GGZ A's own people read its IPS data: they are told why.
    (refusal,) = refer(client_for(behandelaar_a2), case_a, "ips", ggz_b)
    assert refusal.startswith("Deze cliënt heeft al een lopend IPS-traject.")
    assert Invitation.objects.filter(is_referral=True).count() == 1
    assert Trajectory.objects.count() == 1


def test_ones_own_referral_to_ips_is_named_while_it_waits(
    client_for, outsider, ggz_a, ggz_b, case_a
):
    """The referral that blocks is the user's own: they may learn of it, though not of the
    IPS data of the team they referred to, so the refusal says it still waits."""
    assert refer(client_for(outsider), case_a, "ips", ggz_a) is None
    assert refer(client_for(outsider), case_a, "ips", ggz_b) == [
        "Er staat al een verwijzing open naar het IPS-team van GGZ A."
    ]


# --- Two registrations of one BSN at the same moment -------------------------------------


CLIENT = {"first_name": "Eva", "last_name": "Jansen", "date_of_birth": datetime.date(1990, 5, 17)}


def waiting_for_a_lock(timeout=30):
    """Wait until a connection to the test database waits for a lock; whether one did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.02)
    return False


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_colleague_registering_the_same_bsn_at_the_same_moment_is_told_it_is_registered(
    behandelaar_a, behandelaar_a2
):
    """Two colleagues register one client at the same moment: both forms found the BSN
    free, and the second insert hit the unique (organisation, bsn) index. That colleague
    met a server error (IntegrityError) instead of the message a registration a moment
    later gets. Here the first registration is still uncommitted when the second one
    checks, and commits while the second waits at the index."""
    bsn = next_bsn()
    inserted, commit = threading.Event(), threading.Event()
    outcome = {}

    def first():
        try:
            with transaction.atomic():
                outcome["registered"] = services.register_client(behandelaar_a, bsn=bsn, **CLIENT)
                inserted.set()
                commit.wait(30)
        finally:
            connection.close()

    def second():
        inserted.wait(30)
        try:
            with transaction.atomic():
                try:
                    services.register_client(behandelaar_a2, bsn=bsn, **CLIENT)
                except ValidationError as exc:
                    outcome["refused"] = exc
                    # The transaction goes on (the view renders the form with it).
                    outcome["found"] = Client.objects.filter(bsn=bsn).count()
        except Exception as exc:  # noqa: BLE001  asserted below
            outcome["error"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    try:
        assert waiting_for_a_lock(), "the second registration never reached the index"
    finally:
        commit.set()
        for thread in threads:
            thread.join(60)

    assert "error" not in outcome, repr(outcome.get("error"))
    refused = outcome["refused"]
    assert isinstance(refused, services.DuplicateClient)
    assert refused.client == outcome["registered"]
    assert outcome["found"] == 1
    # The words of the form's own check, at the same field, as a moment later.
    form = ClientForm(
        {**CLIENT, "bsn": bsn, "email": "", "phone": "", "address": ""},
        organisation=behandelaar_a2.organisation,
    )
    assert not form.is_valid()
    assert refused.message_dict == {"bsn": list(form.errors["bsn"])}
    assert Client.objects.filter(bsn=bsn).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_registration_form_says_so_when_a_colleague_was_just_first(
    client_for, behandelaar_a, behandelaar_a2, monkeypatch
):
    """The same race through the page: the form found the BSN free, a colleague's
    registration committed before this one's insert. The page showed a server error; now
    it shows the form with the form's own message at the BSN, and nothing is added."""
    bsn = next_bsn()
    register = services.register_client

    def colleague_first(user, **data):
        def colleague():
            try:
                register(behandelaar_a, bsn=bsn, **CLIENT)  # its own connection, committed
            finally:
                connection.close()

        thread = threading.Thread(target=colleague)
        thread.start()
        thread.join(30)
        return register(user, **data)

    monkeypatch.setattr(services, "register_client", colleague_first)
    data = {**CLIENT, "date_of_birth": "1990-05-17", "bsn": bsn}
    response = client_for(behandelaar_a2).post(reverse("cases:client_create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["bsn"] == [str(services.DUPLICATE_BSN_MESSAGE)]
    assert Client.objects.filter(bsn=bsn).count() == 1
    assert not Client.objects.filter(bsn=bsn, created_by=behandelaar_a2).exists()
