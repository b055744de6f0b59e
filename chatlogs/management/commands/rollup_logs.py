from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from chatlogs import rollups


class Command(BaseCommand):
    help = (
        "Bring the admin dashboard's hourly roll-ups of the request log up to date (the server does it "
        "every LOG_ROLLUP_INTERVAL seconds). The first run reads the whole log, a day at a time."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--every", type=float, default=0, help="repeat every this many seconds")

    def handle(self, *args: Any, every: float, **options: Any) -> None:
        while True:
            started = time.monotonic()
            written = rollups.refresh()
            until = rollups.rolled_until()
            self.stdout.write(
                f"wrote {written} roll-up rows in {time.monotonic() - started:.1f} s; "
                f"rolled up to {until:%Y-%m-%d %H:%M}"
                if until
                else "nothing to roll up"
            )
            if not every:
                return
            time.sleep(every)
