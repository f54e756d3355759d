"""Werkpad settings: one module, read from the environment.

Safe by default: SECRET_KEY is required unless the process runs in explicit demo mode
(``WERKPAD_DEMO=1``, set by ``make run``) or under the test suite (``WERKPAD_TEST=1``, set by
``make test``). DEBUG is off everywhere unless ``DEBUG=1`` is set: demo users see the Dutch
error pages (templates/404.html), not Django's technical page with every URL pattern.
"""

from pathlib import Path

import environ
import structlog
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEMO_MODE = env.bool("WERKPAD_DEMO", default=False)
TEST_MODE = env.bool("WERKPAD_TEST", default=False)
RELAXED = DEMO_MODE or TEST_MODE

DEBUG = env.bool("DEBUG", default=False)
if RELAXED:
    SECRET_KEY = env.str("SECRET_KEY", default="werkpad-demo-and-test-only-not-secret")
else:
    SECRET_KEY = env.str("SECRET_KEY")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if RELAXED else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.forms",  # the built-in form templates, for portal.forms.FormRenderer
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "guardian",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "portal",
    "consent",
    "cases",
    "ips",
]

# Forms render with the project's templates: templates/forms/div.html shows a form's own
# errors once, in one alert box above the fields.
FORM_RENDERER = "portal.forms.FormRenderer"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.RequireMFAMiddleware",
    "portal.middleware.SubmitOnceMiddleware",
    "portal.middleware.MethodNotAllowedPageMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.werkpad",
            ],
        },
    },
]

# Database: embedded SQLite for the demo, PostgreSQL (psycopg 3) via DATABASE_URL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Server-side parameters and prepared statements (psycopg prepares a query once it has
    # run 5 times on a connection): PostgreSQL then reuses the plan instead of planning every
    # query anew, which was most of its time on the case page (2.9 of 3.7 ms). Set
    # PG_PREPARED_STATEMENTS=0 behind a transaction-pooling PgBouncer; restart the web and
    # worker processes after `migrate`, like any deploy, so no connection keeps an old plan.
    if env.bool("PG_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=5
        )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's SQLite under several browser sessions: every page also appends to the
    # access log (read the last hash, then insert, in one transaction). SQLite cannot make a
    # DEFERRED transaction that read first wait for the write lock, so it failed at once
    # with "database is locked". IMMEDIATE takes the write lock at BEGIN and waits for it
    # (up to ``timeout`` seconds); WAL lets readers go on while one request writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE",
        timeout=20,
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    # Django's and allauth's backends, each loading the user with their organisation.
    "portal.backends.UserBackend",
    "portal.backends.AccountBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "portal.passwords.UserAttributeSimilarityValidator"},
    {
        "NAME": "portal.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TEST_MODE:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:home"

# django-allauth: email sign-in, no self-registration, rate-limited failures, MFA.
ACCOUNT_ADAPTER = "portal.adapters.AccountAdapter"
ACCOUNT_FORMS = {
    "reset_password_from_key": "portal.account_forms.NewPasswordForm",
    "change_password": "portal.account_forms.ChangePasswordForm",
}
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = "portal.tokens.ActiveAccountTokenGenerator"
# The subjects name Werkpad themselves; allauth would put the host name before them.
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
MFA_ADAPTER = "portal.adapters.MFAAdapter"
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("LOGIN_RATE_LIMIT", default="10/m/ip,5/5m/key"),
}
# Behind the TLS proxy the deployment puts in front (docker-compose.yml), every request comes
# from the proxy's address: the client's is the last entry the proxy adds to X-Forwarded-For.
# Without this, the limits per address above counted everyone as one (ten wrong passwords
# from one attacker locked the whole organisation out) and the access log held the proxy's
# address. 0 (the demo and the tests): REMOTE_ADDR. consent.services takes the same address.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0 if RELAXED else 1)
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Werkpad"
# Professionals must have a second factor before they see any client data.
WERKPAD_REQUIRE_MFA = env.bool("WERKPAD_REQUIRE_MFA", default=not DEMO_MODE)

# Sessions: idle sessions expire (sliding window, default 30 minutes).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not RELAXED
CSRF_COOKIE_SECURE = not RELAXED

# Security headers. HTTPS settings apply outside demo/test.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not RELAXED:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_REDIRECT_EXEMPT = [r"^gezondheid/$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# Internationalisation: Dutch, always (no negotiation on the browser's language); the
# machinery is in place so that English can be added with LocaleMiddleware later.
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("Engels"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# With DEBUG off, WhiteNoise serves only what collectstatic put in STATIC_ROOT. The demo
# (`make run`, no collectstatic) has it find each file in the app and project folders on
# request, as it does under DEBUG.
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEMO_MODE
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Private files (signed consent forms, reports): never under a public URL; served
    # only by permission-checked, logged views.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "private")},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if RELAXED
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Email: console in demo/test, SMTP from EMAIL_URL in production.
EMAIL_CONFIG = env.email_url(
    "EMAIL_URL", default="consolemail://" if RELAXED else "smtp://localhost:25"
)
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Werkpad <noreply@werkpad.local>")

# Redis: cache (shared rate limits) and Celery broker. Without REDIS_URL the demo runs
# with a local-memory cache and Celery in eager mode. While Redis is down the cache falls
# back to memory per process (portal.cache), so signing in keeps working.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.RedisWithFallback",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "werkpad",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = TIME_ZONE
# Publishing must not hang a web request when Redis is down: the report stays "in
# wachtrij" in the database and the beat sweep sends it later.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS["socket_connect_timeout"] = 2
CELERY_BEAT_SCHEDULE = {
    "rapporten-opnieuw-versturen": {"task": "portal.tasks.requeue_stuck_reports", "schedule": 60.0},
    "rapporten-opruimen": {"task": "portal.tasks.purge_expired_reports", "schedule": 3600.0},
    "formulieren-opruimen": {"task": "portal.tasks.purge_submissions", "schedule": 3600.0},
    "toestemmingen-verlopen": {
        "task": "consent.tasks.warn_expiring_consents",
        "schedule": crontab(hour=6, minute=0),
    },
}
WERKPAD_REPORT_RETENTION_DAYS = env.int("WERKPAD_REPORT_RETENTION_DAYS", default=30)
# Reports one user may have waiting (in wachtrij or bezig) at once: one person cannot fill the
# workers' queue and hold up everyone else's reports (portal.reports.request_report).
WERKPAD_REPORTS_WAITING_PER_USER = env.int("WERKPAD_REPORTS_WAITING_PER_USER", default=10)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint logs each of its steps at INFO: eight lines per PDF in the worker's log.
        "weasyprint.progress": {"level": "WARNING"},
    },
}

# Audit events (access log, security events) as structured JSON lines via structlog, next
# to the append-only table that is the record of truth.
structlog.configure(
    processors=[
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        structlog.processors.JSONRenderer(sort_keys=True),
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    cache_logger_on_first_use=True,
)

# Demo accounts share this password; shown on the sign-in page in demo mode only.
DEMO_PASSWORD = "demo1234"

# django-guardian: case teams are object permissions on Case (direct foreign keys);
# there is no anonymous user.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_404 = True

# Consent rules (configurable).
WERKPAD_CONSENT_MAX_MONTHS = env.int("WERKPAD_CONSENT_MAX_MONTHS", default=12)
WERKPAD_CONSENT_WARN_DAYS = 30
WERKPAD_CONSENT_UPLOAD_MAX_BYTES = env.int(
    "WERKPAD_CONSENT_UPLOAD_MAX_BYTES", default=5 * 1024 * 1024
)
# Weeks after which "work not discussed" prompts the behandelaar again.
WERKPAD_WORK_REVISIT_WEEKS = env.int("WERKPAD_WORK_REVISIT_WEEKS", default=12)
