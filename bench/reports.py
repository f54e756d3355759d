"""The voortgangsrapportage (progress report): one PDF rendered the whole way (portal.reports
.render: gathering through consent.services, template, WeasyPrint, storing) against WeasyPrint
alone on the same HTML; then QUEUED reports sent to two real Celery workers, waiting until
every one is finished."""

import os
import statistics
import time
from collections import Counter

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from cases.constants import CaseRole, CaseStatus
from cases.models import CaseMember
from portal import reports
from portal.celery import app
from portal.models import Report, ReportStatus, ReportType

from . import subjects
from .processes import start, stop

REPEATS = 10
QUEUED = 100
WORKERS = 2
QUEUE_TIMEOUT = 15 * 60


def measure():
    s = subjects.pick()
    return {"pdf": pdf(s), "queue": queue()}


def new_report(user, case):
    return Report.objects.create(
        type=ReportType.VOORTGANG,
        title=f"Voortgangsrapportage casus {case.pk}",
        requested_by=user,
        organisation=user.organisation,
        case=case,
    )


def html_of(report):
    """The HTML portal.reports.render hands to WeasyPrint, made the same way."""
    build, _decisions = reports.builder_for(report.type)
    built = build(report)
    context = {"report": report, "generated_at": timezone.now(), "confidential": True}
    return render_to_string(built.template, {**built.context, **context})


def pdf(s):
    from weasyprint import HTML

    html = html_of(new_report(s.behandelaar, s.case))
    base_url = str(settings.BASE_DIR)
    reports.render(new_report(s.behandelaar, s.case).pk)  # warm-up: fonts, templates
    full, alone = [], []
    for _ in range(REPEATS):  # taking turns, like the pages
        report = new_report(s.behandelaar, s.case)
        started = time.perf_counter()
        done = reports.render(report.pk)
        full.append((time.perf_counter() - started) * 1000)
        if done.status != ReportStatus.KLAAR:
            raise RuntimeError(f"rapport {report.pk}: {done.status} {done.error}")
        started = time.perf_counter()
        HTML(string=html, base_url=base_url).write_pdf()
        alone.append((time.perf_counter() - started) * 1000)
    return {
        "case": f"casus {s.case.pk}, {len(html) // 1024} kB HTML",
        "repeats": REPEATS,
        "full_p50": statistics.median(full),
        "weasyprint_p50": statistics.median(alone),
    }


def queue():
    """QUEUED reports, each for an open case of its regiebehandelaar, dispatched as the web
    request does (portal.reports.request_report), to WORKERS workers. No regiebehandelaar
    asks for more than one user may have waiting (WERKPAD_REPORTS_WAITING_PER_USER)."""
    per_user = Counter()
    members = []
    for member in (
        CaseMember.objects.filter(
            permission__codename=CaseRole.REGIEBEHANDELAAR,
            content_object__status=CaseStatus.OPEN,
        )
        .select_related("user__organisation", "content_object")
        .order_by("content_object_id")
        .iterator(chunk_size=QUEUED)
    ):
        if per_user[member.user_id] < settings.WERKPAD_REPORTS_WAITING_PER_USER:
            per_user[member.user_id] += 1
            members.append(member)
            if len(members) == QUEUED:
                break
    workers = [start_worker(i) for i in range(WORKERS)]
    try:
        started = time.monotonic()
        ids = [
            reports.request_report(
                m.user, ReportType.VOORTGANG, "Voortgangsrapportage", case=m.content_object
            ).pk
            for m in members
        ]
        waiting = Report.objects.filter(pk__in=ids).exclude(
            status__in=(ReportStatus.KLAAR, ReportStatus.MISLUKT)
        )
        while waiting.exists() and time.monotonic() - started < QUEUE_TIMEOUT:
            time.sleep(0.2)
        total = time.monotonic() - started
    finally:
        for process, _name in workers:
            stop(process)
    done = Report.objects.filter(pk__in=ids)
    finished = done.filter(status=ReportStatus.KLAAR)
    return {
        "reports": len(ids),
        "workers": WORKERS,
        "finished": finished.count(),
        "failed": done.filter(status=ReportStatus.MISLUKT).count(),
        "lost": done.exclude(status__in=(ReportStatus.KLAAR, ReportStatus.MISLUKT)).count(),
        "rendered_twice": done.filter(attempts__gt=1).count(),
        "files": sum(1 for r in finished if r.file and r.file.storage.exists(r.file.name)),
        "total_s": total,
    }


def start_worker(index):
    name = f"bench-{index + 1}-{os.getpid()}@localhost"
    process = start(
        ["celery", "-A", "portal", "worker", "--pool=prefork", "--concurrency=1"]
        + ["--loglevel=WARNING", f"--hostname={name}"]
        + ["--without-mingle", "--without-gossip", "--without-heartbeat"],
        f"{name}.log",
        lambda: app.control.ping(destination=[name], timeout=0.5),
        f"Celery-worker {name}",
    )
    return process, name
