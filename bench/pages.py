"""Page timings at one size, in process through Django's test client (DEBUG off): per page the
queries of one request (a separate pass, with CaptureQueriesContext), then p50 and p95 over
REQUESTS requests. The pages take turns, so a disturbance from elsewhere on the machine
spreads over all of them instead of spoiling one."""

import datetime as dt
import os
import statistics
import time
from urllib.parse import quote_plus

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from consent.constants import Action

from . import percentile, subjects

REQUESTS = 60
WARM_UP = 3


def pages(s):
    """(key, label, user, url, text the answer must hold)."""
    case = s.case
    today = timezone.localdate()
    log_filters = (
        f"date_from={today - dt.timedelta(days=30)}&date_to={today}"
        f"&user={quote_plus(s.behandelaar.get_full_name())}&action={Action.READ.value}"
    )
    return [
        ("floor", "Floor: help page 'Wie ziet wat'", s.behandelaar, reverse("consent:help"), ""),
        ("worklist", "Werkvoorraad, first page", s.behandelaar, reverse("portal:home"), ""),
        (
            "worklist_search",
            "Werkvoorraad with a search",
            s.behandelaar,
            reverse("portal:home") + f"?q={case.client.last_name.split()[-1]}",
            case.client.first_name,
        ),
        (
            "case",
            "Case page",
            s.behandelaar,
            reverse("cases:detail", args=[case.pk]),
            case.client.first_name,
        ),
        (
            "case_full",
            "Case page, every panel filled",
            s.full_case_behandelaar,
            reverse("cases:detail", args=[s.full_case.pk]),
            s.full_case.client.first_name,
        ),
        ("timeline", "Timeline", s.behandelaar, reverse("cases:timeline", args=[case.pk]), ""),
        (
            "consent_overview",
            "Consent overview (beheerder)",
            s.beheerder,
            reverse("consent:overview"),
            "",
        ),
        (
            "access_log",
            "Access log with filters (beheerder)",
            s.beheerder,
            reverse("consent:access_log") + "?" + log_filters,
            "",
        ),
        ("ips_results", "IPS team dashboard (resultaten)", s.jobcoach, reverse("ips:results"), ""),
        (
            "ips_caseload",
            "IPS caseload (trajectbegeleider)",
            s.jobcoach,
            reverse("ips:caseload"),
            "",
        ),
    ]


def get(client, url, must_hold):
    response = client.get(url)
    body = response.content.decode()
    if response.status_code != 200 or must_hold not in body:
        raise RuntimeError(f"{url}: status {response.status_code}, {must_hold!r} niet gevonden")


def measure():
    if settings.DEBUG:
        raise RuntimeError("DEBUG staat aan: metingen zouden elke query bewaren.")
    s = subjects.pick()
    clients = {}
    for user in (s.behandelaar, s.beheerder, s.jobcoach, s.full_case_behandelaar):
        clients[user.pk] = Client()
        clients[user.pk].force_login(user)
    rows = pages(s)
    for _key, _label, user, url, must_hold in rows:
        for _ in range(WARM_UP):
            get(clients[user.pk], url, must_hold)
    queries = {}
    for key, _label, user, url, must_hold in rows:
        with CaptureQueriesContext(connection) as captured:
            get(clients[user.pk], url, must_hold)
        queries[key] = len(captured)
    times = {key: [] for key, *_rest in rows}
    load_before = os.getloadavg()
    requests = int(os.environ.get("WERKPAD_BENCH_REQUESTS", REQUESTS))
    for _ in range(requests):
        for key, _label, user, url, must_hold in rows:
            started = time.perf_counter()
            get(clients[user.pk], url, must_hold)
            times[key].append((time.perf_counter() - started) * 1000)
    return {
        "subjects": {
            "behandelaar": f"{s.behandelaar.email} ({s.caseload} open cases as regiebehandelaar)",
            "case": f"{s.case.pk} ({s.timeline_entries} timeline entries)",
            "case with every panel filled": f"{s.full_case.pk} ({s.full_case.conversation_logs} "
            f"conversation logs, an IPS trajectory, "
            f"{'a' if s.full_case.has_meetings else 'no'} driegesprek, "
            f"{s.full_case.entries} timeline entries; "
            f"seen by its regiebehandelaar {s.full_case_behandelaar.email})",
            "beheerder": f"{s.beheerder.email}",
            "jobcoach": f"{s.jobcoach.email} ({s.trajectories} open trajectories; "
            f"IPS team of {team_size(s.jobcoach)} trajectbegeleiders)",
        },
        "requests": requests,
        "load": [load_before, os.getloadavg()],
        "pages": [
            {
                "key": key,
                "label": label,
                "url": url,
                "queries": queries[key],
                "p50": statistics.median(times[key]),
                "p95": percentile(times[key], 0.95),
                "times": times[key],
            }
            for key, label, _user, url, _must in rows
        ],
    }


def team_size(coach):
    from ips.models import TeamMember

    return TeamMember.objects.filter(team__members__coach=coach).count()
