"""A real Celery worker for integration tests.

Import the fixture into a test module (``from .worker import celery_worker  # noqa: F401``)
and mark the tests with ``@pytest.mark.worker``::

    @pytest.mark.worker
    def test_report_is_rendered(celery_worker):
        report = ReportFactory()  # committed: the worker runs in another process
        render_report.delay(report.pk)
        celery_worker.wait_for_log("render_report[")
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

Fault tests (tests/test_faults.py) stop and start Redis and kill workers. They use
``private_redis`` (a redis-server of their own, configured like production, which the test
process's Celery app, cache and health check are switched to) and ``workers`` (workers on
that Redis, started with ``workers.start()``), so a fault never disturbs another test.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import kombu.pools
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

    def pool_children(self):
        """Pids of the prefork pool's child processes (they do the rendering)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill(self):
        """SIGKILL the worker and its pool children at once: no warm shutdown, no ack, no
        requeue; what it was doing is simply gone."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self):
        _stop(self.process)


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


def start_worker(redis_url, log_path, nodename=None):
    """Start a worker process on ``redis_url`` and the test database; wait until it answers
    a ping. The caller stops it (``stop()`` or ``kill()``)."""
    from portal.celery import app

    if app.conf.task_always_eager:
        pytest.fail("Celery staat in eager-modus; taken zouden de worker nooit bereiken.")
    nodename = nodename or f"werkpad-test-{uuid.uuid4().hex[:8]}@localhost"
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
    with log_path.open("ab") as log_file:
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
    deadline = time.monotonic() + START_TIMEOUT
    while not _ping(app, nodename):
        if process.poll() is not None:
            pytest.fail(
                f"Celery-worker stopte bij het starten (code {process.returncode}):\n{worker.log()}"
            )
        if time.monotonic() > deadline:
            _stop(process)
            pytest.fail(f"Celery-worker niet bereikbaar na {START_TIMEOUT} s:\n{worker.log()}")
    return worker


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    """Start a real Celery worker on the test database; yield a :class:`WorkerProcess`."""
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.fail(
            "REDIS_URL ontbreekt: een echte Celery-worker heeft Redis nodig; "
            "start de tests met `make test` of via bin/with-services."
        )
    worker = None
    try:
        worker = start_worker(redis_url, tmp_path / "celery-worker.log")
        yield worker
    finally:
        if worker is not None:
            _stop(worker.process)
            _print_log(worker)


# --- Fault tests: a Redis of their own, and workers on it ------------------------------------


def _print_log(worker):
    code = worker.process.returncode
    print(f"--- log van Celery-worker {worker.nodename} (code {code}) ---")
    print(worker.log())


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server of one test, on its own port and directory, configured like production
    (docker-compose.yml: append-only file, so queued tasks survive a restart). Stopping it
    disturbs no other test."""

    def __init__(self, directory):
        self.directory = directory
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        subprocess.run(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "yes", "--appendfsync", "always", "--daemonize", "yes"]
            + ["--dir", str(self.directory), "--logfile", str(self.directory / "redis.log")],
            check=True,
        )
        deadline = time.monotonic() + 10
        while not self.is_up():
            if time.monotonic() > deadline:
                pytest.fail(f"Redis start niet op poort {self.port}")
            time.sleep(0.05)

    def stop(self):
        """SHUTDOWN, as a service stop does (the append-only file is flushed first)."""
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown"], capture_output=True, check=False
        )
        deadline = time.monotonic() + 10
        while self.is_up():
            if time.monotonic() > deadline:
                pytest.fail(f"Redis op poort {self.port} stopt niet")
            time.sleep(0.05)

    def is_up(self):
        result = subprocess.run(
            ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
        )
        return result.stdout.strip() == "PONG"


def _reset_celery_connections(app):
    """Forget the broker connections and result backend the app holds, so the next use
    connects to what app.conf now says. kombu keeps its pools in a global registry keyed by
    broker URL: closing one pool and keeping it registered would hand it out again, closed
    ("Acquire on closed pool"); kombu.pools.reset() closes and forgets them all."""
    kombu.pools.reset()
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None
    app._backend_cache = None
    if hasattr(app._local, "backend"):
        del app._local.backend
    # The control mailbox (ping, used to wait for workers) caches its producer pool too.
    app.control.mailbox.__dict__.pop("producer_pool", None)


@pytest.fixture
def private_redis(tmp_path, settings):
    """A Redis of this test only; the test process's Celery app, cache and health check use
    it. Yields the :class:`RedisServer`; stopped and switched back at teardown."""
    from portal.celery import app

    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(directory)
    server.start()
    saved = app.conf.broker_url, app.conf.result_backend
    settings.REDIS_URL = server.url
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.cache.RedisWithFallback",
            "LOCATION": server.url,
            "KEY_PREFIX": "werkpad",
        }
    }
    app.conf.broker_url = app.conf.result_backend = server.url
    _reset_celery_connections(app)
    try:
        yield server
    finally:
        app.conf.broker_url, app.conf.result_backend = saved
        _reset_celery_connections(app)
        server.stop()


@pytest.fixture
def workers(transactional_db, private_redis, tmp_path):
    """Start workers on the private Redis with ``workers.start()``; all are stopped (or
    found killed) at teardown and their logs printed."""

    class Workers(list):
        def start(self):
            worker = start_worker(private_redis.url, tmp_path / f"worker-{len(self) + 1}.log")
            self.append(worker)
            return worker

    started = Workers()
    try:
        yield started
    finally:
        for worker in started:
            _stop(worker.process)
            _print_log(worker)
