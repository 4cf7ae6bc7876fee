"""Django settings, driven by environment variables.

Every value comes from the environment through the small helpers below, which fail loudly on a
malformed value rather than falling back silently: a clinic must never run with a setting it did
not mean to have.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from alliance.crypto import keys_from_env

BASE_DIR = Path(__file__).resolve().parent


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"{name} must be set (see docs/configuration.md).")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (or 1/0, yes/no), got {value!r}.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    items = [part.strip() for part in value.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(f"{name} must be a comma-separated list with no empty entries.")
    return items


DEBUG = env_bool("ALLIANCE_DEBUG", False)
TESTING = env_bool("ALLIANCE_TESTING", False)
DATA_DIR = Path(env_str("ALLIANCE_DATA_DIR", str(Path.cwd() / "alliance-data"))).resolve()

# A development or test run may go without a secret; anything serving real people may not.
_insecure_ok = DEBUG or TESTING
SECRET_KEY = env_str(
    "ALLIANCE_SECRET_KEY", "insecure-development-key-never-in-production" if _insecure_ok else None
)
if not _insecure_ok and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured(
        "ALLIANCE_SECRET_KEY must be at least 50 characters of random text; generate one with "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )
# Free text is encrypted at rest with these (the first encrypts, all decrypt); a missing or
# malformed key stops start-up. See docs/security-encryption.md.
ALLIANCE_ENCRYPTION_KEYS = keys_from_env(os.environ, insecure_ok=_insecure_ok)
ALLOWED_HOSTS = env_list("ALLIANCE_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "alliance.people",
    "alliance.checkins",
    "alliance.ruptures",
    "alliance.accounts",
    "alliance.audit",
    "alliance.ops",
    "alliance.outcomes",
    "alliance.diary",
    "alliance.reachout",
    "alliance.messaging",
    "alliance.absences",
    "alliance.exports",
    "alliance.safetyplan",
    "alliance.offline",
    "alliance.ratings",
    "alliance.supervision",
    "alliance.timeline",
    "alliance.apitokens",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "alliance.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses HTML on the way out (static files are compressed ahead, by collectstatic).
    # Outside every middleware that reads or writes the page; not on pages with secrets.
    "alliance.compression.CompressionMiddleware",
    # The service worker's background fetches set no cookie (a late one would undo a login's
    # new CSRF token); outside the session and CSRF middleware, which set them.
    "alliance.offline.middleware.BackgroundFetchMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of the page: the language link's cookie, else the browser's Accept-Language
    # (alliance.middleware.UserLanguageMiddleware then puts a signed-in person's own choice first).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "alliance.middleware.UserTimezoneMiddleware",
    "alliance.middleware.UserLanguageMiddleware",
    # Before any view (and so before the CSRF check reads the form): text must be UTF-8.
    "alliance.middleware.StrictUtf8Middleware",
    # Writes the audit rows for the records a request read (alliance/audit/recorder.py).
    "alliance.audit.middleware.AuditMiddleware",
    # A memo of what a request reads several times (alliance/memo.py), for that request only.
    "alliance.memo.RequestMemoMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages, so a timed-out person sees why on the login page.
    "alliance.accounts.middleware.SessionTimeoutMiddleware",
    "alliance.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "alliance.urls"
WSGI_APPLICATION = "alliance.wsgi.application"

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
            ],
            "string_if_invalid": "",
        },
    }
]


def _database() -> dict[str, object]:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        try:
            # Health checks: a connection kept open across a database restart is replaced
            # instead of failing the next request.
            config: dict[str, object] = dict(
                dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
            )
        except ValueError as error:
            raise ImproperlyConfigured(
                f"DATABASE_URL is not a valid database URL: {error}"
            ) from None
        if config.get("ENGINE") not in {
            "django.db.backends.postgresql",
            "django.db.backends.sqlite3",
        }:
            raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL or SQLite.")
        if config["ENGINE"] == "django.db.backends.sqlite3":
            config["OPTIONS"] = _sqlite_options()
        return config
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "alliance.sqlite3",
        "OPTIONS": _sqlite_options(),
        # Keeping connections open saves re-reading the schema and a WAL checkpoint on every
        # request (measured +25 % submissions/s, docs/security-backup.md).
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def _sqlite_options() -> dict[str, object]:
    # WAL lets readers run beside one writer; IMMEDIATE transactions take the write lock up
    # front, so two writers queue on busy_timeout instead of failing half-way with "locked".
    return {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "people.User"
# django-axes first: it refuses a locked-out username and IP before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in security: see docs/security-auth.md. A session ends after ALLIANCE_IDLE_MINUTES
# without a request, and ALLIANCE_SESSION_HOURS after login whatever happens.
ALLIANCE_SESSION_HOURS = env_int("ALLIANCE_SESSION_HOURS", 12, minimum=1)
ALLIANCE_IDLE_MINUTES = env_int("ALLIANCE_IDLE_MINUTES", 30, minimum=1)
SESSION_COOKIE_AGE = ALLIANCE_SESSION_HOURS * 3600
# Sessions live in the database (the source of truth: `sessions_end`, backups and restores work
# on the table) and are read through a cache, so a signed-in request does not query the session
# table. The cache is files in the data folder, shared by every worker process of the server:
# a session ended in one process (logout, deactivation, a two-factor reset) is gone for all of
# them, which a per-process memory cache could not promise. Servers on several machines that
# share one PostgreSQL database do not share the folder: they set ALLIANCE_SESSION_CACHE=off
# (plain database sessions). See docs/configuration.md.
if env_bool("ALLIANCE_SESSION_CACHE", True):
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_CACHE_ALIAS = "sessions"
CACHES = {
    # Per process; only for what is the same in every process.
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Rendered page fragments, each keyed on everything it shows (the caseload's rows): per
    # process, in memory only, never on disk.
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fragments",
        "TIMEOUT": 600,
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
    SESSION_CACHE_ALIAS: {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache" / "sessions"),
        "TIMEOUT": SESSION_COOKIE_AGE,
        # Past this many files a third are dropped (they are read from the database again).
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
}
# The reach-out form's count of requests per IP address (alliance/reachout/spam.py): files in the
# data folder, so every worker process of one server counts together. Servers on several
# machines each count their own (docs/reach-out.md). Tests count in memory.
REACH_OUT_CACHE_ALIAS = "reach_out"
_reach_out_cache: dict[str, object] = {
    "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
    "LOCATION": str(DATA_DIR / "cache" / "reach-out"),
    "TIMEOUT": 3600,
    "OPTIONS": {"MAX_ENTRIES": 5000},
}
if TESTING:
    _reach_out_cache = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "reach-out",
    }
CACHES[REACH_OUT_CACHE_ALIAS] = _reach_out_cache
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env_bool("ALLIANCE_SECURE_COOKIES", not (DEBUG or TESTING))
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_SECURE = SECURE_COOKIES
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = env_int("ALLIANCE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("ALLIANCE_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("ALLIANCE_SSL_REDIRECT", False)
# Behind a TLS-terminating reverse proxy that sets X-Forwarded-Proto (and strips it from
# clients' requests), Django can tell which requests arrived over HTTPS.
if env_bool("ALLIANCE_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
CSRF_TRUSTED_ORIGINS = env_list("ALLIANCE_CSRF_TRUSTED_ORIGINS", [])
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

# English is the default (and the language of the tests); French as spoken in Canada is the other.
# The one catalogue is alliance/locale/fr_CA/LC_MESSAGES/django.po; the .mo next to it is compiled
# when the package is built (setup.py) and again at start-up when the .po is newer
# (alliance.i18n). See docs/translating.md.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr-ca", "Français (Canada)")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates as each language writes them (alliance/formats/<locale>/formats.py).
FORMAT_MODULE_PATH = ["alliance.formats"]
LANGUAGE_COOKIE_NAME = "alliance_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# `alliance serve` and `alliance demo` run collectstatic into the data folder (or
# ALLIANCE_STATIC_ROOT) before serving: each file gets a content hash in its name, a gzip copy
# (and brotli, with the brotli package), and WhiteNoise sends the hashed names with a cache
# life of ten years, "immutable". A page always links the current hash, so a changed file is a
# new name. Anything else that serves alliance.wsgi runs `alliance collectstatic` first.
STATIC_ROOT = (
    None if TESTING else Path(os.environ.get("ALLIANCE_STATIC_ROOT") or DATA_DIR / "static")
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Tests use the plain storage (no collectstatic step); tests/web/test_static.py runs
        # collectstatic and serves through the manifest once.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Every email goes to the outbox first (alliance/messaging); the worker then delivers it with
# ALLIANCE_EMAIL_BACKEND (SMTP in production, the console for the demo), retrying with backoff.
EMAIL_BACKEND = "alliance.messaging.backends.OutboxEmailBackend"
ALLIANCE_EMAIL_DELIVERY_BACKEND = env_str(
    "ALLIANCE_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
# A dotted path to a class with send(*, to, body, idempotency_key) (alliance.messaging.channels).
# None is bundled: without one, text messages are skipped with that reason.
ALLIANCE_SMS_BACKEND = os.environ.get("ALLIANCE_SMS_BACKEND", "")
# How long a worker holds a message it is sending before another may take it over.
ALLIANCE_OUTBOX_LEASE_SECONDS = env_int("ALLIANCE_OUTBOX_LEASE_SECONDS", 300, minimum=1)
# How often a worker beats (heartbeat, periodic jobs) and sweeps the outbox for due messages.
ALLIANCE_WORKER_BEAT_SECONDS = env_int("ALLIANCE_WORKER_BEAT_SECONDS", 10, minimum=1)
ALLIANCE_OUTBOX_SWEEP_SECONDS = env_int("ALLIANCE_OUTBOX_SWEEP_SECONDS", 60, minimum=1)
ALLIANCE_REMINDER_SCAN_SECONDS = env_int("ALLIANCE_REMINDER_SCAN_SECONDS", 60, minimum=1)
# Where links in emails point (the scans that write reminders have no request to ask).
ALLIANCE_SITE_URL = env_str("ALLIANCE_SITE_URL", "http://127.0.0.1:8000")
EMAIL_FILE_PATH = os.environ.get("ALLIANCE_EMAIL_FILE_PATH", str(DATA_DIR / "sent-mail"))
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
DEFAULT_FROM_EMAIL = env_str("ALLIANCE_FROM_EMAIL", "alliance@localhost")
EMAIL_HOST = env_str("ALLIANCE_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("ALLIANCE_EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = os.environ.get("ALLIANCE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("ALLIANCE_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("ALLIANCE_EMAIL_TLS", True)
EMAIL_TIMEOUT = 20
# A "forgot your password" link works once, for a day (Django's default is three).
PASSWORD_RESET_TIMEOUT = 24 * 3600

# Product settings (clinic-level values live on the Clinic model).
ALLIANCE_INVITE_DAYS = 7
ALLIANCE_REAUTH_MINUTES = env_int("ALLIANCE_REAUTH_MINUTES", 10, minimum=1)
ALLIANCE_DEFAULT_CHECKIN_HOURS = 72
# Reaching out (docs/reach-out.md): what the thank-you page promises ("we usually answer within
# N working days"), how long a request is kept, and how many one IP address may send an hour.
ALLIANCE_REACH_OUT_ANSWER_DAYS = env_int("ALLIANCE_REACH_OUT_ANSWER_DAYS", 3, minimum=1)
ALLIANCE_REACH_OUT_RETENTION_DAYS = env_int("ALLIANCE_REACH_OUT_RETENTION_DAYS", 90, minimum=1)
ALLIANCE_REACH_OUT_PER_HOUR = env_int("ALLIANCE_REACH_OUT_PER_HOUR", 5, minimum=1)
# The research export's pseudonyms and date shifts (docs/interoperability.md): 64 hex
# characters shared by every clinic of this installation, or unset for a key per clinic, made
# on its first export and kept (encrypted) in the database.
ALLIANCE_RESEARCH_EXPORT_DAYS = env_int("ALLIANCE_RESEARCH_EXPORT_DAYS", 7, minimum=1)
ALLIANCE_RESEARCH_KEY = os.environ.get("ALLIANCE_RESEARCH_KEY", "").strip()
if ALLIANCE_RESEARCH_KEY and not re.fullmatch(r"[0-9a-fA-F]{64}", ALLIANCE_RESEARCH_KEY):
    raise ImproperlyConfigured(
        "ALLIANCE_RESEARCH_KEY must be 64 hex characters; make one with "
        "python -c 'import secrets; print(secrets.token_hex(32))'."
    )

# Lockout (django-axes): ALLIANCE_LOCKOUT_FAILURES wrong passwords or codes for one username from
# one IP address lock that pair, and only that pair, for ALLIANCE_LOCKOUT_MINUTES. Behind reverse
# proxies, ALLIANCE_PROXY_COUNT says how many X-Forwarded-For entries (from the right) they add.
ALLIANCE_PROXY_COUNT = env_int("ALLIANCE_PROXY_COUNT", 0, minimum=0)
AXES_FAILURE_LIMIT = env_int("ALLIANCE_LOCKOUT_FAILURES", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ALLIANCE_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "alliance.accounts.lockout.lockout_username"
AXES_CLIENT_IP_CALLABLE = "alliance.accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "alliance.accounts.views.locked_out_response"
# Failures count until ALLIANCE_LOCKOUT_MINUTES pass without one: a correct password in between
# does not clear them, or someone who has the password could try codes without end. A locked pair
# unlocks a fixed time after its last counted failure, so the lockout page can say when; tries
# during the lockout are refused without being counted.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_DISABLE_ACCESS_LOG = True
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password", "code"]
# Two-factor (django-otp): TOTP (RFC 6238) with throttling of wrong codes, and recovery codes.
OTP_TOTP_ISSUER = "Alliance"

if TESTING:
    # Hashing cost is not under test; the Argon2 choice is checked by its own test.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
    ALLIANCE_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("ALLIANCE_LOG_LEVEL", "WARNING")},
}
