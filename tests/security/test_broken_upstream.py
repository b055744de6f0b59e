"""Cursor answering bytes that do not decode: an upstream failure (502 or in-band), never a 500."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.api.helpers import last_log, post, sse_events, user
from tests.fixtures import AUTH

MODEL = "claude-4.5-sonnet"


def test_count_tokens_with_a_reply_that_does_not_decode_is_a_502(live, pool_token, fake) -> None:
    fake.garbled_unary = {"GetPromptDryRun"}
    response = post(live.url, "/v1/messages/count_tokens", {"model": MODEL, "messages": user("hi")})
    assert response.status_code == 502, response.text[:300]
    body = response.json()
    assert body["type"] == "error" and body["error"]["type"] == "api_error"
    assert "does not decode" in body["error"]["message"]


def test_a_models_refresh_that_does_not_decode_keeps_the_last_list(live, pool_token, fake) -> None:
    """The periodic refresh (runtime.model_refresh, off the request path) fails cleanly."""
    from runtime import model_refresh

    before = httpx.get(f"{live.url}/v1/models", headers={"Authorization": f"Bearer {AUTH}"}).json()["data"]
    fake.garbled_unary = {"AiService/AvailableModels"}
    with pytest.raises(model_refresh.RefreshFailed, match="DecodeError"):
        model_refresh.refresh()
    assert len(fake.requests_to("AiService/AvailableModels")) == 1  # it was asked, and failed
    response = httpx.get(f"{live.url}/v1/models", headers={"Authorization": f"Bearer {AUTH}"})
    assert response.status_code == 200 and response.json()["data"] == before


def test_the_garble_control_endpoint(live, fake) -> None:
    response = httpx.post(f"{fake_url()}/__fake__/garble", json={"paths": ["GetPromptDryRun"]})
    assert response.status_code == 200
    assert fake.garbled_unary == {"GetPromptDryRun"}


def fake_url() -> str:
    from django.conf import settings

    return settings.CURSOR_UPSTREAM


def test_a_reply_made_of_frames_that_do_not_decode_is_a_502_logged_as_failure(live, pool_token, fake) -> None:
    response = post(live.url, "/v1/chat/completions", {"model": MODEL, "messages": user("#fake: garbage=1")})
    assert response.status_code == 502, response.text[:300]
    assert response.json()["error"]["code"] == "upstream_error"
    assert "does not decode" in response.json()["error"]["message"]
    assert last_log().status == "failure"


def test_a_stream_of_frames_that_do_not_decode_fails_before_it_starts(live, pool_token, fake) -> None:
    payload = {"model": MODEL, "max_tokens": 50, "stream": True, "messages": user("#fake: garbage=1")}
    response = post(live.url, "/v1/messages", payload)
    assert response.status_code == 502
    assert response.json()["type"] == "error" and "does not decode" in response.json()["error"]["message"]
    assert last_log().status == "failure"


def test_frames_that_do_not_decode_after_content_end_the_stream_with_an_in_band_error(
    live, pool_token, fake
) -> None:
    # Thinking frames come first and decode: the stream has started when the broken text arrives.
    directive = '#fake: thinking="let me see" garbage=1'
    payload = {"model": MODEL, "stream": True, "messages": user(directive)}
    response = post(live.url, "/v1/chat/completions", payload)
    assert response.status_code == 200
    errors = [json.loads(data) for name, data in sse_events(response.text) if data.startswith('{"error"')]
    assert errors and "does not decode" in errors[0]["error"]["message"], response.text[-500:]
    assert last_log().status == "failure"
