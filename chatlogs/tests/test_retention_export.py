from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from chatlogs.models import ChatLog

pytestmark = pytest.mark.django_db


def _logs(n: int, days_old: float = 0, **fields) -> None:
    at = timezone.now() - timedelta(days=days_old)
    ChatLog.objects.bulk_create(
        ChatLog(
            **{
                "created_at": at,
                "request_id": f"r{i}",
                "dialect": "openai",
                "model": "m",
                "status": "success",
                **fields,
            }
        )
        for i in range(n)
    )


def _cleanup() -> str:
    out = StringIO()
    call_command("cleanup_logs", stdout=out)
    return out.getvalue()


def test_the_newest_records_are_kept(settings) -> None:
    settings.REQUEST_LOGS_LIMIT, settings.REQUEST_LOGS_MAX_AGE = 5, 30
    _logs(12)
    assert "deleted 7 log records" in _cleanup()
    newest = list(ChatLog.objects.order_by("pk").values_list("pk", flat=True))
    assert len(newest) == 5 and newest == sorted(newest)
    assert "deleted 0" in _cleanup()


def test_old_records_go_and_zero_keeps_nothing(settings) -> None:
    settings.REQUEST_LOGS_LIMIT, settings.REQUEST_LOGS_MAX_AGE = 100, 7
    _logs(3, days_old=10)
    _logs(2)
    _cleanup()
    assert ChatLog.objects.count() == 2
    settings.REQUEST_LOGS_LIMIT = 0
    _cleanup()
    assert ChatLog.objects.count() == 0
    _logs(2)
    settings.REQUEST_LOGS_LIMIT, settings.REQUEST_LOGS_MAX_AGE = 100, 0
    _cleanup()
    assert ChatLog.objects.count() == 0


def test_old_daily_budget_counters_go_with_the_cleanup() -> None:
    from tokens.models import ApiKey, ApiKeyDailyUse

    key = ApiKey.objects.create(name="k", prefix="sk-k", key_hash="h" * 64)
    today = timezone.now().date()
    for days in (0, 1, 2, 30):
        ApiKeyDailyUse.objects.create(api_key=key, day=today - timedelta(days=days), requests=1)
    _cleanup()
    assert sorted(ApiKeyDailyUse.objects.values_list("day", flat=True)) == [today - timedelta(days=1), today]


def test_export_jsonl_and_csv_with_filters(tmp_path: Path) -> None:
    _logs(2, error='boom, "quoted"\nline', status="failure")
    _logs(1)
    out = StringIO()
    call_command("export_logs", "--query", json.dumps({"status": "failure"}), stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["status"] for line in lines] == ["failure", "failure"]
    target = tmp_path / "logs.csv"
    call_command("export_logs", "--format", "csv", "--output", str(target))
    rows = list(csv.reader(io.StringIO(target.read_text())))
    assert rows[0][:3] == ["id", "timestamp", "request_id"] and len(rows) == 4
    assert rows[1][9] == 'boom, "quoted"\nline'
    ChatLog.objects.all().delete()
    _logs(1, error="=cmd|' /C calc'!A0", model="@evil", status="failure")
    call_command("export_logs", "--format", "csv", "--output", str(target))
    row = list(csv.reader(io.StringIO(target.read_text())))[1]
    assert row[9] == "'=cmd|' /C calc'!A0" and row[4] == "'@evil"
    with pytest.raises(CommandError, match="from_date"):
        call_command("export_logs", "--query", '{"from_date": "soon"}', stdout=StringIO())
