"""SQLite files that turn unwritable: refuse with a JSON 503 before SQLite touches them.

Why: in WAL mode every process memory-maps the database's `-shm` file (the WAL index) and writes
to it, readers included. When that file stops being writable under a running server (the disk
remounted read-only after an error, an immutable flag), the next write to the mapping is a SIGBUS
that kills the process; no error code ever reaches Python. (`PRAGMA mmap_size` is not the cause:
it is 0 here, so the database file itself is never mapped.) So before each request the files are
probed with access(W_OK), which fails cleanly (EPERM, EACCES, EROFS); while they fail, requests
get a 503 in their API's shape and /health says `unwritable`. A file that turns unwritable in
the middle of a request can still cost that worker; `serve --workers N` restarts it.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from asgiref.sync import markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse


def _files() -> list[Path]:
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        return []
    name = Path(str(database["NAME"]))
    return [name, Path(f"{name}-wal"), Path(f"{name}-shm")]


def writable() -> bool:
    """True unless a SQLite file of ours refuses writes (always True on PostgreSQL).

    Three access() calls, a few microseconds: probed on every request rather than cached, since a
    cached "writable" is exactly the window in which a request would meet the SIGBUS.
    """
    # access(), not open(): closing any descriptor of a SQLite file drops every POSIX lock this
    # process holds on it, the connections' included. access() honours read-only mounts and the
    # immutable flag, for root too; -wal and -shm come and go with the connections.
    return all(os.access(path, os.W_OK) or not path.exists() for path in _files())


Handler = Callable[[HttpRequest], Awaitable[HttpResponseBase]]


class SqliteGuardMiddleware:
    """Answer 503 while the SQLite files are unwritable; /health still answers, and says so."""

    async_capable = True
    sync_capable = False

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self.active = bool(_files())
        markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self.active and request.path != "/health" and not writable():
            from django.db import OperationalError

            from cursorapi import outage

            failure = outage.failure_for(OperationalError("database files are not writable"))
            response = JsonResponse(outage.body_for(request.path, failure), status=failure.status)
            response["Retry-After"] = str(failure.retry_after)
            return response
        return await self.get_response(request)
