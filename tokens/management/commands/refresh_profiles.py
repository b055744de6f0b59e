from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from tokens.periodic import refresh_all


class Command(BaseCommand):
    help = "Refresh every enabled token's profile and usage from Cursor (through each token's proxy)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--every", type=float, default=0, help="repeat every this many seconds")

    def handle(self, *args: Any, every: float, **options: Any) -> None:
        while True:
            done, failed = refresh_all()
            self.stdout.write(f"refreshed {done} profiles, {failed} failed")
            if not every:
                return
            time.sleep(every)
