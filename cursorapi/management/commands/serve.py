from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

MAX_AUTO_WORKERS = 4
# Connections waiting to be accepted. Twisted's default, 50, overflows when many clients connect at
# once (200 streams starting together): the kernel drops the excess and they retry after 1, 3, 7 s.
BACKLOG = 2048


class Command(BaseCommand):
    help = (
        "Serve the API under Daphne on HOST:PORT (from settings unless given). With --workers N, N Daphne "
        "processes share one listening socket; they agree through the database (pool, sessions, config)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=None)
        parser.add_argument("--port", type=int, default=None)
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.WEB_WORKERS,
            help="Daphne processes (WEB_WORKERS); 0: one per CPU core, at most 4",
        )
        parser.add_argument(
            "--access-log", default=None, help="write Daphne's access log here (- for stdout); off by default"
        )

    def handle(
        self,
        *args: Any,
        host: str | None,
        port: int | None,
        workers: int,
        access_log: str | None,
        **options: Any,
    ) -> None:
        if workers <= 0:
            workers = min(MAX_AUTO_WORKERS, os.cpu_count() or 1)
        host = host or settings.HOST
        port = port or settings.PORT
        # Our own logging records every chat; a line per request on stdout costs real time under load.
        logging_args = ["--access-log", access_log] if access_log else ["--verbosity", "0"]
        app = settings.ASGI_APPLICATION.replace(".application", ":application")
        from cursorapi.apps import key_beside_database_warning

        if problem := key_beside_database_warning():
            self.stderr.write(f"WARNING: {problem}")
        self.stdout.write(f"cursorapi listening on http://{host}:{port} ({max(1, workers)} worker(s))")
        sys.stdout.flush()
        if workers <= 1:
            from daphne.cli import CommandLineInterface

            interface = host.strip("[]").replace(":", r"\:")  # Twisted's endpoint syntax escapes colons
            endpoint = f"tcp:port={port}:interface={interface}:backlog={BACKLOG}"
            # No --proxy-headers: Daphne would believe them from anyone; cursorapi.proxy_headers
            # believes them from TRUSTED_PROXIES only.
            CommandLineInterface().run([*logging_args, "--endpoint", endpoint, app])
            return
        self._serve_workers(host, port, workers, [*logging_args, app])

    def _serve_workers(self, host: str, port: int, workers: int, daphne_args: list[str]) -> None:
        # One socket, inherited by every worker: the kernel spreads the connections between them.
        listener = socket.create_server((host, port), backlog=BACKLOG, reuse_port=False)
        listener.set_inheritable(True)
        children: list[subprocess.Popen[bytes]] = []

        def stop(signum: int, frame: Any) -> None:
            for child in children:
                child.send_signal(signal.SIGTERM)

        # Before the first worker starts, so that a stop arriving meanwhile cannot orphan one.
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        for _ in range(workers):
            children.append(
                subprocess.Popen(
                    [sys.executable, "-m", "daphne", "--fd", str(listener.fileno()), *daphne_args],
                    pass_fds=(listener.fileno(),),
                    env=os.environ.copy(),
                )
            )
        codes = [child.wait() for child in children]
        listener.close()
        if any(codes):
            sys.exit(max(codes))
