from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from chatsessions.services import evict_expired


class Command(BaseCommand):
    help = "Evict chat sessions unused for SESSION_TTL seconds (once, or every N seconds with --every)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--every", type=float, default=0, help="repeat every this many seconds")

    def handle(self, *args: Any, every: float, **options: Any) -> None:
        while True:
            self.stdout.write(f"evicted {evict_expired()} expired sessions")
            if not every:
                return
            time.sleep(every)
