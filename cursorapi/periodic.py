"""Background jobs of a server process (analytics sync, session cleanup, ...): one thread each.

A job starts only in a server process (daphne, `manage.py serve`/`runserver`, ...) and only when its
interval is above zero; never in tests or other management commands. With `serve --workers N` the
parent process runs them, once, and its Daphne workers (`python -m daphne`) do not. A job runs apart
from the event loop, so requests never wait on it. Each job is also a management command (with
--every), for deployments that prefer a separate worker.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

log = logging.getLogger(__name__)

SERVER_PROGRAMS = ("daphne", "uvicorn", "gunicorn", "hypercorn")
SERVER_COMMANDS = ("serve", "runserver")
FIRST_RUN_DELAY = 5.0  # let the server finish starting before the first run

_threads: dict[str, threading.Thread] = {}


def run_forever(
    interval: float,
    run_once: Callable[[], None],
    stop: threading.Event,
    *,
    first_delay: float = 0.0,
    name: str = "job",
) -> None:
    """Call run_once every `interval` seconds until `stop` is set; a failed run waits for the next."""
    if first_delay and stop.wait(first_delay):
        return
    while not stop.is_set():
        try:
            run_once()
        except Exception:
            log.exception("%s failed; trying again in %ss", name, interval)
        stop.wait(interval)


def is_server_process(argv: Sequence[str], environ: dict[str, str] | None = None) -> bool:
    environ = os.environ if environ is None else environ  # type: ignore[assignment]
    if not argv:
        return False
    if Path(argv[0]).name in SERVER_PROGRAMS:
        return True
    if len(argv) > 1 and argv[1] in SERVER_COMMANDS:
        # runserver's autoreloader runs the server in a child marked RUN_MAIN; the parent only watches.
        return argv[1] != "runserver" or "--noreload" in argv or environ.get("RUN_MAIN") == "true"
    return False


def start_in_server(
    name: str,
    interval: float,
    run_once: Callable[[], None],
    argv: Sequence[str] | None = None,
    first_delay: float | None = None,
) -> threading.Thread | None:
    """Start the job's thread if this process is a server and the interval is set."""
    argv = sys.argv if argv is None else argv
    if interval <= 0 or not is_server_process(argv):
        return None
    running = _threads.get(name)
    if running is not None and running.is_alive():
        return running

    def turn() -> None:
        from django.db import close_old_connections

        try:
            run_once()
        finally:
            # This thread's connection would otherwise sit open (or broken) until the next turn.
            close_old_connections()

    def forever() -> None:
        from cursorapi import priority

        priority.background_thread()  # the server's requests first
        run_forever(
            interval,
            turn,
            threading.Event(),
            first_delay=FIRST_RUN_DELAY if first_delay is None else first_delay,
            name=name,
        )

    thread = threading.Thread(target=forever, name=name, daemon=True)
    _threads[name] = thread
    thread.start()
    log.info("%s every %ss in the background", name, interval)
    return thread
