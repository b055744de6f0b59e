"""Past the per-process upstream limits, callers get a 503 in their dialect's shape with Retry-After."""

from __future__ import annotations

import threading
import time

import httpx

from cpp.tests.helpers import call, stream_request
from tests.api.helpers import post, user
from tests.fixtures import AUTH, add_token

HOLD = "#fake: stall_ms=1500 reply=held"


def _hold(url: str, n: int) -> list[threading.Thread]:
    """`n` chat streams that stay open upstream for a while, each on its own thread."""

    def one() -> None:
        body = {"model": "claude-4.5-sonnet", "stream": True, "messages": user(HOLD)}
        with httpx.stream(
            "POST",
            f"{url}/v1/chat/completions",
            json=body,
            headers={"Authorization": f"Bearer {AUTH}"},
            timeout=20,
        ) as response:
            response.read()

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    return threads


def _wait_for_upstream_calls(fake, n: int) -> None:
    deadline = time.time() + 10
    while len(fake.requests_to("StreamUnifiedChatWithTools")) < n:
        assert time.time() < deadline, "the held streams never reached the fake"
        time.sleep(0.02)


def test_a_full_process_answers_503_with_retry_after_in_each_dialect(live, fake, settings) -> None:
    add_token("t1")
    settings.UPSTREAM_MAX_CALLS = 3
    settings.UPSTREAM_SHORT_CALL_RESERVE = 1
    settings.UPSTREAM_SLOT_WAIT = 0.1
    held = _hold(live.url, 2)
    try:
        _wait_for_upstream_calls(fake, 2)
        chat = {"model": "claude-4.5-sonnet", "messages": user("hi")}
        r = post(live.url, "/v1/chat/completions", chat)
        assert r.status_code == 503 and r.headers["Retry-After"] == "1"
        error = r.json()["error"]
        assert error["type"] == "overloaded_error" and error["code"] == "upstream_busy"
        assert "UPSTREAM_MAX_CALLS" in error["message"]

        r = post(
            live.url, "/v1/messages", {**chat, "max_tokens": 10}, headers={"anthropic-version": "2023-06-01"}
        )
        assert r.status_code == 503 and r.headers["Retry-After"] == "1"
        body = r.json()
        assert body["type"] == "error" and body["error"]["type"] == "overloaded_error"

        # A Copilot++ completion is short: it gets the place chat streams leave free.
        r = call(live, "/cpp/stream", stream_request(path="a.py", contents="x = 1\n", line=1))
        assert r.status_code == 200 and "stream_end" in r.text
    finally:
        for t in held:
            t.join(10)
    # Once the streams are done, calls go through again.
    assert (
        post(
            live.url, "/v1/chat/completions", {"model": "claude-4.5-sonnet", "messages": user("hi")}
        ).status_code
        == 200
    )


def test_copilot_gets_the_503_in_its_own_shape(live, fake, settings) -> None:
    add_token("t1")
    settings.UPSTREAM_MAX_CALLS = 2
    settings.UPSTREAM_SHORT_CALL_RESERVE = 0
    settings.UPSTREAM_SLOT_WAIT = 0.1
    held = _hold(live.url, 2)
    try:
        _wait_for_upstream_calls(fake, 2)
        r = call(live, "/cpp/models")
        assert r.status_code == 503 and r.headers["Retry-After"] == "1"
        assert r.json()["error"] == "upstream_busy" and r.json()["code"] == 503
    finally:
        for t in held:
            t.join(10)
