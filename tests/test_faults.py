"""Faults survived, with real services (issue 10): Redis stopped and started, a worker killed
mid-render, PostgreSQL restarted under a running web process, two sessions saving the same
field, and the access-log chain under parallel requests. Nothing is mocked.

Redis faults use a Redis of their own and workers on it (tests/worker.py: ``private_redis``,
``workers``), so stopping it disturbs no other test. The beat's sweep
(portal.reports.requeue_stuck) is called as beat calls it; where it only acts on reports
older than a limit, the test process's clock is moved past that limit instead of waiting.
"""

import datetime
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bench.load import session_for  # a signed-in session in the database, for a cookie
from cases import services
from cases.constants import CaseRole, GoalStatus, RecoveryDomain
from cases.models import Agreement, ChangeRecord, Goal
from consent import services as consent
from consent.constants import Category
from consent.models import AccessLogEntry
from portal.models import Report, ReportStatus
from portal.reports import dispatch, requeue_stuck

from .conftest import PASSWORD
from .worker import PROJECT_ROOT, _test_database_url, private_redis, workers  # noqa: F401  (fixtures)

# Enough agreements that WeasyPrint needs a few seconds: time to fault mid-render.
HEAVY_AGREEMENTS = 400


@pytest.fixture
def case(behandelaar_a):
    client = services.register_client(
        behandelaar_a,
        first_name="Eva",
        last_name="Jansen",
        date_of_birth=datetime.date(1990, 5, 17),
        bsn="111222333",
    )
    case = services.open_case(behandelaar_a, client)
    services.add_timeline(case, behandelaar_a, "notitie", Category.AFSPRAKEN, "Start", "")
    return case


@pytest.fixture
def heavy_case(case, behandelaar_a):
    today = timezone.localdate()
    Agreement.objects.bulk_create(
        Agreement(
            case=case,
            organisation=behandelaar_a.organisation,
            created_by=behandelaar_a,
            what=f"Afspraak {i}: sollicitatiebrief samen doorlopen en versturen",
            owner="cliënt en behandelaar",
            due_date=today + datetime.timedelta(days=i % 60),
        )
        for i in range(HEAVY_AGREEMENTS)
    )
    return case


def request_reports(c, case, n):
    """Request ``n`` progress reports through the page, as a user does."""
    for _ in range(n):
        response = c.post(reverse("cases:progress_report", args=[case.pk]))
        assert response.status_code == 302
    return list(Report.objects.order_by("pk"))


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"Na {timeout} s nog niet: {what}")


def statuses(reports):
    return {r.pk: Report.objects.get(pk=r.pk).status for r in reports}


def all_finished(reports):
    return lambda: set(statuses(reports).values()) == {ReportStatus.KLAAR}


def sweep(later=datetime.timedelta(0)):
    """The beat's sweep, run ``later`` than now (the test process's clock only)."""
    with time_machine.travel(timezone.now() + later, tick=True):
        return requeue_stuck()


def stored_pdfs(report):
    """The PDF files stored for ``report`` (more than one would mean rendered twice)."""
    root = Path(settings.STORAGES["private"]["OPTIONS"]["location"])
    return list(root.glob(f"rapporten/*/*/rapport-{report.pk}*.pdf"))


def assert_each_rendered_once(reports):
    for report in Report.objects.filter(pk__in=[r.pk for r in reports]):
        assert report.status == ReportStatus.KLAAR, report.error
        assert report.attempts == 1, f"rapport {report.pk} is {report.attempts}× gemaakt"
        assert len(stored_pdfs(report)) == 1


@pytest.mark.worker
class TestRedisDown:
    def test_requesting_a_report_while_redis_is_down_answers_at_once(
        self,
        transactional_db,  # dispatch happens on commit
        case,
        behandelaar_a,
        client_for,
        private_redis,  # noqa: F811
    ):
        c = client_for(behandelaar_a)
        private_redis.stop()
        started = time.monotonic()
        request_reports(c, case, 1)
        assert time.monotonic() - started < 5

    def test_signing_in_while_redis_is_down(self, db, behandelaar_a, private_redis, caplog):  # noqa: F811
        """The sign-in's rate limits live in the cache: with Redis down a process keeps
        them in its own memory, so professionals can still sign in and guessing is still
        stopped; once Redis is back the limits are shared again."""
        private_redis.stop()
        c = Client()
        response = c.post(
            reverse("account_login"), {"login": behandelaar_a.email, "password": PASSWORD}
        )
        assert response.status_code == 302
        assert c.session["_auth_user_id"] == str(behandelaar_a.pk)
        assert c.get(reverse("portal:home")).status_code == 200
        assert "redis_onbereikbaar" in caplog.text

        guesser = Client()
        for _ in range(5):
            response = guesser.post(
                reverse("account_login"), {"login": behandelaar_a.email, "password": "fout"}
            )
            assert "niet juist" in response.content.decode()
        response = guesser.post(
            reverse("account_login"), {"login": behandelaar_a.email, "password": PASSWORD}
        )
        assert "Te veel mislukte inlogpogingen" in response.content.decode()
        assert "_auth_user_id" not in guesser.session

        private_redis.start()
        cache.set("na-herstart", "gedeeld")
        assert redis.Redis.from_url(private_redis.url).keys("*na-herstart") != []

    def test_reports_requested_while_redis_is_down_all_finish_once_it_is_back(
        self,
        case,
        behandelaar_a,
        client_for,
        private_redis,  # noqa: F811
        workers,  # noqa: F811
    ):
        workers.start()
        c = client_for(behandelaar_a)
        private_redis.stop()

        reports = request_reports(c, case, 2)
        # Nothing was lost: the reports wait in the database, and the user is told so.
        assert set(statuses(reports).values()) == {ReportStatus.WACHTRIJ}
        page = c.get(reverse("portal:report_detail", args=[reports[0].pk]))
        assert page.status_code == 200
        text = page.content.decode()
        assert "In wachtrij" in text
        assert "Het rapport wordt gemaakt. Deze pagina werkt zichzelf bij." in text
        health = c.get("/gezondheid/")
        assert health.status_code == 503
        assert health.json() == {
            "database": "ok",
            "redis": "onbereikbaar",
            "worker": "onbereikbaar",
        }
        # The case page and the worklist do not need Redis.
        assert c.get(reverse("cases:detail", args=[case.pk])).status_code == 200
        assert c.get(reverse("portal:home")).status_code == 200

        private_redis.start()
        # The sweep (every minute, for reports waiting over two minutes) sends them now.
        sent = sweep(later=datetime.timedelta(minutes=3))
        assert sorted(sent) == [r.pk for r in reports]
        wait_for(all_finished(reports), 120, "alle rapporten klaar")
        assert_each_rendered_once(reports)
        page = c.get(reverse("portal:report_detail", args=[reports[0].pk]))
        assert "Download de PDF" in page.content.decode()

    def test_redis_stopped_while_the_worker_renders_then_started(
        self,
        heavy_case,
        behandelaar_a,
        client_for,
        private_redis,  # noqa: F811
        workers,  # noqa: F811
    ):
        worker = workers.start()
        c = client_for(behandelaar_a)
        reports = request_reports(c, heavy_case, 3)
        wait_for(lambda: ReportStatus.BEZIG in statuses(reports).values(), 60, "een rapport bezig")
        busy = next(pk for pk, status in statuses(reports).items() if status == ReportStatus.BEZIG)
        private_redis.stop()
        # Without Redis the worker finishes what it renders (the state is in PostgreSQL)...
        wait_for(
            lambda: Report.objects.get(pk=busy).status == ReportStatus.KLAAR,
            120,
            "het lopende rapport klaar zonder Redis",
        )
        time.sleep(2)
        private_redis.start()
        # ... and after the restart it takes the queued ones (kept in the append-only file).
        wait_for(all_finished(reports), 180, "alle rapporten klaar na de herstart")
        assert_each_rendered_once(reports)
        # The finished report's message was never acknowledged: Redis hands it out again
        # after the visibility timeout. That second delivery must not render it again.
        finished_at = Report.objects.get(pk=busy).finished_at
        dispatch(busy)
        worker.wait_for_log("Task portal.tasks.render_report", timeout=30)
        time.sleep(3)
        again = Report.objects.get(pk=busy)
        assert (again.attempts, again.finished_at) == (1, finished_at)
        assert len(stored_pdfs(again)) == 1


@pytest.mark.worker
class TestWorkerKilled:
    def test_pool_process_killed_mid_render_the_restarted_one_finishes_it(
        self,
        heavy_case,
        behandelaar_a,
        client_for,
        workers,  # noqa: F811
    ):
        worker = workers.start()
        (report,) = request_reports(client_for(behandelaar_a), heavy_case, 1)
        wait_for(lambda: statuses([report])[report.pk] == ReportStatus.BEZIG, 60, "bezig")
        (child,) = worker.pool_children()
        os.kill(child, signal.SIGKILL)
        # acks_late + reject_on_worker_lost: the message goes back to the queue, the pool
        # starts a new process, and that one renders the report.
        wait_for(all_finished([report]), 120, "het rapport klaar na de herstart")
        report.refresh_from_db()
        assert report.attempts == 2
        assert len(stored_pdfs(report)) == 1
        assert "WorkerLostError" in worker.log()

    def test_whole_worker_killed_mid_render_a_new_worker_finishes_it(
        self,
        heavy_case,
        behandelaar_a,
        client_for,
        workers,  # noqa: F811
    ):
        first = workers.start()
        (report,) = request_reports(client_for(behandelaar_a), heavy_case, 1)
        wait_for(lambda: statuses([report])[report.pk] == ReportStatus.BEZIG, 60, "bezig")
        first.kill()
        time.sleep(1)
        report.refresh_from_db()
        assert (report.status, report.attempts) == (ReportStatus.BEZIG, 1)
        # Its message is unacknowledged in Redis until the visibility timeout (an hour);
        # the sweep re-sends a report busy longer than the task time limit.
        second = workers.start()
        assert sweep(later=datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)) == [
            report.pk
        ]
        wait_for(all_finished([report]), 120, "het rapport klaar door de nieuwe worker")
        report.refresh_from_db()
        assert report.attempts == 2
        assert len(stored_pdfs(report)) == 1
        second.wait_for_log("render_report[", timeout=5)


# --- A real web process: gunicorn on the test database ----------------------------------------


class WebServer:
    def __init__(self, process, port, log_path):
        self.process, self.port, self.log_path = process, port, log_path

    def get(self, path, session=None):
        """(status, body) of a GET; HTTP errors are answers too."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}")
        if session:
            request.add_header("Cookie", f"{settings.SESSION_COOKIE_NAME}={session}")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def log(self):
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def web_server(transactional_db, tmp_path):
    """gunicorn (4 processes x 5 threads, as configured for production but smaller) serving
    the test database, with the production database settings (persistent connections with
    health checks)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "WERKPAD_TEST": "1",
        "WERKPAD_REQUIRE_MFA": "0",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    log_path = tmp_path / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "4", "--worker-class", "gthread", "--threads", "5"]
    command += ["--no-control-socket", "--access-logfile", "-", "--error-logfile", "-"]
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
    server = WebServer(process, port, log_path)
    try:
        wait_for(lambda: _answers(server), 30, "gunicorn antwoordt")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        print("--- log van gunicorn ---")
        print(server.log())


def _answers(server):
    try:
        return server.get("/gezondheid/")[0] in (200, 503)
    except OSError:
        return False


class PostgreSQL:
    """The PostgreSQL of bin/with-services: stopped and started with its own options."""

    def __init__(self):
        self.bin = os.environ.get("WERKPAD_PG_BIN")
        self.data = os.environ.get("WERKPAD_PG_DATA")
        if not (self.bin and self.data):
            pytest.fail("PostgreSQL herstarten kan alleen onder bin/with-services (make test).")
        # postmaster.opts holds the command line the server was started with.
        argv = shlex.split(Path(self.data, "postmaster.opts").read_text())
        options = argv[1:]
        index = options.index("-D")
        self.options = options[:index] + options[index + 2 :]

    def _pg_ctl(self, *args):
        command = [f"{self.bin}/pg_ctl", "-D", self.data, *args]
        if os.geteuid() == 0:  # bin/with-services runs PostgreSQL as user postgres then
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def stop(self):
        connection.close()  # this process's connection dies with the server anyway
        self._pg_ctl("stop", "-m", "fast", "-w")

    def start(self):
        log = Path(self.data).parent / "pg.log"
        self._pg_ctl("start", "-w", "-l", str(log), "-o", shlex.join(self.options))


class TestPostgreSQLRestarted:
    def test_web_process_recovers_and_never_shows_a_stack_trace(
        self, web_server, case, behandelaar_a
    ):
        session = session_for(behandelaar_a)
        page = f"/casussen/{case.pk}/"
        # Every gunicorn process holds a persistent connection (CONN_MAX_AGE).
        for _ in range(8):
            assert web_server.get(page, session)[0] == 200
        postgres = PostgreSQL()
        postgres.stop()
        try:
            status, body = web_server.get(page, session)
            assert status == 500
            assert "Er ging iets mis" in body
            assert "Probeer het over enkele ogenblikken opnieuw" in body
            assert "Traceback" not in body and "OperationalError" not in body
            status, body = web_server.get("/gezondheid/")
            assert (status, json.loads(body)["database"]) == (503, "onbereikbaar")
        finally:
            postgres.start()
        # The stale connections fail their health check and are replaced: every next
        # request succeeds, in whichever gunicorn process it lands.
        for _ in range(12):
            status, body = web_server.get(page, session)
            assert status == 200, body[:500]
            assert "Eva" in body
        assert web_server.get("/gezondheid/")[0] in (200, 503)  # no worker: may be 503
        assert "Traceback" in web_server.log()  # logged for the operator, not shown


class TestConcurrentEdits:
    def test_two_sessions_save_the_same_goal_one_wins_the_other_is_told(
        self, transactional_db, case, behandelaar_a, behandelaar_a2
    ):
        consent.add_member(case, behandelaar_a2, CaseRole.BEHANDELAAR)
        goal = Goal.objects.create(
            case=case,
            organisation=behandelaar_a.organisation,
            domain=RecoveryDomain.MAATSCHAPPELIJK,
            description="Vrijwilligerswerk twee ochtenden per week",
            created_by=behandelaar_a,
        )
        url = reverse("cases:goal_status", args=[case.pk, goal.pk])
        choices = {behandelaar_a: GoalStatus.BEREIKT, behandelaar_a2: GoalStatus.GESTOPT}
        start = threading.Barrier(2)
        pages = {}

        def save(user):
            browser = Client()
            browser.force_login(user, backend="portal.backends.UserBackend")
            start.wait()
            # Both opened the case page at version 1.
            response = browser.post(url, {"version": 1, "status": choices[user]}, follow=True)
            pages[user] = response.content.decode()
            connection.close()

        threads = [threading.Thread(target=save, args=(u,)) for u in choices]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        won = [u for u, text in pages.items() if "Status van het doel bijgewerkt." in text]
        lost = [u for u, text in pages.items() if "Niet opgeslagen: dit doel is intussen" in text]
        assert len(won) == 1 and len(lost) == 1, pages.keys()
        goal.refresh_from_db()
        assert goal.status == choices[won[0]]
        assert goal.version == 2
        # The loser sees what the winner saved; the history holds exactly one change.
        assert str(GoalStatus(choices[won[0]]).label) in pages[lost[0]]
        assert ChangeRecord.objects.filter(object_id=goal.pk, field="status").count() == 1


class TestAccessLogUnderLoad:
    def test_chain_stays_valid_under_20_parallel_requests(self, web_server, case, behandelaar_a):
        sessions = [session_for(behandelaar_a) for _ in range(20)]
        before = AccessLogEntry.objects.count()
        start = threading.Barrier(20)
        results = []

        def visit(session):
            start.wait()
            results.append(web_server.get(f"/casussen/{case.pk}/", session)[0])

        threads = [threading.Thread(target=visit, args=(s,)) for s in sessions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert results == [200] * 20
        new = AccessLogEntry.objects.filter(pk__gt=0).order_by("pk")[before:]
        assert len({entry.request_id for entry in new}) == 20
        checked, broken = consent.verify_chain()
        assert broken is None
        assert checked == AccessLogEntry.objects.count()
