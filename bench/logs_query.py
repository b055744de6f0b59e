"""/logs/get on a big log: every single filter plus paging, timed on 1,000,000 records.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_logs .venv/bin/python bench/logs_query.py [--rows N]

Creates the database if missing, migrates, seeds N ChatLog rows once (COPY on PostgreSQL, bulk
inserts elsewhere; reused when the count matches), then runs the same code as the `/logs/get` view
(filter, count, one page of 100, newest first) for each filter, 5 times, and prints the median.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cursorapi.settings")

MODELS = ["claude-4.5-sonnet", "gpt-5.1", "gemini-3-pro-preview", "composer-1", "claude-4.5-opus-thinking"]


def ensure_database() -> None:
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        dbname="postgres",
        autocommit=True,
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def seed(rows: int) -> None:
    from django.db import connection

    from chatlogs.models import ChatLog
    from tokens.models import Token

    if ChatLog.objects.count() == rows:
        return
    ChatLog.objects.all().delete()
    from tests.fixtures import add_token

    tokens = list(Token.objects.all()) or [add_token(f"bench{i}") for i in range(20)]
    rng = random.Random(7)
    start = datetime.now(UTC) - timedelta(days=60)
    columns = [
        "created_at",
        "request_id",
        "dialect",
        "model",
        "stream",
        "caller",
        "token_id",
        "token_alias",
        "status",
        "http_status",
        "error",
        "attempts",
        "ttft_ms",
        "total_ms",
        "chars_out",
        "prompt_tokens",
        "completion_tokens",
        "finish_reason",
        "prompt",
        "reply",
        "thinking",
    ]

    def row(i: int) -> tuple:
        token = tokens[i % len(tokens)]
        failed = rng.random() < 0.05
        usage = rng.random() < 0.8 and not failed
        return (
            start + timedelta(seconds=i * 5),
            f"req{i:08d}",
            rng.choice(["openai", "anthropic"]),
            rng.choice(MODELS),
            rng.random() < 0.7,
            "admin",
            token.pk,
            token.alias,
            "failure" if failed else "success",
            429 if failed else 200,
            "Cursor: Rate limited" if failed else "",
            1,
            rng.randint(150, 3000),
            rng.randint(500, 20000),
            rng.randint(10, 4000),
            rng.randint(50, 9000) if usage else None,
            rng.randint(10, 2000) if usage else None,
            "stop",
            "",
            "",
            "",
        )

    t = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(f"COPY chatlogs_chatlog ({', '.join(columns)}) FROM STDIN") as copy:
                for i in range(rows):
                    copy.write_row(row(i))
    else:
        batch = []
        for i in range(rows):
            batch.append(ChatLog(**dict(zip(columns, row(i), strict=True))))
            if len(batch) == 5000:
                ChatLog.objects.bulk_create(batch)
                batch = []
        ChatLog.objects.bulk_create(batch)
    # Finished requests have a chain: twenty (characters, ms) pairs each.
    pairs = json.dumps([[12 + i % 7, 20 + i * 3 % 40] for i in range(20)])
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO chatlogs_chain (log_id, delays)"
            " SELECT id, %s FROM chatlogs_chatlog WHERE status = %s",
            [pairs, "success"],
        )
    if connection.vendor == "postgresql":
        # What autovacuum does on a live database: statistics and the visibility map (index-only scans).
        connection.ensure_connection()
        connection.connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE chatlogs_chatlog")
            cursor.execute("VACUUM ANALYZE chatlogs_chain")
    print(f"seeded {rows} rows in {time.perf_counter() - t:.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    import django

    django.setup()
    ensure_database()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    seed(args.rows)

    from chatlogs.api import _logs
    from cursorapi.auth import ADMIN, Caller
    from tokens.models import Token

    token = Token.objects.first()
    recent = (datetime.now(UTC) - timedelta(days=7)).isoformat()
    filters = {
        "(none)": {},
        "from_date": {"from_date": recent},
        "to_date": {"to_date": recent},
        "user_id": {"user_id": token.user_id},
        "email": {"email": "nobody@"},
        "membership_type": {"membership_type": "pro"},
        "status": {"status": "failure"},
        "model": {"model": "gpt"},
        "include_models": {"include_models": ["gpt-5.1"]},
        "exclude_models": {"exclude_models": ["gpt-5.1"]},
        "stream": {"stream": True},
        "has_chain": {"has_chain": True},
        "has_usage": {"has_usage": False},
        "has_error": {"has_error": True},
        "error": {"error": "Rate"},
        "min_total_time": {"min_total_time": 19},
        "max_total_time": {"max_total_time": 1},
        "min_tokens": {"min_tokens": 10000},
        "max_tokens": {"max_tokens": 100},
    }
    admin = Caller(ADMIN)
    results = {}
    print(f"{'filter':>16} | {'total':>8} | median of 5 (ms)")
    for name, query in filters.items():
        times = []
        for _ in range(5):
            t = time.perf_counter()
            out = _logs(admin, {"query": {**query, "reverse": True, "limit": 100, "offset": 100}})
            times.append((time.perf_counter() - t) * 1000)
        results[name] = round(statistics.median(times), 1)
        print(f"{name:>16} | {out['total']:>8} | {results[name]:>7}", flush=True)
    print(json.dumps({"rows": args.rows, "median_ms": results}))


if __name__ == "__main__":
    main()
