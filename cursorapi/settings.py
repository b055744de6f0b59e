"""Settings, read from the environment (and an optional `.env` beside manage.py).

Every setting is listed with its default and meaning in `.env.example`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _data_dir() -> Path:
    path = Path(env.str("DATA_DIR", default="data"))
    if not path.is_absolute():
        path = BASE_DIR / path
    path.mkdir(parents=True, exist_ok=True)
    return path


def _secret_key(data_dir: Path) -> str:
    """Use SECRET_KEY if given; otherwise keep a generated one in DATA_DIR so restarts keep sessions."""
    value = env.str("SECRET_KEY", default="")
    if value:
        return value
    key_file = data_dir / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DATA_DIR = _data_dir()
SECRET_KEY = _secret_key(DATA_DIR)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

HOST = env.str("HOST", default="0.0.0.0")
PORT = env.int("PORT", default=3000)
# Daphne processes for manage.py serve; 0: one per CPU core, at most 4. One process is one event
# loop on one core: at 50 concurrent streams a second worker about halved the added time to first
# token (bench/RESULTS.md).
WEB_WORKERS = env.int("WEB_WORKERS", default=0)

INSTALLED_APPS = [
    # Daphne first, so that `runserver` serves the ASGI application too.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "channels",
    "cursorapi",
    "tokens",
    "proxies",
    "chatlogs",
    "cpp",
    "analytics",
    "chatsessions",
    "storedresponses",
    "runtime",
]

# The API routes run with the two async middlewares only; the admin's sync stack (sessions,
# CSRF, auth, messages) costs a thread hop each and is applied to /admin/ alone.
MIDDLEWARE = [
    "cursorapi.middleware.RequestIdMiddleware",
    "runtime.middleware.FreshConfigMiddleware",
    "cursorapi.middleware.CorsMiddleware",
    "cursorapi.middleware.AdminOnlyMiddleware",
]
ADMIN_MIDDLEWARE = [
    "cursorapi.middleware.close_old_connections_middleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# The admin checks look for its middleware in MIDDLEWARE; AdminOnlyMiddleware applies it instead.
SILENCED_SYSTEM_CHECKS = ["admin.E408", "admin.E409", "admin.E410"]

ROOT_URLCONF = "cursorapi.urls"
ASGI_APPLICATION = "cursorapi.asgi.application"
WSGI_APPLICATION = None

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
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several workers (and the async views' thread pool) write to one file: WAL lets readers
    # run beside a writer, IMMEDIATE avoids the upgrade deadlock, the timeout absorbs bursts.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Tests share the database with a server thread, which an in-memory database cannot do well.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Our queries are short; PostgreSQL's JIT costs ~20 ms compiling each large count (the log
    # filters over millions of rows) and wins nothing back. A DATABASE_URL option still overrides.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options.setdefault("options", "-c jit=off")
# Connections live in the worker threads that serve database work and are reused for this long;
# a connection that failed is replaced before its next use (see cursorapi.chat.service.db).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=300)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"

REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "tokens.api_errors.handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # httpx logs every request at INFO: too chatty for a proxy that makes one per chat.
    "loggers": {"django.request": {"level": "ERROR"}, "httpx": {"level": "WARNING"}},
}

# --- Service -------------------------------------------------------------------------------------
AUTH_TOKEN = env.str("AUTH_TOKEN", default="")
SHARED_TOKEN = env.str("SHARED_TOKEN", default="")
ROUTE_PREFIX = env.str("ROUTE_PREFIX", default="").rstrip("/")
REQUEST_BODY_LIMIT = env.int("REQUEST_BODY_LIMIT", default=2_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_LIMIT

# --- Upstream (Cursor) ---------------------------------------------------------------------------
CURSOR_UPSTREAM = env.str("CURSOR_UPSTREAM", default="").rstrip("/")
CURSOR_CLIENT_VERSION = env.str("CURSOR_CLIENT_VERSION", default="2.3.21")
GENERAL_TIMEZONE = env.str("GENERAL_TIMEZONE", default="UTC")
GENERAL_GCPP_HOST = env.str("GENERAL_GCPP_HOST", default="Asia")
SERVICE_TIMEOUT = env.float("SERVICE_TIMEOUT", default=30.0)
UPSTREAM_READ_TIMEOUT = env.float("UPSTREAM_READ_TIMEOUT", default=120.0)
UPSTREAM_MAX_FRAME_BYTES = env.int("UPSTREAM_MAX_FRAME_BYTES", default=32 * 1024 * 1024)
ALLOWED_PROVIDERS = env.list("ALLOWED_PROVIDERS", default=["auth0", "google-oauth2", "github"])
SAFE_HASH = env.bool("SAFE_HASH", default=True)

# --- Secrets at rest ----------------------------------------------------------------------------
# Cursor tokens are encrypted with a key derived from TOKEN_ENCRYPTION_KEY (else SECRET_KEY).
# To rotate: put the new key first and the old ones after it, comma-separated, then run
# `manage.py rotate_token_key`; drop the old keys afterwards.
TOKEN_ENCRYPTION_KEYS = env.list("TOKEN_ENCRYPTION_KEY", default=[]) or [SECRET_KEY]

# --- Pool ---------------------------------------------------------------------------------------
TOKEN_COOLDOWN_SECONDS = env.float("TOKEN_COOLDOWN_SECONDS", default=60.0)

# --- AI code tracking analytics (Cursor Admin API) ----------------------------------------------
CURSOR_ADMIN_API_KEY = env.str("CURSOR_ADMIN_API_KEY", default="")
ANALYTICS_SYNC_INTERVAL = env.int("ANALYTICS_SYNC_INTERVAL", default=0)  # seconds; 0 = off

# --- Chat ---------------------------------------------------------------------------------------
SSE_KEEPALIVE_S = env.float("SSE_KEEPALIVE_S", default=15.0)
THINKING_TAG = env.str("THINKING_TAG", default="")  # e.g. "think": thinking inline as <think>…</think>
VISION_ABILITY = env.str("VISION_ABILITY", default="base64")  # none / base64 / all
IMAGE_FETCH_MAX_BYTES = env.int("IMAGE_FETCH_MAX_BYTES", default=10 * 1024 * 1024)
# Let image URLs point at private and loopback addresses: only for tests and trusted networks.
IMAGE_FETCH_ALLOW_PRIVATE = env.bool("IMAGE_FETCH_ALLOW_PRIVATE", default=False)
DEFAULT_INSTRUCTIONS = env.str("DEFAULT_INSTRUCTIONS", default="")
LOG_CONTENT = env.bool("LOG_CONTENT", default=False)
ENABLE_SLOW_POOL = env.bool("ENABLE_SLOW_POOL", default=False)
ENABLE_LONG_CONTEXT = env.bool("ENABLE_LONG_CONTEXT", default=False)
# Web references of -online models as a `WebReferences:` list in the reply (off: dropped).
INCLUDE_WEB_REFERENCES = env.bool("INCLUDE_WEB_REFERENCES", default=True)

# --- Management API, dynamic and named API keys (issue 4) ---------------------------------------
# Dynamic API keys (/build-key): keys that carry a Cursor account; accepted on chat routes when on.
# R3 keys (protobuf, unsigned) when DYNAMIC_KEY is true.
DYNAMIC_KEY = env.bool("DYNAMIC_KEY", default=False)
# R4 dynamic keys (CBOR, tied to this server by an HMAC keyed with this secret's first word):
# non-empty turns them on and makes /build-key build them. Changing it invalidates every R4 key.
DYNAMIC_KEY_SECRET = env.str("DYNAMIC_KEY_SECRET", default="")
KEY_PREFIX = env.str("KEY_PREFIX", default="sk-")
# Seconds between background refreshes of every token's profile and usage; 0: off (or run
# `manage.py refresh_profiles`). Profiles are also refreshed from the admin and /tokens/profile/update.
PROFILE_REFRESH_INTERVAL = env.int("PROFILE_REFRESH_INTERVAL", default=0)
# Upstream calls a profile or config-version refresh makes at once, across tokens.
PROFILE_REFRESH_CONCURRENCY = env.int("PROFILE_REFRESH_CONCURRENCY", default=8)
# Seconds between the polls of a web token's upgrade to a session token (Cursor's deep login) while
# Cursor says the login is still pending; the original waits 1 s, five polls at most.
DEEP_LOGIN_POLL_INTERVAL = env.float("DEEP_LOGIN_POLL_INTERVAL", default=1.0)
# (section end: management)

# --- Request logs, runtime config, health (issue 5) ---------------------------------------------
REQUEST_LOGS_LIMIT = env.int("REQUEST_LOGS_LIMIT", default=100_000)  # newest records kept; 0 keeps none
REQUEST_LOGS_MAX_AGE = env.int("REQUEST_LOGS_MAX_AGE", default=30)  # days kept; 0 keeps none
LOG_CLEANUP_INTERVAL = env.int("LOG_CLEANUP_INTERVAL", default=300)  # seconds; 0: only `cleanup_logs`
METRICS_PUBLIC = env.bool("METRICS_PUBLIC", default=False)  # /metrics without the admin token
# (section end: logs)

# --- Copilot++ (issue 6) ------------------------------------------------------------------------
# An editor (x-client-key) stays on one pool token while it is usable, since Cursor keeps its synced
# files per account; a mapping unused this long (seconds) is forgotten.
CPP_AFFINITY_TTL = env.int("CPP_AFFINITY_TTL", default=7 * 24 * 3600)
# (section end: cpp)

# --- Stateful chat sessions (X-Cursor-Session-ID) -----------------------------------------------
SESSION_TTL = env.int("SESSION_TTL", default=3600)  # seconds of no use before a session is evicted
SESSION_MAX_TURNS = env.int("SESSION_MAX_TURNS", default=100)  # oldest turns dropped past this
SESSION_LEASE_SECONDS = env.int("SESSION_LEASE_SECONDS", default=900)  # a crashed request frees it after
# Seconds between evictions of expired sessions by the server itself; 0: only `cleanup_sessions`.
SESSION_CLEANUP_INTERVAL = env.int("SESSION_CLEANUP_INTERVAL", default=300)
# Stored /v1/responses (store: true) are kept this many seconds after creation; by default as long
# as an idle session. Cleaned by the same periodic job interval (SESSION_CLEANUP_INTERVAL).
RESPONSES_TTL = env.int("RESPONSES_TTL", default=SESSION_TTL)
