"""The fault matrix: each upstream fault, both dialects, stream and not.

For every cell: what the client sees, the log record's final status, the token's health after
one occurrence, and nothing left pending. docs/reliability.md carries the same matrix as a table;
`test_the_documented_matrix_is_the_tested_one` keeps the two equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from chatlogs.models import ChatLog
from proxies.models import Proxy
from tests.api.helpers import last_log, post, sse_events, user
from tests.processes import free_port
from tokens.models import Token

MODEL = "claude-4.5-sonnet"
IN_BAND = "200 + error event"
DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


@dataclass(frozen=True)
class Fault:
    setup: str  # a `#fake:` directive, or what the test changes (shown in the doc's second column)
    plain: str  # what a non-streaming client sees
    stream: str  # what a streaming client sees
    log: str  # the record's final status
    token: str  # the token's health after one occurrence


OK1 = "ok, 1 failure"
FAULTS: dict[str, Fault] = {
    "error frame before the first chunk": Fault("`error=internal`", "502", "502", "failure", OK1),
    "error frame after 2 chunks": Fault(
        "`chunks=4 error_after=2 error=internal`", "502", IN_BAND, "failure", OK1
    ),
    "HTTP 5xx": Fault("`status=500`", "502", "502", "failure", OK1),
    "429 with a retry hint": Fault(
        "`status=429 retry_after=30`", "429", "429", "failure", "resting (account)"
    ),
    "401 (token revoked)": Fault("`status=401`", "502", "502", "failure", "invalid"),
    "403 not logged in": Fault("`status=403 error=not_logged_in`", "502", "502", "failure", "invalid"),
    "stall beyond the read timeout": Fault(
        "`stall_ms=1500`, read timeout 0.4 s", "504", "504", "failure", OK1
    ),
    "connection dropped mid-stream": Fault("`chunks=4 drop_after=2`", "502", IN_BAND, "failure", OK1),
    "malformed frame": Fault("`bad_frame=malformed`", "502", "502", "failure", OK1),
    "oversized frame": Fault("`bad_frame=oversized`", "502", "502", "failure", OK1),
    "gzip bomb": Fault("`bad_frame=gzip_bomb`", "502", "502", "failure", OK1),
    "the token's proxy down": Fault("token proxy on a closed port", "502", "502", "failure", OK1),
    "upstream host not resolving": Fault(
        "`CURSOR_UPSTREAM=https://cursor-upstream.invalid`", "502", "502", "failure", OK1
    ),
}


def _prepare(name: str, fault: Fault, token: Token, settings, fake) -> str:
    """Arrange the fault; returns the `#fake:` line for the message (empty when it is set up here)."""
    if name == "stall beyond the read timeout":
        settings.UPSTREAM_READ_TIMEOUT = 0.4
        return "#fake: stall_ms=1500"
    if name == "the token's proxy down":
        proxy = Proxy.objects.create(name="down", url=f"http://127.0.0.1:{free_port()}")
        Token.objects.filter(pk=token.pk).update(proxy=proxy)
        return ""
    if name == "upstream host not resolving":
        settings.CURSOR_UPSTREAM = "https://cursor-upstream.invalid"
        from cursorapi import upstream_client

        upstream_client.reset()
        return ""
    return f"#fake: {fault.setup.strip('`')}"


def _health(token: Token) -> str:
    token.refresh_from_db()
    if token.health == "invalid":
        return "invalid"
    if token.health == "cooling":
        return f"resting ({token.rest_reason})"
    return f"ok, {token.consecutive_failures} failure" if token.consecutive_failures else "ok"


def _seen(response, dialect: str, stream: bool) -> str:
    if response.status_code != 200 or not stream:
        return str(response.status_code)
    events = sse_events(response.text)
    if dialect == "anthropic":
        failed = any(name == "error" for name, _ in events)
        ended = events[-1][0] in ("error", "message_stop")
    else:
        failed = any('"error"' in data and data.startswith('{"error"') for _, data in events)
        ended = events[-1] == (None, "[DONE]")
    assert ended, "the stream must end with its terminator"
    return IN_BAND if failed else "200"


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("dialect", ["openai", "anthropic"])
@pytest.mark.parametrize("name", list(FAULTS))
def test_fault(name: str, dialect: str, stream: bool, live, pool_token, fake, settings) -> None:
    fault = FAULTS[name]
    text = "\n".join(filter(None, ["hello", _prepare(name, fault, pool_token, settings, fake)]))
    if dialect == "anthropic":
        payload = {"model": MODEL, "max_tokens": 100, "messages": user(text), "stream": stream}
        response = post(live.url, "/v1/messages", payload)
    else:
        payload = {"model": MODEL, "messages": user(text), "stream": stream}
        response = post(live.url, "/v1/chat/completions", payload)
    assert _seen(response, dialect, stream) == (fault.stream if stream else fault.plain), response.text[:300]
    if response.status_code == 429:
        assert response.headers["Retry-After"]
    if response.status_code >= 400:
        body = response.json()
        assert body["type"] == "error" if dialect == "anthropic" else "error" in body
    assert last_log().status == fault.log
    assert _health(pool_token) == fault.token
    assert not ChatLog.objects.filter(status="pending").exists()


def _documented() -> dict[str, tuple[str, ...]]:
    text = DOC.read_text()
    table = text.split("<!-- fault-matrix -->")[1]
    rows: dict[str, tuple[str, ...]] = {}
    for line in table.strip().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0] not in ("fault", "---") and not re.fullmatch(r"-+", cells[0]):
            rows[cells[0]] = tuple(cells[1:])
    return rows


def test_the_documented_matrix_is_the_tested_one() -> None:
    tested = {name: (f.setup, f.plain, f.stream, f.log, f.token) for name, f in FAULTS.items()}
    assert _documented() == tested
