"""A limit per user on reports waiting to be made (WERKPAD_REPORTS_WAITING_PER_USER): one
person cannot fill the workers' queue and hold up everyone else's reports. No worker runs
here, so a requested report stays 'in wachtrij' until a test changes its status."""

import pytest
from django.urls import reverse

from consent.constants import Action
from consent.models import AccessLogEntry, AccessRequest
from portal.models import Report, ReportStatus

from .builders import make_case
from .test_reports_avg import request_data, request_url

FULL = "U heeft al 2 rapporten die nog worden gemaakt."


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.WERKPAD_REPORTS_WAITING_PER_USER = 2


@pytest.fixture
def case(behandelaar_a):
    return make_case(behandelaar_a, first_name="Eva", last_name="Jansen")


def ask_progress(c, case):
    return c.post(reverse("cases:progress_report", args=[case.pk]))


def test_the_request_over_the_limit_is_refused_in_dutch(client_for, behandelaar_a, case):
    c = client_for(behandelaar_a)
    for _ in range(2):
        response = ask_progress(c, case)
        assert response.status_code == 302
        assert response["Location"].startswith("/rapporten/")
    refused = ask_progress(c, case)
    assert refused.status_code == 429
    assert FULL in refused.content.decode()
    assert Report.objects.filter(requested_by=behandelaar_a).count() == 2


@pytest.mark.parametrize("status", [ReportStatus.KLAAR, ReportStatus.MISLUKT])
def test_a_made_or_failed_report_no_longer_counts(client_for, behandelaar_a, case, status):
    c = client_for(behandelaar_a)
    ask_progress(c, case)
    ask_progress(c, case)
    first = Report.objects.filter(requested_by=behandelaar_a).order_by("pk").first()
    Report.objects.filter(pk=first.pk).update(status=status, file="rapporten/x.pdf")
    assert ask_progress(c, case).status_code == 302
    assert ask_progress(c, case).status_code == 429


def test_being_made_still_counts(client_for, behandelaar_a, case):
    c = client_for(behandelaar_a)
    ask_progress(c, case)
    ask_progress(c, case)
    Report.objects.filter(requested_by=behandelaar_a).update(status=ReportStatus.BEZIG)
    assert ask_progress(c, case).status_code == 429


def test_one_users_waiting_reports_do_not_hold_up_a_colleague(
    client_for, behandelaar_a, behandelaar_a2, case
):
    ask_progress(client_for(behandelaar_a), case)
    ask_progress(client_for(behandelaar_a), case)
    theirs = make_case(behandelaar_a2, first_name="Anna", last_name="Smit")
    assert ask_progress(client_for(behandelaar_a2), theirs).status_code == 302
    assert Report.objects.filter(requested_by=behandelaar_a2).count() == 1


def test_an_avg_request_over_the_limit_comes_back_with_what_was_typed(
    client_for, beheerder_a, case
):
    c = client_for(beheerder_a)
    assert c.post(request_url(case.client), request_data()).status_code == 302
    assert c.post(request_url(case.client), request_data()).status_code == 302
    exports = AccessLogEntry.objects.filter(user=beheerder_a, action=Action.EXPORT)
    assert exports.count() == 2
    refused = c.post(request_url(case.client), request_data(note="Verzoek via de balie"))
    assert refused.status_code == 429
    page = refused.content.decode()
    assert FULL in page
    assert "Verzoek via de balie" in page  # the form again, nothing typed lost
    # Nothing recorded: no third request, report or export.
    assert AccessRequest.objects.filter(client=case.client).count() == 2
    assert Report.objects.filter(requested_by=beheerder_a).count() == 2
    assert exports.count() == 2
