"""Load run: gunicorn with WORKERS sync workers on 127.0.0.1, USERS users at once for SECONDS
seconds. Every user has a session of their own (a professional with a second factor, as in
production) and walks the read pages of their role, waiting THINK seconds between pages, as
a locust user with ``wait_time = between(1, 3)`` would. Every answer that is not 200 counts as
an error. A small threaded client instead of locust: nothing to install, and the numbers are
the same kind (time to the whole answer)."""

import datetime as dt
import http.client
import os
import random
import socket
import statistics
import threading
import time
from urllib.parse import quote

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import Min
from django.urls import reverse
from django.utils import timezone

from cases.constants import CaseStatus
from cases.models import Case, CaseMember
from consent.constants import Action
from ips.models import Trajectory
from portal.constants import Role
from portal.models import User

from . import percentile, subjects
from .processes import start, stop

WORKERS = 4
USERS = 50
SECONDS = 60
THINK = (1.0, 3.0)
MIX = {Role.BEHANDELAAR: 28, Role.KLANTMANAGER: 12, Role.TRAJECTBEGELEIDER: 6, Role.BEHEERDER: 4}


def measure():
    users = [(session_for(user), routes) for user, routes in people()]
    port = free_port()
    server = start_gunicorn(port)
    try:
        run(users, port, seconds=None)  # warm-up: every user's pages once, not counted
        load_before = os.getloadavg()
        results = run(users, port, seconds=SECONDS)
        load_after = os.getloadavg()
    finally:
        stop(server)
    times = [ms for _label, ms, _status in results]
    errors = [(label, status) for label, _ms, status in results if status != 200]
    by_page = {}
    for label, ms, _status in results:
        by_page.setdefault(label, []).append(ms)
    return {
        "workers": WORKERS,
        "users": USERS,
        "seconds": SECONDS,
        "think": f"{THINK[0]:.0f}–{THINK[1]:.0f} s (uniform)",
        "requests": len(results),
        "errors": len(errors),
        "error_samples": errors[:10],
        "p50": statistics.median(times),
        "p95": percentile(times, 0.95),
        "max": max(times),
        "load": [load_before, load_after],
        "pages": [
            {
                "label": label,
                "requests": len(values),
                "p50": statistics.median(values),
                "p95": percentile(values, 0.95),
            }
            for label, values in sorted(by_page.items())
        ],
    }


def people():
    """USERS professionals in the proportions of MIX, spread over the organisations, each
    with the read pages of their role: [(user, [(label, url), ...])]."""
    chosen = []
    first_case = dict(
        CaseMember.objects.filter(content_object__status=CaseStatus.OPEN)
        .values_list("user")
        .annotate(case=Min("content_object"))
    )
    for role, count in MIX.items():
        candidates = list(User.objects.filter(role=role, is_active=True).order_by("pk"))
        if role != Role.BEHEERDER:
            candidates = [u for u in candidates if u.pk in first_case]
        step = max(1, len(candidates) // count)
        chosen += [(u, routes(u, first_case.get(u.pk))) for u in candidates[::step][:count]]
    subjects.with_second_factor(*(user for user, _routes in chosen))
    return chosen


def routes(user, case_id):
    help_page = ("Wie ziet wat", reverse("consent:help"))
    if user.role == Role.BEHEERDER:
        week_ago = timezone.localdate() - dt.timedelta(days=7)
        log_filters = f"?date_from={week_ago}&action={Action.READ.value}"
        return [
            ("Toestemmingen (beheerder)", reverse("consent:overview")),
            ("Inzagelog met filters", reverse("consent:access_log") + log_filters),
            ("Gebruikers (beheerder)", reverse("portal:user_list")),
            help_page,
        ]
    case = Case.objects.select_related("client").get(pk=case_id)
    own = [
        ("Casuspagina", reverse("cases:detail", args=[case.pk])),
        ("Tijdlijn", reverse("cases:timeline", args=[case.pk])),
    ]
    if user.role == Role.TRAJECTBEGELEIDER:
        trajectory = Trajectory.objects.filter(coach=user, case=case).first()
        if trajectory:
            own.append(("IPS-traject", reverse("ips:trajectory", args=[case.pk])))
        return [
            ("IPS-caseload", reverse("ips:caseload")),
            ("IPS-resultaten", reverse("ips:results")),
            *own,
            help_page,
        ]
    search = quote(case.client.last_name.split()[-1])
    return [
        ("Werkvoorraad", reverse("portal:home")),
        *own,
        ("Werkvoorraad met zoekopdracht", reverse("portal:home") + f"?q={search}"),
        help_page,
    ]


def session_for(user):
    """A signed-in session stored in the database, for a cookie (also tests/test_faults.py)."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "portal.backends.UserBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def run(users, port, seconds):
    """Every user in a thread of their own. With ``seconds`` None: one pass over each user's
    pages, no waiting. Returns [(label, ms, status)]."""
    results, lock = [], threading.Lock()
    deadline = None if seconds is None else time.monotonic() + seconds

    def walk(index, session, pages):
        rng = random.Random(index)  # noqa: S311  timing jitter, not security
        position = rng.randrange(len(pages))
        visits = 0
        while (deadline is None and visits < len(pages)) or (
            deadline is not None and time.monotonic() < deadline
        ):
            label, url = pages[(position + visits) % len(pages)]
            visits += 1
            ms, status = get(port, url, session)
            with lock:
                results.append((label, ms, status))
            if deadline is not None:
                time.sleep(max(0, min(rng.uniform(*THINK), deadline - time.monotonic())))

    threads = [
        threading.Thread(target=walk, args=(i, session, pages))
        for i, (session, pages) in enumerate(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def get(port, url, session):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    try:
        connection.request("GET", url, headers={"Cookie": f"sessionid={session}"})
        response = connection.getresponse()
        response.read()
        status = response.status
    except OSError as exc:
        status = f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()
    return (time.perf_counter() - started) * 1000, status


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port):
    return start(
        ["gunicorn", "portal.wsgi:application", "--workers", str(WORKERS)]
        + ["--bind", f"127.0.0.1:{port}"],
        f"bench-gunicorn-{port}.log",
        lambda: not isinstance(get(port, reverse("portal:health"), "")[1], str),
        "gunicorn",
    )
