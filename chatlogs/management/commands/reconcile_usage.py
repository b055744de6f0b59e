from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from chatlogs.billing import reconcile


class Command(BaseCommand):
    help = "Match recent requests with Cursor's usage events of their accounts (REAL_USAGE billed usage)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--every", type=float, default=0, help="repeat every this many seconds")

    def handle(self, *args: Any, every: float, **options: Any) -> None:
        while True:
            matched, waiting = reconcile()
            self.stdout.write(f"matched {matched}, waiting {waiting}")
            if not every:
                return
            time.sleep(every)
