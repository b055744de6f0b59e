"""Copilot++ and file sync hold named keys to their model list and budget, and every call is in
the request log as dialect `cpp`, filterable in /logs/get."""

from __future__ import annotations

from cpp.tests.helpers import call, stream_request
from cursorapi.auth import key_hash
from tests.api.helpers import post
from tests.fixtures import AUTH
from tokens.models import ApiKey


def _key(secret: str, **fields) -> ApiKey:
    return ApiKey.objects.create(name=secret, prefix=secret[:8], key_hash=key_hash(secret), **fields)


def _cpp_logs(live, key: str = AUTH) -> list[dict]:
    from chatlogs import writer

    writer.flush()
    response = post(live.url, "/logs/get", {"query": {"dialect": "cpp"}}, key=key)
    assert response.status_code == 200, response.text
    return response.json()["logs"]


def test_a_key_without_cpp_in_its_model_list_is_refused(live, pool_token, fake) -> None:
    _key("sk-chat-only", allowed_models=["claude-4.5-sonnet"])
    refused = call(live, "/cpp/config", {"model": "fast"}, auth="sk-chat-only")
    assert refused.status_code == 403 and "cpp" in refused.json()["message"]
    assert call(live, "/file/upload", {"uuid": "u"}, auth="sk-chat-only").status_code == 403
    assert fake.requests_to("AiService/CppConfig") == []
    _key("sk-editor", allowed_models=["cpp"])
    assert call(live, "/cpp/config", {"model": "fast"}, auth="sk-editor").status_code == 200


def test_a_keys_daily_budget_counts_cpp_calls(live, pool_token, fake) -> None:
    _key("sk-tab", daily_request_limit=2)
    assert call(live, "/cpp/config", {"model": "fast"}, auth="sk-tab").status_code == 200
    stream = call(live, "/cpp/stream", stream_request(contents="x = 1\n", line=0), auth="sk-tab")
    assert stream.status_code == 200
    over = call(live, "/cpp/models", auth="sk-tab")
    assert over.status_code == 429 and over.json()["error"] == "rate_limit_error"


def test_each_call_is_logged_and_filterable(live, pool_token, fake) -> None:
    key = _key("sk-logged")
    assert call(live, "/cpp/config", {"model": "fast"}, auth="sk-logged").status_code == 200
    assert (
        call(live, "/cpp/stream", stream_request(contents="y = 2\n", line=0), auth="sk-logged").status_code
        == 200
    )
    post(
        live.url,
        "/v1/chat/completions",
        {"model": "claude-4.5-sonnet", "messages": [{"role": "user", "content": "hi"}]},
    )
    logs = _cpp_logs(live)
    assert [(log["model"], log["stream"], log["status"]) for log in logs] == [
        ("cpp/config", False, "success"),
        ("cpp/stream", True, "success"),
    ]
    assert all(log["dialect"] == "cpp" and log["http_status"] == 200 for log in logs)
    # The key sees its own cpp calls.
    assert len(_cpp_logs(live, key="sk-logged")) == 2
    from chatlogs.models import ChatLog

    assert ChatLog.objects.filter(dialect="cpp", api_key=key).count() == 2


def test_a_failed_call_is_logged_as_a_failure(live, fake) -> None:
    assert call(live, "/cpp/config", {"model": "fast"}).status_code == 503  # no account in the pool
    (log,) = _cpp_logs(live)
    assert log["status"] == "failure" and log["http_status"] == 503
