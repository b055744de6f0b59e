"""Hourly roll-ups of the request log for the admin dashboard, rebuilt by a periodic job.

A record's outcome (status, time to first token) is written after it starts, so each run rebuilds
the last `RECOMPUTE_HOURS` whole hours as well as any hour not rolled up yet; the current hour is
never rolled up (the dashboard reads it from the log itself). Each rolled hour has a marker row
(empty dialect and model, zero requests), so "rolled up to" is the newest marker even after an
hour without traffic.

Time to first token is kept as counts per logarithmic bin (16 per decade: a bin spans 15%), from
which the dashboard estimates percentiles.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, F, Max, Sum
from django.db.models.functions import Floor, Ln, Trunc
from django.utils import timezone

from .models import BilledUsage, ChatLog, HourlyRollup

BINS_PER_DECADE = 16
RECOMPUTE_HOURS = 3
CHUNK = timedelta(days=1)  # a first run over a long log goes a day at a time
FAILED = ("failure", "interrupted")
HOUR = timedelta(hours=1)


def ttft_bin(ms: float) -> int:
    return math.floor(math.log(ms + 1) * BINS_PER_DECADE / math.log(10))


def bin_bounds(index: int) -> tuple[float, float]:
    """The milliseconds a bin covers: [low, high)."""
    return 10 ** (index / BINS_PER_DECADE) - 1, 10 ** ((index + 1) / BINS_PER_DECADE) - 1


def _bin_expression() -> Floor:
    return Floor(Ln(F("ttft_ms") + 1) * (BINS_PER_DECADE / math.log(10)))


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def rolled_until() -> datetime | None:
    """The end of the newest rolled-up hour (the dashboard reads the log from there on)."""
    newest = HourlyRollup.objects.aggregate(newest=Max("hour"))["newest"]
    return None if newest is None else newest + HOUR


def _rows(start: datetime, end: datetime) -> list[HourlyRollup]:
    tallies: dict[tuple, HourlyRollup] = {}
    records = (
        ChatLog.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(
            at=Trunc("created_at", "hour", tzinfo=timezone.get_current_timezone()), bin=_bin_expression()
        )
        .values("at", "dialect", "model", "caller", "api_key_id", "status", "bin")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in records:
        key = (row["at"], row["dialect"], row["model"], row["caller"], row["api_key_id"])
        tally = tallies.get(key)
        if tally is None:
            tally = tallies[key] = HourlyRollup(
                hour=row["at"],
                dialect=row["dialect"],
                model=row["model"],
                caller=row["caller"],
                api_key_id=row["api_key_id"],
                ttft_bins={},
            )
        tally.requests += row["n"]
        if row["status"] in FAILED:
            tally.failures += row["n"]
        if row["bin"] is not None:
            name = str(int(row["bin"]))
            tally.ttft_bins[name] = tally.ttft_bins.get(name, 0) + row["n"]
    billed = (
        BilledUsage.objects.filter(log_created_at__gte=start, log_created_at__lt=end)
        .annotate(at=Trunc("log_created_at", "hour", tzinfo=timezone.get_current_timezone()))
        .values_list("at", "log__dialect", "log__model", "log__caller", "api_key_id")
        .annotate(cents=Sum("cents"))
        .order_by()
    )
    for at, dialect, model, caller, key_id, cents in billed:
        tally = tallies.get((at, dialect, model, caller, key_id))
        if tally is not None:
            tally.cents += cents or 0.0
    markers = []
    moment = start
    while moment < end:
        markers.append(HourlyRollup(hour=moment, dialect="", model="", ttft_bins={}))
        moment += HOUR
    return markers + list(tallies.values())


def refresh(now: datetime | None = None) -> int:
    """Roll up every whole hour not rolled up yet, and rebuild the last few; the rows written."""
    current = _floor_hour(now or timezone.now())
    done = rolled_until()
    if done is None:
        oldest = ChatLog.objects.order_by("created_at").values_list("created_at", flat=True).first()
        if oldest is None:
            return 0
        start = _floor_hour(oldest)
    else:
        start = min(done, current) - HOUR * RECOMPUTE_HOURS
    written = 0
    while start < current:
        end = min(current, start + CHUNK)
        rows = _rows(start, end)
        with transaction.atomic():
            HourlyRollup.objects.filter(hour__gte=start, hour__lt=end).delete()
            HourlyRollup.objects.bulk_create(rows, batch_size=1000)
        written += len(rows)
        start = end
    return written


def percentile(values: list[float], bins: dict[int, int], fraction: float) -> float | None:
    """The `fraction` percentile of exact values and binned counts together.

    Exact values alone give the exact answer (interpolated like PostgreSQL's percentile_cont);
    with bins, the answer is interpolated inside the bin that holds the rank.
    """
    if not bins:
        if not values:
            return None
        ordered = sorted(values)
        position = (len(ordered) - 1) * fraction
        low, high = math.floor(position), math.ceil(position)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    merged: dict[int, int] = defaultdict(int, bins)
    for value in values:
        merged[ttft_bin(value)] += 1
    total = sum(merged.values())
    rank = fraction * total
    seen = 0
    for index in sorted(merged):
        count = merged[index]
        if seen + count >= rank:
            low, high = bin_bounds(index)
            return low + (high - low) * ((rank - seen) / count if count else 0)
        seen += count
    return bin_bounds(max(merged))[1]
