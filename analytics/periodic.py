"""Periodic sync: a loop shared by `sync_ai_code --every` and the server's background thread.

The thread starts only in a server process (daphne, `manage.py serve`/`runserver`, ...) and only when
ANALYTICS_SYNC_INTERVAL > 0; never in tests or other management commands. It runs apart from the
event loop, so requests never wait on it. Several server processes may each start one: the sync's
database lease lets one of them work at a time, and the others skip their turn.
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
FIRST_RUN_DELAY = 5.0  # let the server finish starting before the first sync

_thread: threading.Thread | None = None


def run_forever(
    interval: float,
    run_once: Callable[[], None],
    stop: threading.Event,
    *,
    first_delay: float = 0.0,
) -> None:
    """Call run_once every `interval` seconds until `stop` is set; a failed run waits for the next."""
    if first_delay and stop.wait(first_delay):
        return
    while not stop.is_set():
        try:
            run_once()
        except Exception:
            log.exception("AI code sync failed; trying again in %ss", interval)
        stop.wait(interval)


def sync_once() -> None:
    """One sync of both endpoints with the settings' key; expected failures are logged, not raised."""
    from . import services
    from .client import AdminApiError

    try:
        with services.client_from_settings() as client:
            report = services.sync(client)
        for name, part in report.endpoints.items():
            log.info("AI code sync %s: %s rows (%s new)", name, part.fetched, part.created)
    except services.SyncBusy:
        log.info("AI code sync skipped: another sync is running")
    except (services.SyncError, AdminApiError) as exc:
        log.warning("AI code sync stopped: %s", exc)


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
    interval: float,
    argv: Sequence[str] | None = None,
    run_once: Callable[[], None] = sync_once,
) -> threading.Thread | None:
    """Start the background sync thread if this process is a server and the interval is set."""
    global _thread
    argv = sys.argv if argv is None else argv
    if interval <= 0 or not is_server_process(argv):
        return None
    if _thread is not None and _thread.is_alive():
        return _thread

    def turn() -> None:
        from django.db import close_old_connections

        try:
            run_once()
        finally:
            # This thread's connection would otherwise sit open (or broken) until the next turn.
            close_old_connections()

    _thread = threading.Thread(
        target=run_forever,
        args=(interval, turn, threading.Event()),
        kwargs={"first_delay": FIRST_RUN_DELAY},
        name="ai-code-sync",
        daemon=True,
    )
    _thread.start()
    log.info("AI code sync every %ss in the background", interval)
    return _thread
