from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the API under Daphne on HOST:PORT (from settings unless given)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=None)
        parser.add_argument("--port", type=int, default=None)

    def handle(self, *args: Any, host: str | None, port: int | None, **options: Any) -> None:
        from daphne.cli import CommandLineInterface

        argv = [
            "--bind",
            host or settings.HOST,
            "--port",
            str(port or settings.PORT),
            "--proxy-headers",
            settings.ASGI_APPLICATION.replace(".application", ":application"),
        ]
        self.stdout.write(f"cursorapi listening on http://{host or settings.HOST}:{port or settings.PORT}")
        sys.stdout.flush()
        CommandLineInterface().run(argv)
