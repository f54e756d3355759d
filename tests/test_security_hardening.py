"""Security hardening (issue 9) beyond what tests/test_security_settings.py,
tests/test_accounts.py and tests/test_reauthentication.py already prove: the headers and
cookies a production process really sends, the second factor in front of every route and
for every professional role, recovery codes, lock-out per address, session fixation and
open redirects at sign-in, CSRF on every form, re-authentication on every sensitive
route, and limits on uploads and request size.
"""

import inspect
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cases import leidraad_services as leidraad
from cases.models import LeidraadVersion, TimelineEntry
from portal.constants import Role

from .builders import make_case
from .conftest import PASSWORD
from .factories import UserFactory
from .test_security_routes import PUBLIC, ROUTES, allowed_methods, reads_input

ROOT = Path(__file__).resolve().parent.parent
LOGIN = "/accounts/login/"

# --- What a production process sends -----------------------------------------------------------

PROBE = """
import json
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings

# Only the static files storage differs: the manifest is made by collectstatic at deploy.
static = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
out = {}
with override_settings(STORAGES=static):
    c = Client(HTTP_HOST="werkpad.example.nl")
    r = c.get("/accounts/login/", secure=True)
    out["https"] = {"status": r.status_code, "headers": dict(r.headers),
                    "cookies": {k: {**dict(v), "value": ""} for k, v in r.cookies.items()}}
    r = c.get("/accounts/login/")
    out["http"] = {"status": r.status_code, "location": r.get("Location")}
    r = c.get("/accounts/login/", headers={"X-Forwarded-Proto": "https"})
    out["proxied"] = {"status": r.status_code}
    r = Client(HTTP_HOST="evil.example").get("/accounts/login/", secure=True)
    out["other_host"] = {"status": r.status_code}
print("PROBE" + json.dumps(out, default=str))
"""


def in_production(code, **environment):
    """Run ``code`` in a process with production settings (no demo, no test mode, plus
    ``environment``) and return what it printed after "PROBE", read as JSON."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "werkpad.example.nl",
        # Never reached: the sign-in page of an anonymous visitor needs no database.
        "DATABASE_URL": "postgres://werkpad:geheim@127.0.0.1:1/werkpad",
        **environment,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("PROBE"))
    return json.loads(line.removeprefix("PROBE"))


@pytest.fixture(scope="module")
def production():
    """Requests answered by a process with production settings (no demo, no test mode)."""
    return in_production(PROBE)


def test_production_sends_hsts_and_the_security_headers(production):
    headers = production["https"]["headers"]
    assert production["https"]["status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    policy = dict(
        part.strip().split(" ", 1)
        for part in headers["Content-Security-Policy"].split(";")
        if part.strip()
    )
    assert policy["script-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'self'"
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "unsafe-eval" not in headers["Content-Security-Policy"]


def test_production_cookies_are_secure_httponly_where_possible_and_samesite(production):
    csrf = production["https"]["cookies"]["csrftoken"]
    assert csrf["secure"] is True
    assert csrf["samesite"] == "Lax"


def test_production_redirects_plain_http_and_trusts_the_proxy_header(production):
    assert production["http"]["status"] == 301
    assert production["http"]["location"] == "https://werkpad.example.nl/accounts/login/"
    assert production["proxied"]["status"] == 200  # behind the TLS proxy: no redirect loop
    assert production["other_host"]["status"] == 400  # Host header not in ALLOWED_HOSTS


def test_session_cookie_is_httponly_samesite_and_ends_with_the_browser(client, behandelaar_a):
    response = client.post(LOGIN, {"login": behandelaar_a.email, "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["max-age"] and not cookie["expires"]  # a browser-session cookie


def test_pages_of_a_signed_in_user_are_stored_by_no_cache(client_for, behandelaar_a):
    c = client_for(behandelaar_a)
    for url in ["/", reverse("consent:help")]:
        cache_control = c.get(url)["Cache-Control"]
        assert {"no-store", "private"} <= {part.strip() for part in cache_control.split(",")}


# --- Sign-in ---------------------------------------------------------------------------------


def test_signing_in_gives_a_new_session_key(client, behandelaar_a):
    """Session fixation: a key known before sign-in is worthless after it."""
    session = client.session
    session["voor"] = "inloggen"
    session.save()
    before = session.session_key
    client.post(LOGIN, {"login": behandelaar_a.email, "password": PASSWORD})
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after and after != before
    assert client.get(reverse("portal:home")).status_code == 200


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_sign_in_never_sends_the_user_to_another_site(client, behandelaar_a, target):
    response = client.post(
        f"{LOGIN}?next={target}", {"login": behandelaar_a.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")


def test_lock_out_also_holds_per_address_and_does_not_reveal_accounts(client, behandelaar_a):
    """Ten failures from one address, each for another (partly unknown) account, lock the
    address out - also for a right password - with the same Dutch message for everyone."""
    cache.clear()
    try:
        for i in range(10):
            email = behandelaar_a.email if i == 0 else f"onbekend{i}@a.test"
            html = client.post(LOGIN, {"login": email, "password": "fout"}).content.decode()
            assert "niet juist" in html, i
        for email in (behandelaar_a.email, "bestaat-niet@a.test"):
            response = client.post(LOGIN, {"login": email, "password": PASSWORD})
            assert response.status_code == 200
            assert "Te veel mislukte inlogpogingen" in response.content.decode()
        assert "_auth_user_id" not in client.session
        # Another address is not locked out.
        other = Client(REMOTE_ADDR="10.9.8.7")
        response = other.post(LOGIN, {"login": behandelaar_a.email, "password": PASSWORD})
        assert response.status_code == 302
    finally:
        cache.clear()


# --- Second factor ---------------------------------------------------------------------------


@pytest.fixture
def require_mfa(settings):
    settings.WERKPAD_REQUIRE_MFA = True


PROFESSIONAL_ORGANISATION = {
    Role.BEHANDELAAR: "ggz_a",
    Role.TRAJECTBEGELEIDER: "ggz_a",
    Role.KLANTMANAGER: "gemeente_g",
    Role.BEHEERDER: "ggz_b",
}


def test_every_role_is_in_the_mfa_sweep():
    assert set(PROFESSIONAL_ORGANISATION) == set(Role)


@pytest.mark.parametrize("role", sorted(PROFESSIONAL_ORGANISATION))
@pytest.mark.parametrize("name", sorted(set(ROUTES) - PUBLIC))
def test_no_route_opens_for_a_professional_without_second_factor(
    require_mfa, client_for, request, role, name
):
    organisation = request.getfixturevalue(PROFESSIONAL_ORGANISATION[role])
    user = UserFactory(email=f"{role}@mfa.test", organisation=organisation, role=role)
    c = client_for(user)
    url = reverse(name, kwargs=ROUTES[name].sample_kwargs())
    for method in ("get", "post"):
        response = getattr(c, method)(url)
        allowed = allowed_methods(ROUTES[name].callback)
        if response.status_code == 405 and allowed and method.upper() not in allowed:
            continue
        assert response.status_code == 302, (method, response.status_code)
        assert response["Location"] == reverse("mfa_activate_totp"), method


def test_recovery_code_signs_in_once(require_mfa, client, behandelaar_a):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(behandelaar_a, generate_totp_secret())
    codes = RecoveryCodes.activate(behandelaar_a).get_unused_codes()
    assert len(codes) >= 8

    response = client.post(LOGIN, {"login": behandelaar_a.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(behandelaar_a.pk)
    assert client.get(reverse("portal:home")).status_code == 200

    client.logout()
    client.post(LOGIN, {"login": behandelaar_a.email, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert "_auth_user_id" not in client.session
    html = response.content.decode()
    assert "Ongeldige code." in html or "Deze code is niet juist." in html
    stored = Authenticator.objects.get(user=behandelaar_a, type=Authenticator.Type.RECOVERY_CODES)
    assert codes[0] not in json.dumps(stored.data)  # only a seed is stored, not the codes


# --- The Django admin ------------------------------------------------------------------------

ADMIN = "/django-admin/"
ADMIN_LOGIN = "/django-admin/login/"


def test_the_admin_signs_in_through_the_one_sign_in(client, superuser):
    """The admin's own form had no limit on wrong passwords and no second factor: it sends
    everyone to the sign-in page, and a password posted to it signs nobody in."""
    response = client.get(ADMIN_LOGIN)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN}?next=")
    response = client.post(ADMIN_LOGIN, {"username": superuser.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session
    # Through the sign-in page, the administrator gets into the admin.
    client.post(LOGIN, {"login": superuser.email, "password": PASSWORD})
    assert client.get(ADMIN).status_code == 200


def test_the_admin_changes_a_password_through_allauth(client_for, superuser):
    response = client_for(superuser).get(f"{ADMIN}password_change/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_change_password")


def test_the_admin_asks_for_the_second_factor(require_mfa, client, superuser):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(superuser, generate_totp_secret())
    response = client.post(
        f"{LOGIN}?next={ADMIN}", {"login": superuser.email, "password": PASSWORD}
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    assert client.get(ADMIN)["Location"].startswith(ADMIN_LOGIN)


# --- Every form needs its CSRF token ---------------------------------------------------------


def _post_routes():
    return sorted(name for name, route in ROUTES.items() if "POST" in reads_input(route))


@pytest.mark.parametrize("name", _post_routes())
def test_every_form_refuses_a_post_without_csrf_token(behandelaar_a, name):
    c = Client(enforce_csrf_checks=True)
    c.force_login(behandelaar_a, backend="portal.backends.UserBackend")
    response = c.post(reverse(name, kwargs=ROUTES[name].sample_kwargs()), {"x": "1"})
    assert response.status_code == 403
    assert "CSRF verification failed" not in response.content.decode()  # translated at least


def test_refused_form_gets_the_portals_dutch_page(behandelaar_a):
    c = Client(enforce_csrf_checks=True)
    c.force_login(behandelaar_a, backend="portal.backends.UserBackend")
    case = make_case(behandelaar_a)
    response = c.post(reverse("cases:note_create", args=[case.pk]), {"title": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert '<html lang="nl">' in html
    assert "DEBUG" not in html
    assert 'href="/"' in html  # a way back into the portal
    assert "Formulier verlopen" in html


def test_sign_in_form_refuses_a_post_without_csrf_token(behandelaar_a):
    c = Client(enforce_csrf_checks=True)
    response = c.post(LOGIN, {"login": behandelaar_a.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in c.session


# --- Re-authentication before sensitive actions ----------------------------------------------

# Routes that must ask for the password again (issue 9: changing roles and users, resetting
# a second factor, exporting an AVG-inzage).
SENSITIVE = {
    "portal:user_create": lambda w: {},
    "portal:user_edit": lambda w: {"pk": w["jobcoach_a"].pk},
    "portal:user_set_active": lambda w: {"pk": w["jobcoach_a"].pk},
    "portal:user_reset_mfa": lambda w: {"pk": w["jobcoach_a"].pk},
}
if "consent:avg_inzage_request" in ROUTES:
    SENSITIVE["consent:avg_inzage_request"] = lambda w: {"client_pk": w["case"].client_id}


def reauthentication_routes():
    """Routes whose view is wrapped in allauth's reauthentication_required (recognised by
    the code of the wrapper: functools.wraps copies the view's own name onto it)."""
    found = set()
    for name, route in ROUTES.items():
        func, seen = route.callback, set()
        while func is not None and id(func) not in seen:
            seen.add(id(func))
            code = getattr(func, "__code__", None)
            if code is not None and code.co_qualname.startswith("reauthentication_required."):
                found.add(name)
                break
            cells = [_cell(c) for c in (getattr(func, "__closure__", None) or ())]
            inner = [c for c in cells if inspect.isfunction(c)]
            func = getattr(func, "__wrapped__", None) or (inner[0] if len(inner) == 1 else None)
    return found


def _cell(cell):
    try:
        return cell.cell_contents
    except ValueError:
        return None


def test_sensitive_routes_are_wrapped_in_reauthentication():
    assert set(SENSITIVE) <= reauthentication_routes()


@pytest.mark.parametrize("name", sorted(SENSITIVE))
def test_sensitive_action_asks_for_the_password_and_does_nothing_before(
    client, beheerder_a, jobcoach_a, behandelaar_a, name
):
    from .test_security_routes import changed_models, fingerprint

    case = make_case(behandelaar_a)
    kwargs = SENSITIVE[name]({"jobcoach_a": jobcoach_a, "case": case})
    Authenticator.objects.create(user=jobcoach_a, type=Authenticator.Type.TOTP, data={"s": "x"})
    # Signed in half an hour ago (within the idle window), not re-authenticated since.
    client.force_login(beheerder_a, backend="portal.backends.UserBackend")
    session = client.session
    session["account_authentication_methods"] = [{"method": "password", "at": time.time() - 1800}]
    session.save()
    before = fingerprint()
    response = client.post(
        reverse(name, kwargs=kwargs),
        {"actief": "0", "first_name": "X", "last_name": "Y", "role": "behandelaar"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert changed_models(before, fingerprint()) == set()


# --- Uploads and request size ----------------------------------------------------------------


@pytest.fixture
def guide(db):
    return leidraad.ensure_bundled()


def _publish(c, upload):
    return c.post(
        reverse("cases:leidraad_beheer"),
        {"upload": upload, "note": "Nieuwe versie", "action": "publiceren"},
    )


def test_leidraad_upload_over_the_size_limit_is_refused(client_for, beheerder_a, guide):
    from cases.leidraad_forms import MAX_UPLOAD_BYTES

    content = dict(guide.content, source="x" * MAX_UPLOAD_BYTES)
    data = json.dumps(content).encode()
    assert len(data) > MAX_UPLOAD_BYTES
    response = _publish(
        client_for(beheerder_a), SimpleUploadedFile("leidraad.json", data, "application/json")
    )
    assert response.status_code == 200
    assert "Het bestand is te groot (hoogstens 200 kB)." in response.content.decode()
    assert LeidraadVersion.objects.count() == 1


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, b"\xff\xfe{\x00}\x00", b"MZ\x90\x00\x03"],
    ids=["png", "utf16", "exe"],
)
def test_leidraad_upload_that_is_not_utf8_json_is_refused(client_for, beheerder_a, guide, content):
    response = _publish(
        client_for(beheerder_a), SimpleUploadedFile("leidraad.json", content, "application/json")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Het bestand is geen UTF-8-tekst." in html or "Dit is geen geldige JSON" in html
    assert LeidraadVersion.objects.count() == 1


def test_oversized_request_is_refused_without_a_server_error(client_for, behandelaar_a):
    case = make_case(behandelaar_a)
    body = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client_for(behandelaar_a).post(
        reverse("cases:note_create", args=[case.pk]),
        {"category": "medisch", "title": "Groot", "body": body},
    )
    assert response.status_code == 400
    assert not TimelineEntry.objects.filter(case=case, title="Groot").exists()


def test_too_many_fields_are_refused_without_a_server_error(client_for, behandelaar_a):
    case = make_case(behandelaar_a)
    data = {f"f{i}": "1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    data.update({"category": "medisch", "title": "Veel", "body": "velden"})
    response = client_for(behandelaar_a).post(reverse("cases:note_create", args=[case.pk]), data)
    assert response.status_code == 400
    assert not TimelineEntry.objects.filter(case=case, title="Veel").exists()
