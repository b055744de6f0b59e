from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tokens import keys


class Command(BaseCommand):
    help = (
        "Create a named API key and print it once (only its hash is stored). The name says who or "
        "what uses it; the key sees only its own request logs."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", help="who or what uses the key, e.g. alice or ci-bot")
        parser.add_argument(
            "--models", default="", help="comma-separated model ids it may use (default: all)"
        )
        parser.add_argument("--daily-limit", type=int, default=None, help="requests per day (UTC)")
        parser.add_argument("--analytics", action="store_true", help="may read /analytics/ai-code/*")
        parser.add_argument(
            "--monthly-spend-limit",
            type=float,
            default=None,
            help="cents Cursor may bill this key per month (UTC; needs REAL_USAGE)",
        )

    def handle(self, *args: Any, name: str, models: str, daily_limit: int | None, **options: Any) -> None:
        if daily_limit is not None and daily_limit < 0:
            raise CommandError("--daily-limit must be 0 or more")
        spend = options.get("monthly_spend_limit")
        if spend is not None and not 0 <= spend < 1e12:
            raise CommandError("--monthly-spend-limit must be 0 or more cents")
        try:
            key, secret = keys.create(
                name, models=keys.model_list(models), daily_limit=daily_limit, analytics=options["analytics"]
            )
            if spend is not None:
                key.monthly_spend_limit_cents = spend
                key.save(update_fields=["monthly_spend_limit_cents"])
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        self.stderr.write(f"API key for {name} (shown once; store it now):")
        self.stdout.write(secret)
