"""Running ORM work from async code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections

R = TypeVar("R")


def db(fn: Callable[..., R]) -> Callable[..., Any]:
    """Database work off the event loop, in the shared pool rather than the one thread-sensitive thread.

    Each worker thread keeps its own connection; it is dropped here when it failed or got too old,
    as Django does at request boundaries for its own thread.
    """

    def run(*args: Any, **kwargs: Any) -> R:
        close_old_connections()
        return fn(*args, **kwargs)

    return sync_to_async(run, thread_sensitive=False)
