from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tokens import services


class Command(BaseCommand):
    help = (
        "Import Cursor tokens from the original's `.tokens` file: one `token` or `token,checksum` per "
        "line, `#` for comments. Good lines are kept when others are bad; re-running is harmless."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="path to the file, or - for standard input")

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        if file == "-":
            import sys

            lines = sys.stdin.read().splitlines()
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"no such file: {file}")
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        report = services.import_legacy_lines(lines)
        for number, reason in report.bad:
            self.stderr.write(f"line {number}: {reason}")
        self.stdout.write(
            f"added {report.added}, updated {report.updated}, skipped {report.skipped}, bad {len(report.bad)}"
        )
        if report.bad and not (report.added or report.updated or report.skipped):
            raise CommandError("no line of the file holds a usable token")
