from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone


@shared_task(acks_late=True)
def ping():
    """A trivial task: proves that the broker and a worker are reachable."""
    return "pong"


@shared_task(
    acks_late=True,
    # The report's status lives in the database; without a stored result, sending does not
    # wait for the result backend (with Redis down, requesting a report answers at once).
    ignore_result=True,
    autoretry_for=(Exception,),
    max_retries=2,
    retry_backoff=2,
    retry_jitter=False,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
)
def render_report(report_id):
    """Retried on a fault only: render raises it while attempts are left. The access
    policy's refusal is no fault (portal.reports.Refused): render ends the report and
    returns, so nothing is retried that cannot succeed."""
    from .reports import render

    report = render(report_id)
    return report.status


@shared_task(acks_late=True)
def requeue_stuck_reports():
    from .reports import requeue_stuck

    return requeue_stuck()


@shared_task(acks_late=True)
def purge_expired_reports():
    from .reports import purge_expired

    return purge_expired()


@shared_task(acks_late=True)
def purge_submissions():
    """Forget form tokens after a day: a form is not sent again that late."""
    from .models import Submission

    deleted, _ = Submission.objects.filter(
        created_at__lt=timezone.now() - timedelta(days=1)
    ).delete()
    return deleted
