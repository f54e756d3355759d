"""Celery: configuration of the app, and one task through Redis and a real worker."""

import pytest

from portal.celery import app
from portal.tasks import ping

from .worker import celery_worker  # noqa: F401  (fixture)


def test_app_is_configured_for_reliable_delivery():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit
    # Under `make test` tasks go through Redis, not in-process.
    assert app.conf.task_always_eager is False
    assert app.conf.broker_url.startswith("redis://")


@pytest.mark.worker
def test_ping_is_executed_by_the_real_worker(celery_worker):  # noqa: F811
    result = ping.delay()

    assert result.get(timeout=30) == "pong"
    assert result.successful()
    celery_worker.wait_for_log(f"Task portal.tasks.ping[{result.id}] succeeded")
