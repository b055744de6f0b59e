"""Reaping after dead workers: records closed as interrupted, session leases released."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chatlogs.models import ChatLog
from chatsessions.models import ChatSession
from runtime import workers
from runtime.models import Worker

pytestmark = pytest.mark.django_db


def _record(owner: str, age: float = 0.0) -> ChatLog:
    created = timezone.now() - timedelta(seconds=age)
    return ChatLog.objects.create(
        created_at=created, request_id="r", dialect="openai", model="m", owner=owner
    )


def _session(name: str, owner: str, age: float = 0.0) -> ChatSession:
    now = timezone.now() - timedelta(seconds=age)
    return ChatSession.objects.create(
        session_id=name,
        owner="admin",
        created_at=now,
        last_used_at=now,
        lease_until=now + timedelta(minutes=15),
        lease_holder="req",
        lease_owner=owner,
    )


def _worker(name: str, heartbeat_age: float) -> None:
    now = timezone.now()
    Worker.objects.create(
        owner=name,
        host="elsewhere",
        pid=1,
        started_at=now,
        heartbeat_at=now - timedelta(seconds=heartbeat_age),
    )


def test_a_silent_workers_records_and_leases_are_released(settings) -> None:
    settings.WORKER_STALE_SECONDS = 10
    _worker("elsewhere:1:1", heartbeat_age=30)
    _worker("elsewhere:2:1", heartbeat_age=1)
    dead_log, live_log, mine = _record("elsewhere:1:1"), _record("elsewhere:2:1"), _record(workers.owner())
    _session("dead", "elsewhere:1:1")
    _session("live", "elsewhere:2:1")

    reaped = workers.reap()

    assert (reaped.workers, reaped.records, reaped.leases) == (1, 1, 1)
    statuses = {r.pk: (r.status, r.error) for r in ChatLog.objects.all()}
    assert statuses[dead_log.pk] == ("interrupted", workers.INTERRUPTED_ERROR)
    assert statuses[live_log.pk][0] == statuses[mine.pk][0] == "pending"
    leases = dict(ChatSession.objects.values_list("session_id", "lease_owner"))
    assert leases == {"dead": "", "live": "elsewhere:2:1"}
    assert list(Worker.objects.values_list("owner", flat=True)) == ["elsewhere:2:1"]


def test_a_process_of_this_host_that_is_gone_is_dead_at_once(settings) -> None:
    settings.WORKER_STALE_SECONDS = 600
    gone = f"{workers._host()}:{2**22 + 12345}:1"  # above Linux's pid_max: never a live process
    Worker.objects.create(
        owner=gone, host=workers._host(), pid=1, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    record = _record(gone)
    assert workers.reap().records == 1
    record.refresh_from_db()
    assert record.status == "interrupted"


def test_an_owner_that_never_beat_is_reaped_once_it_had_time_to(settings) -> None:
    settings.WORKER_STALE_SECONDS = 10
    young, old = _record("elsewhere:3:1", age=1), _record("elsewhere:3:1", age=60)
    unowned_recent, unowned_ancient = _record("", age=60), _record("", age=7 * 3600)
    workers.reap()
    status = dict(ChatLog.objects.values_list("pk", "status"))
    assert status[young.pk] == status[unowned_recent.pk] == "pending"
    assert status[old.pk] == status[unowned_ancient.pk] == "interrupted"


def test_a_beat_registers_the_process_and_stamps_it_again() -> None:
    workers.beat()
    first = Worker.objects.get(owner=workers.owner()).heartbeat_at
    workers.beat()
    row = Worker.objects.get(owner=workers.owner())
    assert row.heartbeat_at >= first and row.started_at <= row.heartbeat_at


def test_only_server_processes_beat() -> None:
    assert workers.is_server_worker(["/venv/lib/python3.11/site-packages/daphne/__main__.py", "--fd", "3"])
    assert workers.is_server_worker(["manage.py", "serve"])
    assert not workers.is_server_worker(["/venv/bin/pytest"])
    assert workers.start(["/venv/bin/pytest"]) is None


def test_health_write_probes_are_cleared_quietly(settings) -> None:
    settings.WORKER_STALE_SECONDS = 10
    assert workers.can_write()
    Worker.objects.update(heartbeat_at=timezone.now() - timedelta(seconds=60))
    assert workers.reap().workers == 0
    assert not Worker.objects.exists()
