"""Running ORM work from async code."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import queue
import threading
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connection

R = TypeVar("R")

Lane = Literal["default", "lease"]


class BatchLane:
    """Threads that run queued database calls in batches: one wake-up and one hand-back per batch.

    Every chat request leases a token before it can call Cursor, and 50 requests may arrive in the
    same millisecond. Through asgiref and a thread pool each lease cost a wake-up, a context copy
    and a hand-back to the loop (about 85 us of CPU beyond the lease's own 65 us, on the loop's
    core); here the requests that queued together are run together, and the loop is woken once for
    all of their results. Leases get threads of their own so they never wait behind other work.
    """

    def __init__(self, name: str, threads: int) -> None:
        self._name = name
        self._threads = threads
        self._queue: queue.SimpleQueue[_Call] = queue.SimpleQueue()
        self._started: list[threading.Thread] = []
        self._lock = threading.Lock()
        self.batches = 0  # hand-backs so far (tests read it)

    async def run(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        self._start()
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.put((future, fn, args, kwargs))
        return await future

    def _start(self) -> None:
        if len(self._started) == self._threads:
            return
        with self._lock:
            while len(self._started) < self._threads:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}-{len(self._started)}", daemon=True
                )
                thread.start()
                self._started.append(thread)

    def _work(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < 100:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            close_old_connections()
            done: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
            for future, fn, args, kwargs in batch:
                loop = future.get_loop()
                try:
                    outcome = (future, True, fn(*args, **kwargs))
                except BaseException as exc:
                    outcome = (future, False, exc)
                done.setdefault(loop, []).append(outcome)
            for loop, outcomes in done.items():
                self.batches += 1
                with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits
                    loop.call_soon_threadsafe(_settle, outcomes)


_Call = tuple["asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...], dict[str, Any]]


def _settle(outcomes: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for future, ok, value in outcomes:
        if future.done():  # its request was cancelled meanwhile
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


LEASES = BatchLane("db-lease", threads=2)
_sqlite_writer = threading.RLock()


def db(fn: Callable[..., R], *, lane: Lane = "default") -> Callable[..., Any]:
    """Database work off the event loop, in a shared pool rather than the one thread-sensitive thread.

    Each worker thread keeps its own connection; it is dropped here when it failed or got too old,
    as Django does at request boundaries for its own thread.
    """
    if lane == "lease":
        return functools.partial(LEASES.run, fn)

    def run(*args: Any, **kwargs: Any) -> R:
        close_old_connections()
        return fn(*args, **kwargs)

    return sync_to_async(run, thread_sensitive=False)


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
