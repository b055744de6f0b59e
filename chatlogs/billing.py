"""Billed usage (the original's REAL_USAGE), reconciled in the background instead of holding replies.

The original polled Cursor's usage events for 1.5-6 s at the end of every reply. Here replies go out
at once; every REAL_USAGE_INTERVAL seconds a job takes the successful requests of the last
REAL_USAGE_WINDOW seconds that have no billed usage yet, groups them by account, asks Cursor once
per account for its usage events since the oldest of them (paged), matches each request to the
first unused event of its model at or after its start, and stores the match (BilledUsage). Accounts
are asked one after the other, REAL_USAGE_PACE seconds apart, so a large pool does not burst
cursor.com. The state is the database: a crashed or restarted job resumes where it was; a request
Cursor never reports is given up when it leaves the window.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from cursorapi import upstream_client
from cursorapi.upstream import hosts
from cursorapi.upstream.errors import UpstreamError

from .models import BilledUsage, ChatLog, Status

log = logging.getLogger(__name__)

PAGE_SIZE = 100
MAX_PAGES = 5
SETTLE_SECONDS = 1.0  # Cursor lists an event a moment after the reply ends
CLOCK_SLACK = timedelta(seconds=5)  # our clock against Cursor's


@dataclass(slots=True)
class Event:
    at: datetime
    model: str
    usage: dict[str, Any]
    kind: str


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def parse_events(answer: Any) -> list[Event]:
    """Cursor's usageEventsDisplay, leniently (timestamps as strings or numbers, snake_case too)."""
    events = []
    items = (
        answer.get("usageEventsDisplay") or answer.get("usage_events_display") or []
        if isinstance(answer, dict)
        else []
    )
    for item in items:
        if not isinstance(item, dict):
            continue
        usage = item.get("tokenUsage") or item.get("token_usage") or {}
        stamp = _number(item.get("timestamp"))
        if not stamp or not isinstance(usage, dict):
            continue
        events.append(
            Event(
                at=datetime.fromtimestamp(stamp / 1000, tz=UTC),
                model=str(item.get("model") or ""),
                kind=str(item.get("kind") or ""),
                usage={
                    "input": int(_number(usage.get("inputTokens", usage.get("input_tokens")))),
                    "output": int(_number(usage.get("outputTokens", usage.get("output_tokens")))),
                    "cache_write": int(
                        _number(usage.get("cacheWriteTokens", usage.get("cache_write_tokens")))
                    ),
                    "cache_read": int(_number(usage.get("cacheReadTokens", usage.get("cache_read_tokens")))),
                    "cents": round(_number(usage.get("totalCents", usage.get("total_cents"))), 6),
                },
            )
        )
    return sorted(events, key=lambda e: e.at)


def _server_id(model: str) -> str:
    """The id Cursor bills under: what the request's name resolves to (suffixes dropped)."""
    from cursorapi.chat.catalog import catalog
    from cursorapi.chat.types import ChatInputError

    try:
        return catalog.resolve(model).server_id
    except ChatInputError:
        return model


def match(requests: list[dict[str, Any]], events: list[Event]) -> list[tuple[dict[str, Any], Event]]:
    """Each request (oldest first) takes the first unused event of its model at or after its start."""
    used: set[int] = set()
    found = []
    for request in sorted(requests, key=lambda r: r["created_at"]):
        server = _server_id(request["model"])
        for n, event in enumerate(events):
            if n in used or event.model != server or event.at < request["created_at"] - CLOCK_SLACK:
                continue
            used.add(n)
            found.append((request, event))
            break
    return found


def _fetch(token_id: int, since: datetime, until: datetime) -> list[Event]:
    from tokens import remote, services
    from tokens.models import Token

    token = Token.objects.select_related("proxy").filter(pk=token_id).first()
    if token is None:
        return []
    account = services.account_for(token)
    client = upstream_client.get()

    async def pages() -> list[Event]:
        events: list[Event] = []
        for page in range(1, MAX_PAGES + 1):
            # 0.4's body (dates as strings, no teamId); the reply is read leniently.
            payload = {
                "startDate": str(int(since.timestamp() * 1000)),
                "endDate": str(int(until.timestamp() * 1000)),
                "page": page,
                "pageSize": PAGE_SIZE,
            }
            answer = await client.json(
                account, hosts.FILTERED_USAGE, method="POST", payload=payload, kind="dashboard"
            )
            got = parse_events(answer)
            events.extend(got)
            total = int(_number(answer.get("totalUsageEventsCount"))) if isinstance(answer, dict) else 0
            if len(got) < PAGE_SIZE or page * PAGE_SIZE >= total:
                break
        return sorted(events, key=lambda e: e.at)

    return remote.run(pages(), 60)


def pending(now: datetime | None = None, limit: int = 2000) -> list[dict[str, Any]]:
    now = now or timezone.now()
    window = timedelta(seconds=settings.REAL_USAGE_WINDOW)
    return list(
        ChatLog.objects.filter(
            status=Status.SUCCESS,
            token__isnull=False,
            created_at__gte=now - window,
            billed__isnull=True,
        )
        .order_by("created_at")
        .values("id", "token_id", "model", "created_at", "api_key_id", "total_ms")[:limit]
    )


def reconcile(*, sleep: Callable[[float], None] = time.sleep, now: datetime | None = None) -> tuple[int, int]:
    """One pass over the waiting requests: (matched, still waiting)."""
    now = now or timezone.now()
    waiting = [
        r
        for r in pending(now)
        if r["created_at"] + timedelta(milliseconds=r["total_ms"] or 0, seconds=SETTLE_SECONDS) <= now
    ]
    by_token: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for request in waiting:
        by_token[request["token_id"]].append(request)
    matched = 0
    for n, (token_id, requests) in enumerate(by_token.items()):
        if n:
            sleep(settings.REAL_USAGE_PACE)
        since = min(r["created_at"] for r in requests) - CLOCK_SLACK
        try:
            events = _fetch(token_id, since, now + timedelta(minutes=1))
        except (UpstreamError, TimeoutError) as exc:
            log.info("usage events of token %s: %s; trying again next time", token_id, type(exc).__name__)
            continue
        rows = [
            BilledUsage(
                log_id=request["id"],
                api_key_id=request["api_key_id"],
                log_created_at=request["created_at"],
                kind=event.kind[:64],
                event_at=event.at,
                **event.usage,
            )
            for request, event in match(requests, events)
        ]
        BilledUsage.objects.bulk_create(rows, ignore_conflicts=True)
        matched += len(rows)
    return matched, len(waiting) - matched


def run_once() -> None:
    matched, waiting = reconcile()
    if matched or waiting:
        log.info("billed usage: %s matched, %s waiting", matched, waiting)


def spend_cents(api_key_id: int | None = None, *, now: datetime | None = None) -> dict[str, float]:
    """A key's (or, without one, every key's together) billed cents today and this month (UTC)."""
    from django.db.models import Q, Sum

    now = now or timezone.now()
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month = day.replace(day=1)
    qs = BilledUsage.objects.filter(log_created_at__gte=month)
    if api_key_id is not None:
        qs = qs.filter(api_key_id=api_key_id)
    sums = qs.aggregate(month=Sum("cents"), today=Sum("cents", filter=Q(log_created_at__gte=day)))
    return {"today_cents": round(sums["today"] or 0.0, 4), "month_cents": round(sums["month"] or 0.0, 4)}


def spend_by_key(*, now: datetime | None = None) -> dict[str, dict[str, float]]:
    """Every named key's spend today and this month: {key name: {today_cents, month_cents}}."""
    from django.db.models import Q, Sum

    from tokens.models import ApiKey

    now = now or timezone.now()
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month = day.replace(day=1)
    rows = (
        BilledUsage.objects.filter(log_created_at__gte=month, api_key__isnull=False)
        .values("api_key_id")
        .annotate(month=Sum("cents"), today=Sum("cents", filter=Q(log_created_at__gte=day)))
    )
    names = dict(ApiKey.objects.values_list("pk", "name"))
    return {
        names.get(r["api_key_id"], str(r["api_key_id"])): {
            "today_cents": round(r["today"] or 0.0, 4),
            "month_cents": round(r["month"] or 0.0, 4),
        }
        for r in rows
    }


async def lookup_now(account: Any, server_id: str, since: datetime, wait: float) -> Event | None:
    """The billed usage of a request that just ended, polled for at most `wait` seconds.

    Used only when a client asked for usage in the stream and REAL_USAGE is on; the background
    reconciliation still records the match. The earliest event of the model since the request
    started is taken, so with concurrent requests of one account and model it may be a sibling's.
    """
    import asyncio

    client = upstream_client.get()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    payload = {
        "startDate": str(int((since - CLOCK_SLACK).timestamp() * 1000)),
        "endDate": str(int((timezone.now() + timedelta(minutes=1)).timestamp() * 1000)),
        "modelId": server_id,
        "page": 1,
        "pageSize": 10,
    }
    while True:
        try:
            answer = await asyncio.wait_for(
                client.json(account, hosts.FILTERED_USAGE, method="POST", payload=payload, kind="dashboard"),
                max(0.1, deadline - loop.time()),
            )
            events = [e for e in parse_events(answer) if e.model == server_id and e.at >= since - CLOCK_SLACK]
            if events:
                return events[0]
        except (UpstreamError, TimeoutError):
            pass
        if loop.time() + 0.5 > deadline:
            return None
        await asyncio.sleep(0.5)


async def bill_finish(run: Any, finish: Any) -> None:
    """Put Cursor's billed numbers into the final usage chunk, when they come within REAL_USAGE_WAIT."""
    from cursorapi.chat.types import Usage

    account = getattr(run, "account", None)
    if account is None or settings.REAL_USAGE_WAIT <= 0:
        return
    started = timezone.now() - timedelta(seconds=time.perf_counter() - run.started)
    event = await lookup_now(account, run.chat.model.server_id, started, settings.REAL_USAGE_WAIT)
    if event is not None:
        usage = event.usage
        finish.usage = Usage(usage["input"], usage["output"], usage["cache_read"])
