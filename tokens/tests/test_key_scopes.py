"""What a named key may read besides chat: analytics when allowed, and only its own logs."""

from __future__ import annotations

import httpx

from tests.api.helpers import last_log, post, user
from tests.fixtures import AUTH
from tokens import keys


def _get(url: str, key: str) -> httpx.Response:
    return httpx.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=10)


def test_analytics_takes_keys_with_the_scope(live) -> None:
    _, allowed = keys.create("analyst", analytics=True)
    _, plain = keys.create("dev")
    url = f"{live.url}/analytics/ai-code/commits"
    assert _get(url, allowed).status_code == 200
    assert _get(url, plain).status_code == 401
    assert _get(url, "sk-unknown").status_code == 401
    assert _get(url, AUTH).status_code == 200


def test_a_key_sees_only_its_own_logs(live, pool_token, fake) -> None:
    _, mine = keys.create("mine")
    _, theirs = keys.create("theirs")
    body = {"model": "claude-4.5-sonnet", "messages": user("hi")}
    assert post(live.url, "/v1/chat/completions", body, key=mine).status_code == 200
    own = last_log()
    assert post(live.url, "/v1/chat/completions", body, key=theirs).status_code == 200
    last_log()
    seen = post(live.url, "/logs/get", {"query": {}}, key=mine).json()
    assert seen["total"] == 1 and len(seen["logs"]) == 1
    assert post(live.url, "/logs/get", {"query": {}}).json()["total"] == 2
    assert own.api_key_id is not None
