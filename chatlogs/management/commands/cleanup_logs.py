from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from chatlogs.retention import cleanup


class Command(BaseCommand):
    help = "Delete request logs beyond REQUEST_LOGS_LIMIT records or older than REQUEST_LOGS_MAX_AGE days."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--every", type=float, default=0, help="repeat every this many seconds")

    def handle(self, *args: Any, every: float, **options: Any) -> None:
        while True:
            self.stdout.write(f"deleted {cleanup()} log records")
            if not every:
                return
            time.sleep(every)
