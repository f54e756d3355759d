"""ips.querysets.LeastKnown, the first employer contact's "whichever came first, or the one
there is": on the suite's PostgreSQL (LEAST skips a NULL) and on the demo's SQLite (MIN is
NULL when either is, so it compares the COALESCEs), evaluated by each database itself."""

import datetime
import json

import pytest
from django.db import connection

from tests.test_demo import _demo_process

EARLY, LATE = datetime.date(2026, 3, 2), datetime.date(2026, 5, 11)

# Each pair evaluated in one SELECT through the compiler, as a queryset would.
EVALUATE = """
import datetime, json
from django.db import connection
from django.db.models import DateField, Value
from django.db.models.sql import Query
from ips.querysets import LeastKnown

def evaluate(a, b):
    query = Query(None)
    value = lambda day: Value(day, output_field=DateField())
    expression = LeastKnown(value(a), value(b)).resolve_expression(query)
    sql, params = query.get_compiler(connection=connection).compile(expression)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)
        found = cursor.fetchone()[0]
    return None if found is None else str(found)

early, late = datetime.date(2026, 3, 2), datetime.date(2026, 5, 11)
print(json.dumps([
    evaluate(early, late), evaluate(late, early), evaluate(early, None),
    evaluate(None, late), evaluate(None, None),
]))
"""

EXPECTED = [str(EARLY), str(EARLY), str(EARLY), str(LATE), None]


@pytest.mark.django_db
def test_least_known_on_postgresql(capsys):
    assert connection.vendor == "postgresql"
    exec(EVALUATE, {})
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == EXPECTED


def test_least_known_on_the_demo_sqlite(tmp_path):
    assert _demo_process(tmp_path, EVALUATE) == EXPECTED
