"""A bug or a database failure inside a chat: a JSON error, or an in-band error event and the end.

The faults are injected into the in-process server (a bug cannot be asked of the fake upstream);
the client side is plain HTTP.
"""

from __future__ import annotations

import pytest
from django.db import OperationalError

from tests.api.helpers import last_log, post, sse_events, user

MODEL = "claude-4.5-sonnet"


def chat(live, text: str, *, dialect: str, stream: bool):
    if dialect == "anthropic":
        payload = {"model": MODEL, "max_tokens": 100, "messages": user(text), "stream": stream}
        return post(live.url, "/v1/messages", payload)
    return post(live.url, "/v1/chat/completions", {"model": MODEL, "messages": user(text), "stream": stream})


def _bug(*args, **kwargs):
    raise RuntimeError("a bug with a secret-looking text sk-123")


@pytest.mark.parametrize("dialect", ["openai", "anthropic"])
def test_a_bug_mid_stream_ends_the_stream_with_an_error_event(live, pool_token, fake, monkeypatch, dialect):
    # StreamDecoder.finish runs after the reply's text went out: the headers are gone by then.
    monkeypatch.setattr("cursorapi.chat.service.StreamDecoder.finish", _bug)
    response = chat(live, "#fake: reply=abcdef chunks=3", dialect=dialect, stream=True)
    assert response.status_code == 200
    events = sse_events(response.text)
    if dialect == "anthropic":
        name, data = events[-1]
        assert name == "error" and '"api_error"' in data
    else:
        assert events[-1] == (None, "[DONE]") and '"internal_error"' in events[-2][1]
    assert "sk-123" not in response.text
    log = last_log()
    assert (log.status, log.http_status) == ("failure", 500)


@pytest.mark.parametrize("dialect", ["openai", "anthropic"])
def test_a_bug_before_the_reply_is_a_json_500(live, pool_token, fake, monkeypatch, dialect) -> None:
    monkeypatch.setattr("cursorapi.chat.service.StreamDecoder.finish", _bug)
    response = chat(live, "hi", dialect=dialect, stream=False)
    assert response.status_code == 500
    body = response.json()
    assert (body["error"]["type"]) == "api_error" and "sk-123" not in response.text
    assert last_log().status == "failure"


@pytest.mark.parametrize("dialect", ["openai", "anthropic"])
@pytest.mark.parametrize("stream", [False, True])
def test_the_database_failing_in_a_chat_is_a_json_503(live, pool_token, fake, monkeypatch, dialect, stream):
    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("tokens.services.lease_for", locked)
    response = chat(live, "hi", dialect=dialect, stream=stream)
    assert response.status_code == 503 and response.headers["Retry-After"]
    error = response.json()["error"]
    assert error["type"] == "overloaded_error" and "locked" not in error["message"]
    assert fake.received == []
