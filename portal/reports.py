"""The report machinery: request, render (in a Celery worker, with WeasyPrint), download.

Each domain provides a *builder* for its report types, registered in ``BUILDERS`` by
dotted path. A builder is a function ``build(report) -> Built`` that gathers the data
through consent.services for ``report.requested_by`` at render time, and a function
``download_decisions(user, report)`` re-checks the access policy at every download: None
when the user may not (or no longer) have the PDF, else one ``(holder, category, Decision)``
per kind of client data it holds (empty for a report without client data), which the
download writes to the access log with the basis each part is exported on.

A builder raises PermissionError when the policy refuses the requester the report at render
time (they left the team, the consent was withdrawn, their role changed). That ends the
report at once (``Refused``): trying again cannot help. Any other exception is a fault (the
database, WeasyPrint), tried again up to MAX_ATTEMPTS times.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Report, ReportStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3

# report type -> module with build(report) and download_decisions(user, report)
BUILDERS = {
    "voortgang": "cases.reports",
    "leidraad": "cases.leidraad_reports",
    "toestemmingsverklaring": "consent.reports",
    "toestemmingsoverzicht": "consent.reports",
    "avg_inzage": "consent.avg_report",
    "ips_modelgetrouwheid": "ips.reports",
    "ips_resultaten": "ips.reports",
}


class Refused(Exception):
    """The access policy refuses the requester the report when it is made. Final: the report
    ends "niet meer beschikbaar" and is not tried again (render returns, it does not raise)."""


@dataclass
class Built:
    """What a builder returns: the template and its context, and what the PDF holds."""

    template: str
    context: dict
    contents: set = field(default_factory=set)  # {(holder organisation id, category)}
    confidential: bool = True


def builder_for(report_type):
    return import_string(BUILDERS[report_type] + ".build"), import_string(
        BUILDERS[report_type] + ".download_decisions"
    )


def exportable_holders(access, category):
    """The organisations whose data of ``category`` the user of ``access`` may export: read
    it, and take it out of the portal."""
    from consent.constants import Action

    return {
        holder
        for holder in access.readable_holders(category)
        if access.decide(category, holder, Action.EXPORT).allowed
    }


def exportable_filter(access, category):
    """A Q keeping rows of one ``category`` (with an ``organisation`` field, the holder) that
    the user of ``access`` may export."""
    return Q(organisation_id__in=sorted(exportable_holders(access, category)))


def unavailable_message(report):
    """Why ``report`` is not, or no longer, for its requester: refused when it was made, or
    made but no longer to be downloaded. In words for who can have asked for it: only team
    members ask for a report about a case; a report about a client without a case (a consent
    form or overview, an AVG-inzage) may have been asked for by a beheerder, who is never on
    a team; a report with neither is an IPS team's."""
    if report.case_id:
        return _(
            "Dit rapport is niet meer beschikbaar voor u: de toestemming van de cliënt of uw "
            "plaats in het team is veranderd sinds u het aanvroeg."
        )
    if report.client_id:
        return _(
            "Dit rapport is niet meer beschikbaar voor u: uw rol, of wat u van deze cliënt mag "
            "zien, is veranderd sinds u het aanvroeg."
        )
    return _(
        "Dit rapport is niet meer beschikbaar voor u: u hoort niet meer bij het IPS-team "
        "waarover het gaat."
    )


def all_allowed(decisions):
    """``decisions`` if every one allows, else None (the download is refused)."""
    return decisions if all(decision.allowed for _h, _c, decision in decisions) else None


def case_download_decisions(user, report):
    """For reports about a case: the user is still on the team and may still export every
    (holder, category) the PDF holds, each on its own basis (own organisation, consent).
    Re-checked at every download."""
    from consent import services as consent
    from consent.constants import Action

    access = consent.case_access(user, report.case)
    if not access.is_member:
        return None
    return all_allowed(
        [
            (holder, category, access.decide(category, holder, Action.EXPORT))
            for holder, category in report.contents
        ]
    )


class TooManyWaiting(Exception):
    """The requester has WERKPAD_REPORTS_WAITING_PER_USER reports waiting already: no new
    one until some are made. A limit per user, not a lock: requests at the same moment may
    pass it by as many as there are web workers."""

    def __init__(self, limit):
        super().__init__(
            ngettext(
                "U heeft al %(n)s rapport dat nog wordt gemaakt. Wacht tot het klaar is en "
                "vraag dit rapport dan opnieuw aan.",
                "U heeft al %(n)s rapporten die nog worden gemaakt. Wacht tot die klaar zijn en "
                "vraag dit rapport dan opnieuw aan.",
                limit,
            )
            % {"n": limit}
        )


def request_report(user, report_type, title, *, case=None, client=None, params=None):
    """Create the report record and dispatch the render task once the transaction commits.
    If the broker is down the record stays "in wachtrij" and the beat sweep sends it later.
    TooManyWaiting when the user has the most reports waiting that one user may have."""
    limit = settings.WERKPAD_REPORTS_WAITING_PER_USER
    waiting = Report.objects.filter(
        requested_by=user, status__in=(ReportStatus.WACHTRIJ, ReportStatus.BEZIG)
    )
    if waiting.count() >= limit:
        raise TooManyWaiting(limit)
    report = Report.objects.create(
        type=report_type,
        title=title[:200],
        requested_by=user,
        organisation=user.organisation,
        case=case,
        client=client,
        params=params or {},
    )
    transaction.on_commit(lambda: dispatch(report.pk))
    return report


def requested(request, report_type, title, **kwargs):
    """The answer to a request for a report: its status page, or the 429 page saying the
    user has too many waiting (request_report)."""
    try:
        report = request_report(request.user, report_type, title, **kwargs)
    except TooManyWaiting as refused:
        return TemplateResponse(request, "429.html", {"message": str(refused)}, status=429)
    return redirect("portal:report_detail", report.pk)


def dispatch(report_id):
    from .tasks import render_report

    try:
        render_report.apply_async(args=[report_id], retry=False)
    except Exception:  # broker unreachable: the sweep re-sends it
        logger.warning(
            "Rapport %s kon niet naar de wachtrij; de controle stuurt het later.", report_id
        )


def render_pdf(html, base_url):
    """HTML to PDF. WeasyPrint is imported here only, so web processes stay light."""
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url).write_pdf()


def build_for_requester(report):
    """The builder's Built for ``report``; Refused when the policy refuses the requester. A
    PermissionError with an errno is the operating system's (a file the worker may not
    read): a fault like any other."""
    build, _may = builder_for(report.type)
    try:
        return build(report)
    except PermissionError as exc:
        if exc.errno is not None:
            raise
        raise Refused(str(exc)) from exc


def render(report_id):
    """The task body: idempotent (a finished or ended report is not rendered again)."""
    with transaction.atomic():
        # What every builder reads first comes along (three queries fewer); only the
        # report's own row is locked.
        report = (
            Report.objects.select_for_update(of=("self",))
            .select_related("requested_by", "case__client", "client")
            .get(pk=report_id)
        )
        if report.status in (ReportStatus.KLAAR, ReportStatus.MISLUKT):
            return report
        if report.attempts >= MAX_ATTEMPTS:
            report.status = ReportStatus.MISLUKT
            report.save(update_fields=["status"])
            return report
        report.status = ReportStatus.BEZIG
        report.attempts += 1
        report.started_at = timezone.now()
        report.save(update_fields=["status", "attempts", "started_at"])
    try:
        built = build_for_requester(report)
        html = render_to_string(
            built.template,
            {
                **built.context,
                "report": report,
                "generated_at": timezone.now(),
                "confidential": built.confidential,
            },
        )
        pdf = render_pdf(html, base_url=str(settings.BASE_DIR))
    except Refused as refusal:
        # Not a fault: no stack trace, and no retry (the task returns).
        logger.info("Rapport %s geweigerd (poging %s): %s", report.pk, report.attempts, refusal)
        # A PDF another attempt finished meanwhile stays (its download checks the policy).
        Report.objects.filter(pk=report.pk).exclude(status=ReportStatus.KLAAR).update(
            status=ReportStatus.MISLUKT, error=unavailable_message(report)
        )
        return Report.objects.get(pk=report.pk)
    except Exception:
        logger.exception("Rapport %s mislukt (poging %s)", report.pk, report.attempts)
        failed = report.attempts >= MAX_ATTEMPTS
        Report.objects.filter(pk=report.pk).update(
            status=ReportStatus.MISLUKT if failed else ReportStatus.WACHTRIJ,
            error=_(
                "Het rapport kon niet worden gemaakt. Probeer het later opnieuw of neem "
                "contact op met de beheerder."
            )
            if failed
            else "",
        )
        if not failed:
            raise
        return Report.objects.get(pk=report.pk)
    # Only a complete PDF is stored; the status flips in the same transaction.
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        if report.status == ReportStatus.KLAAR:  # another attempt finished first
            return report
        report.file.save(f"rapport-{report.pk}.pdf", ContentFile(pdf), save=False)
        report.contents = sorted([list(item) for item in built.contents])
        report.status = ReportStatus.KLAAR
        report.finished_at = timezone.now()
        report.error = ""
        report.save()
    return report


def requeue_stuck(older_than=datetime.timedelta(minutes=2)):
    """Re-send reports waiting too long (lost broker message) or busy longer than the task
    time limit (worker died). Returns the ids sent."""
    now = timezone.now()
    busy_limit = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 30)
    ids = list(
        Report.objects.filter(
            status=ReportStatus.WACHTRIJ, created_at__lt=now - older_than
        ).values_list("pk", flat=True)
    ) + list(
        Report.objects.filter(status=ReportStatus.BEZIG, started_at__lt=busy_limit).values_list(
            "pk", flat=True
        )
    )
    for report_id in ids:
        dispatch(report_id)
    return ids


def purge_expired(now=None):
    """Delete report files (and records) past the retention period."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.WERKPAD_REPORT_RETENTION_DAYS)
    removed = 0
    for report in Report.objects.filter(created_at__lt=cutoff):
        if report.file:
            report.file.delete(save=False)
        report.delete()
        removed += 1
    return removed
