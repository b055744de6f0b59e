"""The Rust original's environment variables: which we act on, and one warning at start for the rest.

An operator moving over copies the original's `.env`; every variable it may hold is either acted on
(ACTED_ON: name -> the setting that carries it) or named in one warning at start (IGNORED: name ->
why), so nothing is dropped without a word. tests/migration/test_original_env.py holds the list of
every variable of the original's 0.3 and 0.4 `.env.example` and checks each is in one of the two.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

log = logging.getLogger("cursorapi.migration")

# The client version our request shapes follow (cursorapi.chat.cursor_request).
PROTOCOL_CLIENT_VERSION = "2.3.21"

ACTED_ON: dict[str, str] = {
    "HOST": "HOST",
    "PORT": "PORT",
    "ROUTE_PREFIX": "ROUTE_PREFIX",
    "AUTH_TOKEN": "AUTH_TOKEN",
    "SHARED_TOKEN": "SHARED_TOKEN",
    "ENABLE_SLOW_POOL": "ENABLE_SLOW_POOL",
    "ENABLE_LONG_CONTEXT": "ENABLE_LONG_CONTEXT",
    "VISION_ABILITY": "VISION_ABILITY",
    "USAGE_CHECK": "USAGE_CHECK",
    "DYNAMIC_KEY": "DYNAMIC_KEY",
    "DYNAMIC_KEY_SECRET": "DYNAMIC_KEY_SECRET",
    "KEY_PREFIX": "KEY_PREFIX",
    "DEFAULT_INSTRUCTIONS": "DEFAULT_INSTRUCTIONS",
    "PRI_REVERSE_PROXY_HOST": "PRI_REVERSE_PROXY_HOST",
    "PUB_REVERSE_PROXY_HOST": "PUB_REVERSE_PROXY_HOST",
    "REQUEST_BODY_LIMIT": "REQUEST_BODY_LIMIT",
    "REQUEST_BODY_LIMIT_MB": "REQUEST_BODY_LIMIT",
    "DEBUG": "DEBUG_LOG",
    "DEBUG_LOG_FILE": "DEBUG_LOG_FILE",
    "REQUEST_LOGS_LIMIT": "REQUEST_LOGS_LIMIT",
    "TCP_KEEPALIVE": "TCP_KEEPALIVE",
    "TCP_KEEPALIVE_INTERVAL": "TCP_KEEPALIVE_INTERVAL",
    "TCP_KEEPALIVE_RETRIES": "TCP_KEEPALIVE_RETRIES",
    "HTTP2_KEEP_ALIVE_INTERVAL": "HTTP2_KEEP_ALIVE_INTERVAL",
    "HTTP2_KEEP_ALIVE_TIMEOUT": "HTTP2_KEEP_ALIVE_TIMEOUT",
    "HTTP2_KEEP_ALIVE_WHILE_IDLE": "HTTP2_KEEP_ALIVE_WHILE_IDLE",
    "SERVICE_TIMEOUT": "SERVICE_TIMEOUT",
    "INCLUDE_WEB_REFERENCES": "INCLUDE_WEB_REFERENCES",
    "DATA_DIR": "DATA_DIR",
    "GENERAL_TIMEZONE": "GENERAL_TIMEZONE",
    "GENERAL_GCPP_HOST": "GENERAL_GCPP_HOST",
    "CURSOR_CLIENT_VERSION": "CURSOR_CLIENT_VERSION",
    "THINKING_TAG": "THINKING_TAG",
    "SAFE_HASH": "SAFE_HASH",
    "ALLOWED_PROVIDERS": "ALLOWED_PROVIDERS",
    "FETCH_RAW_MODELS": "FETCH_RAW_MODELS",
    "BYPASS_MODEL_VALIDATION": "BYPASS_MODEL_VALIDATION",
    "MODEL_ID_SOURCE": "MODEL_ID_SOURCE",
    "CONTEXT_FILL_MODE": "CONTEXT_FILL_MODE",
    "TZ": "LOG_TZ",
    "REAL_USAGE": "REAL_USAGE",
}

_DEPRECATED = "deprecated in the original too: it no longer reads it"
IGNORED: dict[str, str] = {
    "HTTP2_ADAPTIVE_WINDOW": "our HTTP/2 client (httpx/h2) uses fixed flow-control windows",
    "CONFIG_FILE": "not read at start: import it once with `manage.py import_config FILE`",
    "FRONTEND_PATH": "no frontend bundle: the admin is at /admin/",
    "NTP_SERVERS": "the system clock is used (run an NTP client on the host)",
    "NTP_SYNC_INTERVAL_SECS": "the system clock is used",
    "NTP_SAMPLE_COUNT": "the system clock is used",
    "NTP_SAMPLE_INTERVAL_MS": "the system clock is used",
    "LOG_PEAK_RPS": "request logs are written by one batching thread; no buffer to size",
    "LOG_BUFFER_SECONDS": "request logs are written by one batching thread; no buffer to size",
    "LOG_DROP_ON_OVERLOAD": "not implemented in the original either",
    "DURATION_FORMAT": "/health reports uptime in seconds",
    "DURATION_LANGUAGE": "/health reports uptime in seconds",
    "REVERSE_PROXY_HOST": "0.3's early name: use PRI_REVERSE_PROXY_HOST / PUB_REVERSE_PROXY_HOST",
    "ENABLE_STREAM_CHECK": _DEPRECATED,
    "INCLUDE_STOP_REASON_STREAM": _DEPRECATED,
    "TOKEN_FILE": _DEPRECATED + "; import tokens with `manage.py import_tokens`",
    "TOKEN_LIST_FILE": _DEPRECATED + "; import tokens with `manage.py import_tokens`",
    "PASS_ANY_CLAUDE": _DEPRECATED + "; see BYPASS_MODEL_VALIDATION",
    "PROXIES": _DEPRECATED + "; use /proxies/* or `manage.py import_proxies`",
    "TOKEN_DELIMITER": _DEPRECATED,
    "USE_COMMA_DELIMITER": _DEPRECATED,
    "LOGS_FILE_PATH": _DEPRECATED,
    "PAGES_FILE_PATH": _DEPRECATED,
    "MAX_EMPTY_STREAM_COUNT": _DEPRECATED,
    "USE_OFFICIAL_CLAUDE_PROMPTS": _DEPRECATED,
    "DISABLE_HTTP2": "Cursor's API needs HTTP/2 for streaming; it stays on",
    "TOKEN_SHORT_VALIDITY": _DEPRECATED,
    "TOKEN_LONG_VALIDITY": _DEPRECATED,
}


def ignored_in(environ: Mapping[str, str]) -> list[str]:
    """The original's variables set (non-empty) here that we do not act on."""
    return sorted(name for name in IGNORED if environ.get(name, "").strip())


def _version(text: str) -> tuple[int, ...] | None:
    parts = text.strip().split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)


def version_warning(client_version: str) -> str | None:
    have, speak = _version(client_version), _version(PROTOCOL_CLIENT_VERSION)
    if have is None or speak is None or have >= speak:
        return None
    return (
        f"CURSOR_CLIENT_VERSION={client_version} is older than the client whose protocol we speak "
        f"({PROTOCOL_CLIENT_VERSION}); Cursor may refuse or degrade such clients. Remove it to use "
        f"{PROTOCOL_CLIENT_VERSION}."
    )


def startup_warnings(environ: Mapping[str, str] | None = None, client_version: str = "") -> list[str]:
    environ = os.environ if environ is None else environ
    warnings = []
    names = ignored_in(environ)
    if names:
        listed = "; ".join(f"{name} ({IGNORED[name]})" for name in names)
        warnings.append(f"variables of the Rust original that we read but do not act on: {listed}")
    if problem := version_warning(client_version):
        warnings.append(problem)
    return warnings


_warned = False


def warn_once() -> None:
    global _warned
    if _warned:
        return
    _warned = True
    from django.conf import settings

    for message in startup_warnings(client_version=settings.CURSOR_CLIENT_VERSION):
        log.warning(message)
