"""New tokens get their profile (email, membership, usage) from Cursor right after they are added.

Adding a token (import, API, admin) queues it once its transaction commits; one background thread
per process fetches the queued profiles in batches, so the request that added them never waits.
The import command collects its tokens instead and fetches them in the foreground with progress.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, transaction

log = logging.getLogger(__name__)
BATCH = 50

_lock = threading.Condition()
_queued: list[str] = []
_busy = False
_worker: threading.Thread | None = None
_collect = threading.local()  # set by the import command: collect instead of queueing


def added(alias: str) -> None:
    """Call inside the transaction that inserts the token."""
    if not settings.PROFILE_FETCH_ON_ADD:
        return
    collected = getattr(_collect, "aliases", None)
    if collected is not None:
        collected.append(alias)
        return
    transaction.on_commit(lambda: _queue(alias))


def _queue(alias: str) -> None:
    global _worker
    with _lock:
        _queued.append(alias)
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_run, name="profile fill", daemon=True)
            _worker.start()
        _lock.notify_all()


def _run() -> None:
    global _busy
    from . import maintenance

    while True:
        with _lock:
            while not _queued:
                if not _lock.wait(30):
                    return  # idle: the next queued token starts a new thread
            batch, _queued[:] = _queued[:BATCH], _queued[BATCH:]
            _busy = True
        try:
            failed = maintenance.update_profiles(batch).failures()
            for alias, reason in failed.items():
                log.info("profile of new token %s not fetched: %s", alias, reason)
        except Exception:
            log.exception("fetching new tokens' profiles failed")
        finally:
            close_old_connections()
            with _lock:
                _busy = False
                _lock.notify_all()


def wait_idle(timeout: float = 10) -> bool:
    """Wait until every queued profile is fetched (tests, and shutting down cleanly)."""
    with _lock:
        return _lock.wait_for(lambda: not _queued and not _busy, timeout)


class collecting:
    """`with collecting() as aliases:` tokens added inside are listed instead of queued."""

    def __enter__(self) -> list[str]:
        _collect.aliases = []
        return _collect.aliases

    def __exit__(self, *exc: object) -> None:
        _collect.aliases = None


def fetch_now(aliases: list[str], progress: Callable[[int], Callable[[], None]]) -> dict[str, str]:
    """Fetch in the foreground, `BATCH` at a time, ticking `progress` per token; failures by alias."""
    from . import maintenance

    tick = progress(len(aliases))
    failures: dict[str, str] = {}
    for start in range(0, len(aliases), BATCH):
        chunk = aliases[start : start + BATCH]
        failures.update(maintenance.update_profiles(chunk).failures())
        for _ in chunk:
            tick()
    return failures
