"""The dashboard on roll-ups: the same figures as reading the log, a fixed cost, and late outcomes."""

from __future__ import annotations

import io
import random
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chatlogs import rollups
from chatlogs.models import ChatLog, HourlyRollup
from cursorapi import dashboard
from tokens.models import ApiKey

pytestmark = pytest.mark.django_db


def _seed(n: int, hours: float) -> None:
    rng = random.Random(3)
    now = timezone.now()
    keys = [ApiKey.objects.create(name=f"k{i}", prefix=f"p{i}", key_hash=str(i) * 64) for i in range(3)]
    ChatLog.objects.bulk_create(
        ChatLog(
            created_at=now - timedelta(hours=rng.uniform(0, hours)),
            request_id=f"r{i}",
            dialect=rng.choice(["openai", "anthropic", "responses"]),
            model=rng.choice(["a", "b", "c", "d"]),
            caller=rng.choice(["key", "admin"]),
            api_key=rng.choice([*keys, None]),
            status=rng.choice(["success"] * 8 + ["failure", "cancelled"]),
            ttft_ms=rng.choice([None, rng.randint(50, 5000)]),
        )
        for i in range(n)
    )


def _figures(board: dashboard.Dashboard) -> tuple:
    return (
        board.requests,
        board.errors,
        board.top_models,
        board.top_keys,
        board.traffic_chart,
        board.errors_chart,
    )


@pytest.mark.parametrize("window", ["24h", "7d"])
def test_rolled_up_figures_equal_the_logs_own(window: str) -> None:
    # Enough streamed replies per bucket (about 80) for percentiles to mean something.
    _seed(4000 if window == "24h" else 2500, hours=24 if window == "24h" else 24 * 7)
    now = timezone.now()
    live = dashboard.build(window, now)
    assert rollups.refresh(now) > 0 and rollups.rolled_until() == now.replace(
        minute=0, second=0, microsecond=0
    )
    rolled = dashboard.build(window, now)
    assert _figures(rolled) == _figures(live)
    # Percentiles from bins: within a bin's width (15%) of the exact ones.
    exact, approx = live.ttft_p50 + live.ttft_p95, rolled.ttft_p50 + rolled.ttft_p95
    assert [v is None for v in exact] == [v is None for v in approx]
    pairs = [(want, got) for want, got in zip(exact, approx, strict=True) if want is not None]
    assert len(pairs) > 10
    for want, got in pairs:
        assert abs(got - want) <= 0.16 * want + 1, (want, got)


def test_a_late_outcome_is_counted_when_recent_hours_are_rebuilt() -> None:
    record = ChatLog.objects.create(
        created_at=timezone.now() - timedelta(hours=2), request_id="late", dialect="openai", model="m"
    )
    rollups.refresh()
    assert dashboard.build("24h").errors == 0
    ChatLog.objects.filter(pk=record.pk).update(status="failure")
    rollups.refresh()
    assert dashboard.build("24h").errors == 1
    # Rebuilding replaces rows, it does not add to them.
    assert HourlyRollup.objects.exclude(model="").get().requests == 1


def test_the_dashboard_on_rollups_costs_a_fixed_number_of_queries(admin_client: Client) -> None:
    _seed(50, hours=100)
    rollups.refresh()
    with CaptureQueriesContext(connection) as few:
        admin_client.get("/admin/?window=7d")
    _seed_more = [
        ChatLog(created_at=timezone.now() - timedelta(hours=h), request_id=f"x{h}", model=f"m{h}")
        for h in range(90)
    ]
    ChatLog.objects.bulk_create(_seed_more)
    rollups.refresh()
    with CaptureQueriesContext(connection) as many:
        admin_client.get("/admin/?window=7d")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_rollup_command() -> None:
    out = io.StringIO()
    call_command("rollup_logs", stdout=out)
    assert out.getvalue().strip() == "nothing to roll up"
    _seed(20, hours=30)
    call_command("rollup_logs", stdout=out)
    assert re.search(r"wrote \d+ roll-up rows in [\d.]+ s; rolled up to \d{4}-", out.getvalue())
