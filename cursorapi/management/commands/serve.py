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
        parser.add_argument(
            "--access-log", default=None, help="write Daphne's access log here (- for stdout); off by default"
        )

    def handle(
        self, *args: Any, host: str | None, port: int | None, access_log: str | None, **options: Any
    ) -> None:
        from daphne.cli import CommandLineInterface

        # Our own logging records every chat; a line per request on stdout costs real time under load.
        logging_args = ["--access-log", access_log] if access_log else ["--verbosity", "0"]
        argv = [
            *logging_args,
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
