from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from runtime.model_refresh import RefreshFailed, refresh


class Command(BaseCommand):
    help = "Fetch Cursor's model list now and merge it into the shared list (raw_model_fetch_mode)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self.stdout.write(refresh())
        except RefreshFailed as exc:
            raise CommandError(str(exc)) from exc
