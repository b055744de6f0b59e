from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from storedresponses.services import evict_expired


class Command(BaseCommand):
    help = "Delete stored /v1/responses older than RESPONSES_TTL seconds (once, or every N seconds)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--every", type=float, default=0, help="repeat every this many seconds")

    def handle(self, *args: Any, every: float, **options: Any) -> None:
        while True:
            self.stdout.write(f"deleted {evict_expired()} expired stored responses")
            if not every:
                return
            time.sleep(every)
