"""/gezondheid/: reachability of database, Redis and a Celery worker, nothing more.

Real services throughout: the PostgreSQL and Redis of bin/with-services, a real worker
process, and for "Redis down" a loopback port on which nothing listens.
"""

import json
import socket

import pytest

from .worker import celery_worker  # noqa: F401  (fixture)

URL = "/gezondheid/"


@pytest.fixture
def closed_port():
    """A loopback port that is bound but not listening: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def get_health(client):
    response = client.get(URL)
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response, json.loads(response.content)


def test_without_worker_services_are_ok_and_worker_unreachable(client, db):
    response, body = get_health(client)

    # Exactly three keys (no versions, hosts or errors). A missing worker is reported,
    # but the web process itself is healthy: 200.
    assert response.status_code == 200
    assert body == {"database": "ok", "redis": "ok", "worker": "onbereikbaar"}


@pytest.mark.worker
def test_with_a_running_worker_everything_is_ok(client, celery_worker):  # noqa: F811
    response, body = get_health(client)

    assert response.status_code == 200
    assert body == {"database": "ok", "redis": "ok", "worker": "ok"}


def test_unreachable_redis_is_503_without_details(client, db, settings, closed_port):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port}/0"

    response, body = get_health(client)

    assert response.status_code == 503
    assert body == {"database": "ok", "redis": "onbereikbaar", "worker": "onbereikbaar"}
    text = response.content.decode()
    assert "127.0.0.1" not in text
    assert str(closed_port) not in text
    assert "refused" not in text.lower()


def test_only_get_is_allowed(client, db):
    assert client.post(URL).status_code == 405
