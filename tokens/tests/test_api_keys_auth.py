from __future__ import annotations

from cursorapi.auth import key_hash
from tests.api.helpers import post, user
from tokens.models import ApiKey


def test_a_named_key_can_chat_and_a_disabled_one_cannot(live, pool_token, fake) -> None:
    ApiKey.objects.create(name="alice", prefix="sk-alice", key_hash=key_hash("sk-alice-secret"))
    body = {"model": "claude-4.5-sonnet", "messages": user("hi")}
    assert post(live.url, "/v1/chat/completions", body, key="sk-alice-secret").status_code == 200
    ApiKey.objects.filter(name="alice").update(enabled=False)
    assert post(live.url, "/v1/chat/completions", body, key="sk-alice-secret").status_code == 401
