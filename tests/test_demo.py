"""The demo world: refuses outside demo/DEBUG, loads idempotently, its accounts work, and
its story holds together. The demo's own settings (SQLite, no DEBUG) are checked in a
separate process started the way `make run` starts it."""

import datetime
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from cases.constants import Benefit, CaseStatus, TimelineKind, WorkSituationKind
from cases.models import Case, Client, Conversation, TimelineEntry
from consent.models import Consent
from ips.constants import Phase
from ips.models import PhaseChange, Placement, Trajectory
from portal import demo
from portal.models import Organisation, User

ROOT = Path(__file__).resolve().parent.parent


def test_refuses_outside_demo_mode(db, settings):
    settings.DEMO_MODE = False
    settings.DEBUG = False
    with pytest.raises(CommandError, match="demomodus"):
        call_command("load_demo")
    assert not User.objects.exists()


def test_loads_idempotently_and_every_account_signs_in(db, settings, client):
    settings.DEMO_MODE = True
    call_command("load_demo")
    counts = (
        Organisation.objects.count(),
        User.objects.count(),
        Client.objects.count(),
        Case.objects.count(),
        Consent.objects.count(),
        TimelineEntry.objects.count(),
    )
    call_command("load_demo")
    assert counts == (
        Organisation.objects.count(),
        User.objects.count(),
        Client.objects.count(),
        Case.objects.count(),
        Consent.objects.count(),
        TimelineEntry.objects.count(),
    )
    assert counts[:4] == (3, 6, 12, 12)
    for email, _first, _last, org, role in demo.ACCOUNTS:
        user = User.objects.get(email=email)
        assert (user.organisation.name, user.role) == (org, role)
        response = client.post("/accounts/login/", {"login": email, "password": "demo1234"})
        assert response.status_code == 302, email
        client.logout()


def test_demo_has_clinical_notes_and_consents_in_every_state(db, settings):
    settings.DEMO_MODE = True
    call_command("load_demo")
    assert TimelineEntry.objects.filter(category="medisch").count() >= 12
    states = {consent.state() for consent in Consent.objects.all()}
    assert {"actief", "verlopen", "ingetrokken"} <= states
    gemeente = Organisation.objects.get(name="Gemeente Havenstad")
    shared = Case.objects.filter(members__user__organisation=gemeente).distinct().count()
    assert shared >= 4
    # at least one shared case has no consent at all
    assert (
        Case.objects.filter(members__user__organisation=gemeente)
        .exclude(client__consents__isnull=False)
        .exists()
    )


@pytest.fixture
def demo_world(db, settings, time_machine):
    # The clock stands still: the demo dates its story by the day it is loaded, and the
    # tests compare with today; one day, also when a run crosses midnight.
    time_machine.move_to(timezone.localtime(), tick=False)
    settings.DEMO_MODE = True
    call_command("load_demo")


def _demo_case(first, last):
    return Case.objects.get(client__first_name=first, client__last_name=last)


def test_werksituatie_agrees_with_the_current_job(demo_world):
    """Ruben Kok works 32 hours as an orderpicker: his werksituatie says so (it said
    "Betaald werk, 16 uur" with bijstand)."""
    checked = 0
    for placement in Placement.objects.filter(end_date__isnull=True).select_related(
        "trajectory__case"
    ):
        current = placement.trajectory.case.work_situations.first()  # newest first
        assert current.kind == WorkSituationKind.BETAALD
        assert current.hours_per_week == placement.hours_per_week, placement.trajectory.case
        checked += 1
    assert checked >= 2
    ruben = _demo_case("Ruben", "Kok").work_situations.first()
    assert (ruben.hours_per_week, ruben.benefit) == (32, "geen")


def test_cases_open_before_anything_happens_on_them(demo_world):
    """Ruben Kok's case was opened today while his IPS referral dates from months ago."""
    for trajectory in Trajectory.objects.select_related("case"):
        assert trajectory.case.opened_at <= trajectory.referred_at, trajectory.case
    for case in Case.objects.all():
        first = case.timeline.order_by("occurred_at").first()
        assert first.occurred_at >= case.opened_at, case
        assert case.client.created_at <= case.opened_at
    ruben = _demo_case("Ruben", "Kok")
    assert timezone.localdate(ruben.opened_at) < timezone.localdate() - datetime.timedelta(days=300)


def test_the_timeline_says_when_things_happened(demo_world):
    """Loading the demo dated IPS phases, jobs, team changes, conversations and the closing
    on the day it ran. Only the referrals still waiting for a trajectbegeleider are new."""
    today = timezone.localdate()

    def day(entry):
        return timezone.localdate(entry.occurred_at)

    todays = [e for e in TimelineEntry.objects.select_related("case") if day(e) == today]
    assert {e.kind for e in todays} == {TimelineKind.VERWIJZING}
    for entry in todays:
        assert entry.case.invitations.filter(is_referral=True, status="open").exists()
    phase_lines = TimelineEntry.objects.filter(title__startswith="IPS-fase:")
    changes = PhaseChange.objects.exclude(to_phase=Phase.AANGEMELD)
    assert phase_lines.count() == changes.count() > 5
    for change in changes.select_related("trajectory"):
        line = phase_lines.get(
            case_id=change.trajectory.case_id,
            title__contains=f"(per {change.changed_on:%d-%m-%Y})",
            title__icontains=change.get_to_phase_display(),
        )
        assert day(line) == change.changed_on
    for placement in Placement.objects.select_related("trajectory"):
        line = TimelineEntry.objects.get(
            case_id=placement.trajectory.case_id, title__contains=placement.employer
        )
        assert day(line) == placement.start_date
    for conversation in Conversation.objects.all():
        line = TimelineEntry.objects.get(
            case_id=conversation.case_id,
            kind=TimelineKind.GESPREK,
            occurred_at__date=conversation.held_on,
        )
        assert line.title.startswith("Motiverend gesprek")
    closed = Case.objects.get(status=CaseStatus.GESLOTEN)
    assert timezone.localdate(closed.closed_at) < today
    assert day(closed.timeline.get(title="Casus gesloten")) == timezone.localdate(closed.closed_at)


def test_closed_case_has_no_next_afspraak_in_the_werkvoorraad(demo_world, client):
    closed = Case.objects.get(status=CaseStatus.GESLOTEN)
    assert not closed.agreements.filter(done=False).exists()
    client.force_login(User.objects.get(email="behandelaar@rivierland.demo"))
    html = client.get(reverse("portal:home"), {"status": "gesloten"}).content.decode()
    assert closed.client.full_name in html
    row = html[html.index(closed.client.full_name) :].split("</tr>", 1)[0]
    assert "Vacatures bekijken" not in row


def _demo_process(tmp_path, code):
    """Run ``code`` in ``manage.py shell`` as `make run` would: demo mode, SQLite, no
    PostgreSQL, Redis or test mode; the last line printed is JSON."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "WERKPAD_DEMO": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_demo_sqlite_makes_concurrent_writers_wait(tmp_path):
    """Six sessions each appending to the access log at once (read the last hash, then
    insert, in one transaction, like consent.services.write_log) gave "database is locked"
    on the demo's SQLite: a DEFERRED transaction that has read cannot wait for the write
    lock. With the demo settings they queue, and the chain stays unbroken."""
    outcome = _demo_process(
        tmp_path,
        """
        import json, threading, time
        from django.db import connection, connections, transaction

        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE chain (n integer)")
            cursor.execute("INSERT INTO chain VALUES (0)")
        connection.close()
        start, errors = threading.Barrier(6), []

        def append():
            try:
                start.wait()
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SELECT max(n) FROM chain")
                    last = cursor.fetchone()[0]
                    time.sleep(0.05)  # the others read meanwhile
                    cursor.execute("INSERT INTO chain VALUES (%s)", [last + 1])
            except Exception as error:
                errors.append(str(error))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=append) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with connection.cursor() as cursor:
            cursor.execute("SELECT n FROM chain ORDER BY n")
            chain = [row[0] for row in cursor.fetchall()]
        print(json.dumps({"errors": errors, "chain": chain}))
        """,
    )
    assert outcome == {"errors": [], "chain": [0, 1, 2, 3, 4, 5, 6]}


def test_demo_shows_the_dutch_404_and_serves_static_files(tmp_path):
    """Demo users meet templates/404.html, not Django's technical page listing every URL
    pattern (DEBUG); with DEBUG off WhiteNoise still serves the CSS and JavaScript without
    collectstatic. (The test client forces DEBUG off in-process, hence a demo process.)"""
    outcome = _demo_process(
        tmp_path,
        """
        import json
        from django.conf import settings
        from django.test import Client

        browser = Client()
        missing = browser.get("/bestaat-niet/")
        static = {
            path: browser.get(path).status_code
            for path in ("/static/css/werkpad.css", "/static/vendor/htmx.min.js")
        }
        print(json.dumps({
            "debug": settings.DEBUG,
            "status": missing.status_code,
            "html": missing.content.decode(),
            "static": static,
        }))
        """,
    )
    assert outcome["debug"] is False
    assert outcome["status"] == 404
    assert "Niet gevonden" in outcome["html"] and 'lang="nl"' in outcome["html"]
    assert "URLconf" not in outcome["html"] and "Page not found" not in outcome["html"]
    assert outcome["static"] == {"/static/css/werkpad.css": 200, "/static/vendor/htmx.min.js": 200}


def test_a_uwv_client_has_a_benefit_uwv_pays(demo_world):
    """Tom de Graaf shares with UWV: his werksituatie said bijstand (a gemeente's benefit)."""
    situation = _demo_case("Tom", "de Graaf").work_situations.last()  # the intake's
    assert situation.benefit == Benefit.WIA
    assert _demo_case("Fatima", "Bouzid").work_situations.last().benefit == Benefit.BIJSTAND
