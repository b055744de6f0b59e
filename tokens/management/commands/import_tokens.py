from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tokens import imports, profile_fill
from tokens.management import progress


class Command(BaseCommand):
    help = (
        "Import Cursor tokens from: the original's `.tokens` file (`token` or `token,checksum` per "
        "line); a JSON export of its POST /tokens/get (R3 or R4); or a CSV `alias,token[,proxy,timezone]`. "
        "Bad rows are reported and the rest kept; re-running is harmless."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="path to the file, or - for standard input")
        parser.add_argument(
            "--format", choices=["auto", "legacy", "json", "csv"], default="auto", help="default: guessed"
        )
        parser.add_argument(
            "--no-profiles", action="store_true", help="don't fetch the new tokens' profiles from Cursor"
        )
        parser.add_argument("--progress", action="store_true", help="show a progress bar (default: on a TTY)")

    def handle(self, *args: Any, file: str, format: str, **options: Any) -> None:
        if file == "-":
            text, name = sys.stdin.read(), ""
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"no such file: {file}")
            text, name = path.read_text(encoding="utf-8-sig", errors="replace"), path.name
        show = options["progress"] or self.stderr.isatty()
        try:
            with profile_fill.collecting() as added:
                report = imports.import_text(name, text, format, progress.bar(self.stderr, show))
        except imports.FormatError as exc:
            raise CommandError(str(exc)) from exc
        for where, reason in report.bad:
            self.stderr.write(f"{where}: {reason}")
        for where, reason in report.warnings:
            self.stderr.write(f"{where}: warning: {reason}")
        self.stdout.write(report.summary())
        if added and not options["no_profiles"]:
            self.stderr.write(f"fetching the profiles of {len(added)} new tokens from Cursor")
            failures = profile_fill.fetch_now(added, progress.bar(self.stderr, show))
            for alias, reason in failures.items():
                self.stderr.write(f"{alias}: profile not fetched: {reason}")
            self.stdout.write(f"profiles fetched {len(added) - len(failures)}, failed {len(failures)}")
        if report.bad and not (report.added or report.updated or report.skipped):
            raise CommandError("no row of the file holds a usable token")
