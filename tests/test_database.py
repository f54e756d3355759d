"""PostgreSQL settings: queries are prepared, so PostgreSQL reuses their plans (issue 10)."""

from django.db import connection
from django.urls import reverse

from .test_cases import case_a  # noqa: F401  (fixture)
from .test_security_settings import PRODUCTION, run_manage


def prepared_statements():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        return dict(cursor.fetchall())


def team_read_runs():
    """How often the prepared read of the case team has run on this connection (or None)."""
    runs = [n for sql, n in prepared_statements().items() if "cases_casemember" in sql]
    return max(runs) if runs else None


def test_case_page_queries_are_prepared_and_their_plans_reused(
    client_for,
    behandelaar_a,
    case_a,  # noqa: F811
):
    client = client_for(behandelaar_a)
    url = reverse("cases:detail", args=[case_a.pk])
    assert client.get(url).status_code == 200
    assert team_read_runs() is None  # a query runs unprepared at first

    for _ in range(6):
        assert client.get(url).status_code == 200
    before = team_read_runs()
    assert before is not None

    for _ in range(3):
        assert client.get(url).status_code == 200
    assert team_read_runs() == before + 3  # one run of the prepared plan per page view


def prepare_options(extra_env):
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings as s; o = s.DATABASES['default'].get('OPTIONS', {});"
        "print(o.get('server_side_binding'), o.get('prepare_threshold'))",
        extra_env={**PRODUCTION, **extra_env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_prepared_statements_can_be_turned_off_for_a_transaction_pooler():
    assert prepare_options({}) == "True 5"
    assert prepare_options({"PG_PREPARED_STATEMENTS": "false"}) == "None None"
