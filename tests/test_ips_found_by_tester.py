"""IPS: what an exploratory tester found (5 December). The open trajectory is the current one
after a closed one; the move to 'aan het werk' that a job makes is in the access log; the
hourly wage as typed (no exponent, no typing-error amounts)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services as cases
from consent.models import AccessLogEntry
from ips import services, summary
from ips.constants import Phase
from ips.models import PhaseChange, Placement, Trajectory

from . import test_ips
from .test_ips import placement_data, refer_to_ips, to_search

case_a = test_ips.case_a
trajectory = test_ips.trajectory


def url(name, t):
    return reverse(f"ips:{name}", args=[t.case_id, t.pk])


@pytest.fixture
def second(behandelaar_a, jobcoach_a, ggz_a, case_a, trajectory):
    """The first trajectory closed, the client referred again and taken on: a new, open one."""
    services.change_phase(trajectory, jobcoach_a, Phase.AFGESLOTEN, close_reason="eigen_verzoek")
    referral = refer_to_ips(behandelaar_a, case_a, ggz_a)
    cases.respond(referral, jobcoach_a, accept=True)
    case_a.refresh_from_db()
    return Trajectory.objects.get(referral=referral)


class TestTheOpenTrajectoryIsTheCurrentOne:
    def test_on_the_trajectory_page(self, client_for, jobcoach_a, case_a, trajectory, second):
        response = client_for(jobcoach_a).get(reverse("ips:trajectory", args=[case_a.pk]))
        assert response.status_code == 200
        assert response.context["trajectory"] == second
        assert url("phase_change", second) in response.content.decode()  # work goes on

    def test_on_the_case_card_and_in_the_report(self, ggz_a, case_a, trajectory, second):
        assert summary.summary(case_a, {ggz_a.pk}).trajectory == second


def test_the_move_to_work_a_job_makes_is_logged(client_for, jobcoach_a, trajectory):
    """As the same move made by hand: an 'ips-fase' entry beside the job's."""
    to_search(trajectory, jobcoach_a)
    before = AccessLogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = client_for(jobcoach_a).post(url("placement_create", trajectory), placement_data())
    assert response.status_code == 302
    change = PhaseChange.objects.get(trajectory=trajectory, to_phase=Phase.GEPLAATST)
    logged = set(
        AccessLogEntry.objects.filter(pk__gt=before, user=jobcoach_a).values_list(
            "object_type", "object_id", "action"
        )
    )
    assert logged == {
        ("plaatsing", str(Placement.objects.get().pk), "create"),
        ("ips-fase", str(change.pk), "create"),
    }


def test_a_job_still_to_start_makes_no_move_and_no_such_entry(client_for, jobcoach_a, trajectory):
    to_search(trajectory, jobcoach_a)
    before = AccessLogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    data = placement_data(
        start_date=(timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    )
    assert client_for(jobcoach_a).post(url("placement_create", trajectory), data).status_code == 302
    assert not PhaseChange.objects.filter(trajectory=trajectory, to_phase=Phase.GEPLAATST).exists()
    logged = AccessLogEntry.objects.filter(pk__gt=before, user=jobcoach_a)
    assert list(logged.values_list("object_type", flat=True)) == ["plaatsing"]


@pytest.mark.parametrize(
    "typed,message",
    [
        ("1e3", "Vul het uurloon in als bedrag, bijvoorbeeld 14,50."),
        ("1E1", "Vul het uurloon in als bedrag, bijvoorbeeld 14,50."),
        ("1450", "Een uurloon boven € 250 is vast een typefout."),
        ("250,01", "Een uurloon boven € 250 is vast een typefout."),
    ],
)
def test_a_wage_that_is_a_typing_error_is_refused(
    client_for, jobcoach_a, trajectory, typed, message
):
    to_search(trajectory, jobcoach_a)
    response = client_for(jobcoach_a).post(
        url("placement_create", trajectory), placement_data(hourly_wage=typed)
    )
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors["hourly_wage"])
    assert not Placement.objects.exists()


@pytest.mark.parametrize(
    "typed,stored", [("14,50", "14.50"), ("14.5", "14.50"), ("250", "250.00"), ("0", "0.00")]
)
def test_a_wage_as_people_type_it_is_taken(client_for, jobcoach_a, trajectory, typed, stored):
    to_search(trajectory, jobcoach_a)
    response = client_for(jobcoach_a).post(
        url("placement_create", trajectory), placement_data(hourly_wage=typed)
    )
    assert response.status_code == 302
    assert Placement.objects.get().hourly_wage == Decimal(stored)
