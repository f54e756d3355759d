"""docker-compose.yml and Dockerfile: the deployment contract, checked without Docker."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ["web", "worker", "beat"]
# A value that compose must take from the environment and refuses to start without.
REQUIRED_FROM_ENV = re.compile(r"^\$\{(?P<name>[A-Z_]+):?\?[^}]*\}$")
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY")
URL_PASSWORD = re.compile(r"://[^:/@\s]+:(?P<password>[^@\s]+)@")


def environment(service):
    env = SERVICES[service].get("environment") or {}
    assert isinstance(env, dict), f"{service}: environment as a mapping, please"
    return env


def test_the_five_services_exist():
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(SERVICES)
    assert SERVICES["postgres"]["image"].startswith("postgres:15")
    assert SERVICES["redis"]["image"].startswith("redis:7")


@pytest.mark.parametrize("service", ["web", "worker", "beat", "postgres", "redis"])
def test_every_service_has_a_healthcheck(service):
    healthcheck = SERVICES[service].get("healthcheck") or {}
    assert healthcheck.get("test"), f"{service} heeft geen healthcheck"
    assert not healthcheck.get("disable")


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_wait_for_healthy_postgres_and_redis(service):
    depends_on = SERVICES[service]["depends_on"]
    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_take_secret_key_and_hosts_from_the_environment(service):
    env = environment(service)
    assert REQUIRED_FROM_ENV.match(env["SECRET_KEY"])["name"] == "SECRET_KEY"
    assert REQUIRED_FROM_ENV.match(env["ALLOWED_HOSTS"])
    for name in ("DATABASE_URL", "REDIS_URL"):
        assert name in env
    # Demo/test mode and DEBUG relax security; they have no place in a deployment.
    assert not {"WERKPAD_DEMO", "WERKPAD_TEST", "DEBUG"} & set(env)


def test_no_secret_value_is_written_in_the_compose_file():
    for service in SERVICES:
        for name, value in environment(service).items():
            value = str(value)
            if SECRET_NAME.search(name):
                assert REQUIRED_FROM_ENV.match(value), f"{service}.{name} is hard-coded"
            for match in URL_PASSWORD.finditer(value):
                assert re.fullmatch(r"\$\{[A-Z_]+\}", match["password"]), (
                    f"{service}.{name} contains a literal password"
                )


def test_app_environment_names_are_settings_that_exist():
    settings_source = (ROOT / "portal" / "settings.py").read_text()
    for name in environment("web"):
        assert f'"{name}"' in settings_source, f"{name} is not read by portal/settings.py"


def test_web_migrates_before_gunicorn_and_worker_and_beat_run_celery():
    web = SERVICES["web"]["command"]
    assert web.index("manage.py migrate --no-input") < web.index("gunicorn portal.wsgi")
    assert "0.0.0.0:8000" in web
    assert "celery -A portal worker" in SERVICES["worker"]["command"]
    assert "celery -A portal beat" in SERVICES["beat"]["command"]


def test_dockerfile_bakes_no_secret_into_the_image():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("# ") and "FROM python:3.11-slim" in dockerfile
    assert not re.search(r"^\s*(ENV|ARG)\s+SECRET_KEY", dockerfile, re.MULTILINE)
    # The throwaway key exists only on the collectstatic line.
    [line] = [line for line in dockerfile.splitlines() if "SECRET_KEY=" in line]
    assert line.startswith("RUN SECRET_KEY=") and "collectstatic --no-input" in line
    assert re.search(r"^USER\s+\w+", dockerfile, re.MULTILINE), "runs as root"


def test_a_web_process_is_warmed_before_it_serves():
    """gunicorn workers import portal.wsgi before their first request: warm_up leaves every
    project template compiled in the cached template loader, so no visitor waits for that."""
    from django.template import engines

    from portal import wsgi

    templates = Path(__file__).resolve().parent.parent / "templates"
    loader = engines["django"].engine.template_loaders[0]
    loader.reset()
    wsgi.warm_up()
    names = {path.relative_to(templates).as_posix() for path in templates.rglob("*.html")}
    assert len(names) > 50
    assert names <= set(loader.get_template_cache)
