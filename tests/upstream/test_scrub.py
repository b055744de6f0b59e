"""Secrets in upstream error text never reach a client or the log."""

from __future__ import annotations

import pytest

from cpp.tests.helpers import call, stream_request
from cursorapi.upstream import jwt
from cursorapi.upstream.scrub import scrub
from tests.api.helpers import last_log, post, user

JWT = jwt.mint()


@pytest.mark.parametrize(
    "text",
    [
        f"token {JWT} is expired",
        f"user_01ABCDEF%3A%3A{JWT}",
        "Authorization: Bearer abc.def-123_secret",
        "bad header x-cursor-checksum=zo9xKw1a" + "ab" * 32 + "/" + "cd" * 32,
        "unknown key sk-" + "Q" * 40,
        "client key " + "3d" * 32,
        'api_key: "hunter2hunter2"',
        "opaque " + "Zm9v" * 20,
    ],
)
def test_scrub_removes_credentials(text: str) -> None:
    cleaned = scrub(text)
    for secret in (JWT, "abc.def-123_secret", "ab" * 32, "Q" * 40, "3d" * 32, "hunter2", "Zm9v" * 20):
        assert secret not in cleaned


def test_plain_error_text_is_kept() -> None:
    text = "Pro user rate limit exceeded: try again in 30 seconds (model claude-4.5-sonnet, token expired)"
    assert scrub(text) == text


def test_a_chat_error_quoting_a_jwt_is_scrubbed(live, pool_token, fake) -> None:
    # The fake quotes a directive it cannot parse in its error detail, as Cursor quotes bad input.
    response = post(
        live.url,
        "/v1/chat/completions",
        {"model": "claude-4.5-sonnet", "messages": user(f'#fake: reply="{JWT}')},
    )
    assert response.status_code == 400 and "Bad #fake directive" in response.text
    assert JWT not in response.text and "[token]" in response.text
    assert JWT not in last_log().error
    stream = post(
        live.url,
        "/v1/messages",
        {
            "model": "claude-4.5-sonnet",
            "max_tokens": 5,
            "stream": True,
            "messages": user(f'#fake: reply="{JWT}'),
        },
    )
    assert JWT not in stream.text


def test_a_copilot_error_quoting_a_jwt_is_scrubbed(live, pool_token, fake) -> None:
    response = call(live, "/cpp/stream", stream_request(contents=f'#fake: edits="{JWT}\n', line=0))
    assert "directive" in response.text.lower() and JWT not in response.text
