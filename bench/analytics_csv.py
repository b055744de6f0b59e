"""Benchmark: stream /analytics/ai-code/changes.csv over a million rows, measuring time and peak RSS.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_analytics .venv/bin/python bench/analytics_csv.py
    .venv/bin/python bench/analytics_csv.py            # SQLite in bench/out/ (DATABASE_URL unset)

Seeds N change rows (COPY on PostgreSQL, executemany on SQLite; kept between runs when the count
matches), then in a fresh child process drives our ASGI application directly, the way Daphne would,
for the whole export and for a tenth of it. Each export prints a JSON line; the child's peak RSS is
read from /proc after a warm-up request, so imports and Django's start are not counted. If memory
is bounded, the peak is the same for 100k and 1M rows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
TOKEN = "bench-admin-token"
DAYS = 365


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{OUT / 'analytics-bench.sqlite3'}")
    os.environ.setdefault("DATA_DIR", str(OUT))
    os.environ["AUTH_TOKEN"] = TOKEN
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cursorapi.settings")
    import django

    django.setup()


def _ensure_database() -> None:
    """Create the PostgreSQL database named in DATABASE_URL if it is missing."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    import psycopg

    name = connection.settings_dict["NAME"]
    params = {k: v for k, v in connection.get_connection_params().items() if k != "dbname"}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def _rows(count: int) -> Iterator[tuple[Any, ...]]:
    """Rows in the column order of COLUMNS."""
    now = datetime.now(UTC)
    step = timedelta(days=DAYS) / count
    for n in range(count):
        source = "TAB" if n % 5 else "COMPOSER"
        name = f"src/pkg{n % 97}/mod{n % 13}.ts"
        files = [{"fileName": name, "fileExtension": "ts", "linesAdded": 7, "linesDeleted": 2}]
        if source == "COMPOSER":
            files.append({"fileExtension": "tsx", "linesAdded": 3, "linesDeleted": 1})  # privacy: no fileName
        yield (
            str(100_000_000 + n),
            f"user_{n % 50:04d}",
            f"dev{n % 50}@example.test",
            source,
            None if source == "TAB" else "gpt-4o",
            sum(f["linesAdded"] for f in files),
            sum(f["linesDeleted"] for f in files),
            now - step * n,
            json.dumps(files, separators=(",", ":")),
            now,
        )


COLUMNS = (
    "change_id, user_id, user_email, source, model, total_lines_added, total_lines_deleted, "
    "created_at, metadata, synced_at"
)


def seed(count: int) -> dict[str, float]:
    from django.core.management import call_command
    from django.db import connection, transaction

    from analytics.models import AiChange

    call_command("migrate", verbosity=0)
    if AiChange.objects.count() == count:
        return {"seed_seconds": 0.0}
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM analytics_aichange")
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY analytics_aichange ({COLUMNS}) FROM STDIN") as copy:
                for row in _rows(count):
                    copy.write_row(row)
        else:
            batch: list[tuple] = []
            sql = f"INSERT INTO analytics_aichange ({COLUMNS}) VALUES ({', '.join(['%s'] * 10)})"
            for row in _rows(count):
                # Stored as Django stores them, or text comparisons on created_at would mis-order.
                adapt = connection.ops.adapt_datetimefield_value
                batch.append((*row[:7], adapt(row[7]), row[8], adapt(row[9])))
                if len(batch) == 50_000:
                    cursor.executemany(sql, batch)
                    batch.clear()
            if batch:
                cursor.executemany(sql, batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE analytics_aichange")
    return {"seed_seconds": round(time.perf_counter() - started, 1)}


# --- the export, in a child process ----------------------------------------------------------------


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024  # kB to MiB
    return -1


async def _get(application: Any, query: str) -> tuple[int, int, int, int]:
    """(status, bytes, lines, chunks) of one request, the body counted and dropped as it arrives."""
    done = asyncio.Event()
    sent = False
    result = {"status": 0, "bytes": 0, "lines": 0, "chunks": 0}

    async def receive() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            result["status"] = message["status"]
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            result["bytes"] += len(body)
            result["lines"] += body.count(b"\n")  # no line breaks inside these rows
            result["chunks"] += 1
            if not message.get("more_body"):
                done.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/analytics/ai-code/changes.csv",
        "raw_path": b"/analytics/ai-code/changes.csv",
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {TOKEN}".encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    await application(scope, receive, send)
    return result["status"], result["bytes"], result["lines"], result["chunks"]


def export(query: str) -> dict[str, object]:
    from django.db import connection

    from cursorapi.asgi import application

    asyncio.run(_get(application, "startDate=now"))  # warm-up: imports, connection, first query
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
        peak_reset = True
    except OSError:
        peak_reset = False
    rss_before = _status("VmRSS")
    started = time.perf_counter()
    status, size, lines, chunks = asyncio.run(_get(application, query))
    seconds = time.perf_counter() - started
    return {
        "bench": "analytics_changes_csv",
        "database": connection.vendor,
        "query": query,
        "status": status,
        "rows": lines - 1,
        "mib": round(size / 2**20, 1),
        "chunks": chunks,
        "seconds": round(seconds, 2),
        "rows_per_second": round((lines - 1) / seconds) if seconds else None,
        "rss_before_mib": rss_before,
        "peak_rss_mib": _status("VmHWM"),
        "peak_counts_only_export": peak_reset,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--export-only", metavar="QUERY", help=argparse.SUPPRESS)
    args = parser.parse_args()
    _setup()
    if args.export_only is not None:
        print(json.dumps(export(args.export_only)))
        return
    _ensure_database()
    info = seed(args.rows)
    # A tenth of the rows (the newest 36.5 days), then all of them: flat memory means equal peaks.
    for query in (f"startDate={DAYS // 10}d", f"startDate={DAYS + 1}d"):
        child = subprocess.run(
            [sys.executable, __file__, "--export-only", query],
            check=True,
            capture_output=True,
            text=True,
            env=os.environ.copy(),
        )
        line = json.loads(child.stdout.strip().splitlines()[-1])
        line.update(info)
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
