"""The WSGI application for gunicorn. Each worker imports this module before it serves its
first request, so the process is warmed here (warm_up)."""

import os
from pathlib import Path

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()


def warm_up():
    """Load what a process would otherwise load during its first requests: every view module
    (through the URLconf), the cache backend with its Redis client library (≈ 150 ms of
    imports; no connection is made), and every project template, compiled into the cached
    template loader. On a fresh gunicorn the first visit of a page on each worker took
    230–350 ms against 40–90 ms later (bench/notes.md); under load, requests queued behind
    those."""
    from django.core.cache import caches
    from django.template import engines
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  importing the views is the point
    caches["default"]
    engine = engines["django"]
    for directory in engine.engine.dirs:
        for path in sorted(Path(directory).rglob("*.html")):
            engine.get_template(path.relative_to(directory).as_posix())


warm_up()
