"""Cursor's 5 requests per minute per endpoint: pacing, and waiting out a 429 as Retry-After says."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from django.core.management import call_command

from analytics.client import COMMITS, AdminApiClient, RateLimited, RateLimiter, retry_after_seconds
from analytics.models import AiCommit
from cursorapi.upstream.fake.admin_api import AdminApi


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_limiter_allows_five_per_window_per_endpoint() -> None:
    t = FakeTime()
    limiter = RateLimiter(5, 60.0, clock=t.clock, sleep=t.sleep)
    for _ in range(5):
        limiter.acquire("/commits")
        t.now += 1
    assert t.sleeps == []
    limiter.acquire("/changes")  # another endpoint has its own budget
    assert t.sleeps == []
    limiter.acquire("/commits")  # the sixth waits until the first leaves the window
    assert t.sleeps == [pytest.approx(55.0)]
    assert t.now == pytest.approx(1060.0)


def test_limiter_honours_a_block() -> None:
    t = FakeTime()
    limiter = RateLimiter(5, 60.0, clock=t.clock, sleep=t.sleep)
    limiter.block("/commits", 12.5)
    limiter.acquire("/commits")
    assert t.sleeps == [12.5]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2", 2.0), ("0.15", 0.15), (None, 60.0), ("", 60.0), ("soon", 60.0), ("-3", 0.0), ("99999", 3600.0)],
)
def test_retry_after_values(value: str | None, expected: float) -> None:
    assert retry_after_seconds(value, 60.0) == expected


def test_retry_after_as_an_http_date() -> None:
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:30 GMT", 60.0, now=1445412480.0) == 30.0


def test_the_client_paces_itself_and_is_never_refused(admin_api: AdminApi) -> None:
    client = AdminApiClient(admin_api.api_key, upstream=_url(admin_api), limit=5, window=0.2)
    started = time.monotonic()
    for page in range(1, 13):
        client.page(COMMITS, {"startDate": "365d", "page": page, "pageSize": 10})
    assert time.monotonic() - started >= 0.4  # 12 calls at 5 per 0.2 s need two full waits
    assert admin_api.throttled == 0


def test_a_429_is_waited_out_as_retry_after_says(admin_api: AdminApi) -> None:
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    # No pacing of our own (as when another process shares the key): Cursor's 429s must be absorbed.
    client = AdminApiClient(admin_api.api_key, upstream=_url(admin_api), limit=1000, window=0.2, sleep=sleep)
    pages = [client.page(COMMITS, {"startDate": "365d", "page": p, "pageSize": 10}) for p in range(1, 13)]
    assert [p.page for p in pages] == list(range(1, 13))
    assert admin_api.throttled >= 2
    assert sleeps and all(0 < s <= 0.2 for s in sleeps)  # the fake's Retry-After, not a guess
    assert [int(params["page"]) for _, params in admin_api.requests] == list(range(1, 13))


def test_endless_429s_give_up_with_a_clear_error(admin_api: AdminApi) -> None:
    admin_api.limit = 0
    client = AdminApiClient(admin_api.api_key, upstream=_url(admin_api), max_waits=2, sleep=lambda s: None)
    with pytest.raises(RateLimited, match="kept answering 429"):
        client.page(COMMITS, {})
    assert admin_api.throttled == 3


@pytest.mark.django_db
def test_a_sync_rides_through_429s_and_resumes_on_the_same_page(admin_api: AdminApi, settings: Any) -> None:
    settings.ANALYTICS_RATE_LIMIT = 1000  # pacing off: the fake will refuse some calls
    # Four calls inside half a second, even on a slow machine: the fake must refuse one.
    admin_api.window_seconds, admin_api.limit = 0.5, 3
    out = io.StringIO()
    call_command(
        "sync_ai_code",
        "--since",
        "365d",
        "--page-size",
        "200",
        "--endpoint",
        "commits",
        stdout=out,
        stderr=out,
    )
    assert admin_api.throttled >= 1
    assert AiCommit.objects.count() == len(admin_api.commits)
    assert [int(params["page"]) for _, params in admin_api.requests] == list(range(1, 11))


def _url(api: AdminApi) -> str:
    from django.conf import settings

    return settings.CURSOR_UPSTREAM
