"""Settings copied from the original's .env: each variable acted on, or named in one warning at start."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cursorapi import original_env
from tests.api.helpers import chat_request, post, user

ROOT = Path(__file__).resolve().parents[2]

# Every variable of the original's 0.3 `.env.example` (zhengwenj/cursor-api, 0.3.6 and its earlier
# revisions) and the variables its code reads that the file leaves out, written from their source.
R3_ENV = [
    "HOST",
    "PORT",
    "ROUTE_PREFIX",
    "AUTH_TOKEN",
    "SHARED_TOKEN",
    "ENABLE_STREAM_CHECK",
    "INCLUDE_STOP_REASON_STREAM",
    "TOKEN_FILE",
    "TOKEN_LIST_FILE",
    "ENABLE_SLOW_POOL",
    "PASS_ANY_CLAUDE",
    "ENABLE_LONG_CONTEXT",
    "VISION_ABILITY",
    "USAGE_CHECK",
    "DYNAMIC_KEY",
    "KEY_PREFIX",
    "DEFAULT_INSTRUCTIONS",
    "REVERSE_PROXY_HOST",
    "PRI_REVERSE_PROXY_HOST",
    "PUB_REVERSE_PROXY_HOST",
    "PROXIES",
    "REQUEST_BODY_LIMIT",
    "REQUEST_BODY_LIMIT_MB",
    "TOKEN_DELIMITER",
    "USE_COMMA_DELIMITER",
    "DEBUG",
    "DEBUG_LOG_FILE",
    "REQUEST_LOGS_LIMIT",
    "TCP_KEEPALIVE",
    "SERVICE_TIMEOUT",
    "INCLUDE_WEB_REFERENCES",
    "LOGS_FILE_PATH",
    "PAGES_FILE_PATH",
    "DATA_DIR",
    "GENERAL_TIMEZONE",
    "MAX_EMPTY_STREAM_COUNT",
    "USE_OFFICIAL_CLAUDE_PROMPTS",
    "REAL_USAGE",
    "SAFE_HASH",
    "FETCH_RAW_MODELS",
    "GENERAL_GCPP_HOST",
    "CURSOR_CLIENT_VERSION",
    "THINKING_TAG",
    "ALLOWED_PROVIDERS",
    "BYPASS_MODEL_VALIDATION",
    "TZ",
    "DISABLE_HTTP2",
    "TOKEN_SHORT_VALIDITY",
    "TOKEN_LONG_VALIDITY",
]
# Every variable of the original's 0.4 `.env.example` (0.4.0-pre.22).
R4_ENV = [
    "HOST",
    "PORT",
    "ROUTE_PREFIX",
    "AUTH_TOKEN",
    "SHARED_TOKEN",
    "ENABLE_STREAM_CHECK",
    "INCLUDE_STOP_REASON_STREAM",
    "TOKEN_FILE",
    "TOKEN_LIST_FILE",
    "ENABLE_SLOW_POOL",
    "PASS_ANY_CLAUDE",
    "ENABLE_LONG_CONTEXT",
    "VISION_ABILITY",
    "USAGE_CHECK",
    "DYNAMIC_KEY",
    "DYNAMIC_KEY_SECRET",
    "KEY_PREFIX",
    "DEFAULT_INSTRUCTIONS",
    "PRI_REVERSE_PROXY_HOST",
    "PUB_REVERSE_PROXY_HOST",
    "PROXIES",
    "REQUEST_BODY_LIMIT",
    "TOKEN_DELIMITER",
    "USE_COMMA_DELIMITER",
    "DEBUG",
    "DEBUG_LOG_FILE",
    "REQUEST_LOGS_LIMIT",
    "TCP_KEEPALIVE",
    "TCP_KEEPALIVE_INTERVAL",
    "TCP_KEEPALIVE_RETRIES",
    "HTTP2_ADAPTIVE_WINDOW",
    "HTTP2_KEEP_ALIVE_INTERVAL",
    "HTTP2_KEEP_ALIVE_TIMEOUT",
    "HTTP2_KEEP_ALIVE_WHILE_IDLE",
    "SERVICE_TIMEOUT",
    "INCLUDE_WEB_REFERENCES",
    "LOGS_FILE_PATH",
    "PAGES_FILE_PATH",
    "DATA_DIR",
    "GENERAL_TIMEZONE",
    "MAX_EMPTY_STREAM_COUNT",
    "USE_OFFICIAL_CLAUDE_PROMPTS",
    "DISABLE_HTTP2",
    "CURSOR_CLIENT_VERSION",
    "THINKING_TAG",
    "REAL_USAGE",
    "SAFE_HASH",
    "FETCH_RAW_MODELS",
    "GENERAL_GCPP_HOST",
    "TOKEN_SHORT_VALIDITY",
    "TOKEN_LONG_VALIDITY",
    "ALLOWED_PROVIDERS",
    "BYPASS_MODEL_VALIDATION",
    "MODEL_ID_SOURCE",
    "CONTEXT_FILL_MODE",
    "FRONTEND_PATH",
    "NTP_SERVERS",
    "NTP_SYNC_INTERVAL_SECS",
    "NTP_SAMPLE_COUNT",
    "NTP_SAMPLE_INTERVAL_MS",
    "LOG_PEAK_RPS",
    "LOG_BUFFER_SECONDS",
    "LOG_DROP_ON_OVERLOAD",
    "DURATION_FORMAT",
    "DURATION_LANGUAGE",
    "CONFIG_FILE",
]
# Every key of the original's 0.4 example config.toml.
R4_TOML = [
    "share_token",
    "slow_pool_enabled",
    "long_context_enabled",
    "vision_ability",
    "model_usage_checks",
    "dynamic_key_secret",
    "web_references_included",
    "raw_model_fetch_mode",
    "emulated_platform",
    "cursor_client_version",
]


def test_every_variable_of_the_original_is_acted_on_or_warned_about(settings) -> None:
    for name in sorted(set(R3_ENV) | set(R4_ENV)):
        acted, ignored = name in original_env.ACTED_ON, name in original_env.IGNORED
        assert acted != ignored, f"{name}: acted on {acted}, warned about {ignored}"
        if acted:
            assert hasattr(settings, original_env.ACTED_ON[name]), name
    # The lists hold nothing the original does not have (a typo would hide a missing variable).
    assert set(original_env.ACTED_ON) | set(original_env.IGNORED) == set(R3_ENV) | set(R4_ENV)


def test_every_key_of_the_originals_config_toml_is_a_runtime_setting() -> None:
    from runtime import config, toml_config

    assert set(R4_TOML) <= set(config.KEYS)
    assert list(toml_config.R4_KEYS) == R4_TOML


def _run(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("REQUEST_BODY_LIMIT", "DEBUG", "TZ")}
    environ.update({"DATA_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_old_env_at_start(tmp_path: Path) -> None:
    code = (
        "import logging; from django.conf import settings; "
        "print(settings.DEBUG, settings.DEBUG_LOG, settings.REQUEST_BODY_LIMIT, settings.HOST); "
        "logging.getLogger('cursorapi.test').debug('a debug line'); "
        "logging.getLogger('cursorapi.test').warning('a warning line')"
    )
    done = _run(
        code,
        tmp_path,
        DEBUG="true",
        TZ="Asia/Shanghai",
        NTP_SERVERS="time.cloudflare.com",
        TOKEN_FILE=".token",
        CURSOR_CLIENT_VERSION="1.0.0",
        REQUEST_BODY_LIMIT_MB="3",
        HOST="",
    )
    assert done.returncode == 0, done.stderr
    # DEBUG=true is the original's debug log, not Django's debug mode.
    assert done.stdout.strip().splitlines()[-1].split() == ["False", "True", str(3 * 1024 * 1024), "0.0.0.0"]
    assert "a debug line" in (tmp_path / "debug.log").read_text()
    warnings = [line for line in done.stderr.splitlines() if "do not act on" in line]
    assert len(warnings) == 1 and "NTP_SERVERS" in warnings[0] and "TOKEN_FILE" in warnings[0]
    assert "CURSOR_CLIENT_VERSION=1.0.0 is older" in done.stderr
    # TZ: log lines carry the zone's offset.
    line = next(line for line in done.stderr.splitlines() if "a warning line" in line)
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00 WARNING", line), line


CHAT_BODIES = {
    "/v1/chat/completions": {"model": "gpt-5.1", "messages": user("hi")},
    "/v1/messages": {"model": "gpt-5.1", "messages": user("hi"), "max_tokens": 5},
    "/v1/responses": {"model": "gpt-5.1", "input": "hi", "store": False},
}


@pytest.mark.parametrize("route", list(CHAT_BODIES))
def test_default_instructions_current_date_time(live, pool_token, fake, settings, route) -> None:
    settings.DEFAULT_INSTRUCTIONS = "Now is {{currentDateTime}}."
    settings.GENERAL_TIMEZONE = "Asia/Shanghai"
    assert post(live.url, route, CHAT_BODIES[route]).status_code == 200
    context = chat_request(fake).explicit_context.context
    assert re.fullmatch(r"Now is \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00\.", context), context


def test_context_fill_mode(live, pool_token, fake, settings) -> None:
    settings.CONTEXT_FILL_MODE = 6
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    post(live.url, "/v1/chat/completions", {"model": "gpt-5.1", "messages": messages})
    context = chat_request(fake).explicit_context
    assert context.context == "" and context.repo_context == context.mode_specific_context == "Be brief."


def test_private_reverse_proxy_host_with_x_co(live, pool_token, fake, settings) -> None:
    settings.PRI_REVERSE_PROXY_HOST = settings.CURSOR_UPSTREAM  # the fake stands in for the proxy
    settings.CURSOR_UPSTREAM = "http://127.0.0.1:9"  # nothing listens: only the proxy can answer
    assert (
        post(live.url, "/v1/chat/completions", {"model": "gpt-5.1", "messages": user("hi")}).status_code
        == 200
    )
    (seen,) = fake.requests_to("StreamUnifiedChatWithTools")
    assert seen.headers["x-co"] == "api2.cursor.sh"


def test_usage_check_refreshes_the_profile_after_use(live, pool_token, fake, settings) -> None:
    from tokens import usage_check

    usage_check._last.clear()
    post(live.url, "/v1/chat/completions", {"model": "gpt-5.1", "messages": user("hi")})
    time.sleep(0.3)
    assert fake.requests_to("full_stripe_profile") == []  # the default: none
    settings.USAGE_CHECK = "cursor-small,gpt-5.1"
    post(live.url, "/v1/chat/completions", {"model": "claude-4.5-sonnet", "messages": user("hi")})
    post(live.url, "/v1/chat/completions", {"model": "gpt-5.1", "messages": user("hi")})
    deadline = time.monotonic() + 10
    while not fake.requests_to("full_stripe_profile") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(fake.requests_to("full_stripe_profile")) == 1


def test_keepalive_settings_reach_the_connection_pool(settings) -> None:
    from cursorapi import upstream_client

    settings.TCP_KEEPALIVE, settings.HTTP2_KEEP_ALIVE_INTERVAL = 90, 30
    settings.TCP_KEEPALIVE_INTERVAL, settings.TCP_KEEPALIVE_RETRIES, settings.HTTP2_KEEP_ALIVE_TIMEOUT = (
        15,
        5,
        20,
    )
    assert upstream_client._keepalive() == (30, 4, 5)  # dead after about 30 + 20 s, as HTTP/2 keep-alive
    settings.HTTP2_KEEP_ALIVE_WHILE_IDLE = False
    assert upstream_client._config().idle_expiry == 30


def test_health_reports_the_originals_debug(live, settings) -> None:
    settings.DEBUG_LOG = True
    assert httpx.get(f"{live.url}/health").json()["service"]["is_debug"] is True
