"""Periodic sync: a loop shared by `sync_ai_code --every` and the server's background thread.

The thread starts only in a server process (daphne, `manage.py serve`/`runserver`, ...) and only when
ANALYTICS_SYNC_INTERVAL > 0; never in tests or other management commands. It runs apart from the
event loop, so requests never wait on it. Several server processes may each start one: the sync's
database lease lets one of them work at a time, and the others skip their turn.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from cursorapi import periodic

log = logging.getLogger(__name__)

_thread: threading.Thread | None = None
FIRST_RUN_DELAY = periodic.FIRST_RUN_DELAY


def run_forever(
    interval: float,
    run_once: Callable[[], None],
    stop: threading.Event,
    *,
    first_delay: float = 0.0,
) -> None:
    periodic.run_forever(interval, run_once, stop, first_delay=first_delay, name="AI code sync")


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


is_server_process = periodic.is_server_process


def start_in_server(
    interval: float,
    argv: Sequence[str] | None = None,
    run_once: Callable[[], None] = sync_once,
) -> threading.Thread | None:
    """Start the background sync thread if this process is a server and the interval is set."""
    global _thread
    if _thread is not None and _thread.is_alive():
        return _thread
    _thread = periodic.start_in_server("AI code sync", interval, run_once, argv, first_delay=FIRST_RUN_DELAY)
    return _thread
