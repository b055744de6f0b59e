"""Settings, read from the environment (and an optional `.env` beside manage.py).

Every setting is listed with its default and meaning in `.env.example`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import environ

from cursorapi import secret_files

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
    return secret_files.read_or_create(data_dir / "secret_key", lambda: secrets.token_urlsafe(50))


DATA_DIR = _data_dir()
SECRET_KEY = _secret_key(DATA_DIR)
# Django's debug mode (tracebacks with local variables, every route on a 404): development only.
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The original's DEBUG, which an old .env may carry: a debug log in DEBUG_LOG_FILE (under DATA_DIR),
# never Django's debug mode.
DEBUG_LOG = env.bool("DEBUG", default=False)
DEBUG_LOG_FILE = env.str("DEBUG_LOG_FILE", default="debug.log")
# The original's TZ: the time zone of log lines and /health's times (Django itself keeps UTC).
LOG_TZ = env.str("TZ", default="UTC")
# Error reports (DEBUG's 500 page) hide secret-looking variables and scrub credentials, DEBUG or not.
DEFAULT_EXCEPTION_REPORTER_FILTER = "cursorapi.debug_reports.ScrubbingReporterFilter"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Served over HTTPS (directly, or by a TLS proxy listed in TRUSTED_PROXIES): the admin's session
# and CSRF cookies are Secure, and its HTTPS answers carry HSTS for HSTS_SECONDS (0: none).
HTTPS = env.bool("HTTPS", default=False)
HSTS_SECONDS = env.int("HSTS_SECONDS", default=31536000)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = HSTS_SECONDS if HTTPS else 0
# Addresses or CIDR blocks of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are
# believed; empty: those headers are ignored (anyone could send them).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# Admin messages live in the session (the database), never in a cookie of their own.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

HOST = env.str("HOST", default="") or "0.0.0.0"  # empty (as in the original's .env.example): all
PORT = env.int("PORT", default=3000)
# Daphne processes for manage.py serve; 0: one per CPU core, at most 4. One process is one event
# loop on one core: at 50 concurrent streams a second worker about halved the added time to first
# token (bench/RESULTS.md).
WEB_WORKERS = env.int("WEB_WORKERS", default=0)

INSTALLED_APPS = [
    # Daphne first, so that `runserver` serves the ASGI application too.
    "daphne",
    "cursorapi.admin_config.CursorAdminConfig",  # django.contrib.admin with our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",  # the management API's OpenAPI schema (cursorapi/openapi.py)
    "drf_spectacular_sidecar",  # Swagger UI and Redoc assets, served locally
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
    "cursorapi.json_errors.JsonErrorsMiddleware",  # 404/405/500 as JSON, never Django's HTML pages
    "cursorapi.sqlite_guard.SqliteGuardMiddleware",  # before anything reads the database
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
            # mmap_size=0: the database file is read with read(), never memory-mapped, so a file
            # that turns unwritable or unreadable is an error code, not a SIGBUS that kills the worker.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=0;",
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
    "DEFAULT_PARSER_CLASSES": ["cursorapi.drf_parser.JsonBodyParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "cursorapi management API",
    "DESCRIPTION": "The original's token, proxy and key management routes (docs/management.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SECURITY": [{"bearer": []}],
    "APPEND_COMPONENTS": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "cursorapi.logtime.TzFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "level": env.str("LOG_LEVEL", default="INFO"),
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # httpx logs every request at INFO: too chatty for a proxy that makes one per chat. hpack and h2
    # log header values (tokens) at DEBUG: never, even in the debug log.
    "loggers": {
        "django.request": {"level": "ERROR"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "hpack": {"level": "WARNING"},
        "h2": {"level": "WARNING"},
        "django.db.backends": {"level": "INFO"},
    },
}
if DEBUG_LOG:
    LOGGING["handlers"]["debug_file"] = {  # type: ignore[index]
        "class": "logging.FileHandler",
        "filename": str(DATA_DIR / DEBUG_LOG_FILE),
        "formatter": "plain",
        "level": "DEBUG",
    }
    LOGGING["root"] = {"handlers": ["console", "debug_file"], "level": "DEBUG"}

# --- Service -------------------------------------------------------------------------------------
AUTH_TOKEN = env.str("AUTH_TOKEN", default="")
SHARED_TOKEN = env.str("SHARED_TOKEN", default="")
ROUTE_PREFIX = env.str("ROUTE_PREFIX", default="").rstrip("/")
# 0.3's REQUEST_BODY_LIMIT_MB (megabytes) still counts when REQUEST_BODY_LIMIT is not set.
REQUEST_BODY_LIMIT = env.int(
    "REQUEST_BODY_LIMIT", default=env.int("REQUEST_BODY_LIMIT_MB", default=0) * 1024 * 1024 or 2_000_000
)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_LIMIT
# What the HTTP server itself refuses before Django reads a request (cursorapi/http_limits.py):
# headers larger than this many bytes in total (431), headers not complete this many seconds after
# a request's first byte, or a body not complete this many seconds after its headers (408).
REQUEST_HEADER_LIMIT = env.int("REQUEST_HEADER_LIMIT", default=32 * 1024)
REQUEST_HEADER_TIMEOUT = env.float("REQUEST_HEADER_TIMEOUT", default=30.0)
REQUEST_BODY_TIMEOUT = env.float("REQUEST_BODY_TIMEOUT", default=60.0)
# Bytes of a streamed reply waiting for a client that does not read them; beyond, the connection is
# closed (the request counts as cancelled), so a slow reader cannot hold the server's memory. 0: off.
SLOW_CLIENT_BUFFER_BYTES = env.int("SLOW_CLIENT_BUFFER_BYTES", default=8 * 1024 * 1024)
# Deepest nesting of objects and arrays accepted in a JSON body (400 beyond); see docs/security.md.
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=64)

# --- Upstream (Cursor) ---------------------------------------------------------------------------
CURSOR_UPSTREAM = env.str("CURSOR_UPSTREAM", default="").rstrip("/")
CURSOR_CLIENT_VERSION = env.str("CURSOR_CLIENT_VERSION", default="2.3.21")
GENERAL_TIMEZONE = env.str("GENERAL_TIMEZONE", default="UTC")
GENERAL_GCPP_HOST = env.str("GENERAL_GCPP_HOST", default="Asia")
SERVICE_TIMEOUT = env.float("SERVICE_TIMEOUT", default=30.0)
UPSTREAM_READ_TIMEOUT = env.float("UPSTREAM_READ_TIMEOUT", default=120.0)
UPSTREAM_MAX_FRAME_BYTES = env.int("UPSTREAM_MAX_FRAME_BYTES", default=32 * 1024 * 1024)
# Per-process limits on calls to Cursor (docs/connections.md); beyond them a 503 with Retry-After.
UPSTREAM_MAX_CALLS = env.int("UPSTREAM_MAX_CALLS", default=2000)
UPSTREAM_MAX_CONNECTIONS = env.int("UPSTREAM_MAX_CONNECTIONS", default=64)
UPSTREAM_SHORT_CALL_RESERVE = env.int("UPSTREAM_SHORT_CALL_RESERVE", default=50)
UPSTREAM_SLOT_WAIT = env.float("UPSTREAM_SLOT_WAIT", default=2.0)
ALLOWED_PROVIDERS = env.list("ALLOWED_PROVIDERS", default=["auth0", "google-oauth2", "github"])
SAFE_HASH = env.bool("SAFE_HASH", default=True)

# --- Secrets at rest ----------------------------------------------------------------------------
# Cursor tokens are encrypted with a key derived from TOKEN_ENCRYPTION_KEY (else SECRET_KEY).
# To rotate: put the new key first and the old ones after it, comma-separated, then run
# `manage.py rotate_token_key`; drop the old keys afterwards.
# TOKEN_ENCRYPTION_KEY_FILE: a file holding the key(s) the same way, e.g. a mounted secret.
TOKEN_ENCRYPTION_KEY_FILE = env.str("TOKEN_ENCRYPTION_KEY_FILE", default="")
TOKEN_ENCRYPTION_KEYS = env.list("TOKEN_ENCRYPTION_KEY", default=[]) or (
    [k.strip() for k in Path(TOKEN_ENCRYPTION_KEY_FILE).read_text().split(",") if k.strip()]
    if TOKEN_ENCRYPTION_KEY_FILE
    else []
)
# Where the key in use is stored, for the start-up warning about a key kept beside the database.
TOKEN_KEY_STORED_AT: Path | None = None
if not TOKEN_ENCRYPTION_KEYS:
    TOKEN_ENCRYPTION_KEYS = [SECRET_KEY]
    if not env.str("SECRET_KEY", default=""):
        TOKEN_KEY_STORED_AT = DATA_DIR / "secret_key"
elif TOKEN_ENCRYPTION_KEY_FILE and not env.list("TOKEN_ENCRYPTION_KEY", default=[]):
    TOKEN_KEY_STORED_AT = Path(TOKEN_ENCRYPTION_KEY_FILE)

# --- Pool ---------------------------------------------------------------------------------------
TOKEN_COOLDOWN_SECONDS = env.float("TOKEN_COOLDOWN_SECONDS", default=60.0)
# Service-level failures (Cursor's 5xx, timeouts, dropped connections) in a row before a token rests.
TOKEN_SERVICE_FAILURES_BEFORE_REST = env.int("TOKEN_SERVICE_FAILURES_BEFORE_REST", default=3)

# --- Worker heartbeats (runtime/workers.py) ----------------------------------------------------
# Each server process stamps its heartbeat this often (0: off); a worker silent for
# WORKER_STALE_SECONDS is dead: its pending log records become `interrupted`, its session leases free.
WORKER_HEARTBEAT_SECONDS = env.float("WORKER_HEARTBEAT_SECONDS", default=2.0)
WORKER_STALE_SECONDS = env.float("WORKER_STALE_SECONDS", default=10.0)

# --- AI code tracking analytics (Cursor Admin API) ----------------------------------------------
CURSOR_ADMIN_API_KEY = env.str("CURSOR_ADMIN_API_KEY", default="")
ANALYTICS_SYNC_INTERVAL = env.int("ANALYTICS_SYNC_INTERVAL", default=0)  # seconds; 0 = off

# --- Chat ---------------------------------------------------------------------------------------
SSE_KEEPALIVE_S = env.float("SSE_KEEPALIVE_S", default=15.0)
THINKING_TAG = env.str("THINKING_TAG", default="")  # e.g. "think": thinking inline as <think>…</think>
VISION_ABILITY = env.str("VISION_ABILITY", default="base64")  # none / base64 / all
IMAGE_FETCH_MAX_BYTES = env.int("IMAGE_FETCH_MAX_BYTES", default=10 * 1024 * 1024)
# Images one request may carry (data and URLs), and the bytes all of its URL images may fetch.
IMAGE_MAX_PER_REQUEST = env.int("IMAGE_MAX_PER_REQUEST", default=20)
IMAGE_FETCH_MAX_TOTAL_BYTES = env.int("IMAGE_FETCH_MAX_TOTAL_BYTES", default=20 * 1024 * 1024)
# Let image URLs point at private and loopback addresses: only for tests and trusted networks.
IMAGE_FETCH_ALLOW_PRIVATE = env.bool("IMAGE_FETCH_ALLOW_PRIVATE", default=False)
DEFAULT_INSTRUCTIONS = env.str("DEFAULT_INSTRUCTIONS", default="")
LOG_CONTENT = env.bool("LOG_CONTENT", default=False)
# Fetch a token's profile (email, membership, usage) from Cursor as soon as it is added.
PROFILE_FETCH_ON_ADD = env.bool("PROFILE_FETCH_ON_ADD", default=True)
# The name in the admin's header and page titles.
ADMIN_SITE_TITLE = env.str("ADMIN_SITE_TITLE", default="cursorapi")
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
# How often the dashboard's hourly roll-ups of the log are brought up to date (seconds; 0: only
# `manage.py rollup_logs`). Without roll-ups the dashboard reads the log itself, slower on big logs.
LOG_ROLLUP_INTERVAL = env.int("LOG_ROLLUP_INTERVAL", default=120)
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
# Bytes of history (system prompt, stored turns, the request's turns) a session request sends upstream.
SESSION_MAX_HISTORY_BYTES = env.int("SESSION_MAX_HISTORY_BYTES", default=2 * 1024 * 1024)
SESSION_LEASE_SECONDS = env.int("SESSION_LEASE_SECONDS", default=900)  # a crashed request frees it after
# Seconds between evictions of expired sessions by the server itself; 0: only `cleanup_sessions`.
SESSION_CLEANUP_INTERVAL = env.int("SESSION_CLEANUP_INTERVAL", default=300)
# Stored /v1/responses (store: true) are kept this many seconds after creation; by default as long
# as an idle session. Cleaned by the same periodic job interval (SESSION_CLEANUP_INTERVAL).
RESPONSES_TTL = env.int("RESPONSES_TTL", default=SESSION_TTL)

# --- Migration from the Rust original (issue 17) ------------------------------------------------
# Seconds between fetches of Cursor's model list by the server's background job (the original's
# 30 minutes); 0: only `manage.py refresh_models`.
MODEL_REFRESH_INTERVAL = env.int("MODEL_REFRESH_INTERVAL", default=30 * 60)
# How Cursor's list combines with ours: truncate / append:truncate / append (runtime: raw_model_fetch_mode).
FETCH_RAW_MODELS = env.str("FETCH_RAW_MODELS", default="truncate")
# Accept model names we do not know and send them to Cursor as they are.
BYPASS_MODEL_VALIDATION = env.bool("BYPASS_MODEL_VALIDATION", default=False)
# Which name /v1/models lists as a model's id: id (Cursor's model name), server_id, client_id, or
# both (id and, where it differs, server_id). Any of a model's names is accepted in requests.
MODEL_ID_SOURCE = env.str("MODEL_ID_SOURCE", default="id")
# Fetch a token's profile (usage, plan) after a request with one of these models: none, default
# (every model but the free ones), all, or a comma list of model ids. Runtime: model_usage_checks.
USAGE_CHECK = env.str("USAGE_CHECK", default="none")
# Reverse proxies in front of Cursor: pool traffic (PRI) and dynamic-key traffic (PUB) go to this host
# (a host name, or a URL with scheme), with Cursor's real host in the `x-co` header.
PRI_REVERSE_PROXY_HOST = env.str("PRI_REVERSE_PROXY_HOST", default="")
PUB_REVERSE_PROXY_HOST = env.str("PUB_REVERSE_PROXY_HOST", default="")
# TCP keep-alive of connections to Cursor: idle seconds before probes, seconds between probes, probes.
TCP_KEEPALIVE = env.int("TCP_KEEPALIVE", default=60)
TCP_KEEPALIVE_INTERVAL = env.int("TCP_KEEPALIVE_INTERVAL", default=15)
TCP_KEEPALIVE_RETRIES = env.int("TCP_KEEPALIVE_RETRIES", default=5)
# HTTP/2 keep-alive, as the original's names: an idle pooled connection is checked after INTERVAL
# seconds and dropped when no answer comes within TIMEOUT (done with TCP probes, see docs/migrating.md);
# WHILE_IDLE=false closes idle connections after INTERVAL instead of keeping them.
HTTP2_KEEP_ALIVE_INTERVAL = env.int("HTTP2_KEEP_ALIVE_INTERVAL", default=30)
HTTP2_KEEP_ALIVE_TIMEOUT = env.int("HTTP2_KEEP_ALIVE_TIMEOUT", default=20)
HTTP2_KEEP_ALIVE_WHILE_IDLE = env.bool("HTTP2_KEEP_ALIVE_WHILE_IDLE", default=True)
# The OS Cursor is told the client runs on (R4's emulated_platform): Windows, macOS, Linux; empty: the
# caller's (x-stainless-os), else none. Runtime: emulated_platform.
EMULATED_PLATFORM = env.str("EMULATED_PLATFORM", default="")
# Where the system prompt goes in Cursor's request, as bits: 1 context, 2 repo context, 4 mode-specific.
CONTEXT_FILL_MODE = env.int("CONTEXT_FILL_MODE", default=1)
# The original's REAL_USAGE: Cursor's billed usage per request (tokens, cache, cents), matched from the
# account's usage events by a background job (chatlogs.billing) and shown as chain.usage in the logs.
REAL_USAGE = env.bool("REAL_USAGE", default=False)
REAL_USAGE_INTERVAL = env.float("REAL_USAGE_INTERVAL", default=15.0)  # seconds between passes
REAL_USAGE_WINDOW = env.int("REAL_USAGE_WINDOW", default=3600)  # seconds a request waits for its event
REAL_USAGE_PACE = env.float("REAL_USAGE_PACE", default=1.0)  # seconds between two accounts' lookups
# With REAL_USAGE, a stream whose client asked for usage (stream_options.include_usage) may hold its
# final usage chunk this many seconds at most for Cursor's billed numbers; 0: never (our estimate).
REAL_USAGE_WAIT = env.float("REAL_USAGE_WAIT", default=3.0)
# (section end: migration)
