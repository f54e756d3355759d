"""The benchmark of issue 10 (``make bench``): page timings at N = 1 000 and N = 100 000
clients, progress-report PDFs, a report queue on two Celery workers and a load run on
gunicorn. Results go to bench/results.md. Not part of the test suite.

``python -m bench`` runs everything (inside bin/with-services); each part runs in a process
of its own with DATABASE_URL pointing at the seeded database of its size.
"""

import os


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def percentile(values, fraction):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, round(fraction * len(ordered) + 0.5) - 1)]
