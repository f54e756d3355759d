"""A real Celery worker for integration tests.

Import the fixture into a test module (``from .worker import celery_worker  # noqa: F401``)
and mark the tests with ``@pytest.mark.worker``::

    @pytest.mark.worker
    def test_report_is_rendered(celery_worker):
        report = ReportFactory()  # committed: the worker runs in another process
        render_report.delay(report.pk).get(timeout=30)
        ...

Design, and why:

- The worker is a separate process (``celery -A portal worker``, prefork pool with one child,
  as in production, so task time limits really apply). It talks to the same Redis as the test
  (``REDIS_URL``) and to pytest-django's *test* database (``test_werkpad``), not to the
  database ``DATABASE_URL`` names.
- Because the worker has its own database connection, it sees only committed data. The
  fixture therefore requests ``transactional_db``: test data is really committed, tasks
  dispatched with ``transaction.on_commit`` are really sent, and pytest-django empties the
  tables after the test. With plain ``db`` everything would stay inside the test's
  transaction, invisible to the worker.
- One worker per test (function scope): a test never sees tasks or state left behind by
  another test, and tests that need *no* worker (the health check) are not fooled by one that
  is still running. Starting one takes a couple of seconds.
- The worker is stopped at teardown, also when the test failed. Its log is printed at
  teardown; pytest shows that output only for failing tests.
- No Redis means no integration test: the fixture fails loudly instead of skipping.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

PROJECT_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30
STOP_TIMEOUT = 15


class WorkerProcess:
    """A running worker: its node name, process and log."""

    def __init__(self, process, nodename, log_path):
        self.process = process
        self.nodename = nodename
        self.log_path = log_path

    def log(self):
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text, timeout=10):
        """Wait until ``text`` appears in the worker log; fail with the log if it does not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return
            time.sleep(0.1)
        pytest.fail(f"{text!r} niet in het workerlog na {timeout} s:\n{self.log()}")


def _test_database_url():
    """DATABASE_URL with the database name replaced by the test database's name."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.fail(
            "Een echte Celery-worker heeft PostgreSQL nodig (DATABASE_URL); "
            "start de tests met `make test` of via bin/with-services."
        )
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


def _ping(app, nodename):
    try:
        return app.control.ping(destination=[nodename], timeout=0.5, limit=1)
    except Exception:  # broker still connecting: try again until the deadline
        return []


def _stop(process):
    """Warm shutdown (SIGTERM); if that hangs, kill the worker and its pool child."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        # The worker leads its own process group (start_new_session) and is not reaped yet,
        # so this group holds the worker and its pool child, and nothing else.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    """Start a real Celery worker on the test database; yield a :class:`WorkerProcess`."""
    from portal.celery import app

    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.fail(
            "REDIS_URL ontbreekt: een echte Celery-worker heeft Redis nodig; "
            "start de tests met `make test` of via bin/with-services."
        )
    if app.conf.task_always_eager:
        pytest.fail("Celery staat in eager-modus; taken zouden de worker nooit bereiken.")

    nodename = f"werkpad-test-{uuid.uuid4().hex[:8]}@localhost"
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": redis_url,
        "WERKPAD_TEST": "1",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "--pool=prefork",
        "--concurrency=1",
        "--loglevel=INFO",
        f"--hostname={nodename}",
        # No other workers to synchronise with: start faster, keep the log readable.
        "--without-mingle",
        "--without-gossip",
        "--without-heartbeat",
    ]
    log_path = tmp_path / "celery-worker.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = WorkerProcess(process, nodename, log_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _ping(app, nodename):
            if process.poll() is not None:
                pytest.fail(
                    f"Celery-worker stopte bij het starten (code {process.returncode}):\n"
                    f"{worker.log()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"Celery-worker niet bereikbaar na {START_TIMEOUT} s:\n{worker.log()}")
        yield worker
    finally:
        _stop(process)
        print(f"--- log van Celery-worker {nodename} (code {process.returncode}) ---")
        print(worker.log())
