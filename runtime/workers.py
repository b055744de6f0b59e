"""Worker heartbeats: what a dead worker process leaves behind is cleaned up within seconds.

Each server process has an owner name (host, pid, start time) that its log records and session
leases carry, and a thread that stamps its `Worker` row every WORKER_HEARTBEAT_SECONDS. On each
beat it also reaps: a worker whose heartbeat is older than WORKER_STALE_SECONDS, or one on this
host whose process is gone, is dead; its pending log records are closed as `interrupted` and its
session leases released. So a `kill -9` mid-stream costs its in-flight requests, not a record
pending forever or a session answering 409 until its lease runs out.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from cursorapi import sqlite_guard

log = logging.getLogger(__name__)

# Records whose worker left no owner (written before owners existed) are reaped only when this old.
UNOWNED_AFTER = timedelta(hours=6)
PROBE_PREFIX = "probe:"
INTERRUPTED_ERROR = "interrupted: the worker process serving it stopped"

_identity: tuple[int, str, datetime] | None = None
_thread: threading.Thread | None = None
_stop = threading.Event()


def _host() -> str:
    return socket.gethostname()[:64]


def owner() -> str:
    """This process's owner name: `host:pid:start`, new in a forked child."""
    global _identity
    pid = os.getpid()
    if _identity is None or _identity[0] != pid:
        started = datetime.now(UTC)
        _identity = (pid, f"{_host()}:{pid}:{int(started.timestamp() * 1000)}", started)
    return _identity[1]


def _started_at() -> datetime:
    owner()
    assert _identity is not None
    return _identity[2]


def beat() -> None:
    """Stamp this process's heartbeat (creating its row on the first beat)."""
    from .models import Worker

    now = timezone.now()
    name = owner()
    if not Worker.objects.filter(owner=name).update(heartbeat_at=now):
        Worker.objects.update_or_create(
            owner=name,
            defaults={"host": _host(), "pid": os.getpid(), "started_at": _started_at(), "heartbeat_at": now},
        )


def can_write() -> bool:
    """Whether the database takes a committed write now (reads alone pass on an unwritable file).

    /health asks. The probe stamps a row of its own (`probe:<owner>`) and commits: SQLite writes
    nothing to its files for a transaction that is rolled back. The row owns nothing; once stale
    it is reaped like any silent worker.
    """
    from .models import Worker

    now = timezone.now()
    try:
        Worker.objects.update_or_create(
            owner=f"{PROBE_PREFIX}{owner()}",
            defaults={"host": _host(), "pid": os.getpid(), "started_at": now, "heartbeat_at": now},
        )
    except Exception as exc:
        log.warning("the database refuses writes (%s)", type(exc).__name__)
        return False
    return True


def _gone_here(name: str) -> bool:
    """True when `name` is a process of this host that no longer runs (or whose pid was reused)."""
    parts = name.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != _host():
        return False
    try:
        pid, started_ms = int(parts[1]), int(parts[2])
    except ValueError:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    # Alive, but the same process? A pid reused since then started after the owner did.
    try:
        ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        lines = Path("/proc/stat").read_text().splitlines()
        boot = next(float(line.split()[1]) for line in lines if line.startswith("btime"))
        began = boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, StopIteration, IndexError):
        return False
    return began > started_ms / 1000 + 2  # clock ticks are coarse: a margin of two seconds


@dataclass(frozen=True, slots=True)
class Reaped:
    workers: int
    records: int
    leases: int


def reap() -> Reaped:
    """Close what dead workers left: pending records become interrupted, their leases are freed."""
    from .models import Worker

    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.WORKER_STALE_SECONDS)
    me = owner()
    stale = Worker.objects.filter(heartbeat_at__lt=stale_before)
    # /health's write probes own nothing: their stale rows just go, without a word.
    stale.filter(owner__startswith=PROBE_PREFIX).delete()
    dead = set(stale.values_list("owner", flat=True))
    live = set(Worker.objects.filter(heartbeat_at__gte=stale_before).values_list("owner", flat=True))
    dead |= {name for name in live if name != me and _gone_here(name)}
    live = (live - dead) | {me}
    if not dead and not _orphans(live, now, stale_before).exists() and not _held(live, stale_before).exists():
        return Reaped(0, 0, 0)  # the usual case: reads only, no write lock taken
    with transaction.atomic():
        return _close(dead, live, now, stale_before)


def _orphans(live: set[str], now: datetime, stale_before: datetime) -> QuerySet[Any]:
    """Pending records no live worker owns, old enough that their owner had time to beat."""
    from chatlogs.models import ChatLog, Status

    return ChatLog.objects.filter(status=Status.PENDING).filter(
        (~Q(owner__in=live) & ~Q(owner="") & Q(created_at__lt=stale_before))
        | Q(owner="", created_at__lt=now - UNOWNED_AFTER)
    )


def _held(live: set[str], stale_before: datetime) -> QuerySet[Any]:
    """Session leases no live worker owns, taken long enough ago that their owner had time to beat."""
    from chatsessions.models import ChatSession

    leased = ChatSession.objects.filter(lease_until__isnull=False).exclude(lease_owner="")
    return leased.exclude(lease_owner__in=live).filter(last_used_at__lt=stale_before)


def _close(dead: set[str], live: set[str], now: datetime, stale_before: datetime) -> Reaped:
    from chatlogs.models import ChatLog, Status
    from chatsessions.models import ChatSession

    from .models import Worker

    # Pending records: of a dead worker, or of an owner never seen beating once it had time to.
    pending = ChatLog.objects.filter(status=Status.PENDING)
    closed = {"status": Status.INTERRUPTED, "error": INTERRUPTED_ERROR}
    records = pending.filter(owner__in=dead).update(**closed) + _orphans(live, now, stale_before).update(
        **closed
    )
    free = {"lease_until": None, "lease_holder": "", "lease_owner": ""}
    leased = ChatSession.objects.filter(lease_until__isnull=False)
    leases = leased.filter(lease_owner__in=dead).update(**free) + _held(live, stale_before).update(**free)
    workers = Worker.objects.filter(owner__in=dead).delete()[0] if dead else 0
    if records or leases or workers:
        log.warning(
            "reaped %d dead worker(s): %d log record(s) interrupted, %d session lease(s) released",
            workers,
            records,
            leases,
        )
    return Reaped(workers, records, leases)


def _forget() -> None:
    """On a clean exit: the row goes, so that nobody waits for this worker's heartbeat to go stale."""
    from .models import Worker

    with contextlib.suppress(Exception):  # the database may be gone too; the others reap the row
        Worker.objects.filter(owner=owner()).delete()


def _run(interval: float) -> None:
    from cursorapi import priority

    priority.background_thread()
    failing = False
    while not _stop.is_set():
        try:
            if not sqlite_guard.writable():  # touching unwritable SQLite files is a SIGBUS
                raise OSError("the SQLite files are not writable")
            beat()
            reap()
            if failing:
                log.warning("worker heartbeat: the database answers again")
            failing = False
        except Exception as exc:
            if not failing:  # once per outage, not every beat
                log.warning("worker heartbeat failed (%s); retrying every %ss", type(exc).__name__, interval)
            failing = True
        finally:
            close_old_connections()
        _stop.wait(interval)
    _forget()
    close_old_connections()


def is_server_worker(argv: Sequence[str]) -> bool:
    """A process that serves requests: `manage.py serve`/`runserver`, or Daphne (also as `-m daphne`)."""
    from cursorapi import periodic

    if periodic.is_server_process(argv):
        return True
    return bool(argv) and Path(argv[0]).parent.name == "daphne" and Path(argv[0]).name == "__main__.py"


def start(argv: Sequence[str] | None = None) -> threading.Thread | None:
    """Start this process's heartbeat thread, if it serves requests and heartbeats are on."""
    global _thread
    argv = sys.argv if argv is None else argv
    interval = settings.WORKER_HEARTBEAT_SECONDS
    if interval <= 0 or not is_server_worker(argv):
        return None
    if _thread is not None and _thread.is_alive():
        return _thread
    import atexit

    _stop.clear()
    _thread = threading.Thread(target=_run, args=(interval,), name="worker-heartbeat", daemon=True)
    _thread.start()
    atexit.register(stop)
    return _thread


def stop(timeout: float = 2.0) -> None:
    _stop.set()
    if _thread is not None and _thread.is_alive():
        _thread.join(timeout)
