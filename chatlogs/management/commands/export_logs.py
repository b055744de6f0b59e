from __future__ import annotations

import csv
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chatlogs import query as logquery
from chatlogs.models import ChatLog
from cursorapi import csv_cells

CSV_COLUMNS = [
    "id",
    "timestamp",
    "request_id",
    "dialect",
    "model",
    "token_alias",
    "stream",
    "status",
    "http_status",
    "error",
    "total_s",
    "first_token_s",
    "prompt_tokens",
    "completion_tokens",
    "finish_reason",
]


class Command(BaseCommand):
    help = "Export request logs as JSON lines or CSV, with /logs/get's filters (--query '{...}')."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
        parser.add_argument("--query", default="{}", help="the /logs/get query object, as JSON")
        parser.add_argument("--output", default="-", help="file to write (- for standard output)")

    def handle(self, *args: Any, format: str, query: str, output: str, **options: Any) -> None:
        try:
            filters = json.loads(query)
            qs = logquery.filtered(filters, logquery.with_chain(ChatLog.objects.all())).order_by("id")
        except (ValueError, logquery.BadFilter) as exc:
            raise CommandError(f"bad --query: {exc}") from exc
        if output == "-":
            self.stdout.ending = ""  # lines carry their own endings
            stream: Any = self.stdout
        else:
            stream = open(output, "w", newline="")  # noqa: SIM115
        try:
            rows = (logquery.record(log) for log in qs.iterator(chunk_size=2000))
            if format == "jsonl":
                for row in rows:
                    stream.write(json.dumps(row) + "\n")
            else:
                writer = csv.writer(stream)
                writer.writerow(CSV_COLUMNS)
                for r in rows:
                    usage = r.get("chain", {}).get("usage", {})
                    writer.writerow(
                        csv_cells.row(
                            [
                                r["id"],
                                r["timestamp"],
                                r["request_id"],
                                r["dialect"],
                                r["model"],
                                r["token_info"]["alias"] or "",
                                r["stream"],
                                r["status"],
                                r["http_status"] or "",
                                r["error"] or "",
                                r["timing"]["total"],
                                r["timing"]["first_token"] or "",
                                usage.get("input", ""),
                                usage.get("output", ""),
                                r["finish_reason"] or "",
                            ]
                        )
                    )
        finally:
            if output != "-":
                stream.close()
