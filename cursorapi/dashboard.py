"""What the admin's index shows about the pool and the traffic of a recent window.

A handful of grouped queries over the window, each served by an index on `created_at` (or
`status, created_at`), so the page stays fast on millions of log rows (bench/dashboard.py).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Q
from django.db.models.functions import Trunc
from django.utils import timezone
from django.utils.safestring import SafeString

from chatlogs.models import ChatLog
from tokens.models import Health, Token

from . import charts

# Window name -> (length, bucket width, the database's truncation unit below the bucket).
WINDOWS: dict[str, tuple[timedelta, timedelta, str]] = {
    "1h": (timedelta(hours=1), timedelta(minutes=5), "minute"),
    "24h": (timedelta(hours=24), timedelta(hours=1), "hour"),
    "7d": (timedelta(days=7), timedelta(hours=6), "hour"),
}
DEFAULT_WINDOW = "24h"
FAILED = ("failure", "interrupted")
USAGE_ROWS = 15


@dataclass(slots=True)
class PoolState:
    usable: int = 0
    resting: int = 0
    invalid: int = 0
    disabled: int = 0

    @property
    def total(self) -> int:
        return self.usable + self.resting + self.invalid + self.disabled


@dataclass(slots=True)
class Dashboard:
    window: str
    since: datetime
    pool: PoolState
    requests: int
    errors: int
    usage_chart: SafeString | None
    traffic_chart: SafeString
    errors_chart: SafeString
    ttft_chart: SafeString
    top_models: list[tuple[str, int]] = field(default_factory=list)
    top_keys: list[tuple[str, int]] = field(default_factory=list)
    failures: list[ChatLog] = field(default_factory=list)
    windows: tuple[str, ...] = tuple(WINDOWS)


def pool_state(now: datetime) -> PoolState:
    resting = Q(cooldown_until__gt=now) & ~Q(health=Health.INVALID)
    counts = Token.objects.aggregate(
        disabled=Count("id", filter=Q(enabled=False)),
        invalid=Count("id", filter=Q(enabled=True, health=Health.INVALID)),
        resting=Count("id", filter=Q(enabled=True) & resting),
        total=Count("id"),
    )
    usable = counts["total"] - counts["disabled"] - counts["invalid"] - counts["resting"]
    return PoolState(usable, counts["resting"], counts["invalid"], counts["disabled"])


def _usage_chart() -> SafeString | None:
    rows = []
    for alias, used, limit in Token.objects.filter(usage_limit__gt=0, usage_used__isnull=False).values_list(
        "alias", "usage_used", "usage_limit"
    ):
        rows.append((alias, used / limit, f"{used:g} / {limit:g}"))
    if not rows:
        return None
    rows.sort(key=lambda row: row[1], reverse=True)
    shown = rows[:USAGE_ROWS]
    label = "Usage against plan limit per token, most used first: " + ", ".join(
        f"{alias} {round(fraction * 100)}%" for alias, fraction, _ in shown
    )
    return charts.meters(shown, label)


def _buckets(since: datetime, width: timedelta, count: int) -> list[datetime]:
    return [since + width * i for i in range(count)]


def _bucket_of(moment: datetime, since: datetime, width: timedelta) -> int:
    return int((moment - since) / width)


def _label(moment: datetime, window: str) -> str:
    local = timezone.localtime(moment)
    return local.strftime("%H:%M") if window != "7d" else local.strftime("%a %Hh")


def _traffic(window_qs: Any, since: datetime, width: timedelta, unit: str, count: int) -> tuple[dict, list]:
    """Requests per bucket and dialect, and errors per bucket."""
    per_dialect: dict[str, list[int]] = defaultdict(lambda: [0] * count)
    errors = [0] * count
    rows = (
        window_qs.annotate(at=Trunc("created_at", unit, tzinfo=UTC))
        .values("at", "dialect", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        index = _bucket_of(row["at"], since, width)
        if not 0 <= index < count:
            continue
        per_dialect[row["dialect"] or "other"][index] += row["n"]
        if row["status"] in FAILED:
            errors[index] += row["n"]
    return dict(sorted(per_dialect.items())), errors


def _percentile(ordered: list[int], fraction: float) -> float:
    """Linear interpolation between closest ranks (what PostgreSQL's percentile_cont does)."""
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _ttft(window_qs: Any, since: datetime, width: timedelta, count: int) -> tuple[list, list]:
    p50: list[float | None] = [None] * count
    p95: list[float | None] = [None] * count
    seconds = width.total_seconds()
    if connection.vendor == "postgresql":
        table = ChatLog._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT floor(extract(epoch FROM created_at - %s) / %s)::int AS b, "
                f"percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY ttft_ms) "
                f"FROM {table} WHERE created_at >= %s AND ttft_ms IS NOT NULL GROUP BY b",
                [since, seconds, since],
            )
            for index, (median, high) in cursor.fetchall():
                if 0 <= index < count:
                    p50[index], p95[index] = median, high
        return p50, p95
    grouped: dict[int, list[int]] = defaultdict(list)
    for moment, ttft in window_qs.filter(ttft_ms__isnull=False).values_list("created_at", "ttft_ms"):
        grouped[_bucket_of(moment, since, width)].append(ttft)
    for index, values in grouped.items():
        if 0 <= index < count:
            values.sort()
            p50[index], p95[index] = _percentile(values, 0.5), _percentile(values, 0.95)
    return p50, p95


def build(window: str = DEFAULT_WINDOW, now: datetime | None = None) -> Dashboard:
    if window not in WINDOWS:
        window = DEFAULT_WINDOW
    length, width, unit = WINDOWS[window]
    now = now or timezone.now()
    count = math.ceil(length / width)
    # Buckets aligned to the bucket width, the last one holding `now`.
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    end = epoch + width * (math.floor((now - epoch) / width) + 1)
    since = end - width * count
    window_qs = ChatLog.objects.filter(created_at__gte=since)
    labels = [_label(moment, window) for moment in _buckets(since, width, count)]
    bucket_name = {"1h": "5 minutes", "24h": "hour", "7d": "6 hours"}[window]

    per_dialect, errors = _traffic(window_qs, since, width, unit, count)
    requests = sum(sum(values) for values in per_dialect.values())
    traffic_series = [
        charts.Series(name, values, charts.PALETTE[i % len(charts.PALETTE)])
        for i, (name, values) in enumerate(per_dialect.items())
    ]
    breakdown = ", ".join(f"{s.name} {sum(s.values)}" for s in traffic_series) or "none"
    traffic_chart = charts.stacked_bars(
        labels,
        traffic_series,
        f"Requests per {bucket_name} by dialect over the last {window}: {requests} in all ({breakdown})",
    )
    errors_chart = charts.stacked_bars(
        labels,
        [charts.Series("errors", errors, charts.ERROR_COLOUR)],
        f"Failed requests per {bucket_name} over the last {window}: {sum(errors)} in all",
    )
    p50, p95 = _ttft(window_qs, since, width, count)
    known = [v for v in p50 if v is not None]
    ttft_chart = charts.lines(
        labels,
        [charts.Series("p50", p50, charts.PALETTE[0]), charts.Series("p95", p95, charts.PALETTE[1])],
        f"Time to first token per {bucket_name} over the last {window}, p50 and p95 in milliseconds"
        + (f"; p50 ranges {min(known):.0f} to {max(known):.0f} ms" if known else "; no streamed replies"),
        unit=" ms",
    )
    top_models = list(window_qs.values_list("model").annotate(n=Count("id")).order_by("-n", "model")[:5])
    top_keys = [
        (name or f"({caller or 'unknown'})", n)
        for name, caller, n in window_qs.values_list("api_key__name", "caller")
        .annotate(n=Count("id"))
        .order_by("-n")[:5]
    ]
    failures = list(
        ChatLog.objects.filter(status__in=FAILED, created_at__gte=since)
        .only("id", "created_at", "model", "dialect", "http_status", "error", "status")
        .order_by("-created_at")[:10]
    )
    return Dashboard(
        window=window,
        since=since,
        pool=pool_state(now),
        requests=requests,
        errors=sum(errors),
        usage_chart=_usage_chart(),
        traffic_chart=traffic_chart,
        errors_chart=errors_chart,
        ttft_chart=ttft_chart,
        top_models=top_models,
        top_keys=top_keys,
        failures=failures,
    )
