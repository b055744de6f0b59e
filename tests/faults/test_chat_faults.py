"""Every failure path of a chat, driven by the fake upstream's directives."""

from __future__ import annotations

import time

import httpx
import openai
import pytest

from tests.api.helpers import data_json, last_log, post, sse_events, user
from tests.fixtures import AUTH, add_token
from tokens.models import Health, Token

MODEL = "claude-4.5-sonnet"


def body(text: str, stream: bool = False) -> dict:
    return {"model": MODEL, "messages": user(text), "stream": stream}


@pytest.mark.parametrize("stream", [False, True])
def test_an_error_before_the_first_chunk_is_an_http_status(live, pool_token, fake, stream) -> None:
    response = post(live.url, "/v1/chat/completions", body("#fake: error=resource_exhausted", stream))
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["type"] == "rate_limit_error" and error["code"] == "rate_limited"
    assert "Resource exhausted" in error["message"]
    log = last_log()
    assert (log.status, log.http_status, log.token_alias) == ("failure", 429, "alpha")
    pool_token.refresh_from_db()
    assert pool_token.health == Health.COOLING and pool_token.cooldown_until is not None


def test_an_error_after_the_first_chunk_is_sent_in_band(live, pool_token, fake) -> None:
    response = post(
        live.url, "/v1/chat/completions", body("#fake: chunks=4 error_after=2 error=unavailable", True)
    )
    assert response.status_code == 200
    events = sse_events(response.text)
    assert events[-1] == (None, "[DONE]")
    chunks = data_json(events)
    assert [c["choices"][0]["delta"]["content"] for c in chunks[:2]] != []
    assert chunks[-1]["error"]["type"] == "overloaded_error"
    assert last_log().status == "failure"


def test_the_sdk_raises_on_an_in_band_error(openai_client, pool_token, fake) -> None:
    stream = openai_client.chat.completions.create(
        model=MODEL, messages=user("#fake: chunks=4 error_after=2 error=resource_exhausted"), stream=True
    )
    received = []
    with pytest.raises(openai.APIError, match="Resource exhausted"):
        for chunk in stream:
            received.append(chunk.choices[0].delta.content)
    assert len(received) == 2


@pytest.mark.parametrize(("status", "expected"), [(503, 503), (500, 502), (401, 502), (429, 429)])
def test_http_error_statuses_from_cursor(live, pool_token, fake, status, expected) -> None:
    response = post(live.url, "/v1/chat/completions", body(f"#fake: status={status}"))
    assert response.status_code == expected


def test_a_dropped_connection_mid_stream_is_reported_in_band(live, pool_token, fake) -> None:
    response = post(live.url, "/v1/chat/completions", body("#fake: chunks=4 drop_after=2", True))
    chunks = data_json(sse_events(response.text))
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks[:2])
    assert len(text) > 5 and "Fake Cursor reply to an empty message.".startswith(text)
    assert chunks[-1]["error"]["code"] == "upstream_error"
    assert response.text.endswith("data: [DONE]\n\n")
    assert last_log().status == "failure"


def test_a_stall_past_the_read_timeout_is_a_504(live, pool_token, fake, settings) -> None:
    settings.UPSTREAM_READ_TIMEOUT = 0.4
    for stream in (False, True):
        response = post(live.url, "/v1/chat/completions", body("#fake: stall_ms=1500", stream))
        assert response.status_code == 504
        assert response.json()["error"]["type"] == "timeout_error"


def test_keepalives_flow_while_cursor_is_silent(live, pool_token, fake, settings) -> None:
    settings.SSE_KEEPALIVE_S = 0.15
    response = post(live.url, "/v1/chat/completions", body("#fake: stall_ms=700 reply=late", True))
    events = sse_events(response.text)
    first_data = next(i for i, (name, _) in enumerate(events) if name != ":")
    assert first_data >= 2 and all(name == ":" for name, _ in events[:first_data])
    assert data_json(events)[0]["choices"][0]["delta"]["content"] == "late"


def test_an_invalid_token_fails_over_to_a_good_one(live, fake) -> None:
    bad = add_token("bad")
    good = add_token("good")
    fake.revoke(bad.primary_token)
    response = post(live.url, "/v1/chat/completions", body("hello"))
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "Fake Cursor reply to: hello"
    bearer = [r.headers["authorization"] for r in fake.requests_to("StreamUnifiedChatWithTools")]
    assert bearer == [f"Bearer {bad.primary_token}", f"Bearer {good.primary_token}"]
    bad.refresh_from_db()
    assert bad.health == Health.INVALID and "not_logged_in" in bad.last_error
    log = last_log()
    assert (log.status, log.attempts, log.token_alias) == ("success", 2, "good")
    # The invalid token is out of the rotation from now on.
    fake.clear()
    post(live.url, "/v1/chat/completions", body("again"))
    assert [r.headers["authorization"] for r in fake.requests_to("StreamUnifiedChatWithTools")] == [
        f"Bearer {good.primary_token}"
    ]


def test_failover_happens_once_and_reports_the_upstream_error(live, fake) -> None:
    for alias in ("a", "b", "c"):
        add_token(alias)
    response = post(live.url, "/v1/chat/completions", body("#fake: error=resource_exhausted"))
    assert response.status_code == 429
    assert len(fake.requests_to("StreamUnifiedChatWithTools")) == 2
    assert last_log().attempts == 2


def test_no_usable_token_is_a_503(live, fake) -> None:
    add_token("off", enabled=False)
    response = post(live.url, "/v1/chat/completions", body("hi"))
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "no_tokens"
    assert fake.received == []
    # The record is written after the lease (so as not to compete with it), failed leases included.
    log = last_log()
    assert (log.status, log.http_status, log.token_alias) == ("failure", 503, "")


def test_pinned_alias_uses_that_token_and_unknown_alias_is_404(live, fake) -> None:
    add_token("first")
    second = add_token("second")
    response = post(live.url, "/v1/chat/completions", body("hi"), key=f"{AUTH}-second")
    assert response.status_code == 200
    (seen,) = fake.requests_to("StreamUnifiedChatWithTools")
    assert seen.headers["authorization"] == f"Bearer {second.primary_token}"
    missing = post(live.url, "/v1/chat/completions", body("hi"), key=f"{AUTH}-nobody")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "alias_not_found"


def test_round_robin_spreads_requests_over_the_pool(live, fake) -> None:
    tokens = [add_token(alias) for alias in ("r1", "r2", "r3")]
    for _ in range(6):
        assert post(live.url, "/v1/chat/completions", body("hi")).status_code == 200
    used = [r.headers["authorization"] for r in fake.requests_to("StreamUnifiedChatWithTools")]
    assert sorted(used) == sorted(f"Bearer {t.primary_token}" for t in tokens for _ in range(2))


def test_a_client_disconnect_cancels_the_upstream_request(live, pool_token, fake) -> None:
    payload = body("#fake: chunks=30 delay_ms=100", True)
    with httpx.stream(
        "POST", f"{live.url}/v1/chat/completions", json=payload, headers={"Authorization": f"Bearer {AUTH}"}
    ) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                break
    _assert_cancelled_upstream_and_logged(fake)
    assert Token.objects.get().health == Health.OK


def _assert_cancelled_upstream_and_logged(fake) -> None:
    deadline = time.time() + 5
    while fake.cancelled_streams < 1 and time.time() < deadline:
        time.sleep(0.02)
    assert fake.cancelled_streams == 1
    log = last_log()
    assert (log.status, log.http_status) == ("cancelled", 499)
    assert log.total_ms < 2500  # well before the 3 s the full reply would take


def test_a_client_leaving_before_the_first_event_cancels_the_upstream_request(live, pool_token, fake) -> None:
    payload = body("#fake: stall_ms=3000", True)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{live.url}/v1/chat/completions",
            json=payload,
            headers={"Authorization": f"Bearer {AUTH}"},
            timeout=httpx.Timeout(5, read=0.4),
        )
    _assert_cancelled_upstream_and_logged(fake)
