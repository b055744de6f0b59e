"""A named key's analytics permission is looked up off the event loop: other requests go on meanwhile."""

from __future__ import annotations

import threading

import httpx

from cursorapi import auth
from tokens import keys


def test_other_requests_are_served_while_a_keys_analytics_lookup_waits(live, monkeypatch) -> None:
    _, secret = keys.create("analyst", analytics=True)
    entered, release = threading.Event(), threading.Event()
    real_lookup = auth._analytics_key

    def slow_lookup(digest: str) -> bool:
        entered.set()
        release.wait(20)  # the test lets it go once another request got through
        return real_lookup(digest)

    monkeypatch.setattr(auth, "_analytics_key", slow_lookup)
    result: dict[str, httpx.Response] = {}

    def analytics() -> None:
        result["response"] = httpx.get(
            f"{live.url}/analytics/ai-code/commits", headers={"Authorization": f"Bearer {secret}"}, timeout=30
        )

    caller = threading.Thread(target=analytics)
    caller.start()
    try:
        assert entered.wait(10), "the analytics request never looked its key up"
        # With the lookup waited for on the loop, nothing else would be answered until it ended.
        assert httpx.get(f"{live.url}/gen-uuid", timeout=5).status_code == 200
    finally:
        release.set()
        caller.join(30)
    assert result["response"].status_code == 200
    assert "data" in result["response"].json() or result["response"].json()
