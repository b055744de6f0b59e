from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
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
        command = [sys.executable, "-m", "daphne", "--fd", str(listener.fileno()), *daphne_args]

        def spawn() -> subprocess.Popen[bytes]:
            return subprocess.Popen(command, pass_fds=(listener.fileno(),), env=os.environ.copy())

        supervisor = Supervisor(spawn, workers, log=self.stderr.write)
        # Before the first worker starts, so that a stop arriving meanwhile cannot orphan one.
        signal.signal(signal.SIGTERM, supervisor.stop)
        signal.signal(signal.SIGINT, supervisor.stop)
        codes = supervisor.run()
        listener.close()
        if any(codes):
            sys.exit(max(codes))


def why_it_died(code: int) -> str:
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


class Supervisor:
    """Keeps N worker processes running: a worker that dies is restarted, after a growing pause.

    The pause (RESTART_DELAYS) grows while a slot keeps dying young and starts over once a worker
    has lived STEADY_SECONDS, so a crash loop cannot spin a core while a rare crash costs a second.
    """

    RESTART_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
    STEADY_SECONDS = 30.0
    POLL_SECONDS = 0.2

    def __init__(self, spawn: Any, workers: int, log: Any) -> None:
        self._spawn = spawn
        self._log = log
        self._slots: list[subprocess.Popen[bytes] | None] = [None] * workers
        self._started = [0.0] * workers
        self._failures = [0] * workers
        self._due = [0.0] * workers  # when an empty slot's restart is due
        self.stopping = False

    def stop(self, signum: int = signal.SIGTERM, frame: Any = None) -> None:
        self.stopping = True
        for child in self._slots:
            if child is not None and child.poll() is None:
                child.send_signal(signal.SIGTERM)

    def run(self) -> list[int]:
        for slot in range(len(self._slots)):
            self._start(slot)
        while not self.stopping:
            now = time.monotonic()
            for slot, child in enumerate(self._slots):
                if child is None:
                    if now >= self._due[slot] and not self.stopping:
                        self._start(slot)
                    continue
                code = child.poll()
                if code is None or self.stopping:
                    continue
                lived = now - self._started[slot]
                if lived >= self.STEADY_SECONDS:
                    self._failures[slot] = 0
                delay = self.RESTART_DELAYS[min(self._failures[slot], len(self.RESTART_DELAYS) - 1)]
                self._failures[slot] += 1
                why = why_it_died(code)
                self._log(f"worker {child.pid} {why} after {lived:.1f} s; restarting in {delay:g} s")
                self._slots[slot] = None
                self._due[slot] = now + delay
            time.sleep(self.POLL_SECONDS)
        return [child.wait() for child in self._slots if child is not None]

    def _start(self, slot: int) -> None:
        self._slots[slot] = self._spawn()
        self._started[slot] = time.monotonic()
