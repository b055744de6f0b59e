"""A named key's model list and daily budget, and its last-used time, through the chat routes."""

from __future__ import annotations

from cursorapi.auth import key_hash
from tests.api.helpers import last_log, post, user
from tokens.models import ApiKey


def test_a_key_is_held_to_its_models_and_daily_budget(live, pool_token, fake) -> None:
    key = ApiKey.objects.create(
        name="carol",
        prefix="sk-carol",
        key_hash=key_hash("sk-carol-1"),
        allowed_models=["claude-4.5-sonnet"],
        daily_request_limit=2,
    )
    body = {"model": "claude-4.5-sonnet", "messages": user("hi")}
    assert post(live.url, "/v1/chat/completions", body, key="sk-carol-1").status_code == 200
    assert last_log().api_key_id == key.pk
    other = post(live.url, "/v1/chat/completions", {**body, "model": "gpt-5.1"}, key="sk-carol-1")
    assert other.status_code == 403 and "gpt-5.1" in other.json()["error"]["message"]
    anthropic = post(live.url, "/v1/messages", {**body, "max_tokens": 5}, key="sk-carol-1")
    assert anthropic.status_code == 200
    last_log()
    over = post(live.url, "/v1/chat/completions", body, key="sk-carol-1")
    assert over.status_code == 429 and "2 requests" in over.json()["error"]["message"]
    key.refresh_from_db()
    assert key.last_used_at is not None
    # Other callers are not limited.
    assert post(live.url, "/v1/chat/completions", {**body, "model": "gpt-5.1"}).status_code == 200
