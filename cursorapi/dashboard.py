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

from django.db.models import Count, Q, Sum
from django.db.models.functions import Trunc
from django.utils import timezone
from django.utils.safestring import SafeString

from chatlogs import rollups
from chatlogs.models import BilledUsage, ChatLog, HourlyRollup
from tokens.models import ApiKey, Health, Token

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
    # By what Cursor billed (REAL_USAGE), in cents; empty until usage has been reconciled.
    top_models_cents: list[tuple[str, float]] = field(default_factory=list)
    top_keys_cents: list[tuple[str, float]] = field(default_factory=list)
    failures: list[ChatLog] = field(default_factory=list)
    ttft_p50: list[float | None] = field(default_factory=list)
    ttft_p95: list[float | None] = field(default_factory=list)
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


def _bucket_of(moment: datetime, since: datetime, width: timedelta) -> int:
    return int((moment - since) / width)


def _label(moment: datetime, window: str) -> str:
    local = timezone.localtime(moment)
    return local.strftime("%H:%M") if window != "7d" else local.strftime("%a %Hh")


@dataclass(slots=True)
class _Tally:
    """The window's figures per bucket, gathered from roll-ups and from the log's recent records."""

    count: int
    per_dialect: dict[str, list[int]] = field(default_factory=dict)
    errors: list[int] = field(default_factory=list)
    ttft_values: list[list[float]] = field(default_factory=list)
    ttft_bins: list[dict[int, int]] = field(default_factory=list)
    models: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    keys: dict[tuple[int | None, str], int] = field(default_factory=lambda: defaultdict(int))
    model_cents: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    key_cents: dict[tuple[int | None, str], float] = field(default_factory=lambda: defaultdict(float))

    def __post_init__(self) -> None:
        self.errors = [0] * self.count
        self.ttft_values = [[] for _ in range(self.count)]
        self.ttft_bins = [defaultdict(int) for _ in range(self.count)]

    def add(
        self, index: int, dialect: str, model: str, key: tuple[int | None, str], n: int, failed: int
    ) -> None:
        if not 0 <= index < self.count:
            return
        self.per_dialect.setdefault(dialect or "other", [0] * self.count)[index] += n
        self.errors[index] += failed
        self.models[model] += n
        self.keys[key] += n


def _from_rollups(tally: _Tally, since: datetime, until: datetime, width: timedelta) -> None:
    rows = HourlyRollup.objects.filter(hour__gte=since, hour__lt=until).exclude(dialect="", model="")
    fields = (
        "hour",
        "dialect",
        "model",
        "api_key_id",
        "caller",
        "requests",
        "failures",
        "ttft_bins",
        "cents",
    )
    for row in rows.values_list(*fields):
        hour, dialect, model, key_id, caller, n, failed, bins, cents = row
        index = _bucket_of(hour, since, width)
        tally.add(index, dialect, model, (key_id, caller), n, failed)
        if cents:
            tally.model_cents[model] += cents
            tally.key_cents[(key_id, caller)] += cents
        if 0 <= index < tally.count:
            for name, count in bins.items():
                tally.ttft_bins[index][int(name)] += count


def _from_log(tally: _Tally, since: datetime, read_from: datetime, width: timedelta, unit: str) -> None:
    """Records from `read_from` on, grouped by the database below the bucket width."""
    recent = ChatLog.objects.filter(created_at__gte=read_from)
    rows = (
        recent.annotate(at=Trunc("created_at", unit, tzinfo=UTC))
        .values_list("at", "dialect", "model", "api_key_id", "caller")
        .annotate(n=Count("id"), failed=Count("id", filter=Q(status__in=FAILED)))
        .order_by()
    )
    for at, dialect, model, key_id, caller, n, failed in rows:
        tally.add(_bucket_of(at, since, width), dialect, model, (key_id, caller), n, failed)
    billed = (
        BilledUsage.objects.filter(log_created_at__gte=read_from)
        .values_list("log__model", "api_key_id", "log__caller")
        .annotate(cents=Sum("cents"))
        .order_by()
    )
    for model, key_id, caller, cents in billed:
        tally.model_cents[model] += cents or 0.0
        tally.key_cents[(key_id, caller)] += cents or 0.0
    for moment, ttft in recent.filter(ttft_ms__isnull=False).values_list("created_at", "ttft_ms"):
        index = _bucket_of(moment, since, width)
        if 0 <= index < tally.count:
            tally.ttft_values[index].append(ttft)


def _key_names(*tallies: dict[tuple[int | None, str], Any]) -> list[dict[str, Any]]:
    """Each tally (by key id and caller kind) merged by the key's name (or the caller's kind)."""
    ids = {key_id for tally in tallies for key_id, _ in tally if key_id is not None}
    names = dict(ApiKey.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    merged: list[dict[str, Any]] = []
    for tally in tallies:
        by_name: dict[str, Any] = defaultdict(int)
        for (key_id, caller), value in tally.items():
            by_name[names.get(key_id) or f"({caller or 'unknown'})"] += value
        merged.append(by_name)
    return merged


def _top(counts: dict[str, Any], n: int = 5) -> list[tuple[str, Any]]:
    return sorted(((k, v) for k, v in counts.items() if v), key=lambda item: (-item[1], item[0]))[:n]


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
    labels = [_label(since + width * i, window) for i in range(count)]
    bucket_name = {"1h": "5 minutes", "24h": "hour", "7d": "6 hours"}[window]

    tally = _Tally(count)
    # Whole hours rolled up already come from the roll-ups; the rest from the log itself.
    rolled = rollups.rolled_until() if unit == "hour" else None
    live_from = since
    if rolled is not None and rolled > since:
        live_from = min(rolled, end)
        _from_rollups(tally, since, live_from, width)
    _from_log(tally, since, live_from, width, unit)
    per_dialect, errors = dict(sorted(tally.per_dialect.items())), tally.errors
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
    p50 = [rollups.percentile(v, b, 0.5) for v, b in zip(tally.ttft_values, tally.ttft_bins, strict=True)]
    p95 = [rollups.percentile(v, b, 0.95) for v, b in zip(tally.ttft_values, tally.ttft_bins, strict=True)]
    known = [v for v in p50 if v is not None]
    ttft_chart = charts.lines(
        labels,
        [charts.Series("p50", p50, charts.PALETTE[0]), charts.Series("p95", p95, charts.PALETTE[1])],
        f"Time to first token per {bucket_name} over the last {window}, p50 and p95 in milliseconds"
        + (f"; p50 ranges {min(known):.0f} to {max(known):.0f} ms" if known else "; no streamed replies"),
        unit=" ms",
    )
    top_models = _top(tally.models)
    key_requests, key_cents = _key_names(tally.keys, tally.key_cents)
    top_keys = _top(key_requests)
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
        top_models_cents=_top(tally.model_cents),
        top_keys_cents=_top(key_cents),
        failures=failures,
        ttft_p50=p50,
        ttft_p95=p95,
    )
