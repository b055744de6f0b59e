"""A named key's daily budget holds under parallel requests, and a request that never reaches
Cursor gives its slot back."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from cursorapi.auth import key_hash
from tests.api.helpers import post, user
from tests.fixtures import add_token
from tokens.models import ApiKey, ApiKeyDailyUse

BODY = {"model": "claude-4.5-sonnet", "messages": user("hi")}
# Every chat route reserves from the same budget.
ROUTES = {
    "/v1/chat/completions": BODY,
    "/v1/messages": {**BODY, "max_tokens": 5},
    "/v1/responses": {"model": "claude-4.5-sonnet", "input": "hi", "store": False},
}


def _key(limit: int) -> ApiKey:
    return ApiKey.objects.create(
        name="dave", prefix="sk-dave", key_hash=key_hash("sk-dave-1"), daily_request_limit=limit
    )


@pytest.mark.parametrize("route", list(ROUTES))
def test_ten_parallel_requests_on_a_budget_of_three_admit_exactly_three(
    live, pool_token, fake, route
) -> None:
    key = _key(3)
    with ThreadPoolExecutor(10) as threads:
        statuses = list(
            threads.map(
                lambda _: post(live.url, route, ROUTES[route], key="sk-dave-1").status_code, range(10)
            )
        )
    assert sorted(statuses) == [200] * 3 + [429] * 7
    assert ApiKeyDailyUse.objects.get(api_key=key).requests == 3


def test_a_request_that_never_reaches_cursor_gives_its_slot_back(live, fake) -> None:
    key = _key(1)
    for _ in range(3):  # no account in the pool: nothing is sent upstream
        assert post(live.url, "/v1/chat/completions", BODY, key="sk-dave-1").status_code == 503
    assert ApiKeyDailyUse.objects.get(api_key=key).requests == 0
    add_token()
    assert post(live.url, "/v1/messages", {**BODY, "max_tokens": 5}, key="sk-dave-1").status_code == 200
    assert post(live.url, "/v1/chat/completions", BODY, key="sk-dave-1").status_code == 429


def test_a_busy_session_gives_its_slot_back(live, pool_token, fake) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from chatsessions.models import ChatSession
    from chatsessions.services import owner_of
    from cursorapi.auth import Caller

    key = _key(1)
    now = timezone.now()
    ChatSession.objects.create(
        session_id="held",
        owner=owner_of(Caller("key", api_key_id=key.pk)),
        created_at=now,
        last_used_at=now,
        lease_until=now + timedelta(minutes=5),
    )
    headers = {"X-Cursor-Session-ID": "held"}
    assert post(live.url, "/v1/chat/completions", BODY, key="sk-dave-1", headers=headers).status_code == 409
    assert post(live.url, "/v1/chat/completions", BODY, key="sk-dave-1").status_code == 200
