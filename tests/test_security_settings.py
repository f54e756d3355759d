"""Production settings pass Django's deployment checks and keep safe defaults."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, extra_env=None):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        **(extra_env or {}),
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "werkpad.example.nl",
    "DATABASE_URL": "postgres://werkpad:geheim@127.0.0.1:1/werkpad",
}


def test_check_deploy_has_no_warnings_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", extra_env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secret_key_is_required_outside_demo_and_test():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = run_manage("check", extra_env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_defaults_are_safe():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.WERKPAD_REQUIRE_MFA, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_HSTS_SECONDS > 0, s.SECURE_SSL_REDIRECT, s.X_FRAME_OPTIONS,"
        " s.CONTENT_SECURITY_POLICY['DIRECTIVES']['script-src'],"
        " s.CONTENT_SECURITY_POLICY['DIRECTIVES']['frame-ancestors'])"
    )
    result = run_manage("shell", "-c", code, extra_env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "False True True True True True DENY [\"'self'\"] [\"'none'\"]"
    )


def test_csp_header_forbids_inline_scripts_and_framing(client, db):
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy
    assert directives["frame-ancestors"] == "'none'"
