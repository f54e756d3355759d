from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from consent import services as consent
from consent.constants import Action, Basis

from .models import Report, ReportStatus
from .reports import builder_for, unavailable_message
from .storage import open_private


def get_report(request, pk, action=Action.READ):
    """A report belongs to whoever requested it; anyone else gets a 404, logged as the
    ``action`` they tried: reading its status page, or exporting (downloading) it."""
    report = Report.objects.select_related("case", "client").filter(pk=pk).first()
    if report is None:
        raise Http404
    if report.requested_by_id != request.user.pk:
        consent.log_denied(
            request,
            request.user,
            object_type="rapport",
            object_id=report.pk,
            client=report.client_id or (report.case.client_id if report.case else None),
            case=report.case_id,
            action=action,
        )
        raise Http404
    return report


@never_cache
@login_required
def report_detail(request, pk):
    """The status page; while the report is made, htmx polls it for the status fragment.

    A poll says which status the page shows (``getoond``). While that is still the status,
    the answer is 204 No Content: htmx swaps nothing, so the page's live region does not
    change and screen readers announce the status once per change, not every 2 seconds.
    Without JavaScript the page is reloaded (the link "Vernieuwen") and shows the status."""
    report = get_report(request, pk)
    if request.htmx and request.GET.get("getoond") == report.status:
        return HttpResponse(status=204)
    template = "reports/_status.html" if request.htmx else "reports/detail.html"
    ready = report.status == ReportStatus.KLAAR
    # The same check as the download: a finished report the user may no longer have (consent
    # withdrawn, left the team) says so instead of offering a link that fails.
    available = ready and builder_for(report.type)[1](request.user, report) is not None
    return render(
        request,
        template,
        {
            "report": report,
            "ready": ready,
            "available": available,
            "unavailable": unavailable_message(report) if ready and not available else "",
        },
    )


@login_required
def report_download(request, pk):
    """Re-checks the access policy now: a report made before consent was withdrawn (or the
    user left the team) can no longer be downloaded. Every download is logged (export): one
    entry per kind of client data in the PDF, on the basis it is exported on (own
    organisation, consent with its number, beheer)."""
    report = get_report(request, pk, Action.EXPORT)
    _build, download_decisions = builder_for(report.type)
    client_id = report.client_id or (report.case.client_id if report.case else None)
    decisions = (
        download_decisions(request.user, report) if report.status == ReportStatus.KLAAR else None
    )
    if decisions is None:
        consent.log_denied(
            request,
            request.user,
            object_type="rapport",
            object_id=report.pk,
            client=client_id,
            case=report.case_id,
            action=Action.EXPORT,
        )
        raise Http404
    # A report without client data (IPS team figures, or a case report with nothing the
    # requester may export: it names only the case number) is the user's own organisation's:
    # one entry without a category and without the client, none of whose data left.
    parts = decisions or [(None, "", consent.Decision(True, Basis.EIGEN_ORGANISATIE))]
    handle = open_private(report.file)
    consent.write_log(
        consent.entry(
            request,
            request.user,
            decision=decision,
            action=Action.EXPORT,
            object_type="rapport",
            object_id=report.pk,
            category=category,
            client=client_id if decisions else None,
            case=report.case_id,
        )
        for _holder, category, decision in sorted(parts, key=lambda part: str(part[1]))
    )
    response = FileResponse(
        handle,
        content_type="application/pdf",
        as_attachment=True,
        filename=f"werkpad-rapport-{report.pk}.pdf",
    )
    response["Cache-Control"] = "no-store"
    return response
