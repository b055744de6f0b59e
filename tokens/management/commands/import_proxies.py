from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from proxies import services


class Command(BaseCommand):
    help = (
        "Import proxies from a JSON export of the original's POST /proxies/get "
        '({"proxies": {name: "non"|"sys"|URL}, "general_proxy": name}). Re-running is harmless.'
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="path to the JSON file")

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except ValueError as exc:
            raise CommandError(f"not JSON: {exc}") from exc
        try:
            report = services.import_state(data)
        except services.ProxyInputError as exc:
            raise CommandError(str(exc)) from exc
        for name, reason in report.bad:
            self.stderr.write(f"{name}: {reason}")
        for note in report.notes:
            self.stderr.write(note)
        self.stdout.write(
            f"added {report.added}, updated {report.updated}, skipped {report.skipped}, bad {len(report.bad)}"
        )
