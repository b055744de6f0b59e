"""The admin dashboard on a big log: each window's figures and the whole index page, timed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_dashboard .venv/bin/python bench/dashboard.py

Seeds (PostgreSQL) N records (default 1,000,000) spread over the last `--days` days (default 7: the
worst case, every record inside the 7-day window), then for each window builds the dashboard 5
times reading the log itself, rolls the log up (timed: the first run reads everything), builds
again on the roll-ups, and renders `/admin/` logged in (template rendering included). Medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cursorapi.settings")


def _median_ms(run, times: int = 5) -> float:
    run()  # warm: plans cached, pages in memory
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def seed(rows: int, days: float) -> None:
    """`rows` records at random times of the last `days` days, made by PostgreSQL itself (seconds)."""
    from django.db import connection

    from chatlogs.models import ChatLog

    if ChatLog.objects.count() == rows:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {ChatLog._meta.db_table} CASCADE")
        cursor.execute(
            f"""
            INSERT INTO {ChatLog._meta.db_table} (created_at, request_id, dialect, model, stream, caller,
                token_alias, status, http_status, error, attempts, ttft_ms, total_ms, chars_out,
                prompt_tokens, completion_tokens, finish_reason, prompt, reply, thinking)
            SELECT now() - random() * %s * interval '1 day', 'req-' || n,
                (ARRAY['openai', 'anthropic', 'responses'])[1 + n %% 3],
                (ARRAY['claude-4.5-sonnet', 'gpt-5.1', 'gemini-3-pro', 'composer-1', 'o3'])[1 + n %% 5],
                true, (ARRAY['admin', 'key', 'shared'])[1 + n %% 3], 'bench',
                CASE WHEN n %% 20 = 0 THEN 'failure' ELSE 'success' END,
                CASE WHEN n %% 20 = 0 THEN 502 ELSE 200 END,
                CASE WHEN n %% 20 = 0 THEN 'upstream: internal' ELSE '' END, 1,
                (100 + random() * 2000)::int, (1000 + random() * 20000)::int, 500, 1000, 300, 'stop',
                '', '', ''
            FROM generate_series(1, %s) AS n
            """,
            [days, rows],
        )
        cursor.execute(f"ANALYZE {ChatLog._meta.db_table}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--days", type=float, default=7)
    args = parser.parse_args()
    import django
    import logs_query  # its ensure_database

    logs_query.ensure_database()
    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from chatlogs import rollups
    from chatlogs.models import ChatLog, HourlyRollup
    from cursorapi import dashboard

    call_command("migrate", verbosity=0)
    seed(args.rows, args.days)
    print(f"{connection.vendor}, {ChatLog.objects.count():,} log rows over the last {args.days:g} days")
    HourlyRollup.objects.all().delete()
    for window in dashboard.WINDOWS:
        in_window = dashboard.build(window).requests
        took = _median_ms(lambda w=window: dashboard.build(w))
        print(f"  log only     build({window!r}): {took:7.1f} ms  ({in_window:,} rows in the window)")
    started = time.perf_counter()
    written = rollups.refresh()
    print(f"  first roll-up: {written:,} rows in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    rollups.refresh()
    took = (time.perf_counter() - started) * 1000
    print(f"  next roll-up (last {rollups.RECOMPUTE_HOURS} hours): {took:.0f} ms")
    for window in dashboard.WINDOWS:
        took = _median_ms(lambda w=window: dashboard.build(w))
        print(f"  on roll-ups  build({window!r}): {took:7.1f} ms")
    settings.ALLOWED_HOSTS = ["*"]
    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_staff": True})
    user.is_superuser = user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)

    def page() -> None:
        assert client.get("/admin/").status_code == 200

    print(f"  GET /admin/ (24h, whole page, on roll-ups): {_median_ms(page):7.1f} ms")


if __name__ == "__main__":
    main()
