"""Running ORM work from async code."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connection

R = TypeVar("R")

Lane = Literal["default", "lease"]

# Every chat request waits for its token lease before it can call Cursor: leases get threads of their
# own, so that under load one never queues behind other work in the loop's default pool.
_LANES: dict[str, ThreadPoolExecutor | None] = {
    "default": None,
    "lease": ThreadPoolExecutor(max_workers=2, thread_name_prefix="db-lease"),
}
_sqlite_writer = threading.RLock()


def db(fn: Callable[..., R], *, lane: Lane = "default") -> Callable[..., Any]:
    """Database work off the event loop, in a shared pool rather than the one thread-sensitive thread.

    Each worker thread keeps its own connection; it is dropped here when it failed or got too old,
    as Django does at request boundaries for its own thread.
    """

    def run(*args: Any, **kwargs: Any) -> R:
        close_old_connections()
        return fn(*args, **kwargs)

    return sync_to_async(run, thread_sensitive=False, executor=_LANES[lane])


def one_writer(fn: Callable[..., R]) -> Callable[..., R]:
    """On SQLite, let one thread of this process write at a time.

    SQLite has one writer; a second connection that finds the lock taken sleeps in its busy handler
    (1, 2, 5, 10 ... 100 ms) and retries, so two threads writing at once cost the loser milliseconds
    to tens of them. Queued on a lock instead, it goes the moment the first commits. PostgreSQL
    needs none of this.
    """

    @functools.wraps(fn)
    def serialized(*args: Any, **kwargs: Any) -> R:
        if connection.vendor != "sqlite":
            return fn(*args, **kwargs)
        with _sqlite_writer:
            return fn(*args, **kwargs)

    return serialized
