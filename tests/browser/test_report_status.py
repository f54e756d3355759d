"""The report status page in a real browser with htmx: the status sits in an aria-live
region, which changes only when the status does (WCAG 4.1.3), so screen readers announce a
change once instead of the same status every 2 seconds; polling stops when it is final."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from portal.models import Report, ReportStatus, ReportType

from .conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser

# Counts every change inside the live region from now on.
WATCH_LIVE_REGION = """() => {
  window.liveChanges = 0;
  new MutationObserver((records) => { window.liveChanges += records.length; }).observe(
    document.querySelector("[aria-live]"), {childList: true, subtree: true, characterData: true});
}"""


def is_poll(response):
    return "/rapporten/" in response.url and response.request.headers.get("hx-request")


def test_the_live_region_changes_only_when_the_status_does(page, live_server, behandelaar_a):
    # Made directly, so no worker picks it up: the test moves it on.
    report = Report.objects.create(
        type=ReportType.VOORTGANG,
        title="Voortgangsrapportage",
        requested_by=behandelaar_a,
        organisation=behandelaar_a.organisation,
    )
    sign_in(page, live_server, behandelaar_a.email)
    page.goto(reverse("portal:report_detail", args=[report.pk]))
    live = page.locator("[aria-live]")
    expect(live).to_contain_text("In wachtrij")
    assert_accessible(page)
    page.evaluate(WATCH_LIVE_REGION)

    for _ in range(2):  # two polls while nothing changes: the region is left alone
        with page.expect_response(is_poll) as poll:
            pass
        assert poll.value.status == 204
    assert page.evaluate("window.liveChanges") == 0

    Report.objects.filter(pk=report.pk).update(status=ReportStatus.MISLUKT, error="Kapot.")
    expect(live).to_contain_text("Mislukt")
    expect(live).to_contain_text("Kapot.")
    changes = page.evaluate("window.liveChanges")
    assert changes > 0

    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.wait_for_timeout(4500)  # two more poll intervals: polling has stopped
    assert [url for url in requests if "/rapporten/" in url] == []
    assert page.evaluate("window.liveChanges") == changes
    assert_accessible(page)
